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
use crate::components::charts::{Bar, Palette, legend, stack_order, stacked_bars, stacked_rows};
use crate::components::{
    Card, Column, DataTable, EnvironmentFilter, EnvironmentNote, Figure, InteractiveTable,
    ReportFilter, Tone,
};
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
    /// A lead's own teams' budgets for the current month, whatever month the page shows;
    /// none for those who see everything (the budgets page has the organisation's).
    pub own_budgets: Option<OwnBudgets>,
    /// Each team's colour slot (see [`Palette::teams`]): the same whatever the month or viewer.
    pub colour_slots: std::collections::BTreeMap<String, usize>,
    /// The environment the page is narrowed to, and the month's environments to choose from.
    pub environment: EnvironmentFilter,
    /// The team table's filter (`q`): only teams whose name holds it are listed; the total
    /// stays the organisation's.
    pub filter: Option<String>,
}

/// The budgets of a lead's teams for the month that runs now.
#[derive(Debug, Clone)]
pub struct OwnBudgets {
    pub month: Month,
    pub rows: Vec<OwnBudget>,
}

/// One team's budget: what it has spent so far, the budget, where the month-end forecast
/// puts it, and its status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnBudget {
    pub team: String,
    pub spent: Decimal,
    pub budget: TeamBudget,
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
                <td class="num pair" title=title><span>{money(b.amount, currency)}</span>" "<span class=class>{b.status.clone()}</span></td>
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
        "/?month={}&sort={}&dir={}{}{}",
        p.showback.month,
        key.as_str(),
        if next_desc { "desc" } else { "asc" },
        p.environment.query(),
        filter_query(p.filter.as_deref())
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
    change_figures(t.mom_change, t.mom_change_pct, currency)
}

/// A change against last month as a cell: the amount, and its percentage where last month
/// was not zero; "new" when there was no last month. The two may sit on two lines.
fn change_figures(
    change: Option<Decimal>,
    pct: Option<Decimal>,
    currency: &str,
) -> impl IntoView + use<> {
    let class = match change {
        Some(c) if c > Decimal::ZERO => "num pair up",
        Some(c) if c < Decimal::ZERO => "num pair down",
        _ => "num pair",
    };
    let amount = change.map_or_else(|| "new".to_owned(), |c| money(c, currency));
    let pct = change
        .and(pct)
        .map(|p| view! { " "<span>{format!("({})", signed_pct(p))}</span> });
    view! { <td class=class><span>{amount}</span>{pct}</td> }
}

fn team_row(
    t: &TeamShowback,
    month: Month,
    env: &str,
    currency: &str,
    palette: &Palette,
    budget: Option<Option<&TeamBudget>>,
    with_value: bool,
) -> impl IntoView + use<> {
    let budget = budget.map(|b| budget_cell(b, currency));
    let value = with_value.then(|| value_cells(t.margin.as_ref(), currency));
    let href = format!("/teams/{}?month={month}{env}", urlencode(&t.team));
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

/// `&q=…` for a filter, nothing without one.
fn filter_query(filter: Option<&str>) -> String {
    filter
        .filter(|q| !q.trim().is_empty())
        .map(|q| format!("&q={}", urlencode(q.trim())))
        .unwrap_or_default()
}

/// The team table's filter, a GET form that keeps the month, order and environment: it
/// works without JavaScript (the server lists the matching teams); the table's island answers
/// it in place as one types. The line beside it says how many teams match.
fn filter_form(p: &ShowbackPage, shown: usize, total: usize) -> impl IntoView + use<> {
    let query = p.filter.clone().unwrap_or_default();
    let status = crate::islands::order::status(shown, total, &query);
    let env = p
        .environment
        .current
        .clone()
        .map(|e| view! { <input type="hidden" name="env" value=e/> });
    let month = p.showback.month.to_string();
    let sort = p.sort.as_str();
    let dir = if p.descending { "desc" } else { "asc" };
    view! {
        <form method="get" action="/" class="table-filter no-print" role="search">
            <input type="hidden" name="month" value=month/>
            <input type="hidden" name="sort" value=sort/>
            <input type="hidden" name="dir" value=dir/>
            {env}
            <label for="team-filter">"Filter teams"</label>
            <input type="search" id="team-filter" name="q" value=query autocomplete="off"/>
            <button type="submit">"Filter"</button>
            <span class="filter-status" role="status">{status}</span>
        </form>
    }
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

/// The total's change against last month, as an amount and a percentage (rounded as a
/// team's is): the headline card and the table's total row both show this one figure. None
/// when last month had no cost.
pub fn org_change(sb: &Showback) -> Option<(Decimal, Decimal)> {
    let prev = sb.previous_org_total.filter(|p| !p.is_zero())?;
    let change = sb.org_total - prev;
    Some((change, (change / prev * Decimal::ONE_HUNDRED).round_dp(1)))
}

fn cards(p: &ShowbackPage, sees_everything: bool) -> impl IntoView + use<> {
    let sb = &p.showback;
    let cur = sb.currency.clone();
    let shared = sb.overhead + sb.commitment + sb.idle_commitment;
    let change = match org_change(sb) {
        Some((amount, pct)) => format!(
            "{} ({}) vs {}",
            money(amount, &cur),
            signed_pct(pct),
            sb.month.previous()
        ),
        None => "no earlier month".to_owned(),
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
    // Unallocated spend and unpriced models are the organisation's: a lead sees neither, so
    // for them the two cards would always read zero.
    let org_wide = sees_everything.then(|| view! {
        <Card label="Unallocated" value=money(unallocated, &cur) sub=format!("{} of blended", share(unallocated, sb.org_total)) tone=Tone::Warn/>
        <Card label="Unpriced usage" value=format!("{} requests", count(unpriced_requests)) sub=format!("{} tokens, {} models", tokens(unpriced_tokens), sb.unpriced.len())/>
    });
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
            {org_wide}
        </div>
    }
}

/// The history the trend chart shows: from the first month with any cost on; the months
/// before it would be empty bars (a new organisation, or a lead's team that started later).
pub fn charted_history(history: &[MonthTotals]) -> &[MonthTotals] {
    let first = history
        .iter()
        .position(|m| m.by_team.iter().any(|(_, amount)| !amount.is_zero()))
        .unwrap_or(history.len());
    &history[first..]
}

/// A lead's budgets for the month that runs now, above everything else on their landing page.
fn own_budgets(b: &OwnBudgets, cur: &str) -> impl IntoView + use<> {
    let heading = format!("Your budgets, {} (month to date)", b.month);
    let body = if b.rows.is_empty() {
        Either::Left(view! {
            <p class="muted" id="own-budgets-none">"No budget is set for your teams this month. "<a href="/budgets">"Budgets"</a>" lists them as they are set."</p>
        })
    } else {
        let rows = b
            .rows
            .iter()
            .map(|r| {
                let href = format!("/teams/{}?month={}", urlencode(&r.team), b.month);
                let class = if r.budget.status == "on track" {
                    "badge"
                } else {
                    "badge warn"
                };
                view! {
                    <tr>
                        <th scope="row"><a href=href>{r.team.clone()}</a></th>
                        <td class="num">{money(r.spent, cur)}</td>
                        <td class="num">{money(r.budget.amount, cur)}</td>
                        <td class="num">{share(r.spent, r.budget.amount)}</td>
                        <td class="num">{money(r.budget.month_end, cur)}</td>
                        <td><span class=class>{r.budget.status.clone()}</span></td>
                    </tr>
                }
            })
            .collect_view();
        let columns = vec![
            Column::text("Team"),
            Column::num("Spent so far"),
            Column::num("Budget"),
            Column::num("Used"),
            Column::num("Forecast, month end"),
            Column::text("Status"),
        ];
        Either::Right(view! { <DataTable id="own-budgets" columns>{rows}</DataTable> })
    };
    view! {
        <section aria-labelledby="own-budgets-h" class="own-budgets">
            <h2 id="own-budgets-h">{heading}</h2>
            {body}
        </section>
    }
}

fn trend_chart(p: &ShowbackPage, palette: &Palette) -> impl IntoView + use<> {
    let cur = &p.showback.currency;
    let history = charted_history(&p.history);
    // One stacking order for every month: a team sits at the same height in each bar.
    let order = stack_order(
        history
            .iter()
            .flat_map(|m| m.by_team.iter())
            .filter(|(_, amount)| !amount.is_zero())
            .map(|(team, _)| team.as_str()),
    );
    let bars: Vec<Bar> = history
        .iter()
        .map(|m| Bar {
            label: m.month.to_string(),
            segments: order
                .iter()
                .filter_map(|team| {
                    m.by_team
                        .iter()
                        .find(|(t, _)| t == team)
                        .map(|(t, amount)| (t.clone(), *amount))
                })
                .collect(),
        })
        .collect();
    let svg = stacked_bars(&bars, palette, cur, None);
    let alt = history
        .iter()
        .map(|m| {
            format!(
                "{}: {}",
                m.month,
                money(m.by_team.iter().map(|t| t.1).sum(), cur)
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    let caption = match history.len() {
        0 => "Blended cost by team: no usage in the last 12 months".to_owned(),
        1 => "Blended cost by team, this month".to_owned(),
        n if n == p.history.len() => "Blended cost by team, last 12 months".to_owned(),
        n => format!("Blended cost by team, the {n} months since the first usage"),
    };
    view! {
        <Figure
            caption
            legend=legend(&order, palette)
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
    let names: Vec<String> = shown.iter().map(|c| c.label().to_owned()).collect();
    view! {
        <Figure
            caption="Token cost by class, per team"
            legend=legend(&names, &classes)
            alt="Horizontal bars of each team's token cost split into uncached input, cached input, cache write, output and reasoning; the same figures are in the CSV export."
            svg
        />
    }
}

fn unpriced_table(sb: &Showback, admin: bool, env: &str) -> impl IntoView + use<> {
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
                <a class="download no-print" href=format!("/showback.csv?month={}&table=unpriced{env}", sb.month)>"Download CSV"</a>
            </div>
            <p class="muted">"These models have no price card: their tokens are counted but cost nothing yet."</p>
            <div class="table-scroll">
                <table>
                    <thead><tr><th scope="col">"Model"</th><th scope="col" class="num">"Requests"</th><th scope="col" class="num">"Input"</th><th scope="col" class="num">"Output"</th></tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
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
    // A team's colour is its slot's, the same in every month and for every viewer.
    let palette = Palette::teams(p.colour_slots.clone());
    // Value and margin columns appear once any value is reported for the month.
    let has_value = sb.margin.is_some();
    let env = p.environment.query();
    let listed: Vec<&TeamShowback> = sb
        .teams
        .iter()
        .filter(|t| {
            crate::islands::order::matches(&t.team, p.filter.as_deref().unwrap_or_default())
        })
        .collect();
    let filter = filter_form(&p, listed.len(), sb.teams.len());
    let rows = listed
        .into_iter()
        .map(|t| {
            let budget = (!p.budgets.is_empty()).then(|| p.budgets.get(&t.team));
            team_row(t, month, &env, &cur, &palette, budget, has_value)
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
        "/showback.csv?month={month}&sort={}&dir={}{env}{}",
        p.sort.as_str(),
        if p.descending { "desc" } else { "asc" },
        filter_query(p.filter.as_deref())
    );
    let org_cps = sb
        .cost_per_successful_outcome
        .map(|c| unit_money(c, &cur))
        .unwrap_or_else(|| "–".into());
    let total_change = match org_change(sb) {
        Some((amount, pct)) => change_figures(Some(amount), Some(pct), &cur).into_any(),
        None => view! { <td class="num muted">"–"</td> }.into_any(),
    };
    let foot = view! {
        <tr>
            <th scope="row">"Total"</th>
            <td class="num strong">{money(sb.org_total, &cur)}</td>
            {budget_gap()}
            <td class="num">{money(sb.token_cost, &cur)}</td>
            <td class="num">{money(sb.overhead + sb.commitment + sb.idle_commitment, &cur)}</td>
            {total_change}
            <td class="num">{count(sb.requests)}</td>
            <td class="num">{count(sb.successful_outcomes)}</td>
            <td class="num">{org_cps}</td>
            <td class="num">{per_success_tokens(sb.tokens_per_successful_outcome)}</td>
            {has_value.then(|| value_cells(sb.margin.as_ref(), &cur))}
        </tr>
    };
    let cards = cards(&p, viewer.sees_everything);
    let own_budgets = p.own_budgets.as_ref().map(|b| own_budgets(b, &cur));
    let unpriced = unpriced_table(sb, viewer.is_admin, &env);
    let charts = (trend_chart(&p, &palette), class_chart(&p));
    let movement = p.movement.as_ref().map(movement_section);
    let trend = p.trend.as_ref().map(trend_section);
    let months = p.months;
    let environments = p.environment;
    let viewer = viewer.clone();
    render(move || {
        view! {
            <Shell title=format!("Showback {month}") viewer=Some(viewer) active=Nav::Showback>
                <div class="page-head">
                    <h1>{title}</h1>
                    <ReportFilter action="/" current=month months environments=environments.clone()/>
                </div>
                <EnvironmentNote action="/" filter=environments.clone() month/>
                {own_budgets}
                {cards}
                <section aria-labelledby="teams-h">
                    <div class="section-head">
                        <h2 id="teams-h">"Teams"</h2>
                        <a class="download no-print" href=csv>"Download CSV"</a>
                    </div>
                    <InteractiveTable>
                        {filter}
                        <DataTable id="teams" head=headers.into_any() foot=foot.into_any()>
                            {rows}{idle}
                        </DataTable>
                    </InteractiveTable>
                </section>
                {movement}
                {unpriced}
                <div class="charts">{charts}</div>
                {trend}
            </Shell>
        }
    })
}
