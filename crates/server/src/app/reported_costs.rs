//! The cost senders reported (LiteLLM's `response_cost`, a gateway's figure, an OpenTelemetry
//! span's cost attribute, a native event's `reported_cost`) beside tokentally's own price of
//! the same calls, per source, model and key: where a gateway's price list and the price
//! cards disagree. The reported figure never prices anything; showback and statements stay
//! on the cards.
//!
//! Only the calls that carry a reported cost are priced for the comparison (their tokens
//! summed first, then priced, as the ledger prices any rows), so a key whose calls report a
//! cost only in part is compared on that part.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::Serialize;
use tokentally_domain::catalog::canonical_provider;
use tokentally_domain::ledger::Ledger;
use tokentally_domain::month::Month;

use crate::app::connections::PULLED_PREFIX;
use crate::app::connections::compare::flagged;
use crate::app::reports::MonthContext;
use crate::state::AppState;
use crate::storage::StoreError;

/// Reported against computed for one group of calls.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportedCostLine {
    /// Where the figure came from: the events' source (`litellm`, `otlp`, `api`, ...).
    pub source: String,
    pub provider: String,
    pub model: String,
    /// Empty on the per-model lines.
    pub api_key: String,
    /// Calls that carried a reported cost.
    pub calls: u64,
    /// Σ what the sender reported.
    pub reported: Decimal,
    /// tokentally's effective cost of the same calls (price cards, tiers, discounts), to
    /// six places.
    pub computed: Decimal,
    /// reported − computed.
    pub difference: Decimal,
    /// Past 2% of the reported figure and past a cent (as provider cost reports are flagged).
    pub flagged: bool,
    /// Calls among them without a price card: computed counts them as nothing.
    pub unpriced_calls: u64,
}

/// The month's reported costs: per source, model and key, and per source and model.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReportedCosts {
    pub by_key: Vec<ReportedCostLine>,
    pub by_model: Vec<ReportedCostLine>,
}

type Group = (String, String, String, String);

#[derive(Default)]
struct Sums {
    calls: u64,
    reported: Decimal,
    computed: Decimal,
    unpriced_calls: u64,
}

fn line((source, provider, model, api_key): Group, s: &Sums) -> ReportedCostLine {
    let computed = s.computed.round_dp(6);
    ReportedCostLine {
        source,
        provider,
        model,
        api_key,
        calls: s.calls,
        reported: s.reported,
        computed,
        difference: s.reported - computed,
        flagged: flagged(computed, s.reported),
        unpriced_calls: s.unpriced_calls,
    }
}

/// Reads and compares the month's reported costs (the caller checked the capability).
pub async fn of_month(state: &AppState, month: Month) -> Result<ReportedCosts, StoreError> {
    let (calls, usage) = state
        .store
        .reported_costs(month.first_day(), month.last_day(), PULLED_PREFIX)
        .await?;
    if calls.is_empty() {
        return Ok(ReportedCosts::default());
    }
    let ctx = MonthContext::load(&state.store, &state.prices, month).await?;
    let (sources, rows): (Vec<String>, Vec<_>) = usage.into_iter().unzip();
    let ledger = Ledger::new(&rows, &ctx.data.discounts, &ctx.attributor, &ctx.book);
    let priced = ledger.summarize_indexed(|i, r| {
        Some((
            sources[i].clone(),
            canonical_provider(&r.row.key.provider),
            r.row.key.model.clone(),
            r.row.key.api_key.clone(),
        ))
    });
    let mut by_key: BTreeMap<Group, Sums> = BTreeMap::new();
    for c in calls {
        let s = by_key
            .entry((
                c.source,
                canonical_provider(&c.provider),
                c.model,
                c.api_key,
            ))
            .or_default();
        s.calls += 1;
        s.reported += c.amount;
    }
    for (group, summary) in priced {
        let s = by_key.entry(group).or_default();
        s.computed += summary.token_cost();
        s.unpriced_calls += summary.unpriced_events;
    }
    let mut by_model: BTreeMap<Group, Sums> = BTreeMap::new();
    for ((source, provider, model, _), s) in &by_key {
        let m = by_model
            .entry((
                source.clone(),
                provider.clone(),
                model.clone(),
                String::new(),
            ))
            .or_default();
        m.calls += s.calls;
        m.reported += s.reported;
        m.computed += s.computed;
        m.unpriced_calls += s.unpriced_calls;
    }
    Ok(ReportedCosts {
        by_key: by_key.into_iter().map(|(g, s)| line(g, &s)).collect(),
        by_model: by_model.into_iter().map(|(g, s)| line(g, &s)).collect(),
    })
}
