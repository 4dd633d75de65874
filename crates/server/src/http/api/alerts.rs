//! Alerts: `GET /api/v1/alerts` (readers; a lead sees their teams'),
//! `POST /api/v1/alerts/{id}/acknowledge` (admin, finance, a lead of the alert's team),
//! `POST /api/v1/alerts/evaluate?as_of=` (admin, finance), and the webhook:
//! `GET`/`POST /api/v1/webhook` and `GET /api/v1/webhook/deliveries` (admin), and the
//! anomaly thresholds: `GET`/`POST /api/v1/anomaly/settings` (readers / admin).

use axum::Json;
use axum::extract::{Path, Query, State};
use chrono::NaiveDate;
use serde::Deserialize;
use tokentally_domain::anomaly::AnomalySettings;

use crate::app::governance::alerts::{acknowledge_as, visible_alerts};
use crate::app::governance::settings::{set_anomaly_as, set_webhook_full_as};
use crate::app::governance::{self, Evaluation, Webhook};
use crate::auth::{Capability, Principal};
use crate::http::JsonBody;
use crate::http::error::ApiError;
use crate::state::AppState;
use crate::storage::{AlertRecord, Delivery};

pub async fn list(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<Vec<AlertRecord>>, ApiError> {
    Ok(Json(visible_alerts(&state, &principal).await?))
}

pub async fn acknowledge(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<i64>,
) -> Result<Json<AlertRecord>, ApiError> {
    Ok(Json(acknowledge_as(&state, &principal, id).await?))
}

#[derive(Debug, Deserialize)]
pub struct EvaluateQuery {
    /// The day to evaluate as of (YYYY-MM-DD); today by default.
    pub as_of: Option<String>,
}

pub fn parse_day(s: Option<&str>) -> Result<NaiveDate, ApiError> {
    match s.filter(|s| !s.is_empty()) {
        None => Ok(governance::today()),
        Some(s) => s
            .parse()
            .map_err(|_| ApiError::BadRequest(format!("`{s}` is not a day (YYYY-MM-DD)"))),
    }
}

pub async fn evaluate(
    State(state): State<AppState>,
    principal: Principal,
    Query(q): Query<EvaluateQuery>,
) -> Result<Json<Evaluation>, ApiError> {
    principal.ensure(Capability::Govern)?;
    let as_of = parse_day(q.as_of.as_deref())?;
    Ok(Json(governance::evaluate(&state, as_of).await?))
}

pub async fn get_webhook(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<Webhook>, ApiError> {
    principal.ensure(Capability::Administer)?;
    Ok(Json(governance::webhook(&state.store).await?))
}

pub async fn post_webhook(
    State(state): State<AppState>,
    principal: Principal,
    JsonBody(body): JsonBody<Webhook>,
) -> Result<Json<Webhook>, ApiError> {
    Ok(Json(set_webhook_full_as(&state, &principal, &body).await?))
}

pub async fn get_anomaly(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<AnomalySettings>, ApiError> {
    principal.ensure(Capability::ReadReports)?;
    Ok(Json(governance::anomaly_settings(&state.store).await?))
}

pub async fn post_anomaly(
    State(state): State<AppState>,
    principal: Principal,
    JsonBody(body): JsonBody<AnomalySettings>,
) -> Result<Json<AnomalySettings>, ApiError> {
    Ok(Json(set_anomaly_as(&state, &principal, body).await?))
}

pub async fn deliveries(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<Vec<Delivery>>, ApiError> {
    principal.ensure(Capability::Administer)?;
    Ok(Json(state.store.list_deliveries(200).await?))
}
