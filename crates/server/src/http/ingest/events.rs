//! `POST /api/v1/events`: the native ingest endpoint. A gzip body (`Content-Encoding: gzip`,
//! or a gzip stream) is read as the adapters read it.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;

use crate::auth::{Capability, Principal};
use crate::http::error::ApiError;
use crate::ingest::{self, native};
use crate::state::AppState;
use crate::telemetry::Metrics;

pub async fn post(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<impl IntoResponse, ApiError> {
    principal.ensure(Capability::SendUsage)?;
    let body = super::adapters::body_of(&state, &headers, body)?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let format = native::BodyFormat::from_content_type(content_type).ok_or_else(|| {
        ApiError::UnsupportedMediaType(format!(
            "Content-Type `{content_type}` is not accepted: send application/json (an array, or {{\"events\": [...]}}) or application/x-ndjson"
        ))
    })?;
    let batch = native::parse(&body, format, chrono::Utc::now())
        .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let report = ingest::ingest(&state.store, batch).await?;
    let m = &state.metrics;
    Metrics::add(&m.ingest_requests, 1);
    Metrics::add(&m.events_accepted, report.accepted);
    Metrics::add(&m.events_duplicate, report.duplicates);
    Metrics::add(&m.events_rejected, report.rejected.len());
    // Nothing stored and something refused: the request as a whole failed.
    let status = if report.accepted == 0 && report.duplicates == 0 && !report.rejected.is_empty() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((status, Json(report)))
}
