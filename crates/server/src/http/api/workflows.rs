//! Workflows: `GET /api/v1/workflows?month=&team=&feature=&limit=`,
//! `GET /api/v1/workflows/{id}` and `POST /api/v1/workflows/{id}/outcome`.

use axum::Json;
use axum::extract::{Path, Query, State};
use serde::{Deserialize, Serialize};
use tokentally_domain::event::Outcome;
use tokentally_domain::month::Month;
use tokentally_domain::rollup::WorkflowRow;
use tokentally_domain::unit_economics::{WorkflowCost, workflow_cost};

use crate::app::reports;
use crate::auth::{Capability, Principal, Role};
use crate::http::JsonBody;
use crate::http::error::ApiError;
use crate::state::AppState;

/// Most workflows one listing answers.
const MAX_LIMIT: usize = 1000;

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    pub month: Option<String>,
    pub team: Option<String>,
    pub feature: Option<String>,
    pub limit: Option<usize>,
}

#[derive(Debug, Serialize)]
pub struct WorkflowList {
    pub month: Month,
    /// Workflows matching the filter, of which the latest `limit` are listed.
    pub total: usize,
    pub workflows: Vec<WorkflowCost>,
}

/// Prices these workflows from their calls.
async fn priced(
    state: &AppState,
    workflows: Vec<WorkflowRow>,
) -> Result<Vec<WorkflowCost>, ApiError> {
    let ids: Vec<String> = workflows.iter().map(|w| w.workflow_id.clone()).collect();
    let (usage, discounts, attributor, book) = tokio::try_join!(
        state.store.workflow_usage(&ids),
        state.store.list_discounts(),
        reports::attributor(&state.store),
        state.prices.get(&state.store),
    )?;
    let mut by_id: std::collections::HashMap<String, Vec<_>> = Default::default();
    for (id, row) in usage {
        by_id.entry(id).or_default().push(row);
    }
    Ok(workflows
        .iter()
        .map(|w| {
            let calls = by_id.get(&w.workflow_id).map_or(&[][..], Vec::as_slice);
            workflow_cost(w, calls, &discounts, &attributor, &book)
        })
        .collect())
}

pub async fn list(
    State(state): State<AppState>,
    principal: Principal,
    Query(q): Query<ListQuery>,
) -> Result<Json<WorkflowList>, ApiError> {
    principal.ensure(Capability::ReadReports)?;
    let month = crate::http::MonthQuery {
        month: q.month.clone(),
    }
    .month()?;
    let limit = q.limit.unwrap_or(100).clamp(1, MAX_LIMIT);
    let attributor = reports::attributor(&state.store).await?;
    let mut workflows: Vec<WorkflowRow> = state
        .store
        .list_workflows(month)
        .await?
        .into_iter()
        .filter(|w| {
            let tags = w.dims.parse_tags();
            let owner = attributor.resolve(&w.dims.event_dims(&tags), w.day);
            principal.may_read_team(&owner.team)
                && q.team.as_ref().is_none_or(|t| *t == owner.team)
                && q.feature.as_ref().is_none_or(|f| *f == owner.feature)
        })
        .collect();
    let total = workflows.len();
    workflows.sort_by(|a, b| {
        b.last_at
            .cmp(&a.last_at)
            .then(a.workflow_id.cmp(&b.workflow_id))
    });
    workflows.truncate(limit);
    Ok(Json(WorkflowList {
        month,
        total,
        workflows: priced(&state, workflows).await?,
    }))
}

async fn readable(
    state: &AppState,
    principal: &Principal,
    id: &str,
) -> Result<WorkflowCost, ApiError> {
    let missing = || ApiError::NotFound(format!("no call of workflow `{id}` has been stored"));
    let w = state.store.workflow(id).await?.ok_or_else(missing)?;
    let cost = priced(state, vec![w]).await?.remove(0);
    if !principal.may_read_team(&cost.team) {
        return Err(missing());
    }
    Ok(cost)
}

pub async fn get(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<WorkflowCost>, ApiError> {
    principal.ensure(Capability::ReadReports)?;
    Ok(Json(readable(&state, &principal, &id).await?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewOutcome {
    /// `success`, `failure`, `retry` or `unknown`; `null` clears it, so the final call's
    /// outcome counts again.
    pub outcome: Option<String>,
}

/// Sets the outcome of a workflow when the client knows better than its final call (an
/// agent whose last step succeeded technically but whose answer was rejected, say).
pub async fn set_outcome(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<NewOutcome>,
) -> Result<Json<WorkflowCost>, ApiError> {
    principal.ensure(Capability::RecordOutcomes)?;
    let outcome = body
        .outcome
        .map(|o| {
            o.parse::<Outcome>().map_err(|_| {
                ApiError::invalid(format!(
                    "unknown outcome `{o}`; expected success, failure, retry or unknown"
                ))
            })
        })
        .transpose()?;
    let before = state
        .store
        .set_workflow_outcome(&id, outcome)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no call of workflow `{id}` has been stored")))?;
    state
        .store
        .add_audit(
            &principal.name,
            "workflow.outcome",
            &format!("workflow:{id}"),
            Some(serde_json::json!({"outcome": before.explicit_outcome.map(|o| o.as_str())})),
            Some(serde_json::json!({"outcome": outcome.map(|o| o.as_str())})),
        )
        .await?;
    let mut admin = principal.clone();
    admin.role = Role::Admin;
    Ok(Json(readable(&state, &admin, &id).await?))
}
