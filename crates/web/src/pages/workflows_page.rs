//! Workflows: a team's (or feature's) costliest agent runs of a month, with calls per
//! workflow, context growth, outcome and the runaway ones flagged; and one workflow's calls
//! in order, each step's cost and context.

use chrono::{DateTime, Utc};
use leptos::either::Either;
use leptos::prelude::*;
use rust_decimal::Decimal;
use tokentally_domain::event::Outcome;
use tokentally_domain::month::Month;
use tokentally_domain::workflow::{Runaway, Step};

use super::showback_page::urlencode;
use crate::components::Card;
use crate::components::{Column, DataTable, PageFilter};
use crate::format::{count, money, tokens, unit_money, when};
use crate::shell::{Nav, Shell, Viewer, render};

/// One listed workflow.
#[derive(Debug, Clone)]
pub struct WorkflowRow {
    pub id: String,
    pub feature: String,
    pub last_at: DateTime<Utc>,
    pub calls: u64,
    pub first_input: u64,
    pub last_input: u64,
    pub context_growth: Option<Decimal>,
    pub outcome: Outcome,
    pub cost: Decimal,
    pub runaway: Runaway,
}

#[derive(Debug, Clone)]
pub struct WorkflowsPage {
    pub month: Month,
    pub months: Vec<Month>,
    pub team: String,
    pub feature: Option<String>,
    pub currency: String,
    pub workflows: u64,
    pub completed: u64,
    pub calls: u64,
    pub cost: Decimal,
    pub calls_per_workflow: Option<Decimal>,
    pub context_growth: Option<Decimal>,
    pub runaway: u64,
    pub max_calls: Decimal,
    pub max_growth: Decimal,
    pub rows: Vec<WorkflowRow>,
}

/// The runaway flag in words: which ceiling a workflow went past.
pub fn runaway_label(r: Runaway) -> &'static str {
    match (r.calls, r.context) {
        (true, true) => "runaway: calls and context",
        (true, false) => "runaway: calls",
        (false, true) => "runaway: context",
        (false, false) => "",
    }
}

fn growth(g: Option<Decimal>) -> String {
    g.map_or("–".to_owned(), |g| format!("{g}×"))
}

#[component]
fn Entry(row: WorkflowRow, currency: String, month: Month) -> impl IntoView {
    let flag = runaway_label(row.runaway);
    let class = if row.runaway.any() { "runaway" } else { "" };
    let href = format!("/workflows/{}?month={month}", urlencode(&row.id));
    let flag = (!flag.is_empty()).then(|| view! { <span class="badge warn">{flag}</span> });
    view! {
        <tr class=class data-workflow=row.id.clone()>
            <th scope="row"><a href=href>{row.id.clone()}</a></th>
            <td>{row.feature}</td>
            <td>{when(row.last_at)}</td>
            <td class="num">{count(row.calls)}</td>
            <td class="num">{tokens(row.first_input)}" → "{tokens(row.last_input)}</td>
            <td class="num">{growth(row.context_growth)}</td>
            <td>{row.outcome.as_str()}</td>
            <td class="num">{unit_money(row.cost, &currency)}</td>
            <td>{flag}</td>
        </tr>
    }
}

pub fn workflows_page(viewer: &Viewer, p: WorkflowsPage) -> String {
    let WorkflowsPage {
        month,
        months,
        team,
        feature,
        currency,
        workflows,
        completed,
        calls,
        cost,
        calls_per_workflow,
        context_growth,
        runaway,
        max_calls,
        max_growth,
        rows,
    } = p;
    let owner = match &feature {
        Some(f) => format!("{team} / {f}"),
        None => team.clone(),
    };
    let back = match &feature {
        Some(f) => (
            format!("Feature {f}"),
            format!(
                "/teams/{}/features/{}?month={month}",
                urlencode(&team),
                urlencode(f)
            ),
        ),
        None => (
            format!("Team {team}"),
            format!("/teams/{}?month={month}", urlencode(&team)),
        ),
    };
    let action = format!("/teams/{}/workflows", urlencode(&team));
    let hidden = feature
        .clone()
        .map(|f| view! { <input type="hidden" name="feature" value=f/> });
    let columns = vec![
        Column::text("Workflow"),
        Column::text("Feature"),
        Column::text("Last call (UTC)"),
        Column::num("Calls"),
        Column::num("Context, first → last"),
        Column::num("Growth"),
        Column::text("Outcome"),
        Column::num("Cost"),
        Column::text("Runaway"),
    ];
    let empty = rows
        .is_empty()
        .then(|| view! { <p class="muted">"No workflow ended in this month."</p> });
    let shown = rows.len();
    let entries = rows
        .into_iter()
        .map(|row| view! { <Entry row currency=currency.clone() month/> })
        .collect_view();
    let viewer = viewer.clone();
    let title = format!("Workflows of {owner} · {month}");
    render(move || {
        view! {
            <Shell title=title.clone() viewer=Some(viewer) active=Nav::Showback>
                <nav aria-label="Breadcrumb" class="crumbs no-print"><ol><li><a href=back.1>{back.0}</a></li></ol></nav>
                <h1>{title.clone()}</h1>
                <PageFilter>
                    <form method="get" action=action class="month-picker no-print">
                        {hidden}
                        <label for="month">"Month"</label>
                        <select id="month" name="month">
                            {months_options(month, months)}
                        </select>
                        <button type="submit">"Show"</button>
                    </form>
                </PageFilter>
                <div class="cards" id="workflow-figures">
                    <Card label="Workflows" value=count(workflows) sub=format!("{} completed", count(completed))/>
                    <Card label="Cost of their calls" value=money(cost, &currency) sub=format!("{} calls", count(calls))/>
                    <Card label="Calls per workflow" value=calls_per_workflow.map_or("–".to_owned(), |c| c.to_string()) sub=format!("runaway above {max_calls}")/>
                    <Card label="Context growth" value=growth(context_growth) sub=format!("last call's input ÷ first's; runaway above {max_growth}×")/>
                    <Card label="Runaway workflows" value=count(runaway) sub="over either ceiling (set with the recommendations' thresholds)"/>
                </div>
                <h2>{format!("Costliest {shown}")}</h2>
                {empty}
                <DataTable id="workflows" columns>{entries}</DataTable>
            </Shell>
        }
    })
}

fn months_options(current: Month, months: Vec<Month>) -> impl IntoView {
    let mut months = months;
    if !months.contains(&current) {
        months.push(current);
        months.sort_by(|a, b| b.cmp(a));
    }
    months
        .into_iter()
        .map(|m| view! { <option value=m.to_string() selected=m == current>{m.to_string()}</option> })
        .collect_view()
}

#[derive(Debug, Clone)]
pub struct WorkflowPage {
    pub id: String,
    pub month: Month,
    pub team: String,
    pub feature: String,
    pub currency: String,
    pub outcome: Outcome,
    pub explicit_outcome: Option<Outcome>,
    pub calls: u64,
    pub cost: Decimal,
    pub context_growth: Option<Decimal>,
    pub runaway: Runaway,
    pub max_calls: Decimal,
    pub max_growth: Decimal,
    pub steps: Vec<Step>,
    pub all_steps_shown: bool,
}

#[component]
fn StepRow(step: Step, currency: String) -> impl IntoView {
    let added = step.context_added.map_or("–".to_owned(), |a| {
        if a >= 0 {
            format!("+{}", count(a.unsigned_abs()))
        } else {
            format!("-{}", count(a.unsigned_abs()))
        }
    });
    let cost = if step.unpriced {
        "unpriced".to_owned()
    } else {
        unit_money(step.cost, &currency)
    };
    view! {
        <tr>
            <th scope="row">{step.step}</th>
            <td>{step.at.format("%Y-%m-%d %H:%M:%S").to_string()}</td>
            <td>{format!("{}/{}", step.provider, step.model)}</td>
            <td class="num">{count(step.input_tokens)}</td>
            <td class="num">{added}</td>
            <td class="num">{count(step.cached_input_tokens)}</td>
            <td class="num">{count(step.output_tokens)}</td>
            <td>{step.outcome.as_str()}</td>
            <td class="num" data-cost=step.cost.to_string()>{cost}</td>
        </tr>
    }
}

pub fn workflow_page(viewer: &Viewer, p: WorkflowPage) -> String {
    let WorkflowPage {
        id,
        month,
        team,
        feature,
        currency,
        outcome,
        explicit_outcome,
        calls,
        cost,
        context_growth,
        runaway,
        max_calls,
        max_growth,
        steps,
        all_steps_shown,
    } = p;
    let list = format!(
        "/teams/{}/workflows?month={month}&feature={}",
        urlencode(&team),
        urlencode(&feature)
    );
    let flag = match runaway_label(runaway) {
        "" => Either::Left(
            view! { <p id="runaway">"Within the ceilings: at most "{max_calls.to_string()}" calls, context at most "{max_growth.to_string()}"× its first call."</p> },
        ),
        label => Either::Right(
            view! { <p id="runaway" class="alert">{format!("This workflow ran away ({}): the ceilings are {max_calls} calls and {max_growth}× context growth.", label.trim_start_matches("runaway: "))}</p> },
        ),
    };
    let outcome_said = match explicit_outcome {
        Some(o) => format!("{} (set by the client)", o.as_str()),
        None => format!("{} (its final call's)", outcome.as_str()),
    };
    let partial = (!all_steps_shown).then(|| {
        view! { <p class="muted">{format!("Only its first {} calls are shown; the total is the whole workflow's.", steps.len())}</p> }
    });
    let columns = vec![
        Column::num("Step"),
        Column::text("At (UTC)"),
        Column::text("Model"),
        Column::num("Context (input tokens)"),
        Column::num("Added"),
        Column::num("Cached"),
        Column::num("Output"),
        Column::text("Outcome"),
        Column::num("Cost"),
    ];
    let rows = steps
        .into_iter()
        .map(|step| view! { <StepRow step currency=currency.clone()/> })
        .collect_view();
    // To the tenth of a cent like its steps, so the column visibly adds up.
    let total = unit_money(cost, &currency);
    let foot = view! {
        <tr><th scope="row" colspan="8">"Total"</th><td class="num strong" id="workflow-total">{total}</td></tr>
    }
    .into_any();
    let viewer = viewer.clone();
    let title = format!("Workflow {id}");
    render(move || {
        view! {
            <Shell title=title.clone() viewer=Some(viewer) active=Nav::Showback>
                <nav aria-label="Breadcrumb" class="crumbs no-print"><ol><li><a href=list>{format!("Workflows of {team} / {feature}")}</a></li></ol></nav>
                <h1>{title.clone()}</h1>
                <p>{format!("{team} / {feature} · {} calls · outcome {outcome_said} · growth {}", count(calls), growth(context_growth))}</p>
                {flag}
                {partial}
                <DataTable id="steps" columns foot>{rows}</DataTable>
            </Shell>
        }
    })
}
