//! `GET /api/v1/scorecard?month=`, its thresholds (`GET`/`POST /api/v1/scorecard/thresholds`,
//! admin), unit-cost targets (`GET`/`POST /api/v1/unit-targets`), showback publication
//! (`POST /api/v1/showback/publish`, admin and finance) and `GET /api/v1/waste?month=`.

use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use tokentally_domain::month::Month;
use tokentally_domain::scorecard::{Scorecard, Thresholds, UnitTarget};
use tokentally_domain::waste::WasteFlag;

use super::{JsonBody, MonthQuery};
use crate::auth::{Principal, Role};
use crate::error::ApiError;
use crate::governance;
use crate::startup::AppState;

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
    principal.require_read()?;
    let (org, teams) = governance::scorecards(&state, q.month()?, &principal).await?;
    Ok(Json(ScorecardAnswer { org, teams }))
}

pub async fn get_thresholds(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<Thresholds>, ApiError> {
    principal.require_read()?;
    Ok(Json(governance::thresholds(&state.store).await?))
}

pub async fn set_thresholds_as(
    state: &AppState,
    principal: &Principal,
    t: Thresholds,
) -> Result<Thresholds, ApiError> {
    principal.require(&[Role::Admin])?;
    t.validate().map_err(|e| ApiError::invalid(e.to_string()))?;
    let before = governance::thresholds(&state.store).await?;
    state.store.set_setting(governance::THRESHOLDS, &t).await?;
    state
        .store
        .add_audit(
            &principal.name,
            "scorecard.thresholds",
            "setting:scorecard",
            Some(serde_json::to_value(before).unwrap_or_default()),
            Some(serde_json::to_value(&t).unwrap_or_default()),
        )
        .await?;
    Ok(t)
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
    principal.require_read()?;
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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewTarget {
    pub team: String,
    pub feature: String,
    /// Cost per successful outcome, at most.
    pub target: Decimal,
}

pub async fn set_target_as(
    state: &AppState,
    principal: &Principal,
    t: NewTarget,
) -> Result<UnitTarget, ApiError> {
    principal.require(&[Role::Admin, Role::Finance])?;
    let t = UnitTarget {
        team: t.team.trim().to_owned(),
        feature: t.feature.trim().to_owned(),
        target: t.target,
    };
    if t.team.is_empty() || t.feature.is_empty() {
        return Err(ApiError::invalid("name the team and the feature"));
    }
    if t.target <= Decimal::ZERO {
        return Err(ApiError::invalid(format!(
            "`target` must be a cost > 0, got {}",
            t.target
        )));
    }
    let before = state.store.set_unit_target(&t).await?;
    state
        .store
        .add_audit(
            &principal.name,
            "unit_target.set",
            &format!("unit_target:{}:{}", t.team, t.feature),
            before.map(|b| serde_json::to_value(b).unwrap_or_default()),
            Some(serde_json::to_value(&t).unwrap_or_default()),
        )
        .await?;
    Ok(t)
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

/// Marks the month's showback published (audited); publishing twice is harmless.
pub async fn publish_as(
    state: &AppState,
    principal: &Principal,
    month: Month,
) -> Result<bool, ApiError> {
    principal.require(&[Role::Admin, Role::Finance])?;
    let new = state.store.publish_showback(month, &principal.name).await?;
    if new {
        state
            .store
            .add_audit(
                &principal.name,
                "showback.publish",
                &format!("showback:{month}"),
                None,
                Some(serde_json::json!({"month": month})),
            )
            .await?;
    }
    Ok(new)
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

pub async fn waste(
    State(state): State<AppState>,
    principal: Principal,
    Query(q): Query<MonthQuery>,
) -> Result<Json<Vec<WasteFlag>>, ApiError> {
    principal.require_read()?;
    Ok(Json(
        governance::waste_flags(&state, q.month()?, &principal).await?,
    ))
}
