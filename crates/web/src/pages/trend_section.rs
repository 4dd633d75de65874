//! "Unit cost, last 12 months": a trend (`tokentally_domain::trend`) as line charts, a table
//! and a CSV download of the same rows (the table adds cost per active user and the count of
//! active users, which the charts leave out: another scale). A month without usage is a gap in the lines and a
//! dash in the table, never a zero. Where the scorecard sets a unit-cost target, the chart
//! draws it and the section says whether the latest month meets it.

use leptos::either::Either;
use leptos::prelude::*;
use tokentally_domain::trend::{Metric, Trend, TrendPoint};

use crate::components::charts::{ChartValues, Marker, Palette, Series, legend, line_chart};
use crate::components::{Column, DataTable};
use crate::format::{count, fixed, money, unit_money};

/// A trend and where its table downloads from.
#[derive(Debug, Clone)]
pub struct TrendView {
    pub trend: Trend,
    /// The CSV of the table (the page's path with `table=trend`).
    pub csv: String,
}

/// The CSV's headers: one row per month.
pub const CSV_HEADERS: [&str; 10] = [
    "month",
    "cost_per_successful_outcome",
    "cost_per_query",
    "tokens_per_successful_outcome",
    "cost_per_active_user",
    "blended_cost",
    "requests",
    "successful_outcomes",
    "active_users",
    "currency",
];

fn optional(d: Option<rust_decimal::Decimal>) -> String {
    d.map(|d| d.to_string()).unwrap_or_default()
}

/// The CSV's rows, oldest month first; a gap is an empty cell.
pub fn csv_rows(t: &Trend) -> Vec<[String; 10]> {
    t.points
        .iter()
        .map(|p| {
            [
                p.month.to_string(),
                optional(p.cost_per_successful_outcome),
                optional(p.cost_per_query),
                optional(p.tokens_per_successful_outcome),
                optional(p.cost_per_active_user),
                p.blended_cost.to_string(),
                p.requests.to_string(),
                p.successful_outcomes.to_string(),
                p.active_users.map(|n| n.to_string()).unwrap_or_default(),
                t.currency.clone(),
            ]
        })
        .collect()
}

/// The points the charts draw: from the first month with usage on; the months before it
/// would only be an empty stretch of axis. The table keeps all twelve.
pub fn charted_points(points: &[TrendPoint]) -> &[TrendPoint] {
    let first = points
        .iter()
        .position(|p| p.requests > 0)
        .unwrap_or(points.len());
    &points[first..]
}

fn series(points: &[TrendPoint], m: Metric) -> Series {
    Series {
        name: m.label().to_owned(),
        values: points.iter().map(|p| p.value(m)).collect(),
    }
}

fn row(p: &TrendPoint, cur: &str) -> impl IntoView + use<> {
    let dash = || "–".to_owned();
    let unit =
        |v: Option<rust_decimal::Decimal>| v.map(|v| unit_money(v, cur)).unwrap_or_else(dash);
    view! {
        <tr>
            <th scope="row">{p.month.to_string()}</th>
            <td class="num">{unit(p.cost_per_successful_outcome)}</td>
            <td class="num">{unit(p.cost_per_query)}</td>
            <td class="num">{p.tokens_per_successful_outcome.map(|t| fixed(t, 1)).unwrap_or_else(dash)}</td>
            <td class="num">{unit(p.cost_per_active_user)}</td>
            <td class="num">{money(p.blended_cost, cur)}</td>
            <td class="num">{count(p.requests)}</td>
            <td class="num">{count(p.successful_outcomes)}</td>
            <td class="num">{p.active_users.map(count).unwrap_or_else(dash)}</td>
        </tr>
    }
}

/// The target and whether the latest month meets it, in a sentence with a badge.
fn status(t: &Trend) -> Option<impl IntoView + use<>> {
    let target = t.target?;
    let cur = t.currency.clone();
    let text = format!(
        "Target: cost per successful outcome at most {}",
        unit_money(target, &cur)
    );
    Some(match t.on_target() {
        Some(true) => Either::Left(view! {
            <p class="target">{text}" "<span class="badge">"on target"</span></p>
        }),
        Some(false) => Either::Right(Either::Left(view! {
            <p class="target">{text}" "<span class="badge warn">"off target"</span></p>
        })),
        None => Either::Right(Either::Right(view! {
            <p class="target">{text}" "<span class="badge">"no successful outcome yet"</span></p>
        })),
    })
}

/// The section: heading, download link, target status, charts and table.
pub fn trend_section(v: &TrendView) -> impl IntoView + use<> {
    let t = &v.trend;
    let cur = t.currency.clone();
    let charted = charted_points(&t.points);
    let labels: Vec<String> = charted
        .iter()
        .map(|p| p.month.to_string().get(2..).unwrap_or_default().to_owned())
        .collect();
    let money_series = [
        series(charted, Metric::CostPerSuccessfulOutcome),
        series(charted, Metric::CostPerQuery),
    ];
    // The charted metrics only: cost per active user is in the table, not on a chart.
    let palette = Palette::new(
        [
            Metric::CostPerSuccessfulOutcome,
            Metric::CostPerQuery,
            Metric::TokensPerSuccessfulOutcome,
        ]
        .map(Metric::label),
    );
    let target = t.target.map(|value| Marker {
        label: format!("target {}", unit_money(value, &cur)),
        value,
    });
    let money_label = {
        let cur = cur.clone();
        move |d: rust_decimal::Decimal| unit_money(d, &cur)
    };
    let cost_svg = line_chart(
        &labels,
        &money_series,
        &palette,
        &money_label,
        target.as_ref(),
    );
    let token_svg = line_chart(
        &labels,
        &[series(charted, Metric::TokensPerSuccessfulOutcome)],
        &palette,
        &|d: rust_decimal::Decimal| fixed(d, 0),
        None,
    );
    let money_legend = legend(
        &[Metric::CostPerSuccessfulOutcome, Metric::CostPerQuery].map(|m| m.label().to_owned()),
        &palette,
    );
    let token_legend = legend(
        &[Metric::TokensPerSuccessfulOutcome.label().to_owned()],
        &palette,
    );
    let gaps = charted.iter().filter(|p| p.requests == 0).count();
    let alt = t
        .points
        .iter()
        .map(|p| {
            format!(
                "{}: {}",
                p.month,
                p.cost_per_successful_outcome
                    .map(|c| unit_money(c, &cur))
                    .unwrap_or_else(|| "no figure".into())
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    let rows = t.points.iter().map(|p| row(p, &cur)).collect_view();
    let columns = vec![
        Column::text("Month"),
        Column::num("Cost per success"),
        Column::num("Cost per query"),
        Column::num("Tokens per success"),
        Column::num("Cost per active user"),
        Column::num("Blended cost"),
        Column::num("Requests"),
        Column::num("Successes"),
        Column::num("Active users"),
    ];
    let note = (gaps > 0).then(|| {
        view! { <p class="muted">{format!("{gaps} of the months had no usage: they are gaps in the lines, not zeros.")}</p> }
    });
    let csv = v.csv.clone();
    view! {
        <section aria-labelledby="trend-h" id="trend">
            <div class="section-head">
                <h2 id="trend-h">"Unit cost, last 12 months"</h2>
                <a class="download no-print" href=csv>"Download CSV"</a>
            </div>
            {status(t)}
            {note}
            <div class="charts">
                <figure class="chart">
                    <figcaption>"Cost per successful outcome and cost per query"</figcaption>
                    <ChartValues>
                        {money_legend}
                        <div role="img" aria-label=format!("Cost per successful outcome by month: {alt}") inner_html=cost_svg></div>
                    </ChartValues>
                </figure>
                <figure class="chart">
                    <figcaption>"Tokens per successful outcome"</figcaption>
                    <ChartValues>
                        {token_legend}
                        <div role="img" aria-label="Tokens per successful outcome by month; the figures are in the table below." inner_html=token_svg></div>
                    </ChartValues>
                </figure>
            </div>
            <DataTable id="trend-table" columns>{rows}</DataTable>
        </section>
    }
}
