//! Workflows: `GET /api/v1/workflows?month=&team=&feature=&limit=`,
//! `GET /api/v1/workflows/{id}`, `GET /api/v1/workflows/{id}/calls` (its calls in order, each
//! step priced), `GET /api/v1/teams/{team}/workflows?month=&feature=&limit=` (the costliest,
//! runaway ones flagged) and `POST /api/v1/workflows/{id}/outcome`.

use axum::Json;
use axum::extract::{Path, Query, State};
use serde::Deserialize;
use tokentally_domain::unit_economics::WorkflowCost;

use crate::app::workflows::{
    self, ListFilter, NewOutcome, TeamWorkflows, WorkflowDetail, WorkflowList,
};
use crate::auth::{Capability, Principal};
use crate::http::error::ApiError;
use crate::http::{JsonBody, MonthQuery};
use crate::state::AppState;

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    pub month: Option<String>,
    pub team: Option<String>,
    pub feature: Option<String>,
    pub limit: Option<usize>,
}

pub async fn list(
    State(state): State<AppState>,
    principal: Principal,
    Query(q): Query<ListQuery>,
) -> Result<Json<WorkflowList>, ApiError> {
    principal.ensure(Capability::ReadReports)?;
    let month = MonthQuery { month: q.month }.month()?;
    let filter = ListFilter {
        team: q.team,
        feature: q.feature,
        limit: q.limit,
    };
    Ok(Json(
        workflows::list(&state, &principal, month, &filter).await?,
    ))
}

pub async fn get(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<WorkflowCost>, ApiError> {
    principal.ensure(Capability::ReadReports)?;
    Ok(Json(workflows::get(&state, &principal, &id).await?))
}

pub async fn calls(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<WorkflowDetail>, ApiError> {
    Ok(Json(workflows::detail(&state, &principal, &id).await?))
}

#[derive(Debug, Deserialize)]
pub struct TeamQuery {
    pub month: Option<String>,
    pub feature: Option<String>,
    pub limit: Option<usize>,
}

pub async fn of_team(
    State(state): State<AppState>,
    principal: Principal,
    Path(team): Path<String>,
    Query(q): Query<TeamQuery>,
) -> Result<Json<TeamWorkflows>, ApiError> {
    let month = MonthQuery { month: q.month }.month()?;
    Ok(Json(
        workflows::of_team(
            &state,
            &principal,
            month,
            &team,
            q.feature.as_deref(),
            q.limit,
        )
        .await?,
    ))
}

/// Sets the outcome of a workflow when the client knows better than its final call (an
/// agent whose last step succeeded technically but whose answer was rejected, say).
pub async fn set_outcome(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<NewOutcome>,
) -> Result<Json<WorkflowCost>, ApiError> {
    Ok(Json(
        workflows::set_outcome(&state, &principal, &id, body.outcome).await?,
    ))
}
