//! Drill-down pages (team, feature, key, model): summary cards, a chart, and tables of lines,
//! each with a CSV download of exactly what it shows.

use leptos::prelude::*;
use tokentally_domain::drilldown::Line;
use tokentally_domain::month::Month;

use super::showback_page::urlencode;
use crate::components::month_picker;
use crate::format::{count, money, tokens, unit_money};
use crate::shell::{Nav, Viewer, document, render};

#[derive(Debug, Clone)]
pub struct Card {
    pub label: String,
    pub value: String,
    pub sub: String,
}

#[derive(Debug, Clone)]
pub struct Chart {
    pub caption: String,
    pub svg: String,
    /// The text alternative: what the chart shows, in words and numbers.
    pub alt: String,
}

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
}

/// Any other table: headers (with whether the column is numeric) and rows of text; the first
/// cell may link.
#[derive(Debug, Clone)]
pub struct PlainTable {
    /// Also the `table=` value of its CSV download.
    pub id: String,
    pub title: String,
    pub headers: Vec<(String, bool)>,
    pub rows: Vec<(Option<String>, Vec<String>)>,
    pub empty: String,
}

#[derive(Debug, Clone)]
pub enum Section {
    Lines(LinesTable),
    Plain(PlainTable),
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
    pub cards: Vec<Card>,
    pub charts: Vec<Chart>,
    pub sections: Vec<Section>,
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
                    view! { <a href=href>{name}</a> }.into_any()
                }
                _ => view! { <span>{name}</span> }.into_any(),
            };
            let dash = || "–".to_owned();
            view! {
                <tr>
                    <th scope="row">{cell}</th>
                    <td class="num strong">{money(l.blended_cost, &cur)}</td>
                    <td class="num">{money(l.token_cost, &cur)}</td>
                    <td class="num">{money(l.overhead, &cur)}</td>
                    <td class="num">{count(l.requests)}</td>
                    <td class="num">{tokens(l.tokens.input)}</td>
                    <td class="num">{tokens(l.tokens.output)}</td>
                    <td class="num">{count(l.successful_outcomes)}</td>
                    <td class="num">{l.cost_per_query.map(|c| unit_money(c, &cur)).unwrap_or_else(dash)}</td>
                    <td class="num">{l.cost_per_successful_outcome.map(|c| unit_money(c, &cur)).unwrap_or_else(dash)}</td>
                </tr>
            }
        })
        .collect_view();
    let csv = format!("{}/export.csv?month={}&table={}", p.path, p.month, t.id);
    let id = format!("{}-h", t.id);
    let labelled_by = id.clone();
    let header = t.name_header.clone();
    let title = t.title.clone();
    let table_id = t.id.clone();
    view! {
        <section aria-labelledby=labelled_by>
            <div class="section-head">
                <h2 id=id>{title}</h2>
                <a class="download no-print" href=csv>"Download CSV"</a>
            </div>
            <table class="data" id=table_id>
                <thead><tr>
                    <th scope="col">{header}</th>
                    <th scope="col" class="num">"Blended cost"</th>
                    <th scope="col" class="num">"Token cost"</th>
                    <th scope="col" class="num">"Overhead"</th>
                    <th scope="col" class="num">"Requests"</th>
                    <th scope="col" class="num">"Input tokens"</th>
                    <th scope="col" class="num">"Output tokens"</th>
                    <th scope="col" class="num">"Successes"</th>
                    <th scope="col" class="num">"Cost per query"</th>
                    <th scope="col" class="num">"Cost per success"</th>
                </tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </section>
    }
}

fn plain_table(t: &PlainTable, p: &BreakdownPage) -> impl IntoView + use<> {
    let headers = t
        .headers
        .iter()
        .map(|(h, numeric)| {
            let class = if *numeric { "num" } else { "" };
            view! { <th scope="col" class=class>{h.clone()}</th> }
        })
        .collect_view();
    let numeric: Vec<bool> = t.headers.iter().map(|h| h.1).collect();
    let body = if t.rows.is_empty() {
        let span = t.headers.len().to_string();
        view! { <tr><td colspan=span class="muted">{t.empty.clone()}</td></tr> }.into_any()
    } else {
        t.rows
            .iter()
            .map(|(link, cells)| {
                let first = cells.first().cloned().unwrap_or_default();
                let first = match link {
                    Some(href) => view! { <a href=href.clone()>{first}</a> }.into_any(),
                    None => view! { <span>{first}</span> }.into_any(),
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
                        view! { <td class=class>{c.clone()}</td> }
                    })
                    .collect_view();
                view! { <tr><th scope="row">{first}</th>{rest}</tr> }
            })
            .collect_view()
            .into_any()
    };
    let title = t.title.clone();
    let csv = format!("{}/export.csv?month={}&table={}", p.path, p.month, t.id);
    let table_id = t.id.clone();
    view! {
        <section>
            <div class="section-head">
                <h2>{title}</h2>
                <a class="download no-print" href=csv>"Download CSV"</a>
            </div>
            <table class="data" id=table_id>
                <thead><tr>{headers}</tr></thead>
                <tbody>{body}</tbody>
            </table>
        </section>
    }
}

pub fn breakdown_page(viewer: &Viewer, p: BreakdownPage) -> String {
    let crumbs = p
        .crumbs
        .iter()
        .map(|(label, href)| view! { <li><a href=href.clone()>{label.clone()}</a></li> })
        .collect_view();
    let cards = p
        .cards
        .iter()
        .map(|c| view! { <div class="card"><div class="label">{c.label.clone()}</div><div class="value">{c.value.clone()}</div><div class="sub">{c.sub.clone()}</div></div> })
        .collect_view();
    let charts = p
        .charts
        .iter()
        .map(|c| view! { <figure class="chart"><figcaption>{c.caption.clone()}</figcaption><div role="img" aria-label=c.alt.clone() inner_html=c.svg.clone()></div></figure> })
        .collect_view();
    let sections = p
        .sections
        .iter()
        .map(|s| match s {
            Section::Lines(t) => lines_table(t, &p).into_any(),
            Section::Plain(t) => plain_table(t, &p).into_any(),
        })
        .collect_view();
    let title = format!("{} · {}", p.title, p.month);
    let body = render(view! {
        <nav aria-label="Breadcrumb" class="crumbs no-print"><ol>{crumbs}</ol></nav>
        <div class="page-head">
            <h1>{title.clone()}</h1>
            {month_picker(&p.path, p.month, &p.months)}
        </div>
        <div class="cards">{cards}</div>
        <div class="charts">{charts}</div>
        {sections}
    });
    document(&title, Some(viewer), Nav::Showback, body)
}
