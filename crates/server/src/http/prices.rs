//! `POST /api/v1/prices/import` (admin; a LiteLLM price file as the body) and
//! `GET /api/v1/prices`.

use std::collections::BTreeMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use tokentally_domain::litellm;
use tokentally_domain::price_card::PriceCard;

use crate::auth::{Principal, Role};
use crate::error::ApiError;
use crate::startup::AppState;
use crate::storage::Store;

#[derive(Debug, Deserialize)]
pub struct ImportQuery {
    /// The day new rates take effect (default: today). A model priced for the first time is
    /// priced from 2000-01-01, so its past usage leaves Unpriced.
    pub effective_from: Option<NaiveDate>,
}

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct ImportReport {
    pub imported: usize,
    pub unchanged: usize,
    pub skipped: u64,
    pub skipped_by_reason: BTreeMap<String, u64>,
}

/// Imports a LiteLLM price file: shared by the API and the CLI.
pub async fn import_litellm(
    store: &Store,
    body: &[u8],
    effective_from: NaiveDate,
) -> Result<ImportReport, ApiError> {
    let parsed =
        litellm::import(body, effective_from).map_err(|e| ApiError::invalid(e.to_string()))?;
    let known: std::collections::HashSet<(String, String)> = store
        .list_price_cards()
        .await?
        .into_iter()
        .map(|c| (c.provider, c.model))
        .collect();
    let first_day = NaiveDate::from_ymd_opt(2000, 1, 1).expect("a valid date");
    let cards: Vec<PriceCard> = parsed
        .cards
        .iter()
        .cloned()
        .map(|mut c| {
            if !known.contains(&(c.provider.clone(), c.model.clone())) {
                c.effective_from = first_day;
            }
            c
        })
        .collect();
    let stored = store.add_price_cards(&cards).await?;
    Ok(ImportReport {
        imported: stored.added,
        unchanged: stored.unchanged,
        skipped: parsed.skipped_total(),
        skipped_by_reason: parsed.skipped,
    })
}

pub async fn import(
    State(state): State<AppState>,
    principal: Principal,
    Query(q): Query<ImportQuery>,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<ImportReport>), ApiError> {
    principal.require(&[Role::Admin])?;
    let body = body.map_err(|e| match e.status() {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge(state.config.body_limit),
        _ => ApiError::BadRequest(e.body_text()),
    })?;
    let day = q
        .effective_from
        .unwrap_or_else(|| chrono::Utc::now().date_naive());
    let report = import_litellm(&state.store, &body, day).await?;
    state
        .store
        .add_audit(
            &principal.name,
            "prices.import",
            "prices",
            None,
            Some(serde_json::json!({"imported": report.imported, "effective_from": day})),
        )
        .await?;
    Ok((StatusCode::OK, Json(report)))
}

pub async fn list(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<Vec<PriceCard>>, ApiError> {
    principal.require_read()?;
    Ok(Json(state.store.list_price_cards().await?))
}
