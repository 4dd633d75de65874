//! Business transactions: `POST /api/v1/transactions` (one report as JSON),
//! `POST /api/v1/transactions/csv` (many, all or none) and `GET /api/v1/transactions?month=`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use tokentally_domain::transaction::BusinessTransactions;

use crate::app::transactions::{NewTransactions, may_report, parse_csv, record, record_all};
use crate::auth::{Capability, Principal};
use crate::http::error::ApiError;
use crate::http::{JsonBody, MonthQuery};
use crate::state::AppState;

pub async fn post(
    State(state): State<AppState>,
    principal: Principal,
    JsonBody(body): JsonBody<NewTransactions>,
) -> Result<(StatusCode, Json<BusinessTransactions>), ApiError> {
    principal.ensure(Capability::ReportTransactions)?;
    let t = body.into_domain(&state.config.currency)?;
    may_report(&principal, &t.team)?;
    record(&state, &principal.name, &t).await?;
    Ok((StatusCode::CREATED, Json(t)))
}

/// A CSV of reports (see `CSV_COLUMNS`): every row is checked, and the caller's right to
/// report for its team, before any is stored; one bad row refuses the file.
pub async fn post_csv(
    State(state): State<AppState>,
    principal: Principal,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    principal.ensure(Capability::ReportTransactions)?;
    let body = body.map_err(|e| match e.status() {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge(state.config.body_limit),
        _ => ApiError::BadRequest(e.body_text()),
    })?;
    let text = std::str::from_utf8(&body)
        .map_err(|_| ApiError::BadRequest("the CSV is not UTF-8 text".to_owned()))?;
    let all = parse_csv(&principal, text, &state.config.currency)?;
    record_all(&state, &principal.name, &all).await?;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({ "stored": all.len() })),
    ))
}

pub async fn list(
    State(state): State<AppState>,
    principal: Principal,
    Query(q): Query<MonthQuery>,
) -> Result<Json<Vec<BusinessTransactions>>, ApiError> {
    principal.ensure(Capability::ReadReports)?;
    let mut all = state.store.list_transactions(q.month()?).await?;
    all.retain(|t| principal.may_read_team(&t.team));
    Ok(Json(all))
}
