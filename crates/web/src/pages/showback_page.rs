//! The home page: a month's showback for finance.

use leptos::either::Either;
use leptos::prelude::*;
use rust_decimal::Decimal;
use tokentally_domain::attribution::UNALLOCATED;
use tokentally_domain::forecast::Backtest;
use tokentally_domain::margin::Margin;
use tokentally_domain::month::Month;
use tokentally_domain::pricing::TokenClass;
use tokentally_domain::showback::{Showback, TeamShowback};

use super::movement_section::{MovementView, movement_section};
use super::trend_section::{TrendView, trend_section};
use crate::components::charts::{Bar, Palette, stacked_bars, stacked_rows};
use crate::components::{Card, DataTable, Figure, MonthPicker, Tone};
use crate::format::{count, fixed, money, share, signed_pct, tokens, unit_money};
use crate::shell::{Nav, Shell, Viewer, render};

/// A past month's blended cost per team, for the trend chart.
#[derive(Debug, Clone)]
pub struct MonthTotals {
    pub month: Month,
    pub by_team: Vec<(String, Decimal)>,
}

#[derive(Debug, Clone)]
pub struct ShowbackPage {
    pub showback: Showback,
    /// Months with data, newest first, for the picker.
    pub months: Vec<Month>,
    /// The current month, shown as month to date.
    pub month_to_date: bool,
    /// Month-end forecast, expected, by the one forecasting method (current month only).
    pub forecast: Option<Decimal>,
    /// How last month's month-end forecast, made mid-month, compared with what it came to.
    pub backtest: Option<Backtest>,
    pub sort: SortKey,
    pub descending: bool,
    /// Oldest first, up to 12 months ending with this one.
    pub history: Vec<MonthTotals>,
    /// Team budgets of the month; the table shows a budget column when there is any.
    pub budgets: std::collections::BTreeMap<String, TeamBudget>,
    /// Why the organisation's bill moved against the month before; none for a lead (the
    /// organisation's movement would show the other teams).
    pub movement: Option<MovementView>,
    /// The organisation's unit costs over the last 12 months (a lead's: their teams').
    pub trend: Option<TrendView>,
}

/// A team's budget for the month and where the month-end forecast puts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamBudget {
    pub amount: Decimal,
    pub month_end: Decimal,
    /// "on track", "at risk" or "over".
    pub status: String,
}

fn budget_cell(b: Option<&TeamBudget>, currency: &str) -> impl IntoView + use<> {
    match b {
        Some(b) => {
            let class = if b.status == "on track" {
                "badge"
            } else {
                "badge warn"
            };
            let title = format!("forecast {}", money(b.month_end, currency));
            Either::Left(view! {
                <td class="num" title=title>{money(b.amount, currency)}" "<span class=class>{b.status.clone()}</span></td>
            })
        }
        None => Either::Right(view! { <td class="num muted">"–"</td> }),
    }
}

/// Columns the team table sorts by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Team,
    Blended,
    TokenCost,
    Overhead,
    Change,
    Requests,
    CostPerSuccess,
}

impl SortKey {
    pub const ALL: [SortKey; 7] = [
        Self::Team,
        Self::Blended,
        Self::TokenCost,
        Self::Overhead,
        Self::Change,
        Self::Requests,
        Self::CostPerSuccess,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Team => "team",
            Self::Blended => "blended",
            Self::TokenCost => "token_cost",
            Self::Overhead => "overhead",
            Self::Change => "change",
            Self::Requests => "requests",
            Self::CostPerSuccess => "cost_per_success",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// Orders team rows as the table shows them. Unallocated always stays last, so it is never
/// lost in the middle of the table.
pub fn sort_teams(teams: &mut [TeamShowback], key: SortKey, descending: bool) {
    teams.sort_by(|a, b| {
        let by = match key {
            SortKey::Team => a.team.to_lowercase().cmp(&b.team.to_lowercase()),
            SortKey::Blended => a.blended_cost.cmp(&b.blended_cost),
            SortKey::TokenCost => a.token_cost.cmp(&b.token_cost),
            SortKey::Overhead => (a.overhead + a.commitment).cmp(&(b.overhead + b.commitment)),
            SortKey::Change => a.mom_change.cmp(&b.mom_change),
            SortKey::Requests => a.requests.cmp(&b.requests),
            SortKey::CostPerSuccess => a
                .cost_per_successful_outcome
                .cmp(&b.cost_per_successful_outcome),
        };
        let by = if descending { by.reverse() } else { by };
        (a.team == UNALLOCATED)
            .cmp(&(b.team == UNALLOCATED))
            .then(by)
            .then(a.team.cmp(&b.team))
    });
}

fn sort_header(
    label: &'static str,
    key: SortKey,
    p: &ShowbackPage,
    numeric: bool,
) -> impl IntoView + use<> {
    let active = p.sort == key;
    let next_desc = if active { !p.descending } else { numeric };
    let href = format!(
        "/?month={}&sort={}&dir={}",
        p.showback.month,
        key.as_str(),
        if next_desc { "desc" } else { "asc" }
    );
    let aria = active.then_some(if p.descending {
        "descending"
    } else {
        "ascending"
    });
    let arrow = if active {
        if p.descending { " ↓" } else { " ↑" }
    } else {
        ""
    };
    let class = if numeric { "num" } else { "" };
    view! { <th scope="col" class=class aria-sort=aria><a href=href>{label}{arrow}</a></th> }
}

fn change_cell(t: &TeamShowback, currency: &str) -> impl IntoView + use<> {
    let text = match (t.mom_change, t.mom_change_pct) {
        (Some(c), Some(p)) => format!("{} ({})", money(c, currency), signed_pct(p)),
        (Some(c), None) => money(c, currency),
        _ => "new".to_owned(),
    };
    let class = match t.mom_change {
        Some(c) if c > Decimal::ZERO => "num up",
        Some(c) if c < Decimal::ZERO => "num down",
        _ => "num",
    };
    view! { <td class=class>{text}</td> }
}

fn team_row(
    t: &TeamShowback,
    month: Month,
    currency: &str,
    palette: &Palette,
    budget: Option<Option<&TeamBudget>>,
    with_value: bool,
) -> impl IntoView + use<> {
    let budget = budget.map(|b| budget_cell(b, currency));
    let value = with_value.then(|| value_cells(t.margin.as_ref(), currency));
    let href = format!("/teams/{}?month={month}", urlencode(&t.team));
    let swatch = format!("background:{}", palette.css(&t.team));
    let name = t.team.clone();
    let row_class = if t.team == UNALLOCATED {
        "unallocated"
    } else {
        ""
    };
    let cps = t
        .cost_per_successful_outcome
        .map(|c| unit_money(c, currency))
        .unwrap_or_else(|| "–".into());
    let tps = per_success_tokens(t.tokens_per_successful_outcome);
    view! {
        <tr class=row_class>
            <th scope="row"><span class="swatch" style=swatch aria-hidden="true"></span><a href=href>{name}</a></th>
            <td class="num strong">{money(t.blended_cost, currency)}</td>
            {budget}
            <td class="num">{money(t.token_cost, currency)}</td>
            <td class="num">{money(t.overhead + t.commitment, currency)}</td>
            {change_cell(t, currency)}
            <td class="num">{count(t.requests)}</td>
            <td class="num">{count(t.successful_outcomes)}</td>
            <td class="num">{cps}</td>
            <td class="num">{tps}</td>
            {value}
        </tr>
    }
}

/// The value and margin cells of a row: a dash where no value is reported; a margin below
/// zero is marked, since that row earns less than it burns.
fn value_cells(m: Option<&Margin>, currency: &str) -> impl IntoView + use<> {
    match m {
        Some(m) => {
            let class = if m.earns_less_than_it_burns {
                "num down"
            } else {
                "num"
            };
            let title = m
                .roi
                .map(|r| format!("ROI {r}× (value ÷ blended cost)"))
                .unwrap_or_default();
            Either::Left(view! {
                <td class="num">{money(m.value, currency)}</td>
                <td class=class title=title>{money(m.margin, currency)}</td>
            })
        }
        None => Either::Right(view! {
            <td class="num muted">"–"</td>
            <td class="num muted">"–"</td>
        }),
    }
}

/// Tokens per successful outcome as the tables show it: `1,234.5`, or a dash.
pub fn per_success_tokens(t: Option<Decimal>) -> String {
    t.map(|t| fixed(t, 1)).unwrap_or_else(|| "–".into())
}

pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn cards(p: &ShowbackPage) -> impl IntoView + use<> {
    let sb = &p.showback;
    let cur = sb.currency.clone();
    let shared = sb.overhead + sb.commitment + sb.idle_commitment;
    let change = match sb.previous_org_total {
        Some(prev) if !prev.is_zero() => format!(
            "{} vs {}",
            signed_pct((sb.org_total - prev) / prev * Decimal::ONE_HUNDRED),
            sb.month.previous()
        ),
        _ => "no earlier month".to_owned(),
    };
    let unallocated = sb
        .team(UNALLOCATED)
        .map(|t| t.blended_cost)
        .unwrap_or_default();
    let unpriced_requests: u64 = sb.unpriced.iter().map(|u| u.requests).sum();
    let unpriced_tokens: u64 = sb.unpriced.iter().map(|u| u.tokens.total()).sum();
    let forecast = p.forecast.map(|f| {
        view! { <Card label="Forecast, month end" value=money(f, &cur) sub="weekday profile of the last 28 days, anomalies left out"/> }
    });
    let backtest = p.backtest.as_ref().map(|b| {
        let error = b.error_pct.map_or_else(|| money(b.error, &cur), signed_pct);
        let sub = format!(
            "forecast {} on {} against an actual {}{}",
            money(b.forecast.expected, &cur),
            b.as_of,
            money(b.actual, &cur),
            if b.within_bands {
                ", within its bands"
            } else {
                ", outside its bands"
            }
        );
        let label = format!("Forecast error, {}", b.month);
        view! { <Card label=label value=error sub=sub/> }
    });
    let total_label = if p.month_to_date {
        "Blended cost, month to date"
    } else {
        "Blended cost"
    };
    let per_success = view! {
        <Card
            label="Cost per successful outcome"
            value=sb.cost_per_successful_outcome.map(|c| unit_money(c, &cur)).unwrap_or_else(|| "–".into())
            sub=format!("{} tokens per success, {} successes", per_success_tokens(sb.tokens_per_successful_outcome), count(sb.successful_outcomes))
        />
    };
    view! {
        <div class="cards">
            <Card label=total_label value=money(sb.org_total, &cur) sub=change tone=Tone::Primary/>
            {forecast}
            {backtest}
            {per_success}
            <Card label="Token cost" value=money(sb.token_cost, &cur) sub=format!("{} tokens", tokens(sb.tokens.total()))/>
            <Card label="Overhead & commitments" value=money(shared, &cur) sub=format!("{} of blended", share(shared, sb.org_total))/>
            <Card label="Unallocated" value=money(unallocated, &cur) sub=format!("{} of blended", share(unallocated, sb.org_total)) tone=Tone::Warn/>
            <Card label="Unpriced usage" value=format!("{} requests", count(unpriced_requests)) sub=format!("{} tokens, {} models", tokens(unpriced_tokens), sb.unpriced.len())/>
        </div>
    }
}

fn trend_chart(p: &ShowbackPage, palette: &Palette) -> impl IntoView + use<> {
    let bars: Vec<Bar> = p
        .history
        .iter()
        .map(|m| Bar {
            label: m.month.to_string(),
            segments: m.by_team.clone(),
        })
        .collect();
    let svg = stacked_bars(&bars, palette, &p.showback.currency, None);
    let alt = p
        .history
        .iter()
        .map(|m| {
            format!(
                "{}: {}",
                m.month,
                money(m.by_team.iter().map(|t| t.1).sum(), &p.showback.currency)
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    view! {
        <Figure
            caption="Blended cost by team, last 12 months"
            alt=format!("Stacked bars of blended cost by team per month. Totals: {alt}")
            svg
        />
    }
}

fn class_chart(p: &ShowbackPage) -> impl IntoView + use<> {
    // The five basic classes always; audio, image, 1-hour writes and units when some team has them.
    let shown: Vec<TokenClass> = TokenClass::ALL
        .into_iter()
        .filter(|c| {
            TokenClass::BASIC.contains(c)
                || p.showback
                    .teams
                    .iter()
                    .any(|t| !t.token_cost_by_class.of(*c).is_zero())
        })
        .collect();
    let rows: Vec<Bar> = p
        .showback
        .teams
        .iter()
        .filter(|t| !t.token_cost.is_zero())
        .map(|t| Bar {
            label: t.team.clone(),
            segments: shown
                .iter()
                .map(|c| (c.label().to_owned(), t.token_cost_by_class.of(*c)))
                .collect(),
        })
        .collect();
    let classes = Palette::token_classes();
    let svg = stacked_rows(&rows, &classes, &p.showback.currency);
    let legend = shown
        .iter()
        .map(|c| {
            let style = format!("background:{}", classes.css(c.label()));
            view! { <li><span class="swatch" style=style aria-hidden="true"></span>{c.label()}</li> }
        })
        .collect_view();
    view! {
        <Figure
            caption="Token cost by class, per team"
            legend=view! { <ul class="legend">{legend}</ul> }.into_any()
            alt="Horizontal bars of each team's token cost split into uncached input, cached input, cache write, output and reasoning; the same figures are in the CSV export."
            svg
        />
    }
}

fn unpriced_table(sb: &Showback, admin: bool) -> impl IntoView + use<> {
    if sb.unpriced.is_empty() {
        return None;
    }
    let rows = sb
        .unpriced
        .iter()
        .map(|u| {
            let name = format!("{} / {}", u.provider, u.model);
            view! { <tr><th scope="row">{name}</th><td class="num">{count(u.requests)}</td><td class="num">{tokens(u.tokens.input)}</td><td class="num">{tokens(u.tokens.output)}</td></tr> }
        })
        .collect_view();
    let fix = admin.then(|| view! { <p><a href="/admin/prices">"Add a price card"</a>", dated from the first day it should price, and this usage is priced at once."</p> });
    Some(view! {
        <section class="callout" aria-labelledby="unpriced">
            <div class="section-head">
                <h2 id="unpriced">"Unpriced usage"</h2>
                <a class="download no-print" href=format!("/showback.csv?month={}&table=unpriced", sb.month)>"Download CSV"</a>
            </div>
            <p class="muted">"These models have no price card: their tokens are counted but cost nothing yet."</p>
            <table>
                <thead><tr><th scope="col">"Model"</th><th scope="col" class="num">"Requests"</th><th scope="col" class="num">"Input"</th><th scope="col" class="num">"Output"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
            {fix}
        </section>
    })
}

pub fn showback_page(viewer: &Viewer, p: ShowbackPage) -> String {
    let sb = &p.showback;
    let cur = sb.currency.clone();
    let month = sb.month;
    let title = if p.month_to_date {
        format!("Showback · {month} (month to date)")
    } else {
        format!("Showback · {month}")
    };
    let palette = Palette::new(
        sb.teams.iter().map(|t| t.team.as_str()).chain(
            p.history
                .iter()
                .flat_map(|m| m.by_team.iter().map(|t| t.0.as_str())),
        ),
    );
    // Value and margin columns appear once any value is reported for the month.
    let has_value = sb.margin.is_some();
    let rows = sb
        .teams
        .iter()
        .map(|t| {
            let budget = (!p.budgets.is_empty()).then(|| p.budgets.get(&t.team));
            team_row(t, month, &cur, &palette, budget, has_value)
        })
        .collect_view();
    let has_budgets = !p.budgets.is_empty();
    let budget_head = has_budgets.then(|| view! { <th scope="col" class="num">"Budget"</th> });
    let budget_gap = || has_budgets.then(|| view! { <td></td> });
    let value_head = has_value.then(|| {
        view! {
            <th scope="col" class="num">"Value"</th>
            <th scope="col" class="num">"Margin"</th>
        }
    });
    let value_gap = has_value.then(|| view! { <td></td><td></td> });
    let headers = view! {
        {sort_header("Team", SortKey::Team, &p, false)}
        {sort_header("Blended cost", SortKey::Blended, &p, true)}
        {budget_head}
        {sort_header("Token cost", SortKey::TokenCost, &p, true)}
        {sort_header("Overhead & commitments", SortKey::Overhead, &p, true)}
        {sort_header("Change vs last month", SortKey::Change, &p, true)}
        {sort_header("Requests", SortKey::Requests, &p, true)}
        <th scope="col" class="num">"Successful outcomes"</th>
        {sort_header("Cost per success", SortKey::CostPerSuccess, &p, true)}
        <th scope="col" class="num">"Tokens per success"</th>
        {value_head}
    };
    // Capacity bought and not used: no team pays it, but it is part of the total.
    let idle = (!sb.idle_commitment.is_zero()).then(|| {
        let amount = money(sb.idle_commitment, &cur);
        view! {
            <tr class="idle">
                <th scope="row">"Idle commitment"</th>
                <td class="num strong">{amount.clone()}</td>
                {budget_gap()}
                <td class="num">{money(Decimal::ZERO, &cur)}</td>
                <td class="num">{amount}</td>
                <td></td><td></td><td></td><td></td><td></td>
                {value_gap}
            </tr>
        }
    });
    let csv = format!(
        "/showback.csv?month={month}&sort={}&dir={}",
        p.sort.as_str(),
        if p.descending { "desc" } else { "asc" }
    );
    let org_cps = sb
        .cost_per_successful_outcome
        .map(|c| unit_money(c, &cur))
        .unwrap_or_else(|| "–".into());
    let foot = view! {
        <tr>
            <th scope="row">"Total"</th>
            <td class="num strong">{money(sb.org_total, &cur)}</td>
            {budget_gap()}
            <td class="num">{money(sb.token_cost, &cur)}</td>
            <td class="num">{money(sb.overhead + sb.commitment + sb.idle_commitment, &cur)}</td>
            <td></td>
            <td class="num">{count(sb.requests)}</td>
            <td class="num">{count(sb.successful_outcomes)}</td>
            <td class="num">{org_cps}</td>
            <td class="num">{per_success_tokens(sb.tokens_per_successful_outcome)}</td>
            {has_value.then(|| value_cells(sb.margin.as_ref(), &cur))}
        </tr>
    };
    let cards = cards(&p);
    let unpriced = unpriced_table(sb, viewer.is_admin);
    let charts = (trend_chart(&p, &palette), class_chart(&p));
    let movement = p.movement.as_ref().map(movement_section);
    let trend = p.trend.as_ref().map(trend_section);
    let months = p.months;
    let viewer = viewer.clone();
    render(move || {
        view! {
            <Shell title=format!("Showback {month}") viewer=Some(viewer) active=Nav::Showback>
                <div class="page-head">
                    <h1>{title}</h1>
                    <MonthPicker action="/" current=month months/>
                </div>
                {cards}
                <section aria-labelledby="teams-h">
                    <div class="section-head">
                        <h2 id="teams-h">"Teams"</h2>
                        <a class="download no-print" href=csv>"Download CSV"</a>
                    </div>
                    <DataTable id="teams" head=headers.into_any() foot=foot.into_any()>
                        {rows}{idle}
                    </DataTable>
                </section>
                {movement}
                {unpriced}
                <div class="charts">{charts}</div>
                {trend}
            </Shell>
        }
    })
}
