//! `GET /api/v1/showback`, `GET /api/v1/teams/{team}` and
//! `GET /api/v1/teams/{team}/features/{feature}`.

use axum::Json;
use axum::extract::{Path, Query, State};
use tokentally_domain::showback::{FeatureDrilldown, Showback, TeamDrilldown};

use super::MonthQuery;
use crate::auth::Principal;
use crate::error::ApiError;
use crate::reports;
use crate::startup::AppState;

pub async fn get(
    State(state): State<AppState>,
    principal: Principal,
    Query(q): Query<MonthQuery>,
) -> Result<Json<Showback>, ApiError> {
    principal.require_read()?;
    let month = q.month()?;
    let mut sb =
        reports::showback(&state.store, &state.prices, month, &state.config.currency).await?;
    reports::restrict(&principal, &mut sb);
    Ok(Json(sb))
}

pub async fn team(
    State(state): State<AppState>,
    principal: Principal,
    Path(team): Path<String>,
    Query(q): Query<MonthQuery>,
) -> Result<Json<TeamDrilldown>, ApiError> {
    may_read_team(&principal, &team)?;
    let month = q.month()?;
    reports::team(
        &state.store,
        &state.prices,
        month,
        &team,
        &state.config.currency,
    )
    .await?
    .map(Json)
    .ok_or_else(|| ApiError::NotFound(format!("team `{team}` has no usage or overhead in {month}")))
}

fn may_read_team(principal: &Principal, team: &str) -> Result<(), ApiError> {
    principal.require_read()?;
    if principal.may_read_team(team) {
        Ok(())
    } else {
        Err(ApiError::Forbidden(format!(
            "you may not read team `{team}`"
        )))
    }
}

/// One feature of a team: its unit economics, and its month by model, key, day and outcome.
pub async fn feature(
    State(state): State<AppState>,
    principal: Principal,
    Path((team, feature)): Path<(String, String)>,
    Query(q): Query<MonthQuery>,
) -> Result<Json<FeatureDrilldown>, ApiError> {
    may_read_team(&principal, &team)?;
    let month = q.month()?;
    reports::feature(
        &state.store,
        &state.prices,
        month,
        &team,
        &feature,
        &state.config.currency,
    )
    .await?
    .map(Json)
    .ok_or_else(|| {
        ApiError::NotFound(format!(
            "feature `{feature}` of team `{team}` has no usage in {month}"
        ))
    })
}
