//! Workflows (the calls of one agent run): listed and priced from their calls, a team's (or
//! feature's) costliest of a month with the runaway ones flagged, one workflow's calls in
//! order with each step's cost and context, and their outcome set after the fact when the
//! client knows better than the final call.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use tokentally_domain::event::Outcome;
use tokentally_domain::month::Month;
use tokentally_domain::recommendation::Settings;
use tokentally_domain::rollup::WorkflowRow;
use tokentally_domain::unit_economics::{WorkflowCost, workflow_cost};
use tokentally_domain::workflow::{self, Runaway, Step};

use super::{AppError, AppResult, audit, recommendations, reports};
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

#[derive(Debug, Clone, Serialize)]
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
    let key = format!(
        "workflows {month} {:?} {:?} {limit} {}",
        q.team,
        q.feature,
        super::kept::scope(principal)
    );
    super::kept::kept(state, key, list_anew(state, principal, month, q, limit)).await
}

async fn list_anew(
    state: &AppState,
    principal: &Principal,
    month: Month,
    q: &ListFilter,
    limit: usize,
) -> AppResult<WorkflowList> {
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

/// Most workflows a team's listing shows (its figures count them all).
const MAX_COSTLIEST: usize = 200;

/// Most calls a workflow's page prices and shows, in time order.
pub const MAX_STEPS: usize = 1_000;

/// A workflow with its growth of context and whether it ran away.
#[derive(Debug, Clone, Serialize)]
pub struct Judged {
    #[serde(flatten)]
    pub workflow: WorkflowCost,
    /// Its final call's input ÷ its first call's (two calls or more).
    pub context_growth: Option<Decimal>,
    pub runaway: Runaway,
}

fn judged(w: WorkflowCost, s: &Settings) -> Judged {
    Judged {
        context_growth: workflow::context_growth(
            w.calls,
            w.first_input_tokens,
            w.last_input_tokens,
        ),
        runaway: workflow::runaway(
            w.calls,
            w.first_input_tokens,
            w.last_input_tokens,
            s.max_calls_per_workflow,
            s.max_context_growth,
        ),
        workflow: w,
    }
}

/// A team's (or one of its features') workflows of a month: figures over all of them, and
/// the costliest, dearest first.
#[derive(Debug, Clone, Serialize)]
pub struct TeamWorkflows {
    pub month: Month,
    pub team: String,
    pub feature: Option<String>,
    pub currency: String,
    /// Workflows whose final call falls in the month, owned (as their final call) by the
    /// team or feature.
    pub workflows: u64,
    pub completed: u64,
    pub calls: u64,
    /// What their calls cost together, exact.
    pub cost: Decimal,
    /// Calls ÷ workflows, to two places.
    pub calls_per_workflow: Option<Decimal>,
    /// Σ final-call input ÷ Σ first-call input over the workflows of two calls or more.
    pub context_growth: Option<Decimal>,
    /// How many ran away, and the ceilings they were judged by (an admin sets them with the
    /// recommendations' thresholds).
    pub runaway: u64,
    pub max_calls_per_workflow: Decimal,
    pub max_context_growth: Decimal,
    /// The costliest `limit` (20 by default, at most 200), dearest first.
    pub costliest: Vec<Judged>,
}

/// A team's (or feature's) workflows of `month`, for who may read the team.
pub async fn of_team(
    state: &AppState,
    principal: &Principal,
    month: Month,
    team: &str,
    feature: Option<&str>,
    limit: Option<usize>,
) -> AppResult<TeamWorkflows> {
    principal.ensure(Capability::ReadReports)?;
    if !principal.may_read_team(team) {
        return Err(AppError::Forbidden(format!(
            "you may not read team `{team}`"
        )));
    }
    let limit = limit.unwrap_or(20).clamp(1, MAX_COSTLIEST);
    let feature = feature.filter(|f| !f.is_empty());
    let attributor = reports::attributor(&state.store).await?;
    let mine: Vec<WorkflowRow> = state
        .store
        .list_workflows(month)
        .await?
        .into_iter()
        .filter(|w| {
            let tags = w.dims.parse_tags();
            let owner = attributor.resolve(&w.dims.event_dims(&tags), w.day);
            owner.team == team && feature.is_none_or(|f| f == owner.feature)
        })
        .collect();
    let settings = recommendations::settings(&state.store).await?;
    let mut all: Vec<Judged> = priced(state, mine)
        .await?
        .into_iter()
        .map(|w| judged(w, &settings))
        .collect();
    all.sort_by(|a, b| {
        b.workflow
            .cost
            .cmp(&a.workflow.cost)
            .then(a.workflow.workflow_id.cmp(&b.workflow.workflow_id))
    });
    let n = all.len() as u64;
    let calls: u64 = all.iter().map(|w| w.workflow.calls).sum();
    let (first, last) =
        all.iter()
            .filter(|w| w.workflow.calls > 1)
            .fold((0u64, 0u64), |(f, l), w| {
                (
                    f + w.workflow.first_input_tokens,
                    l + w.workflow.last_input_tokens,
                )
            });
    Ok(TeamWorkflows {
        month,
        team: team.to_owned(),
        feature: feature.map(str::to_owned),
        currency: state.config.currency.clone(),
        workflows: n,
        completed: all
            .iter()
            .filter(|w| w.workflow.outcome == Outcome::Success)
            .count() as u64,
        calls,
        cost: all.iter().map(|w| w.workflow.cost).sum(),
        calls_per_workflow: (n > 0).then(|| {
            (Decimal::from(calls) / Decimal::from(n))
                .round_dp(2)
                .normalize()
        }),
        context_growth: (first > 0).then(|| {
            (Decimal::from(last) / Decimal::from(first))
                .round_dp(2)
                .normalize()
        }),
        runaway: all.iter().filter(|w| w.runaway.any()).count() as u64,
        max_calls_per_workflow: settings.max_calls_per_workflow,
        max_context_growth: settings.max_context_growth,
        costliest: all.into_iter().take(limit).collect(),
    })
}

/// One workflow with its calls in order, each priced alone.
#[derive(Debug, Clone, Serialize)]
pub struct WorkflowDetail {
    #[serde(flatten)]
    pub judged: Judged,
    pub currency: String,
    pub max_calls_per_workflow: Decimal,
    pub max_context_growth: Decimal,
    /// Its first [`MAX_STEPS`] calls in time order; they add up to `cost` when all are shown.
    pub steps: Vec<Step>,
    pub all_steps_shown: bool,
}

/// One workflow step by step, if the caller may read its team (else it does not exist for
/// them).
pub async fn detail(
    state: &AppState,
    principal: &Principal,
    id: &str,
) -> AppResult<WorkflowDetail> {
    principal.ensure(Capability::ReadReports)?;
    let w = get(state, principal, id).await?;
    let (calls, discounts, attributor, book, settings) = tokio::try_join!(
        state.store.workflow_calls(id, MAX_STEPS),
        state.store.list_discounts(),
        reports::attributor(&state.store),
        state.prices.get(&state.store),
        recommendations::settings(&state.store),
    )?;
    let steps = workflow::steps(&calls, &discounts, &attributor, &book);
    Ok(WorkflowDetail {
        all_steps_shown: steps.len() as u64 >= w.calls,
        judged: judged(w, &settings),
        currency: state.config.currency.clone(),
        max_calls_per_workflow: settings.max_calls_per_workflow,
        max_context_growth: settings.max_context_growth,
        steps,
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
