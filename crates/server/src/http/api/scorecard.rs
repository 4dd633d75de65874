//! `GET /api/v1/scorecard?month=`, its thresholds (`GET`/`POST /api/v1/scorecard/thresholds`,
//! admin), unit-cost targets (`GET`/`POST /api/v1/unit-targets`), showback publication
//! (`POST /api/v1/showback/publish`, admin and finance) (the waste page became `GET /api/v1/recommendations`).

use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use tokentally_domain::month::Month;
use tokentally_domain::scorecard::{Scorecard, Thresholds, UnitTarget};

use crate::app::governance;
use crate::app::governance::settings::{NewTarget, publish_as, set_target_as, set_thresholds_as};
use crate::auth::{Capability, Principal};
use crate::http::error::ApiError;
use crate::http::{JsonBody, MonthQuery};
use crate::state::AppState;

#[derive(Debug, Serialize)]
pub struct ScorecardAnswer {
    /// `null` for a lead, who sees their teams only.
    pub org: Option<Scorecard>,
    pub teams: Vec<Scorecard>,
}

pub async fn get(
    State(state): State<AppState>,
    principal: Principal,
    Query(q): Query<MonthQuery>,
) -> Result<Json<ScorecardAnswer>, ApiError> {
    principal.ensure(Capability::ReadReports)?;
    let (org, teams) = governance::scorecards(&state, q.month()?, &principal).await?;
    Ok(Json(ScorecardAnswer { org, teams }))
}

pub async fn get_thresholds(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<Thresholds>, ApiError> {
    principal.ensure(Capability::ReadReports)?;
    Ok(Json(governance::thresholds(&state.store).await?))
}

pub async fn post_thresholds(
    State(state): State<AppState>,
    principal: Principal,
    JsonBody(t): JsonBody<Thresholds>,
) -> Result<Json<Thresholds>, ApiError> {
    Ok(Json(set_thresholds_as(&state, &principal, t).await?))
}

pub async fn list_targets(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<Vec<UnitTarget>>, ApiError> {
    principal.ensure(Capability::ReadReports)?;
    Ok(Json(
        state
            .store
            .list_unit_targets()
            .await?
            .into_iter()
            .filter(|t| principal.may_read_team(&t.team))
            .collect(),
    ))
}

pub async fn post_target(
    State(state): State<AppState>,
    principal: Principal,
    JsonBody(t): JsonBody<NewTarget>,
) -> Result<(StatusCode, Json<UnitTarget>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(set_target_as(&state, &principal, t).await?),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Publish {
    pub month: Month,
}

pub async fn publish(
    State(state): State<AppState>,
    principal: Principal,
    JsonBody(p): JsonBody<Publish>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let new = publish_as(&state, &principal, p.month).await?;
    Ok(Json(
        serde_json::json!({"month": p.month, "published": true, "already": !new}),
    ))
}
