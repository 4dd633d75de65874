//! `GET /api/v1/showback`, `GET /api/v1/teams/{team}` and
//! `GET /api/v1/teams/{team}/features/{feature}`.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, header};
use tokentally_domain::drilldown::{FeatureDrilldown, TeamDrilldown};

use crate::app::environments::{self, Narrowed};
use crate::app::reports;
use crate::auth::{Capability, Principal};
use crate::http::ReportQuery;
use crate::http::error::ApiError;
use crate::state::AppState;

/// The month's showback; each team row carries its `budget` (amount, forecast, status) or
/// `null`, and its month-end `forecast` (expected); the organisation its own (Σ teams and
/// idle commitments). It is kept until the data changes; a request with `Cache-Control: no-cache` has it
/// computed anew. With `env=` it is the environment's part of the month (no forecast or
/// budget, which cover all environments), computed per request.
pub async fn get(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    Query(q): Query<ReportQuery>,
) -> Result<Json<serde_json::Value>, ApiError> {
    principal.ensure(Capability::ReadReports)?;
    let month = q.month()?;
    if let Some(env) = q.environment() {
        let known = environments::visible(&state, &principal, month).await?;
        environments::ensure_known(env, &known, &month.to_string())?;
        let narrowed = Narrowed::load(&state, month, env, asks_for_fresh(&headers)).await?;
        let mut sb = narrowed.showback;
        reports::restrict(&principal, &mut sb);
        let mut body = serde_json::to_value(&sb).map_err(anyhow::Error::from)?;
        body["environment"] = serde_json::json!(env);
        body["forecast"] = serde_json::Value::Null;
        if let Some(teams) = body["teams"].as_array_mut() {
            for row in teams {
                row["forecast"] = serde_json::Value::Null;
                row["budget"] = serde_json::Value::Null;
            }
        }
        return Ok(Json(body));
    }
    let mut sb = reports::showback(
        &state.store,
        &state.prices,
        &state.showbacks,
        month,
        &state.config.currency,
        asks_for_fresh(&headers),
    )
    .await?;
    // The month-end forecast of every team, from the whole organisation's showback (so the
    // organisation's is the sum of all its lines), before a lead's view narrows it.
    let (forecasts, org_forecast) =
        Box::pin(crate::app::governance::forecasts::month_end(&state, &sb)).await?;
    reports::restrict(&principal, &mut sb);
    let budgets = if state.store.list_budgets(month).await?.is_empty() {
        Vec::new()
    } else {
        crate::app::governance::budgets(&state, month, &principal).await?
    };
    let mut body = serde_json::to_value(&sb).map_err(anyhow::Error::from)?;
    body["environment"] = serde_json::Value::Null;
    body["forecast"] = if principal.sees_everything() {
        serde_json::json!(org_forecast)
    } else {
        let mine: rust_decimal::Decimal =
            sb.teams.iter().filter_map(|t| forecasts.get(&t.team)).sum();
        serde_json::json!(mine)
    };
    if let Some(teams) = body["teams"].as_array_mut() {
        for row in teams {
            let team = row["team"].as_str().unwrap_or_default().to_owned();
            row["forecast"] = serde_json::json!(forecasts.get(&team).copied().unwrap_or_default());
            let b = budgets.iter().find(|b| {
                b.status.budget.scope == tokentally_domain::budget::Scope::Team
                    && b.status.budget.subject == team
            });
            row["budget"] = match b {
                Some(b) => serde_json::json!({
                    "amount": b.status.budget.amount,
                    "month_to_date": b.status.forecast.month_to_date,
                    "forecast": b.status.forecast.month_end,
                    "used_pct": b.status.used_pct,
                    "status": b.status.status,
                }),
                None => serde_json::Value::Null,
            };
        }
    }
    Ok(Json(body))
}

/// A team's drill-down, kept like the showback (`Cache-Control: no-cache` computes it anew);
/// with `env=`, the team's part in that environment (400 when the team has no usage there).
pub async fn team(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    Path(team): Path<String>,
    Query(q): Query<ReportQuery>,
) -> Result<Json<TeamDrilldown>, ApiError> {
    may_read_team(&principal, &team)?;
    let month = q.month()?;
    if let Some(env) = q.environment() {
        let narrowed = narrowed_team(&state, month, &team, env, &headers).await?;
        return narrowed.team(&team).map(Json).ok_or_else(|| {
            ApiError::NotFound(format!(
                "team `{team}` has no usage in environment `{env}` in {month}"
            ))
        });
    }
    reports::team(&state, month, &team, asks_for_fresh(&headers))
        .await?
        .map(Json)
        .ok_or_else(|| {
            ApiError::NotFound(format!("team `{team}` has no usage or overhead in {month}"))
        })
}

/// The month narrowed to `env`, once `env` is known to be one of the team's (400 otherwise).
async fn narrowed_team(
    state: &AppState,
    month: tokentally_domain::month::Month,
    team: &str,
    env: &str,
    headers: &HeaderMap,
) -> Result<Narrowed, ApiError> {
    let known = environments::of_team(state, month, team).await?;
    environments::ensure_known(env, &known, &format!("team `{team}` in {month}"))?;
    Ok(Narrowed::load(state, month, env, asks_for_fresh(headers)).await?)
}

fn may_read_team(principal: &Principal, team: &str) -> Result<(), ApiError> {
    principal.ensure(Capability::ReadReports)?;
    if principal.may_read_team(team) {
        Ok(())
    } else {
        Err(ApiError::Forbidden(format!(
            "you may not read team `{team}`"
        )))
    }
}

/// One feature of a team: its unit economics, and its month by model, key, day and outcome.
/// Kept like the team's drill-down; with `env=`, the feature's part in that environment.
pub async fn feature(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    Path((team, feature)): Path<(String, String)>,
    Query(q): Query<ReportQuery>,
) -> Result<Json<FeatureDrilldown>, ApiError> {
    may_read_team(&principal, &team)?;
    let month = q.month()?;
    if let Some(env) = q.environment() {
        let narrowed = narrowed_team(&state, month, &team, env, &headers).await?;
        return narrowed
            .team(&team)
            .and_then(|drill| narrowed.feature(&drill, &feature))
            .map(Json)
            .ok_or_else(|| {
                ApiError::NotFound(format!(
                    "feature `{feature}` of team `{team}` has no usage in environment `{env}` in {month}"
                ))
            });
    }
    reports::feature(&state, month, &team, &feature, asks_for_fresh(&headers))
        .await?
        .map(Json)
        .ok_or_else(|| {
            ApiError::NotFound(format!(
                "feature `{feature}` of team `{team}` has no usage in {month}"
            ))
        })
}

/// Whether the request says `Cache-Control: no-cache` (or `no-store`): answer from the data,
/// not from what was kept.
pub(crate) fn asks_for_fresh(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::CACHE_CONTROL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|d| {
            matches!(
                d.trim().to_ascii_lowercase().as_str(),
                "no-cache" | "no-store"
            )
        })
}
