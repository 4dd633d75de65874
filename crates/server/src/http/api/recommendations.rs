//! Recommendations: `GET /api/v1/recommendations?month=[&team=&lever=]` (readers; a lead
//! sees their teams'), `POST /api/v1/recommendations/{id}/accept` and `.../dismiss` with
//! `{"note": ...}` (admin, finance, a lead of the recommendation's team), and the levers'
//! thresholds: `GET`/`POST /api/v1/recommendations/settings` (admin to change; a POST names the
//! fields it changes).

use axum::Json;
use axum::extract::{Path, Query, State};
use serde::Deserialize;
use tokentally_domain::recommendation::Settings;

use crate::app::recommendations::{self, Decision, Listing};
use crate::auth::{Capability, Principal};
use crate::http::JsonBody;
use crate::http::error::ApiError;
use crate::http::extract::MonthQuery;
use crate::state::AppState;
use crate::storage::RecommendationDecision;

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    pub month: Option<String>,
    pub team: Option<String>,
    pub lever: Option<String>,
}

pub async fn list(
    State(state): State<AppState>,
    principal: Principal,
    Query(q): Query<ListQuery>,
) -> Result<Json<Listing>, ApiError> {
    let month = MonthQuery { month: q.month }.month()?;
    let filter = recommendations::filter(q.team.as_deref(), q.lever.as_deref())?;
    Ok(Json(
        Box::pin(recommendations::list(&state, &principal, month, &filter)).await?,
    ))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionBody {
    #[serde(default)]
    pub note: String,
}

pub async fn accept(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<DecisionBody>,
) -> Result<Json<RecommendationDecision>, ApiError> {
    Ok(Json(
        Box::pin(recommendations::decide(
            &state,
            &principal,
            &id,
            Decision::Accepted,
            &body.note,
        ))
        .await?,
    ))
}

pub async fn dismiss(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<DecisionBody>,
) -> Result<Json<RecommendationDecision>, ApiError> {
    Ok(Json(
        Box::pin(recommendations::decide(
            &state,
            &principal,
            &id,
            Decision::Dismissed,
            &body.note,
        ))
        .await?,
    ))
}

pub async fn get_settings(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<Settings>, ApiError> {
    principal.ensure(Capability::ReadReports)?;
    Ok(Json(recommendations::settings(&state.store).await?))
}

pub async fn post_settings(
    State(state): State<AppState>,
    principal: Principal,
    JsonBody(body): JsonBody<serde_json::Map<String, serde_json::Value>>,
) -> Result<Json<Settings>, ApiError> {
    Ok(Json(
        recommendations::patch_settings_as(&state, &principal, body).await?,
    ))
}
