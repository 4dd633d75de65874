//! The maturity scorecard: the organisation's and each team's stage for a month, every
//! criterion with its measured value, threshold, pass or fail and next step, the stage reached
//! over the last twelve months, and (for those allowed) the publish, thresholds and targets
//! forms.

use leptos::either::Either;
use leptos::prelude::*;
use tokentally_domain::month::Month;
use tokentally_domain::scorecard::{STAGE_NAMES, Scorecard, Thresholds, UnitTarget};

use crate::components::{Alert, Column, Csrf, DataTable, Hidden, MonthPicker, Notice};
use crate::shell::{Nav, Shell, Viewer, render};

/// One month of the history: the org's stage (when shown) and each team's.
pub type StageRow = (Month, Option<u8>, Vec<(String, u8)>);

#[derive(Debug, Clone)]
pub struct ScorecardPage {
    pub month: Month,
    pub months: Vec<Month>,
    pub org: Option<Scorecard>,
    pub teams: Vec<Scorecard>,
    /// Oldest first: (month, org stage if shown, stage per team shown).
    pub history: Vec<StageRow>,
    pub published: Option<String>,
    pub thresholds: Thresholds,
    pub targets: Vec<UnitTarget>,
    pub may_publish: bool,
    pub may_set_thresholds: bool,
    pub notice: Option<String>,
    pub error: Option<String>,
}

/// One scope's stage and every criterion behind it.
#[component]
fn ScorecardCard(card: Scorecard) -> impl IntoView {
    let c = card;
    let title = if c.scope == "org" {
        "Organisation".to_owned()
    } else {
        format!("Team {}", c.scope)
    };
    let stage = format!(
        "Stage {} of 3: {}",
        c.stage,
        STAGE_NAMES[usize::from(c.stage.min(3))]
    );
    let id = format!("card-{}", c.scope);
    let rows = c
        .criteria
        .into_iter()
        .map(|x| {
            let verdict = if x.pass { "pass" } else { "fail" };
            let class = if x.pass { "badge ok" } else { "badge warn" };
            // An empty link: the page it names is not the viewer's to open.
            let next = if x.link.is_empty() {
                Either::Left(view! { <span>{x.next_step}</span> })
            } else {
                Either::Right(view! { <a href=x.link>{x.next_step}</a> })
            };
            view! {
                <tr data-criterion=x.id>
                    <td class="num">{x.stage}</td>
                    <th scope="row">{x.name}</th>
                    <td class="num">{x.measured}</td>
                    <td class="num">{x.threshold}</td>
                    <td><span class=class>{verdict}</span></td>
                    <td>{next}</td>
                </tr>
            }
        })
        .collect_view();
    let title = view! { {title}" · "<span class="stage">{stage}</span> };
    view! {
        <section class="scorecard" id=id>
            <h2>{title}</h2>
            <DataTable columns=criteria_columns()>{rows}</DataTable>
        </section>
    }
}

fn history_view(p: &ScorecardPage) -> impl IntoView + use<> {
    let teams: Vec<String> = p
        .history
        .last()
        .map(|(_, _, t)| t.iter().map(|(n, _)| n.clone()).collect())
        .unwrap_or_default();
    let org = p.org.is_some();
    let heads = teams
        .iter()
        .map(|t| view! { <th scope="col" class="num">{t.clone()}</th> })
        .collect_view();
    let rows = p
        .history
        .iter()
        .map(|(m, o, ts)| {
            let cells = teams
                .iter()
                .map(|t| {
                    let s = ts
                        .iter()
                        .find(|(n, _)| n == t)
                        .map_or("–".to_owned(), |(_, s)| s.to_string());
                    view! { <td class="num">{s}</td> }
                })
                .collect_view();
            let o = org.then(
                || view! { <td class="num">{o.map_or("–".to_owned(), |s| s.to_string())}</td> },
            );
            view! { <tr><th scope="row">{m.to_string()}</th>{o}{cells}</tr> }
        })
        .collect_view();
    let org_head = org.then(|| view! { <th scope="col" class="num">"Organisation"</th> });
    let head = view! { <th scope="col">"Month"</th>{org_head}{heads} }.into_any();
    view! {
        <h2>"Stage reached, last 12 months"</h2>
        <DataTable id="history" head>{rows}</DataTable>
    }
}

fn forms(viewer: &Viewer, p: &ScorecardPage) -> impl IntoView + use<> {
    let month = p.month.to_string();
    let published = p.published.clone().map_or_else(
        || "Not published yet.".to_owned(),
        |by| format!("Published by {by}."),
    );
    let publish = p.may_publish.then(|| {
        let month = month.clone();
        view! {
            <form method="post" action="/scorecard/publish" class="inline" id="publish">
                <Csrf token=viewer.csrf.clone()/>
                <Hidden name="month" value=month/>
                <button type="submit">"Publish this month's showback"</button>
            </form>
        }
    });
    let targets = p
        .targets
        .iter()
        .map(|t| {
            let owner = if t.feature.is_empty() {
                format!("{} (whole team)", t.team)
            } else {
                format!("{}/{}", t.team, t.feature)
            };
            view! { <tr><th scope="row">{owner}</th><td class="num">{t.target.to_string()}</td></tr> }
        })
        .collect_view();
    let target_form = p.may_publish.then(|| {
        let month = month.clone();
        view! {
            <form method="post" action="/scorecard/targets" class="grid">
                <Csrf token=viewer.csrf.clone()/>
                <Hidden name="month" value=month/>
                <label>"Team"<input name="team" required/></label>
                <label>"Feature (empty for the whole team)"<input name="feature"/></label>
                <label>"Cost per successful outcome, at most"<input name="target" required/></label>
                <button type="submit">"Save target"</button>
            </form>
        }
    });
    let t = &p.thresholds;
    let threshold_form = p.may_set_thresholds.then(|| {
        let month = month.clone();
        view! {
            <h2>"Thresholds"</h2>
            <form method="post" action="/scorecard/thresholds" class="grid" id="thresholds">
                <Csrf token=viewer.csrf.clone()/>
                <Hidden name="month" value=month/>
                <label>"Unpriced tokens under (%)"<input name="max_unpriced_pct" value=t.max_unpriced_pct.to_string()/></label>
                <label>"Cost with a feature at least (%)"<input name="min_feature_pct" value=t.min_feature_pct.to_string()/></label>
                <label>"Requests with an outcome at least (%)"<input name="min_outcome_pct" value=t.min_outcome_pct.to_string()/></label>
                <label>"Unallocated under (%)"<input name="max_unallocated_pct" value=t.max_unallocated_pct.to_string()/></label>
                <label>"Savings left to the levers under (% of token cost)"<input name="max_waste_pct" value=t.max_waste_pct.to_string()/></label>
                <label>"Top features needing targets"<input name="top_features" value=t.top_features.to_string()/></label>
                <button type="submit">"Save thresholds"</button>
            </form>
        }
    });
    view! {
        <h2>"Showback publication"</h2>
        <p>{published}</p>
        {publish}
        <h2 id="targets">"Unit-cost targets"</h2>
        <DataTable columns=vec![Column::text("Feature"), Column::num("Target")]>{targets}</DataTable>
        {target_form}
        {threshold_form}
    }
}

fn criteria_columns() -> Vec<Column> {
    vec![
        Column::num("Stage"),
        Column::text("Criterion"),
        Column::num("Measured"),
        Column::num("Threshold"),
        Column::text("Result"),
        Column::text("Next step"),
    ]
}

pub fn scorecard_page(viewer: &Viewer, p: ScorecardPage) -> String {
    let title = format!("Maturity scorecard · {}", p.month);
    let history = history_view(&p);
    let forms = forms(viewer, &p);
    let ScorecardPage {
        month,
        months,
        org,
        teams,
        notice,
        error,
        ..
    } = p;
    let cards = org
        .into_iter()
        .chain(teams)
        .map(|mut card| {
            for c in &mut card.criteria {
                if !viewer.may_open(&c.link) {
                    c.link.clear();
                }
            }
            view! { <ScorecardCard card/> }
        })
        .collect_view();
    let viewer = viewer.clone();
    render(move || {
        view! {
            <Shell title="Scorecard" viewer=Some(viewer) active=Nav::Scorecard>
                <h1>{title}</h1>
                <MonthPicker action="/scorecard" current=month months/>
                <Notice message=notice/>
                <Alert message=error/>
                {cards}
                {history}
                {forms}
            </Shell>
        }
    })
}
