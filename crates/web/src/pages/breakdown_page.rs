//! Drill-down pages (team, feature, key, model): summary cards, a chart, and tables of lines,
//! each with a CSV download of exactly what it shows.

use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use leptos::either::{Either, EitherOf4};
use leptos::prelude::*;
use rust_decimal::Decimal;
use tokentally_domain::drilldown::Line;
use tokentally_domain::month::Month;

use super::breakdown_summary::SummaryCards;
pub use super::breakdown_summary::{Rates, Summary};
use super::movement_section::{MovementView, movement_section};
use super::showback_page::{per_success_tokens, urlencode};
use super::trend_section::{TrendView, trend_section};
use crate::components::charts::{Bar, Palette, stacked_bars};
use crate::components::{
    Column, DataTable, EnvironmentFilter, EnvironmentNote, Figure, ReportFilter,
};
use crate::format::{count, money, share, tokens, unit_money, when_utc};
use crate::money::Money;
use crate::shell::{Nav, Shell, Viewer, render};

/// A table of [`Line`]s; names link to `link_prefix + name + link_suffix` when a prefix is set.
#[derive(Debug, Clone)]
pub struct LinesTable {
    /// Also the `table=` value of its CSV download.
    pub id: String,
    pub title: String,
    pub name_header: String,
    pub lines: Vec<Line>,
    pub link_prefix: Option<String>,
    pub link_suffix: String,
    /// Whether the lines carry shares of overheads and commitments. Lines of usage alone (a
    /// key's or a model's page) show their token cost and no "blended" column, so that
    /// "blended cost" means token cost + overhead + commitment wherever it appears.
    pub shared_costs: bool,
}

/// One cell of a [`PlainTable`], typed; it reads the same on the page and in the CSV.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    Text(String),
    Money(Money),
    Count(u64),
    /// `part` as a percentage of `whole`.
    Share {
        part: u64,
        whole: u64,
    },
    Date(NaiveDate),
    /// Who did something, and when.
    By {
        actor: String,
        at: DateTime<Utc>,
    },
    Blank,
}

impl fmt::Display for Cell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Text(t) => f.write_str(t),
            Self::Money(m) => write!(f, "{m}"),
            Self::Count(n) => f.write_str(&count(*n)),
            Self::Share { part, whole } => {
                f.write_str(&share(Decimal::from(*part), Decimal::from(*whole)))
            }
            Self::Date(d) => write!(f, "{d}"),
            Self::By { actor, at } => write!(f, "{actor} on {}", when_utc(*at)),
            Self::Blank => Ok(()),
        }
    }
}

/// Any other table: headers (with whether the column is numeric) and rows of cells; the
/// first cell may link.
#[derive(Debug, Clone)]
pub struct PlainTable {
    /// Also the `table=` value of its CSV download.
    pub id: String,
    pub title: String,
    pub headers: Vec<(String, bool)>,
    pub rows: Vec<(Option<String>, Vec<Cell>)>,
    pub empty: String,
}

#[derive(Debug, Clone)]
pub enum Section {
    Lines(LinesTable),
    Plain(PlainTable),
    /// Why the bill moved against the month before (its `table=` value is `movement`).
    Movement(MovementView),
    /// Unit cost over the last 12 months (its `table=` value is `trend`).
    Trend(TrendView),
}

#[derive(Debug, Clone)]
pub struct BreakdownPage {
    pub title: String,
    pub crumbs: Vec<(String, String)>,
    pub month: Month,
    pub months: Vec<Month>,
    /// The page's path, without query: the month picker and CSV links build on it.
    pub path: String,
    pub currency: String,
    pub summary: Summary,
    /// The days of the month, for the chart of daily cost; `None` for no chart.
    pub daily: Option<Vec<Line>>,
    pub sections: Vec<Section>,
    /// Pages of their own about the same subject (its workflows), linked beside the page's
    /// own sections: (label, href).
    pub links: Vec<(String, String)>,
    /// The environment the page is narrowed to, and those to choose from (none on pages that
    /// cannot be narrowed).
    pub environment: EnvironmentFilter,
}

/// A bar chart of daily blended cost, with the days' figures as its text alternative.
#[component]
fn DailyChart(days: Vec<Line>, currency: String) -> impl IntoView {
    let bars: Vec<Bar> = days
        .iter()
        .map(|d| Bar {
            label: d.name.get(8..).unwrap_or(&d.name).to_owned(),
            segments: vec![("cost".into(), d.blended_cost)],
        })
        .collect();
    let alt = match days.iter().max_by_key(|d| d.blended_cost) {
        Some(peak) => format!(
            "Daily cost over {} days; the highest was {} on {}.",
            days.len(),
            money(peak.blended_cost, &currency),
            peak.name
        ),
        None => "No usage this month.".to_owned(),
    };
    let svg = stacked_bars(&bars, &Palette::new(["cost"]), &currency, None);
    view! { <Figure caption="Daily blended cost" alt svg/> }
}

fn lines_table(t: &LinesTable, p: &BreakdownPage) -> impl IntoView + use<> {
    let cur = p.currency.clone();
    let month = p.month;
    let rows = t
        .lines
        .iter()
        .map(|l| {
            let name = if l.name.is_empty() { "(none)".to_owned() } else { l.name.clone() };
            let cell = match &t.link_prefix {
                Some(prefix) if !l.name.is_empty() => {
                    let href = format!("{prefix}{}{}{}month={month}", urlencode(&l.name), t.link_suffix, if t.link_suffix.contains('?') { "&" } else { "?" });
                    Either::Left(view! { <a href=href>{name}</a> })
                }
                _ => Either::Right(view! { <span>{name}</span> }),
            };
            let dash = || "–".to_owned();
            let shared = t.shared_costs.then(|| {
                view! { <td class="num strong">{money(l.blended_cost, &cur)}</td> }
            });
            let shares = t.shared_costs.then(|| {
                view! {
                    <td class="num">{money(l.overhead, &cur)}</td>
                    <td class="num">{money(l.commitment, &cur)}</td>
                }
            });
            let token_class = if t.shared_costs { "num" } else { "num strong" };
            view! {
                <tr>
                    <th scope="row">{cell}</th>
                    {shared}
                    <td class=token_class>{money(l.token_cost, &cur)}</td>
                    {shares}
                    <td class="num">{count(l.requests)}</td>
                    <td class="num">{tokens(l.tokens.input)}</td>
                    <td class="num">{tokens(l.tokens.output)}</td>
                    <td class="num">{count(l.successful_outcomes)}</td>
                    <td class="num">{l.cost_per_query.map(|c| unit_money(c, &cur)).unwrap_or_else(dash)}</td>
                    <td class="num">{l.cost_per_successful_outcome.map(|c| unit_money(c, &cur)).unwrap_or_else(dash)}</td>
                    <td class="num">{per_success_tokens(l.tokens_per_successful_outcome)}</td>
                </tr>
            }
        })
        .collect_view();
    let csv = format!(
        "{}/export.csv?month={}&table={}{}",
        p.path,
        p.month,
        t.id,
        p.environment.query()
    );
    let id = format!("{}-h", t.id);
    let labelled_by = id.clone();
    let columns = line_columns(t.name_header.clone(), t.shared_costs);
    let title = t.title.clone();
    let table_id = t.id.clone();
    view! {
        <section aria-labelledby=labelled_by>
            <div class="section-head">
                <h2 id=id>{title}</h2>
                <a class="download no-print" href=csv>"Download CSV"</a>
            </div>
            <DataTable id=table_id columns interactive=true>{rows}</DataTable>
        </section>
    }
}

/// The columns of a table of [`Line`]s, after the one that names them.
fn line_columns(name_header: String, shared_costs: bool) -> Vec<Column> {
    let costs: &[&str] = if shared_costs {
        &["Blended cost", "Token cost", "Overhead", "Commitment"]
    } else {
        &["Token cost"]
    };
    std::iter::once(Column::text(name_header))
        .chain(costs.iter().map(|c| Column::num(*c)))
        .chain(
            [
                "Requests",
                "Input tokens",
                "Output tokens",
                "Successes",
                "Cost per query",
                "Cost per success",
                "Tokens per success",
            ]
            .map(Column::num),
        )
        .collect()
}

fn plain_table(t: &PlainTable, p: &BreakdownPage) -> impl IntoView + use<> {
    let columns = t
        .headers
        .iter()
        .map(|(h, numeric)| {
            if *numeric {
                Column::num(h.clone())
            } else {
                Column::text(h.clone())
            }
        })
        .collect::<Vec<_>>();
    let numeric: Vec<bool> = t.headers.iter().map(|h| h.1).collect();
    let body = if t.rows.is_empty() {
        let span = t.headers.len().to_string();
        Either::Left(view! { <tr><td colspan=span class="muted">{t.empty.clone()}</td></tr> })
    } else {
        let rows = t
            .rows
            .iter()
            .map(|(link, cells)| {
                let first = cells.first().map(Cell::to_string).unwrap_or_default();
                let first = match link {
                    Some(href) => Either::Left(view! { <a href=href.clone()>{first}</a> }),
                    None => Either::Right(view! { <span>{first}</span> }),
                };
                let rest = cells
                    .iter()
                    .enumerate()
                    .skip(1)
                    .map(|(i, c)| {
                        let class = if numeric.get(i).copied().unwrap_or(false) {
                            "num"
                        } else {
                            ""
                        };
                        view! { <td class=class>{c.to_string()}</td> }
                    })
                    .collect_view();
                view! { <tr><th scope="row">{first}</th>{rest}</tr> }
            })
            .collect_view();
        Either::Right(rows)
    };
    let title = t.title.clone();
    let csv = format!(
        "{}/export.csv?month={}&table={}{}",
        p.path,
        p.month,
        t.id,
        p.environment.query()
    );
    let table_id = t.id.clone();
    view! {
        <section>
            <div class="section-head">
                <h2>{title}</h2>
                <a class="download no-print" href=csv>"Download CSV"</a>
            </div>
            <DataTable id=table_id columns interactive=true>{body}</DataTable>
        </section>
    }
}

pub fn breakdown_page(viewer: &Viewer, p: BreakdownPage) -> String {
    let crumbs = p
        .crumbs
        .iter()
        .map(|(label, href)| view! { <li><a href=href.clone()>{label.clone()}</a></li> })
        .collect_view();
    let charts = p
        .daily
        .clone()
        .map(|days| view! { <DailyChart days currency=p.currency.clone()/> });
    let sections = p
        .sections
        .iter()
        .map(|s| match s {
            Section::Lines(t) => EitherOf4::A(lines_table(t, &p)),
            Section::Plain(t) => EitherOf4::B(plain_table(t, &p)),
            Section::Movement(m) => EitherOf4::C(movement_section(m)),
            Section::Trend(t) => EitherOf4::D(trend_section(t)),
        })
        .collect_view();
    // Links to the long sections, for a reader who came for one of them.
    let on_page: Vec<_> = p
        .sections
        .iter()
        .filter_map(|s| match s {
            Section::Movement(_) => Some(("#movement", "Why the bill moved")),
            Section::Trend(_) => Some(("#trend", "Unit cost trend")),
            _ => None,
        })
        .map(|(href, label)| (href.to_owned(), label.to_owned()))
        .chain(
            p.links
                .iter()
                .map(|(label, href)| (href.clone(), label.clone())),
        )
        .map(|(href, label)| view! { <li><a href=href>{label}</a></li> })
        .collect();
    let on_page = (!on_page.is_empty()).then(|| {
        view! { <nav aria-label="On this page" class="on-page no-print"><ul>{on_page}</ul></nav> }
    });
    let title = format!("{} · {}", p.title, p.month);
    let BreakdownPage {
        path,
        month,
        months,
        currency,
        summary,
        environment,
        ..
    } = p;
    let viewer = viewer.clone();
    // The model pages sit under "Models" in the navigation; the rest under "Showback".
    let active = if path.starts_with("/models") {
        Nav::Models
    } else {
        Nav::Showback
    };
    render(move || {
        view! {
            <Shell title=title.clone() viewer=Some(viewer) active>
                <nav aria-label="Breadcrumb" class="crumbs no-print"><ol>{crumbs}</ol></nav>
                <div class="page-head">
                    <h1>{title}</h1>
                    <ReportFilter action=path.clone() current=month months environments=environment.clone()/>
                </div>
                <EnvironmentNote action=path filter=environment month/>
                {on_page}
                <SummaryCards summary month currency/>
                <div class="charts">{charts}</div>
                {sections}
            </Shell>
        }
    })
}
