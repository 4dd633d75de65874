//! Helpers shared by the domain's integration tests: events, cards, mappings, overheads.

#![allow(dead_code)]

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde_json::Value;
use tokentally_domain::allocation::{Allocation, Overhead};
use tokentally_domain::attribution::KeyMapping;
use tokentally_domain::catalog::PriceBook;
use tokentally_domain::event::{ServiceTier, UsageEvent};
use tokentally_domain::month::Month;
use tokentally_domain::price_card::{PriceCard, Rates};
use tokentally_domain::rollup::{WorkflowGroup, WorkflowRow, fold, fold_workflows};
use tokentally_domain::showback::{MonthData, Showback, TeamShowback, UsageRow};
use tokentally_domain::tokens::TokenCounts;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

pub fn now() -> DateTime<Utc> {
    "2026-05-01T00:00:00Z".parse().unwrap()
}

pub fn month(s: &str) -> Month {
    s.parse().unwrap()
}

pub fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

pub fn ev(v: Value) -> UsageEvent {
    UsageEvent::from_json(&v, now()).unwrap_or_else(|e| panic!("bad test event {v}: {e}"))
}

/// What storage would hold for these events: their rollup rows and workflows.
pub fn month_data(events: &[UsageEvent], overheads: Vec<Overhead>) -> MonthData {
    let rows = fold(events)
        .into_iter()
        .map(|(key, totals)| UsageRow { key, totals })
        .collect();
    let workflows = workflow_groups(&workflow_rows(events));
    MonthData {
        rows,
        workflows,
        overheads,
        users: user_words(events),
        ..MonthData::default()
    }
}

/// The user words storage would hold for these events, users numbered in name order.
pub fn user_words(events: &[UsageEvent]) -> Vec<tokentally_domain::rollup::UserWord> {
    let days = tokentally_domain::rollup::fold_users(events);
    let names: std::collections::BTreeSet<&str> = days.iter().map(|u| u.user.as_str()).collect();
    let names: Vec<&str> = names.into_iter().collect();
    tokentally_domain::rollup::user_words(&days, |u| names.binary_search(&u).ok().map(|i| i as u64))
}

/// The workflows storage would hold for these events, before any explicit outcome.
pub fn workflow_rows(events: &[UsageEvent]) -> Vec<WorkflowRow> {
    fold_workflows(events)
        .into_iter()
        .map(|(workflow_id, d)| WorkflowRow::of(workflow_id, d))
        .collect()
}

/// Workflows as showback reads them: one group each (storage sums alike ones, which counts
/// the same).
pub fn workflow_groups(rows: &[WorkflowRow]) -> Vec<WorkflowGroup> {
    rows.iter().map(WorkflowGroup::of).collect()
}

pub fn card(provider: &str, model: &str, from: &str, rates: Rates) -> PriceCard {
    PriceCard {
        provider: provider.into(),
        model: model.into(),
        effective_from: day(from),
        rates,
        tiers: BTreeMap::new(),
        long_context: Vec::new(),
        origin: "test".into(),
    }
}

pub fn rates(
    input: Decimal,
    cached_input: Option<Decimal>,
    cache_write: Option<Decimal>,
    output: Decimal,
) -> Rates {
    Rates {
        input: Some(input),
        cached_input,
        cache_write,
        output: Some(output),
        ..Rates::default()
    }
}

/// openai/gpt-4o: 2.50 input, 1.25 cached, 10 output; batch 1.25 input, 5 output.
/// anthropic/claude-sonnet-4: 3 input, 0.30 cache read, 3.75 cache write, 15 output
/// (reasoning at the output rate).
pub fn book() -> PriceBook {
    let mut gpt = card(
        "openai",
        "gpt-4o",
        "2024-01-01",
        rates(dec!(2.5), Some(dec!(1.25)), None, dec!(10)),
    );
    gpt.tiers.insert(
        ServiceTier::Batch,
        Rates {
            input: Some(dec!(1.25)),
            output: Some(dec!(5)),
            ..Rates::default()
        },
    );
    let claude = card(
        "anthropic",
        "claude-sonnet-4",
        "2024-01-01",
        rates(dec!(3), Some(dec!(0.3)), Some(dec!(3.75)), dec!(15)),
    );
    PriceBook::new(vec![gpt, claude])
}

pub fn mapping(key: &str, team: &str, from: &str) -> KeyMapping {
    KeyMapping {
        api_key: key.into(),
        team: team.into(),
        feature: None,
        environment: None,
        valid_from: day(from),
    }
}

pub fn overhead(m: &str, category: &str, amount: Decimal, allocation: Allocation) -> Overhead {
    Overhead {
        month: month(m),
        category: category.into(),
        amount,
        allocation,
    }
}

pub fn team<'a>(sb: &'a Showback, name: &str) -> &'a TeamShowback {
    sb.team(name).unwrap_or_else(|| {
        panic!(
            "no team {name} in {:?}",
            sb.teams.iter().map(|t| &t.team).collect::<Vec<_>>()
        )
    })
}

pub fn tokens(input: u64, cached: u64, write: u64, output: u64, reasoning: u64) -> TokenCounts {
    TokenCounts::new(input, cached, write, output, reasoning).unwrap()
}
