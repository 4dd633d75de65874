//! Did it pay? An accepted recommendation's feature, from the day it was accepted, against
//! the 30 days before: token cost per successful outcome, tokens per outcome, and the saving
//! realised against the one expected for as many days.
//!
//! Realised saving = (cost per success before − cost per success after) × successes after:
//! what the outcomes since cost less than they would have at the old unit cost. Expected for
//! the period = the monthly saving × days since ÷ 30. Unit costs here are token cost ÷
//! successful outcomes (overheads and commitments are shared by month, not by day).

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::attribution::Attributor;
use crate::ledger::Ledger;
use crate::rollup::WorkflowGroup;
use crate::unit_economics::{tokens_per, unit_cost, workflow_stats};

/// Days before the accept day the baseline looks at.
pub const BASELINE_DAYS: i64 = 30;

/// A feature's figures over a span of days (both ends included).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub token_cost: Decimal,
    pub successes: u64,
    pub tokens: u64,
    pub cost_per_success: Option<Decimal>,
    pub tokens_per_outcome: Option<Decimal>,
}

impl Window {
    pub fn days(&self) -> i64 {
        (self.to - self.from).num_days() + 1
    }
}

/// Sums a feature's usage in `[from, to]` out of ledgers (one per month the span touches)
/// and their months' workflows.
pub fn window(
    parts: &[(&Ledger<'_>, &[WorkflowGroup])],
    attributor: &Attributor,
    team: &str,
    feature: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Window {
    let mut cost = Decimal::ZERO;
    let mut successes = 0;
    let mut tokens = 0;
    for (ledger, workflows) in parts {
        let sums = ledger.summarize(|r| {
            (r.owner.team == team && r.owner.feature == feature && (from..=to).contains(&r.day()))
                .then_some(())
        });
        for s in sums.values() {
            cost += s.token_cost();
            successes += s.standalone_successes;
            tokens += s.tokens.total();
        }
        let flows = workflow_stats(workflows, attributor, |p| {
            (p.owner.team == team && p.owner.feature == feature && (from..=to).contains(&p.day))
                .then_some(())
        });
        successes += flows.values().map(|w| w.completed).sum::<u64>();
    }
    Window {
        from,
        to,
        token_cost: cost,
        successes,
        tokens,
        cost_per_success: unit_cost(cost, successes),
        tokens_per_outcome: tokens_per(tokens, successes),
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowUp {
    pub accepted_on: NaiveDate,
    pub before: Window,
    pub after: Window,
    /// The monthly saving expected, for as many days as have passed.
    pub expected: Decimal,
    /// `None` until both spans have successful outcomes.
    pub realised: Option<Decimal>,
}

/// Compares the spans; `monthly` is the saving expected when the recommendation was accepted.
pub fn follow_up(
    accepted_on: NaiveDate,
    before: Window,
    after: Window,
    monthly: Decimal,
) -> FollowUp {
    let exact = |w: &Window| (w.successes > 0).then(|| w.token_cost / Decimal::from(w.successes));
    let realised = exact(&before).zip(exact(&after)).map(|(b, a)| {
        ((b - a) * Decimal::from(after.successes))
            .round_dp(6)
            .normalize()
    });
    let expected = (monthly * Decimal::from(after.days()) / Decimal::from(BASELINE_DAYS))
        .round_dp(6)
        .normalize();
    FollowUp {
        accepted_on,
        before,
        after,
        expected,
        realised,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn w(from: &str, to: &str, cost: Decimal, successes: u64, tokens: u64) -> Window {
        Window {
            from: from.parse().unwrap(),
            to: to.parse().unwrap(),
            token_cost: cost,
            successes,
            tokens,
            cost_per_success: unit_cost(cost, successes),
            tokens_per_outcome: tokens_per(tokens, successes),
        }
    }

    #[test]
    fn realised_saving_is_the_unit_cost_drop_times_the_outcomes_since() {
        // Before: 3.50 for 1,000 successes (0.0035 each). After 3 days: 0.42 for 2,000
        // (0.00021 each). Realised: 0.00329 × 2,000 = 6.58; expected 3.29 × 3 ÷ 30 = 0.329.
        let f = follow_up(
            "2026-11-27".parse().unwrap(),
            w("2026-10-28", "2026-11-26", dec!(3.5), 1_000, 1_100_000),
            w("2026-11-27", "2026-11-29", dec!(0.42), 2_000, 2_200_000),
            dec!(3.29),
        );
        assert_eq!(f.realised, Some(dec!(6.58)));
        assert_eq!(f.expected, dec!(0.329));
        assert_eq!(f.after.tokens_per_outcome, Some(dec!(1100)));
        // Nothing since: nothing realised yet.
        let f = follow_up(
            "2026-11-27".parse().unwrap(),
            w("2026-10-28", "2026-11-26", dec!(3.5), 1_000, 1_100_000),
            w("2026-11-27", "2026-11-27", dec!(0), 0, 0),
            dec!(3.29),
        );
        assert_eq!(f.realised, None);
    }
}
