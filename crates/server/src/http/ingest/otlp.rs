//! `POST /v1/traces`: OTLP/HTTP, as an OpenTelemetry exporter sends it (`OTEL_EXPORTER_OTLP_ENDPOINT`
//! pointing at tokentally, the ingest token in `OTEL_EXPORTER_OTLP_HEADERS`).
//!
//! Answers as the OTLP specification asks, in the request's encoding: an
//! `ExportTraceServiceResponse`, with `partial_success` (`rejected_spans` and a message) when
//! some GenAI spans were refused; failures carry a `google.rpc.Status`. The counts of every
//! outcome (accepted, duplicates, rejected, ignored spans) are in `x-tokentally-*` headers, so
//! that senders of many ordinary spans get no warning for each export.

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTracePartialSuccess, ExportTraceServiceResponse,
};
use prost::Message;

use super::adapters::{body_error, body_of, store};
use crate::auth::{Capability, Principal};
use crate::http::error::ApiError;
use crate::ingest::IngestReport;
use crate::ingest::otlp::{self, Encoding};
use crate::state::AppState;

/// `google.rpc.Status`, the body of OTLP failures.
#[derive(Clone, PartialEq, Message)]
pub struct RpcStatus {
    #[prost(int32, tag = "1")]
    pub code: i32,
    #[prost(string, tag = "2")]
    pub message: String,
}

pub async fn post(
    State(state): State<AppState>,
    principal: Result<Principal, ApiError>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let Some(encoding) = Encoding::from_content_type(content_type) else {
        return failure(
            Encoding::Json,
            ApiError::UnsupportedMediaType(format!(
                "Content-Type `{content_type}` is not accepted: send application/x-protobuf or application/json"
            )),
        );
    };
    match export(&state, principal, &headers, body, encoding).await {
        Ok(report) => success(encoding, &report),
        Err(e) => failure(encoding, e),
    }
}

async fn export(
    state: &AppState,
    principal: Result<Principal, ApiError>,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
    encoding: Encoding,
) -> Result<IngestReport, ApiError> {
    principal?.ensure(Capability::SendUsage)?;
    let body = body_of(state, headers, body)?;
    let batch = otlp::parse(&body, encoding, chrono::Utc::now()).map_err(body_error)?;
    Ok(store(state, batch).await?.1.0)
}

fn success(encoding: Encoding, report: &IngestReport) -> Response {
    let rejected = report.rejected.len();
    let partial_success = (rejected > 0).then(|| {
        let reasons: Vec<String> = report
            .rejected
            .iter()
            .take(5)
            .map(|r| format!("span {}: {}", r.id.as_deref().unwrap_or("?"), r.error))
            .collect();
        ExportTracePartialSuccess {
            rejected_spans: rejected as i64,
            error_message: format!(
                "{rejected} GenAI span(s) refused; {}{}",
                reasons.join("; "),
                if rejected > 5 { "; ..." } else { "" }
            ),
        }
    });
    let message = ExportTraceServiceResponse { partial_success };
    let body = match encoding {
        Encoding::Protobuf => message.encode_to_vec(),
        Encoding::Json => serde_json::to_vec(&message).unwrap_or_else(|_| b"{}".to_vec()),
    };
    let mut r = (
        StatusCode::OK,
        [(header::CONTENT_TYPE, encoding.content_type())],
        body,
    )
        .into_response();
    let h = r.headers_mut();
    for (name, n) in [
        ("x-tokentally-accepted", report.accepted),
        ("x-tokentally-duplicates", report.duplicates),
        ("x-tokentally-rejected", rejected),
        ("x-tokentally-ignored", report.ignored.unwrap_or(0)),
    ] {
        h.insert(name, HeaderValue::from(n));
    }
    r
}

/// A failure as the OTLP specification asks: the status, and a `google.rpc.Status` body in the
/// request's encoding (its `code` is the gRPC code nearest the HTTP status).
fn failure(encoding: Encoding, error: ApiError) -> Response {
    let status = error.status();
    if status == StatusCode::INTERNAL_SERVER_ERROR {
        tracing::error!(error = ?error, "OTLP export failed");
    }
    let message = match &error {
        ApiError::Internal(_) => "internal error; the cause is in the server log".to_owned(),
        ApiError::Unavailable(_) => "the database is unavailable; retry shortly".to_owned(),
        other => crate::http::pages::reason(other),
    };
    let code = match status {
        StatusCode::UNAUTHORIZED => 16,
        StatusCode::FORBIDDEN => 7,
        StatusCode::SERVICE_UNAVAILABLE => 14,
        StatusCode::INTERNAL_SERVER_ERROR => 13,
        StatusCode::PAYLOAD_TOO_LARGE => 8,
        _ => 3,
    };
    let rpc = RpcStatus { code, message };
    let body = match encoding {
        Encoding::Protobuf => rpc.encode_to_vec(),
        Encoding::Json => serde_json::json!({"code": rpc.code, "message": rpc.message})
            .to_string()
            .into_bytes(),
    };
    let mut r = (
        status,
        [(header::CONTENT_TYPE, encoding.content_type())],
        body,
    )
        .into_response();
    if status == StatusCode::SERVICE_UNAVAILABLE {
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
    }
    if status == StatusCode::UNAUTHORIZED {
        r.headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    r
}
