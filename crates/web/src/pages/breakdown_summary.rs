//! The cards at the top of a drill-down page, from the typed figures of its team, feature,
//! key or model: every amount, count and percentage is formatted here.

use leptos::prelude::*;
use rust_decimal::Decimal;
use tokentally_domain::drilldown::Line;
use tokentally_domain::margin::Margin;
use tokentally_domain::month::Month;
use tokentally_domain::showback::TeamShowback;

use super::showback_page::{TeamBudget, per_success_tokens};
use crate::components::Card;
use crate::format::{count, money, pct, share, signed_pct, tokens, unit_money};

/// What the cards of a drill-down page sum up. The large figures are boxed so that the
/// variants stay small.
#[derive(Debug, Clone)]
pub enum Summary {
    /// A team: its showback row, its drill-down total (workflows, users, transactions) and
    /// its budget for the month.
    Team {
        row: Box<TeamShowback>,
        total: Box<Line>,
        budget: Option<TeamBudget>,
    },
    /// A feature of a team, as one line.
    Feature { line: Box<Line> },
    /// An API key: its token cost, requests and who owns it at the month's end.
    Key {
        token_cost: Decimal,
        requests: u64,
        owner: String,
    },
    /// A model: its token cost, requests and standard rates, when it has a price card.
    Model {
        token_cost: Decimal,
        requests: u64,
        rates: Option<Rates>,
    },
    /// Every model and provider in the month.
    Models {
        token_cost: Decimal,
        requests: u64,
        models: usize,
        providers: usize,
        successful_outcomes: u64,
    },
}

/// A model's standard-tier rates per 1,000,000 tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rates {
    pub input: Decimal,
    pub output: Decimal,
}

/// One card's text.
struct Figure {
    label: &'static str,
    value: String,
    sub: String,
}

fn figure(label: &'static str, value: String, sub: impl Into<String>) -> Figure {
    Figure {
        label,
        value,
        sub: sub.into(),
    }
}

fn dash() -> String {
    "–".to_owned()
}

fn unit(amount: Option<Decimal>, currency: &str) -> String {
    amount.map_or_else(dash, |a| unit_money(a, currency))
}

fn workflows(line: &Line) -> String {
    format!(
        "{} of {} workflows; {} calls each; token cost of their calls",
        count(line.completed_workflows),
        count(line.workflows),
        line.calls_per_workflow.map_or_else(dash, |c| c.to_string())
    )
}

/// The value and margin cards of a team or feature with a reported value.
fn value_cards(m: &Margin, cur: &str) -> [Figure; 2] {
    let roi = m.roi.map_or_else(dash, |r| format!("{r}×"));
    let share_of_value = m.cost_share_of_value.map_or_else(dash, pct);
    let per_million = m
        .value_per_million_tokens
        .map_or_else(dash, |v| unit_money(v, cur));
    let verdict = if m.earns_less_than_it_burns {
        "earns less than it burns"
    } else {
        "earns more than it burns"
    };
    [
        figure(
            "Value",
            money(m.value, cur),
            format!("ROI {roi}; {per_million} per 1M tokens"),
        ),
        figure(
            "Margin",
            money(m.margin, cur),
            format!("{verdict}: cost is {share_of_value} of value"),
        ),
    ]
}

fn team(
    row: &TeamShowback,
    total: &Line,
    budget: &Option<TeamBudget>,
    month: Month,
    cur: &str,
) -> Vec<Figure> {
    let previous = month.previous();
    let change = match (row.mom_change, row.mom_change_pct) {
        (Some(c), Some(p)) => format!("{} ({}) vs {previous}", money(c, cur), signed_pct(p)),
        (Some(c), None) => format!("{} vs {previous}", money(c, cur)),
        _ => "new this month".into(),
    };
    let shared = row.overhead + row.commitment;
    let budget = match budget {
        Some(b) => figure(
            "Budget",
            money(b.amount, cur),
            format!(
                "{}: month-end forecast {}",
                b.status,
                money(b.month_end, cur)
            ),
        ),
        None => figure("Budget", dash(), "none set for the month"),
    };
    let mut cards = vec![
        figure("Blended cost", money(row.blended_cost, cur), change),
        figure(
            "Token cost",
            money(row.token_cost, cur),
            format!("{} tokens", tokens(row.tokens.total())),
        ),
        figure(
            "Overhead & commitments",
            money(shared, cur),
            format!("{} of blended", share(shared, row.blended_cost)),
        ),
        figure(
            "Requests",
            count(row.requests),
            format!(
                "{} successful outcomes (a workflow counts once)",
                count(row.successful_outcomes)
            ),
        ),
        figure(
            "Cost per success",
            unit(row.cost_per_successful_outcome, cur),
            format!(
                "{} tokens per success",
                per_success_tokens(row.tokens_per_successful_outcome)
            ),
        ),
        figure("Waste", money(row.waste, cur), "failed and retried calls"),
        figure(
            "Cost per completed workflow",
            unit(total.cost_per_workflow_completion, cur),
            workflows(total),
        ),
        figure(
            "Cost per active user",
            unit(total.cost_per_active_user, cur),
            format!("{} distinct users", count(total.active_users)),
        ),
        budget,
        figure(
            "Cost per business transaction",
            unit(total.cost_per_transaction, cur),
            format!("{} transactions reported", count(total.transactions)),
        ),
    ];
    if let Some(m) = &total.margin {
        cards.extend(value_cards(m, cur));
    }
    cards
}

fn feature(line: &Line, cur: &str) -> Vec<Figure> {
    let percent = |p: Option<Decimal>| p.map_or_else(dash, pct);
    let mut cards = vec![
        figure(
            "Blended cost",
            money(line.blended_cost, cur),
            format!(
                "{} tokens + {} overhead + {} commitment",
                money(line.token_cost, cur),
                money(line.overhead, cur),
                money(line.commitment, cur)
            ),
        ),
        figure(
            "Cost per query",
            unit(line.cost_per_query, cur),
            format!("{} requests", count(line.requests)),
        ),
        figure(
            "Cost per success",
            unit(line.cost_per_successful_outcome, cur),
            format!(
                "{} successful outcomes (a workflow counts once), {} tokens each",
                count(line.successful_outcomes),
                per_success_tokens(line.tokens_per_successful_outcome)
            ),
        ),
        figure(
            "Cost per active user",
            unit(line.cost_per_active_user, cur),
            format!("{} distinct users", count(line.active_users)),
        ),
        figure(
            "Cost per completed workflow",
            unit(line.cost_per_workflow_completion, cur),
            workflows(line),
        ),
        figure(
            "Cost per business transaction",
            unit(line.cost_per_transaction, cur),
            format!("{} transactions reported", count(line.transactions)),
        ),
        figure(
            "Cache hit rate",
            percent(line.cache_hit_rate),
            "cached ÷ input tokens",
        ),
        figure(
            "Failure and retry cost",
            money(line.waste, cur),
            format!("{} of token cost", percent(line.waste_share)),
        ),
    ];
    if let Some(m) = &line.margin {
        cards.extend(value_cards(m, cur));
    }
    cards
}

fn token_cost_and_requests(token_cost: Decimal, requests: u64, cur: &str) -> [Figure; 2] {
    [
        figure(
            "Token cost",
            money(token_cost, cur),
            "tokens only; overheads are shared by team",
        ),
        figure("Requests", count(requests), ""),
    ]
}

fn figures(summary: &Summary, month: Month, cur: &str) -> Vec<Figure> {
    match summary {
        Summary::Team { row, total, budget } => team(row, total, budget, month, cur),
        Summary::Feature { line } => feature(line, cur),
        Summary::Key {
            token_cost,
            requests,
            owner,
        } => {
            let mut cards = Vec::from(token_cost_and_requests(*token_cost, *requests, cur));
            cards.push(figure(
                "Owner at month end",
                owner.clone(),
                "from the key's mapping",
            ));
            cards
        }
        Summary::Model {
            token_cost,
            requests,
            rates,
        } => {
            let rates = match rates {
                Some(r) => format!(
                    "{} in / {} out per 1M tokens",
                    crate::format::rate(r.input, cur),
                    crate::format::rate(r.output, cur)
                ),
                None => "no price card: unpriced".into(),
            };
            let mut cards = Vec::from(token_cost_and_requests(*token_cost, *requests, cur));
            cards.push(figure("Rates", rates, "standard tier"));
            cards
        }
        Summary::Models {
            token_cost,
            requests,
            models,
            providers,
            successful_outcomes,
        } => {
            let mut cards = Vec::from(token_cost_and_requests(*token_cost, *requests, cur));
            cards.push(figure(
                "Models",
                count(*models as u64),
                format!("from {} providers", count(*providers as u64)),
            ));
            cards.push(figure(
                "Successful outcomes",
                count(*successful_outcomes),
                format!(
                    "{} per request",
                    share(
                        Decimal::from(*successful_outcomes),
                        Decimal::from(*requests)
                    )
                ),
            ));
            cards
        }
    }
}

/// The summary's cards, in a row.
#[component]
pub fn SummaryCards(summary: Summary, month: Month, currency: String) -> impl IntoView {
    let cards = figures(&summary, month, &currency)
        .into_iter()
        .map(|f| view! { <Card label=f.label value=f.value sub=f.sub/> })
        .collect_view();
    view! { <div class="cards">{cards}</div> }
}
