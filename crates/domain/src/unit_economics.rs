//! Unit economics: cost read per unit of value (a query, a successful outcome, a completed
//! workflow, an active user, a business transaction) and the ratios that explain it (waste,
//! cache hit rate, agent loop factor).
//!
//! The counts here are grouped like any view: each workflow is attributed as its final call,
//! each business-transaction report as the team and feature it names.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::Serialize;

use crate::attribution::{Attribution, Attributor, Basis};
use crate::event::Outcome;
use crate::ledger::{Point, Summary};
use crate::month::Month;
use crate::rollup::{WorkflowGroup, WorkflowRow};
use crate::transaction::BusinessTransactions;

/// Cost ÷ count, to a tenth of a cent's hundredth (6 places); none when the count is zero.
pub fn unit_cost(cost: Decimal, count: u64) -> Option<Decimal> {
    (count > 0).then(|| (cost / Decimal::from(count)).round_dp(6).normalize())
}

/// Tokens (input and output) per unit, one decimal place; none when the count is zero.
/// Token productivity: how many tokens one successful outcome took.
pub fn tokens_per(tokens: u64, count: u64) -> Option<Decimal> {
    (count > 0).then(|| {
        (Decimal::from(tokens) / Decimal::from(count))
            .round_dp(1)
            .normalize()
    })
}

/// Part ÷ whole in percent, one decimal place; none when the whole is zero.
pub fn percent(part: Decimal, whole: Decimal) -> Option<Decimal> {
    (!whole.is_zero()).then(|| {
        (part * Decimal::ONE_HUNDRED / whole)
            .round_dp(1)
            .normalize()
    })
}

/// Cost per million tokens, to 6 places; none without tokens.
pub fn cost_per_million(cost: Decimal, tokens: u64) -> Option<Decimal> {
    (tokens > 0).then(|| {
        (cost * Decimal::from(1_000_000u64) / Decimal::from(tokens))
            .round_dp(6)
            .normalize()
    })
}

/// What a group's workflows (those whose final call falls in it) add up to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct WorkflowStats {
    pub workflows: u64,
    /// Workflows whose outcome is success.
    pub completed: u64,
    pub calls: u64,
    /// Over workflows of two calls or more: Σ input of their first and of their final call.
    pub first_input: u64,
    pub last_input: u64,
}

impl WorkflowStats {
    pub(crate) fn add(&mut self, g: &WorkflowGroup) {
        self.workflows += g.workflows;
        self.completed += g.completed();
        self.calls += g.calls;
        self.first_input += g.first_input;
        self.last_input += g.last_input;
    }

    /// Agent loop factor: calls per workflow, two decimal places.
    pub fn calls_per_workflow(&self) -> Option<Decimal> {
        (self.workflows > 0).then(|| {
            (Decimal::from(self.calls) / Decimal::from(self.workflows))
                .round_dp(2)
                .normalize()
        })
    }

    /// Context compounding: how many times larger the final call's input is than the
    /// first's, over workflows of two calls or more (1 = no growth).
    pub fn context_growth(&self) -> Option<Decimal> {
        (self.first_input > 0).then(|| {
            (Decimal::from(self.last_input) / Decimal::from(self.first_input))
                .round_dp(2)
                .normalize()
        })
    }
}

/// Workflow statistics per group; `key` sees each workflow's owner and its final call.
pub fn workflow_stats<K: Ord>(
    workflows: &[WorkflowGroup],
    attributor: &Attributor,
    key: impl Fn(&Point<'_>) -> Option<K>,
) -> BTreeMap<K, WorkflowStats> {
    let mut out: BTreeMap<K, WorkflowStats> = BTreeMap::new();
    for w in workflows {
        let d = &w.dims;
        let tags = d.parse_tags();
        let owner = attributor.resolve(&d.event_dims(&tags), w.day);
        let p = Point {
            owner: &owner,
            provider: &d.provider,
            model: &d.model,
            api_key: &d.api_key,
            day: w.day,
            outcome: w.outcome,
        };
        if let Some(k) = key(&p) {
            out.entry(k).or_default().add(w);
        }
    }
    out
}

/// Business transactions of `month` per group; `key` sees each report as owned by the team
/// and feature it names (a team-wide report has an empty feature, which no line bears).
pub fn transactions<K: Ord>(
    reports: &[BusinessTransactions],
    month: Month,
    key: impl Fn(&Point<'_>) -> Option<K>,
) -> BTreeMap<K, u64> {
    let mut out: BTreeMap<K, u64> = BTreeMap::new();
    for_each_report(reports, month, key, |k, t| {
        *out.entry(k).or_default() += t.count;
    });
    out
}

/// Reported value of `month` per group, grouped like [`transactions`]; only groups with at
/// least one report carrying a value appear (a value of 0 is a value, none is not).
pub fn values<K: Ord>(
    reports: &[BusinessTransactions],
    month: Month,
    key: impl Fn(&Point<'_>) -> Option<K>,
) -> BTreeMap<K, Decimal> {
    let mut out: BTreeMap<K, Decimal> = BTreeMap::new();
    for_each_report(reports, month, key, |k, t| {
        if let Some(v) = t.value_total() {
            *out.entry(k).or_default() += v;
        }
    });
    out
}

fn for_each_report<K>(
    reports: &[BusinessTransactions],
    month: Month,
    key: impl Fn(&Point<'_>) -> Option<K>,
    mut each: impl FnMut(K, &BusinessTransactions),
) {
    for t in reports.iter().filter(|t| t.period.month() == month) {
        let owner = Attribution {
            team: t.team.clone(),
            // A team-wide report names no feature, so no feature line ever takes it.
            feature: t.feature.clone(),
            environment: None,
            basis: Basis::Tag,
            conflict: false,
        };
        let p = Point {
            owner: &owner,
            provider: "",
            model: "",
            api_key: "",
            day: month.first_day(),
            outcome: Outcome::Success,
        };
        if let Some(k) = key(&p) {
            each(k, t);
        }
    }
}

/// One workflow as the API lists it: its calls, its span in time, its outcome, what it cost
/// and how its context grew.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WorkflowCost {
    pub workflow_id: String,
    /// The owner of its final call.
    pub team: String,
    pub feature: String,
    pub first_at: chrono::DateTime<chrono::Utc>,
    pub last_at: chrono::DateTime<chrono::Utc>,
    pub calls: u64,
    pub requests: u64,
    /// The explicit outcome if set, else the final call's.
    pub outcome: Outcome,
    pub last_call_outcome: Outcome,
    pub explicit_outcome: Option<Outcome>,
    /// Effective cost of its calls, exact, and at list prices.
    pub cost: Decimal,
    pub list_cost: Decimal,
    /// Calls no price card prices yet (their tokens cost 0 until one does).
    pub unpriced_requests: u64,
    pub first_input_tokens: u64,
    pub last_input_tokens: u64,
    /// Input tokens added per step on average, from the first call to the final one.
    pub input_growth_per_step: Option<Decimal>,
}

/// Prices one workflow from its calls (summed like rollups), attributing it as its final
/// call.
pub fn workflow_cost(
    w: &WorkflowRow,
    calls: &[crate::ledger::UsageRow],
    discounts: &[crate::discount::Discount],
    attributor: &Attributor,
    book: &crate::catalog::PriceBook,
) -> WorkflowCost {
    let ledger = crate::ledger::Ledger::new(calls, discounts, attributor, book);
    let s = ledger
        .summarize(|_| Some(()))
        .remove(&())
        .unwrap_or_default();
    let d = &w.dims;
    let tags = d.parse_tags();
    let owner = attributor.resolve(&d.event_dims(&tags), w.day);
    WorkflowCost {
        workflow_id: w.workflow_id.clone(),
        team: owner.team,
        feature: owner.feature,
        first_at: w.first_at,
        last_at: w.last_at,
        calls: w.calls,
        requests: w.requests,
        outcome: w.outcome(),
        last_call_outcome: w.last_outcome,
        explicit_outcome: w.explicit_outcome,
        cost: s.token_cost().normalize(),
        list_cost: s.list_cost.total().normalize(),
        unpriced_requests: s.unpriced_requests,
        first_input_tokens: w.first_input,
        last_input_tokens: w.last_input,
        input_growth_per_step: (w.calls > 1).then(|| {
            ((Decimal::from(w.last_input) - Decimal::from(w.first_input))
                / Decimal::from(w.calls - 1))
            .round_dp(1)
            .normalize()
        }),
    }
}

/// Successful outcomes per group: successful calls outside workflows plus workflows whose
/// outcome (explicit, else their final call's) is success, attributed as their final call.
pub fn successes<K: Ord + Clone + std::hash::Hash>(
    summaries: &BTreeMap<K, Summary>,
    workflows: &[WorkflowGroup],
    attributor: &Attributor,
    key: impl Fn(&Point<'_>) -> Option<K>,
) -> BTreeMap<K, u64> {
    let mut out: BTreeMap<K, u64> = summaries
        .iter()
        .map(|(k, s)| (k.clone(), s.standalone_successes))
        .collect();
    for (k, stats) in workflow_stats(workflows, attributor, key) {
        *out.entry(k).or_default() += stats.completed;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn ratios_are_none_without_a_denominator() {
        assert_eq!(unit_cost(dec!(1), 0), None);
        assert_eq!(unit_cost(dec!(10), 3), Some(dec!(3.333333)));
        assert_eq!(percent(dec!(1), Decimal::ZERO), None);
        assert_eq!(percent(dec!(1), dec!(3)), Some(dec!(33.3)));
        assert_eq!(cost_per_million(dec!(2.5), 1_000_000), Some(dec!(2.5)));
        assert_eq!(cost_per_million(dec!(2.5), 0), None);
    }
}
