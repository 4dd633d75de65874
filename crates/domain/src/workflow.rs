//! One workflow read closely: its calls in order with each step's cost and context, and
//! whether it ran away (more calls, or more growth of context from its first call to its
//! last, than the ceilings an admin sets for the runaway lever).
//!
//! Each step is priced alone, on the card, tier, band and discount in force for it, exactly:
//! pricing is linear in tokens and nothing is rounded, so the steps add up to the workflow's
//! cost as [`crate::unit_economics::workflow_cost`] prices it from the same calls summed.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::attribution::Attributor;
use crate::catalog::PriceBook;
use crate::discount::Discount;
use crate::event::{Outcome, ServiceTier};
use crate::ledger::{Ledger, UsageRow};

/// Growth of context along a workflow: its final call's input ÷ its first call's, to two
/// places; none for a single call or a first call without input.
pub fn context_growth(calls: u64, first_input: u64, last_input: u64) -> Option<Decimal> {
    (calls > 1 && first_input > 0).then(|| {
        (Decimal::from(last_input) / Decimal::from(first_input))
            .round_dp(2)
            .normalize()
    })
}

/// Why a workflow counts as runaway.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Runaway {
    /// More calls than `max_calls_per_workflow`.
    pub calls: bool,
    /// Context grew more than `max_context_growth` times from the first call to the last.
    pub context: bool,
}

impl Runaway {
    pub fn any(&self) -> bool {
        self.calls || self.context
    }
}

/// Judges one workflow against the ceilings (the runaway lever's own settings). Growth is
/// compared unrounded, so a workflow exactly at the ceiling is not flagged.
pub fn runaway(
    calls: u64,
    first_input: u64,
    last_input: u64,
    max_calls: Decimal,
    max_growth: Decimal,
) -> Runaway {
    Runaway {
        calls: Decimal::from(calls) > max_calls,
        context: calls > 1
            && first_input > 0
            && Decimal::from(last_input) > max_growth * Decimal::from(first_input),
    }
}

/// One call of a workflow as stored: when, its id, and its usage (one event).
#[derive(Debug, Clone)]
pub struct Call {
    pub at: DateTime<Utc>,
    pub event_id: String,
    pub usage: UsageRow,
}

/// One step of a workflow, priced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    /// 1 for the first call.
    pub step: usize,
    pub at: DateTime<Utc>,
    pub event_id: String,
    pub provider: String,
    pub model: String,
    pub service_tier: ServiceTier,
    pub outcome: Outcome,
    pub requests: u64,
    /// The context the step read (its input tokens), and the part of it read from the cache.
    pub input_tokens: u64,
    pub cached_input_tokens: u64,
    pub output_tokens: u64,
    /// Input tokens added since the step before (negative when the context shrank); none for
    /// the first step.
    pub context_added: Option<i64>,
    /// Effective cost, exact.
    pub cost: Decimal,
    /// No price card prices this call yet (it costs 0 until one does).
    pub unpriced: bool,
}

/// Prices each call of a workflow alone, in the order given (time order).
pub fn steps(
    calls: &[Call],
    discounts: &[Discount],
    attributor: &Attributor,
    book: &PriceBook,
) -> Vec<Step> {
    let rows: Vec<UsageRow> = calls.iter().map(|c| c.usage.clone()).collect();
    let ledger = Ledger::new(&rows, discounts, attributor, book);
    let priced = ledger.summarize_indexed(|i, _| Some(i));
    let mut previous: Option<u64> = None;
    calls
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let s = priced.get(&i).cloned().unwrap_or_default();
            let k = &c.usage.key;
            let t = &c.usage.totals.tokens;
            let step = Step {
                step: i + 1,
                at: c.at,
                event_id: c.event_id.clone(),
                provider: k.provider.clone(),
                model: k.model.clone(),
                service_tier: k.service_tier,
                outcome: k.outcome,
                requests: c.usage.totals.requests,
                input_tokens: t.input,
                cached_input_tokens: t.cached_input,
                output_tokens: t.output,
                context_added: previous.map(|p| {
                    i64::try_from(t.input).unwrap_or(i64::MAX)
                        - i64::try_from(p).unwrap_or(i64::MAX)
                }),
                cost: s.token_cost().normalize(),
                unpriced: s.unpriced_requests > 0,
            };
            previous = Some(t.input);
            step
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use rust_decimal_macros::dec;

    use super::*;

    #[test]
    fn growth_is_last_over_first_for_two_calls_or_more() {
        assert_eq!(context_growth(3, 1_000, 4_500), Some(dec!(4.5)));
        assert_eq!(context_growth(1, 1_000, 1_000), None);
        assert_eq!(context_growth(2, 0, 1_000), None);
        assert_eq!(context_growth(2, 3, 10), Some(dec!(3.33)));
    }

    #[test]
    fn a_workflow_runs_away_on_calls_or_on_context_beyond_the_ceilings() {
        let (calls, growth) = (dec!(10), dec!(4));
        assert_eq!(runaway(10, 1_000, 4_000, calls, growth), Runaway::default());
        let r = runaway(11, 1_000, 4_000, calls, growth);
        assert!(r.calls && !r.context && r.any());
        let r = runaway(3, 1_000, 4_001, calls, growth);
        assert!(!r.calls && r.context);
        assert!(!runaway(1, 1, 1_000_000, calls, growth).any(), "one call");
    }
}
