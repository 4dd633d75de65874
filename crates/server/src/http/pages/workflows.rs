//! `GET /teams/{team}/workflows?month=[&feature=]` (a team's or feature's costliest workflows
//! of the month, the runaway ones flagged) and `GET /workflows/{id}` (its calls in order, each
//! step's cost and context). Readers of the team; a lead is refused another team's.

use axum::extract::{Path, Query, State};
use axum::response::Html;
use serde::Deserialize;
use tokentally_domain::month::Month;
use tokentally_web::pages::workflows_page::{
    WorkflowPage, WorkflowRow, WorkflowsPage, workflow_page, workflows_page,
};

use super::{PageError, viewer_of};
use crate::app::workflows;
use crate::http::MonthQuery;
use crate::http::extract::PageUser;
use crate::state::AppState;

#[derive(Debug, Default, Deserialize)]
pub struct TeamQuery {
    pub month: Option<String>,
    pub feature: Option<String>,
}

pub async fn team_page(
    State(state): State<AppState>,
    user: PageUser,
    Path(team): Path<String>,
    Query(q): Query<TeamQuery>,
) -> Result<Html<String>, PageError> {
    let month = MonthQuery {
        month: q.month.filter(|m| !m.is_empty()),
    }
    .month()?;
    let w = workflows::of_team(
        &state,
        &user.principal,
        month,
        &team,
        q.feature.as_deref(),
        None,
    )
    .await?;
    let page = WorkflowsPage {
        month,
        months: state.store.list_months().await?,
        team: w.team,
        feature: w.feature,
        currency: w.currency,
        workflows: w.workflows,
        completed: w.completed,
        calls: w.calls,
        cost: w.cost,
        calls_per_workflow: w.calls_per_workflow,
        context_growth: w.context_growth,
        runaway: w.runaway,
        max_calls: w.max_calls_per_workflow,
        max_growth: w.max_context_growth,
        rows: w
            .costliest
            .into_iter()
            .map(|j| WorkflowRow {
                id: j.workflow.workflow_id,
                feature: j.workflow.feature,
                last_at: j.workflow.last_at,
                calls: j.workflow.calls,
                first_input: j.workflow.first_input_tokens,
                last_input: j.workflow.last_input_tokens,
                context_growth: j.context_growth,
                outcome: j.workflow.outcome,
                cost: j.workflow.cost,
                runaway: j.runaway,
            })
            .collect(),
    };
    Ok(Html(workflows_page(&viewer_of(&user), page)))
}

pub async fn detail(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<String>,
) -> Result<Html<String>, PageError> {
    let d = workflows::detail(&state, &user.principal, &id).await?;
    let w = d.judged.workflow;
    let page = WorkflowPage {
        month: Month::of(w.last_at.date_naive()),
        id: w.workflow_id,
        team: w.team,
        feature: w.feature,
        currency: d.currency,
        outcome: w.outcome,
        explicit_outcome: w.explicit_outcome,
        calls: w.calls,
        cost: w.cost,
        context_growth: d.judged.context_growth,
        runaway: d.judged.runaway,
        max_calls: d.max_calls_per_workflow,
        max_growth: d.max_context_growth,
        steps: d.steps,
        all_steps_shown: d.all_steps_shown,
    };
    Ok(Html(workflow_page(&viewer_of(&user), page)))
}
