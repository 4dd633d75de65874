//! `POST /api/v1/prices/import` (admin; a LiteLLM price file as the body) and
//! `GET /api/v1/prices`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use chrono::NaiveDate;
use serde::Deserialize;
use tokentally_domain::price_card::PriceCard;

use crate::app::prices::{self, ImportReport};
use crate::auth::{Capability, Principal};
use crate::http::error::ApiError;
use crate::state::AppState;

#[derive(Debug, Deserialize)]
pub struct ImportQuery {
    /// The day new rates take effect (default: today). A model priced for the first time is
    /// priced from 2000-01-01, so its past usage leaves Unpriced.
    pub effective_from: Option<NaiveDate>,
}

pub async fn import(
    State(state): State<AppState>,
    principal: Principal,
    Query(q): Query<ImportQuery>,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<ImportReport>), ApiError> {
    principal.ensure(Capability::Administer)?;
    let body = body.map_err(|e| match e.status() {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge(state.config.body_limit),
        _ => ApiError::BadRequest(e.body_text()),
    })?;
    let day = q
        .effective_from
        .unwrap_or_else(|| chrono::Utc::now().date_naive());
    let report = prices::import_as(&state.store, &principal.name, &body, day).await?;
    Ok((StatusCode::OK, Json(report)))
}

pub async fn list(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<Vec<PriceCard>>, ApiError> {
    principal.ensure(Capability::ReadReports)?;
    Ok(Json(state.store.list_price_cards().await?))
}
