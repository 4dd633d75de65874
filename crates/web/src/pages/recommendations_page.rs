//! Recommendations: the month's priced levers, ranked by monthly saving, filterable by team
//! and lever, each with its evidence (a `<details>`, open without JavaScript) and, for who
//! may decide, accept and dismiss forms with a note.

use chrono::NaiveDate;
use leptos::either::Either;
use leptos::prelude::*;
use rust_decimal::Decimal;
use tokentally_domain::month::Month;
use tokentally_domain::recommendation::{Basis, Lever, Recommendation, Settings};

use crate::components::{Alert, Column, Csrf, DataTable, InlineForms, Notice, PageFilter};
use crate::format::{money, unit_money};
use crate::shell::{Nav, Shell, Viewer, render};

/// A decision taken on a recommendation.
#[derive(Debug, Clone)]
pub struct DecisionView {
    /// `accepted` or `dismissed`.
    pub decision: String,
    pub note: String,
    pub by: String,
    pub day: NaiveDate,
}

#[derive(Debug, Clone)]
pub struct RecommendationRow {
    pub recommendation: Recommendation,
    pub decision: Option<DecisionView>,
    pub may_decide: bool,
}

#[derive(Debug, Clone)]
pub struct RecommendationsPage {
    pub month: Month,
    pub months: Vec<Month>,
    pub currency: String,
    pub rows: Vec<RecommendationRow>,
    /// What the counted rows save together.
    pub total: Decimal,
    /// The month's token cost and commitment fees in the viewer's view.
    pub ceiling: Decimal,
    /// Teams to filter on, and the filter in force.
    pub teams: Vec<String>,
    pub team: Option<String>,
    pub lever: Option<Lever>,
    pub notice: Option<String>,
    pub error: Option<String>,
    /// The thresholds, for an admin to change; `None` for everyone else.
    pub settings: Option<Settings>,
}

/// The admin's form of thresholds (waste and runaway): each field posts as it reads.
#[component]
fn SettingsForm(s: Settings, csrf: String) -> impl IntoView {
    let latency_free = s
        .not_latency_bound
        .iter()
        .map(|f| format!("{}/{}", f.team, f.feature))
        .collect::<Vec<_>>()
        .join(", ");
    let fields: Vec<(&'static str, &'static str, String)> = vec![
        (
            "Large prompt (input tokens a request)",
            "large_input_tokens",
            s.large_input_tokens.to_string(),
        ),
        (
            "Cache hit rate floor (%)",
            "min_cache_hit_pct",
            s.min_cache_hit_pct.to_string(),
        ),
        (
            "Cacheable share of input (%)",
            "cacheable_input_pct",
            s.cacheable_input_pct.to_string(),
        ),
        (
            "Cache reads per write",
            "cache_reads_per_write",
            s.cache_reads_per_write.to_string(),
        ),
        (
            "Output cap (tokens a request)",
            "max_output_tokens",
            s.max_output_tokens.to_string(),
        ),
        (
            "Failure and retry waste tolerated (%)",
            "max_retry_waste_pct",
            s.max_retry_waste_pct.to_string(),
        ),
        (
            "Zombie key after (days)",
            "zombie_days",
            s.zombie_days.to_string(),
        ),
        (
            "Runaway: calls per workflow",
            "max_calls_per_workflow",
            s.max_calls_per_workflow.to_string(),
        ),
        (
            "Runaway: context growth (×)",
            "max_context_growth",
            s.max_context_growth.to_string(),
        ),
        (
            "Outcomes to trust a success rate",
            "min_outcomes",
            s.min_outcomes.to_string(),
        ),
    ];
    let inputs = fields
        .into_iter()
        .map(|(label, name, value)| view! { <label>{label}<input name=name value=value/></label> })
        .collect_view();
    view! {
        <details class="settings no-print">
            <summary>"Thresholds"</summary>
            <form method="post" action="/recommendations/settings" class="grid">
                <Csrf token=csrf/>
                {inputs}
                <label>"Not latency-bound (team/feature, comma separated)"<input name="not_latency_bound" value=latency_free/></label>
                <button type="submit">"Save thresholds"</button>
            </form>
        </details>
    }
}

fn basis_label(b: Basis) -> &'static str {
    match b {
        Basis::Measured => "measured",
        Basis::Assumed => "assumed",
        Basis::Untested => "untested, not counted",
    }
}

/// The owner in words: `team / feature`, with the key.
pub fn owner(r: &Recommendation) -> String {
    let mut out = match (r.team.as_str(), r.feature.as_str()) {
        ("", _) => "organisation".to_owned(),
        (t, "") => t.to_owned(),
        (t, f) => format!("{t} / {f}"),
    };
    if !r.key.is_empty() {
        out.push_str(&format!(" · key {}", r.key));
    }
    out
}

/// The evidence of one recommendation: each figure with a link to where it shows.
#[component]
pub fn Evidence(recommendation: Recommendation) -> impl IntoView {
    let items = recommendation
        .evidence
        .into_iter()
        .map(|e| {
            // An empty source: the page it names is not the viewer's to open.
            let source = (!e.source.is_empty()).then(|| view! { " "<a href=e.source>"source"</a> });
            view! {
                <li>{e.label}": "<strong>{e.value}</strong>{source}</li>
            }
        })
        .collect_view();
    view! {
        <details class="evidence">
            <summary>"Evidence"</summary>
            <ul>{items}</ul>
        </details>
    }
}

#[component]
fn DecisionForms(id: String, csrf: String) -> impl IntoView {
    let accept = format!("/recommendations/{id}/accept");
    let dismiss = format!("/recommendations/{id}/dismiss");
    view! {
        <form method="post" action=accept class="inline decision">
            <Csrf token=csrf.clone()/>
            <label>"Note"<input name="note" maxlength="1000"/></label>
            <button type="submit">"Accept"</button>
        </form>
        <form method="post" action=dismiss class="inline decision">
            <Csrf token=csrf/>
            <input type="hidden" name="note" value=""/>
            <button type="submit" class="secondary">"Dismiss"</button>
        </form>
    }
}

#[component]
fn Entry(row: RecommendationRow, currency: String, csrf: String) -> impl IntoView {
    let r = row.recommendation;
    let saving = money(r.monthly_saving, &currency);
    let per_success = match (r.cost_per_success, r.implied_cost_per_success) {
        (Some(now), Some(then)) => format!(
            "{} → {}",
            unit_money(now, &currency),
            unit_money(then, &currency)
        ),
        _ => "-".to_owned(),
    };
    let decision = match (row.decision, row.may_decide) {
        (Some(d), _) => Either::Left(view! {
            <span>{format!("{} by {} on {}", d.decision, d.by, d.day)}</span>
            <br/>
            <span class="muted">{d.note}</span>
        }),
        (None, true) => Either::Right(Some(view! { <DecisionForms id=r.id.clone() csrf/> })),
        (None, false) => Either::Right(None),
    };
    let who = owner(&r);
    let model = r
        .candidate
        .as_ref()
        .map_or(r.model.clone(), |c| format!("{} → {c}", r.model));
    view! {
        <tr id=format!("r-{}", r.id)>
            <td>{r.lever.label()}</td>
            <th scope="row">{who}</th>
            <td>{model}</td>
            <td>{r.action.clone()}<Evidence recommendation=r.clone()/></td>
            <td class="num">{saving}<br/><span class="muted">{basis_label(r.basis)}</span></td>
            <td class="num">{per_success}</td>
            <td>{decision}</td>
        </tr>
    }
}

/// The filter: a GET form over month, team and lever.
#[component]
fn Filters(
    month: Month,
    months: Vec<Month>,
    teams: Vec<String>,
    team: Option<String>,
    lever: Option<Lever>,
) -> impl IntoView {
    let mut months = months;
    if !months.contains(&month) {
        months.push(month);
        months.sort_by(|a, b| b.cmp(a));
    }
    let months = months
        .into_iter()
        .map(|m| view! { <option value=m.to_string() selected=m == month>{m.to_string()}</option> })
        .collect_view();
    let teams = teams
        .into_iter()
        .map(|t| {
            let selected = team.as_deref() == Some(t.as_str());
            let label = t.clone();
            view! { <option value=t selected=selected>{label}</option> }
        })
        .collect_view();
    let levers = Lever::ALL
        .into_iter()
        .map(|l| view! { <option value=l.as_str() selected=lever == Some(l)>{l.label()}</option> })
        .collect_view();
    view! {
        <PageFilter>
            <form method="get" action="/recommendations" class="month-picker no-print">
                <label for="month">"Month"</label>
                <select id="month" name="month">{months}</select>
                <label for="team">"Team"</label>
                <select id="team" name="team"><option value="">"All"</option>{teams}</select>
                <label for="lever">"Lever"</label>
                <select id="lever" name="lever"><option value="">"All"</option>{levers}</select>
                <button type="submit">"Show"</button>
            </form>
        </PageFilter>
    }
}

/// The query string that reproduces the filter (for the CSV link).
fn query(month: Month, team: Option<&str>, lever: Option<Lever>) -> String {
    let mut q = format!("month={month}");
    if let Some(t) = team {
        q.push_str(&format!(
            "&team={}",
            tokentally_domain::recommendation::segment(t)
        ));
    }
    if let Some(l) = lever {
        q.push_str(&format!("&lever={l}"));
    }
    q
}

pub fn recommendations_page(viewer: &Viewer, p: RecommendationsPage) -> String {
    let RecommendationsPage {
        month,
        months,
        currency,
        rows,
        total,
        ceiling,
        teams,
        team,
        lever,
        notice,
        error,
        settings,
    } = p;
    let csrf = viewer.csrf.clone();
    let settings = settings.map(|s| view! { <SettingsForm s csrf=csrf.clone()/> });
    let summary = format!(
        "Together these save {} a month, of {} spent on tokens and commitments. Untested routes are shown, not counted.",
        money(total, &currency),
        money(ceiling, &currency)
    );
    let csv = format!(
        "/recommendations.csv?{}",
        query(month, team.as_deref(), lever)
    );
    let empty = rows
        .is_empty()
        .then(|| view! { <p class="muted">"Nothing to recommend for this choice."</p> });
    let rows = rows
        .into_iter()
        .map(|mut row| {
            for e in &mut row.recommendation.evidence {
                if !viewer.may_open(&e.source) {
                    e.source.clear();
                }
            }
            view! { <Entry row currency=currency.clone() csrf=csrf.clone()/> }
        })
        .collect_view();
    let columns = vec![
        Column::text("Lever"),
        Column::text("Owner"),
        Column::text("Model"),
        Column::text("What to do"),
        Column::num("Saving / month"),
        Column::num("Cost per success"),
        Column::text("Decision"),
    ];
    let viewer = viewer.clone();
    render(move || {
        view! {
            <Shell title="Recommendations" viewer=Some(viewer) active=Nav::Recommendations>
                <h1>{format!("Recommendations · {month}")}</h1>
                <Filters month months teams team lever/>
                <Notice message=notice/>
                <Alert message=error/>
                <p>{summary}" "<a href=csv>"CSV"</a></p>
                <p class="muted">"Levers on the same tokens apply in order, each to what the ones before it left: failures and retries, runaway workflows, output caps, long context, caching, a cheaper model, then the batch or flex tier."</p>
                <InlineForms>
                    {empty}
                    <DataTable id="recommendations" columns>{rows}</DataTable>
                    {settings}
                </InlineForms>
            </Shell>
        }
    })
}

/// The top few of a team's or feature's recommendations, for its page.
#[component]
pub fn TopRecommendations(
    rows: Vec<Recommendation>,
    currency: String,
    link: String,
) -> impl IntoView {
    (!rows.is_empty()).then(|| {
        let items = rows
            .into_iter()
            .map(|r| {
                view! {
                    <li>
                        <strong>{money(r.monthly_saving, &currency)}</strong>" a month · "
                        {r.lever.label()}": "{r.action.clone()}
                        <Evidence recommendation=r/>
                    </li>
                }
            })
            .collect_view();
        view! {
            <section class="recommendations">
                <h2>"Top recommendations"</h2>
                <ul>{items}</ul>
                <p><a href=link>"All recommendations"</a></p>
            </section>
        }
    })
}
