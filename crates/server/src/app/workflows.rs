//! Workflows (the calls of one agent run): listed and priced from their calls, and their
//! outcome set after the fact when the client knows better than the final call.

use serde::{Deserialize, Serialize};
use tokentally_domain::event::Outcome;
use tokentally_domain::month::Month;
use tokentally_domain::rollup::WorkflowRow;
use tokentally_domain::unit_economics::{WorkflowCost, workflow_cost};

use super::{AppError, AppResult, audit, reports};
use crate::auth::{Capability, Principal};
use crate::state::AppState;

/// Most workflows one listing answers.
const MAX_LIMIT: usize = 1000;

/// Which workflows to list: a month's, optionally one team's or feature's, the latest
/// `limit` (100 by default, at most 1,000).
#[derive(Debug, Default)]
pub struct ListFilter {
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
) -> Result<Vec<WorkflowCost>, AppError> {
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

/// The month's workflows the caller may read, latest first.
pub async fn list(
    state: &AppState,
    principal: &Principal,
    month: Month,
    q: &ListFilter,
) -> AppResult<WorkflowList> {
    principal.ensure(Capability::ReadReports)?;
    let limit = q.limit.unwrap_or(100).clamp(1, MAX_LIMIT);
    let (total, mut workflows) =
        if principal.sees_everything() && q.team.is_none() && q.feature.is_none() {
            // Every workflow of the month counts: the latest from the index, not all of them.
            state.store.latest_workflows(month, limit).await?
        } else {
            let attributor = reports::attributor(&state.store).await?;
            let mine: Vec<WorkflowRow> = state
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
            (mine.len(), mine)
        };
    workflows.sort_by(|a, b| {
        b.last_at
            .cmp(&a.last_at)
            .then(a.workflow_id.cmp(&b.workflow_id))
    });
    workflows.truncate(limit);
    Ok(WorkflowList {
        month,
        total,
        workflows: priced(state, workflows).await?,
    })
}

fn not_stored(id: &str) -> AppError {
    AppError::NotFound(format!("no call of workflow `{id}` has been stored"))
}

/// One workflow, priced from its calls, whoever owns it.
async fn priced_one(state: &AppState, id: &str) -> AppResult<WorkflowCost> {
    let w = state
        .store
        .workflow(id)
        .await?
        .ok_or_else(|| not_stored(id))?;
    Ok(priced(state, vec![w]).await?.remove(0))
}

/// One workflow, if the caller may read its team (else it does not exist for them).
pub async fn get(state: &AppState, principal: &Principal, id: &str) -> AppResult<WorkflowCost> {
    let cost = priced_one(state, id).await?;
    if !principal.may_read_team(&cost.team) {
        return Err(not_stored(id));
    }
    Ok(cost)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewOutcome {
    /// `success`, `failure`, `retry` or `unknown`; `null` clears it, so the final call's
    /// outcome counts again.
    pub outcome: Option<String>,
}

/// Sets (or, with `None`, clears) a workflow's outcome; audited. Answers the workflow as it
/// now stands.
pub async fn set_outcome(
    state: &AppState,
    principal: &Principal,
    id: &str,
    outcome: Option<String>,
) -> AppResult<WorkflowCost> {
    principal.ensure(Capability::RecordOutcomes)?;
    let outcome = outcome
        .map(|o| {
            o.parse::<Outcome>().map_err(|_| {
                AppError::invalid(format!(
                    "unknown outcome `{o}`; expected success, failure, retry or unknown"
                ))
            })
        })
        .transpose()?;
    let before = state
        .store
        .set_workflow_outcome(id, outcome)
        .await?
        .ok_or_else(|| not_stored(id))?;
    audit::record(
        &state.store,
        &principal.name,
        "workflow.outcome",
        &format!("workflow:{id}"),
        Some(serde_json::json!({"outcome": before.explicit_outcome.map(|o| o.as_str())})),
        Some(serde_json::json!({"outcome": outcome.map(|o| o.as_str())})),
    )
    .await?;
    // An ingest token records outcomes but reads nothing; it sees what it changed.
    priced_one(state, id).await
}
