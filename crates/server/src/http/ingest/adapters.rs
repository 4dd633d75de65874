//! The ingest adapters' endpoints, beside the native `POST /api/v1/events`:
//! `POST /api/v1/ingest/{openai, openai/usage, anthropic, anthropic/usage, litellm, bedrock,
//! csv}`. Same auth (an ingest token), same body limit, same answer (the ingest report, with
//! `ignored` where records can carry no usage). A gzip body is read whether
//! `Content-Encoding: gzip` says so or not (S3 objects arrive compressed).

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use chrono::{DateTime, Utc};

use crate::auth::{Capability, Principal};
use crate::http::error::ApiError;
use crate::ingest::common::{self, BodyError};
use crate::ingest::{self, IngestReport, ParsedBatch, anthropic, bedrock, csv, litellm, openai};
use crate::state::AppState;
use crate::telemetry::Metrics;

type Answer = Result<(StatusCode, Json<IngestReport>), ApiError>;

/// The request body, decompressed: `Content-Encoding: gzip` or a gzip stream, up to the body
/// limit once inflated.
pub fn body_of(
    state: &AppState,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Vec<u8>, ApiError> {
    let limit = state.config.body_limit;
    let body = body.map_err(|e| match e.status() {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge(limit),
        _ => ApiError::BadRequest(e.body_text()),
    })?;
    let encoding = headers
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match encoding.as_str() {
        "gzip" | "x-gzip" => common::gunzip(&body, limit).map_err(body_error),
        "" | "identity" if common::is_gzip(&body) => {
            common::gunzip(&body, limit).map_err(body_error)
        }
        "" | "identity" => Ok(body.to_vec()),
        other => Err(ApiError::UnsupportedMediaType(format!(
            "Content-Encoding `{other}` is not accepted: send the body as it is or gzip"
        ))),
    }
}

/// A body that cannot be read at all: 400 with the reason, or 413.
pub fn body_error(e: BodyError) -> ApiError {
    match e {
        BodyError::TooLarge(limit) => ApiError::PayloadTooLarge(limit),
        other => ApiError::BadRequest(other.to_string()),
    }
}

/// Stores a batch and answers as the native endpoint does: 422 when nothing was stored and
/// something was refused, 200 otherwise.
pub async fn store(state: &AppState, batch: ParsedBatch) -> Answer {
    let report = ingest::ingest(&state.store, batch).await?;
    Ok(answered(state, report))
}

fn answered(state: &AppState, report: IngestReport) -> (StatusCode, Json<IngestReport>) {
    let m = &state.metrics;
    Metrics::add(&m.ingest_requests, 1);
    Metrics::add(&m.events_accepted, report.accepted);
    Metrics::add(&m.events_duplicate, report.duplicates);
    Metrics::add(&m.events_rejected, report.rejected.len());
    let status = if report.accepted == 0 && report.duplicates == 0 && !report.rejected.is_empty() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    (status, Json(report))
}

async fn run(
    state: &AppState,
    principal: &Principal,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
    parse: impl FnOnce(&[u8], DateTime<Utc>) -> Result<ParsedBatch, BodyError>,
) -> Answer {
    principal.ensure(Capability::SendUsage)?;
    let body = body_of(state, headers, body)?;
    let batch = parse(&body, Utc::now()).map_err(body_error)?;
    store(state, batch).await
}

/// `POST /api/v1/ingest/openai`: Chat Completions or Responses usage with owner fields.
pub async fn openai(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Answer {
    run(&state, &principal, &headers, body, openai::parse_calls).await
}

/// `POST /api/v1/ingest/openai/usage`: organization Usage API pages.
pub async fn openai_usage(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Answer {
    run(
        &state,
        &principal,
        &headers,
        body,
        openai::parse_usage_pages,
    )
    .await
}

/// `POST /api/v1/ingest/anthropic`: Messages usage with owner fields.
pub async fn anthropic(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Answer {
    run(&state, &principal, &headers, body, anthropic::parse_calls).await
}

/// `POST /api/v1/ingest/anthropic/usage`: Admin API usage report pages.
pub async fn anthropic_usage(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Answer {
    run(
        &state,
        &principal,
        &headers,
        body,
        anthropic::parse_usage_report,
    )
    .await
}

/// `POST /api/v1/ingest/litellm`: logging payloads (generic API callback) or spend-log rows,
/// as JSON, JSON lines or CSV.
pub async fn litellm(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Answer {
    let csv = is_csv(&headers);
    run(&state, &principal, &headers, body, |b, now| {
        if csv || looks_like_csv(b) {
            litellm::parse_csv(b, now)
        } else {
            litellm::parse_json(b, now)
        }
    })
    .await
}

/// `POST /api/v1/ingest/bedrock`: model invocation log lines.
pub async fn bedrock(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Answer {
    run(&state, &principal, &headers, body, bedrock::parse).await
}

/// `POST /api/v1/ingest/csv?map.HEADER=FIELD...&name=FILE`: a CSV file of usage; columns map
/// by their native names unless a `map.` parameter says otherwise. The import is audited under
/// `name`.
pub async fn csv(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Result<Bytes, BytesRejection>,
) -> Answer {
    principal.ensure(Capability::SendUsage)?;
    let query = query.unwrap_or_default();
    let overrides = mapping_from_query(&query)?;
    let name = url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "name")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| "api".into());
    let body = body_of(&state, &headers, body)?;
    let file = csv::CsvFile::read(&body).map_err(body_error)?;
    let targets = file.targets(&overrides);
    let report = ingest::import_csv(
        &state.store,
        &principal.name,
        &name,
        &body,
        &file,
        &targets,
        Utc::now(),
    )
    .await?;
    Ok(answered(&state, report))
}

/// `map.HEADER=TARGET` query pairs.
fn mapping_from_query(query: &str) -> Result<HashMap<String, csv::Target>, ApiError> {
    url::form_urlencoded::parse(query.as_bytes())
        .filter_map(|(k, v)| Some((k.strip_prefix("map.")?.to_owned(), v.into_owned())))
        .map(|(k, v)| {
            csv::Target::parse(&v)
                .map(|t| (k.clone(), t))
                .map_err(|e| ApiError::invalid(format!("map.{k}: {e}")))
        })
        .collect()
}

fn is_csv(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.trim().to_ascii_lowercase().starts_with("text/csv"))
}

fn looks_like_csv(body: &[u8]) -> bool {
    let first = body
        .iter()
        .find(|b| !b.is_ascii_whitespace() && **b != 0xef && **b != 0xbb && **b != 0xbf);
    !matches!(first, Some(b'{') | Some(b'[') | None)
}
