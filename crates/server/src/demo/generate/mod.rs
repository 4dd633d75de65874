//! A deterministic, realistic demo organisation: usage events, key mappings, one virtual-tag
//! rule and monthly overheads, for `tokentally demo`.
//!
//! [`generate`] is a pure function of its [`DemoSpec`]: no IO, no clock, no global random
//! state. Randomness comes from a small SplitMix64 generator (`rng`), seeded per
//! (month, feature, day) from `spec.seed`, so the same spec always yields the same data, and the
//! past does not change when only `now` moves forward within a month.
//!
//! The organisation: seven teams (search, support, growth, data-platform, legal-ai, mobile and
//! sales), 24 features that get spend, 40 API keys across prod, staging and dev (one owned but
//! never used, one used only in the first two months). Support and mobile call through a
//! gateway that tags events with team, feature and environment; sales is known only by those
//! tags (its keys have no mapping). Five keys are unmapped, one key is mapped only from the 15th
//! of the second-to-last month, one key's gateway tag names an old team (a conflict), and a
//! batch-eval key is attributed by the one virtual-tag rule. One internal model no price file
//! knows keeps the Unpriced bucket busy. Legal-ai has a spike week (an acquisition's due
//! diligence) two months before the last. A gpt-4o commitment is well used every month but
//! the current one; reserved Claude 3.5 Sonnet capacity from the second-to-last month is used
//! under its floor (an idle commitment); two features are marked not latency-bound (the
//! batch/flex lever).
//!
//! One file per seam: `features` (the models and the features that call them), `keys` (API keys,
//! their owners, the virtual-tag rule), `costs` (overheads, commitments, business transactions),
//! `events` (the usage events of a month) and `rng` (the random streams).

mod costs;
mod events;
mod features;
mod keys;
mod rng;
#[cfg(test)]
mod tests;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use tokentally_domain::allocation::Overhead;
use tokentally_domain::attribution::{KeyMapping, Rule};
use tokentally_domain::commitment::Commitment;
use tokentally_domain::discount::Discount;
use tokentally_domain::event::UsageEvent;
use tokentally_domain::month::Month;
use tokentally_domain::recommendation::FeatureRef;
use tokentally_domain::transaction::BusinessTransactions;

use costs::{NOT_LATENCY_BOUND, commitments, overheads, transactions};
use events::month_events;
use features::FEATURES;
use keys::{mappings, rules};

/// The seed [`DemoSpec::ending`] uses.
pub const DEFAULT_SEED: u64 = 42;
/// How many months [`DemoSpec::ending`] covers, the current one included.
pub const DEFAULT_MONTHS: u32 = 6;
/// The average number of event rows per (full) month [`DemoSpec::ending`] asks for.
pub const DEFAULT_EVENTS_PER_MONTH: u32 = 30_000;
/// The `source` of every demo event.
pub const SOURCE: &str = "demo";
/// Month-over-month growth of the whole organisation's traffic.
const MONTHLY_GROWTH: f64 = 1.08;
/// The team with a spike week, and the days of that week.
const SPIKE_TEAM: &str = "legal-ai";
const SPIKE_DAYS: std::ops::RangeInclusive<u32> = 8..=14;
const SPIKE_FACTOR: f64 = 4.0;

/// Everything the demo organisation is made of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoData {
    /// Sorted by timestamp; ids are `demo-<YYYY-MM>-<n>`, numbered in time order per month.
    pub events: Vec<UsageEvent>,
    pub mappings: Vec<KeyMapping>,
    pub rules: Vec<Rule>,
    pub overheads: Vec<Overhead>,
    pub commitments: Vec<Commitment>,
    pub discounts: Vec<Discount>,
    pub transactions: Vec<BusinessTransactions>,
    /// Features their owners mark as not latency-bound (a recommendations setting).
    pub not_latency_bound: Vec<FeatureRef>,
}

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoSpec {
    pub seed: u64,
    /// The last month generated; the months are `last_month - (months-1) ..= last_month`.
    pub last_month: Month,
    pub months: u32,
    /// The average number of event rows in a full month; the first month has fewer and the
    /// last more (≈ +8% a month), and the month of `now` only its days up to `now`.
    pub events_per_month: u32,
    /// No event lies after it.
    pub now: DateTime<Utc>,
}

impl DemoSpec {
    /// The default demo ending at `now`: six months, the last one being the month of `now`
    /// (month to date).
    pub fn ending(now: DateTime<Utc>) -> Self {
        Self {
            seed: DEFAULT_SEED,
            last_month: Month::of(now.date_naive()),
            months: DEFAULT_MONTHS,
            events_per_month: DEFAULT_EVENTS_PER_MONTH,
            now,
        }
    }

    /// The months covered, oldest first.
    pub fn month_list(&self) -> Vec<Month> {
        let mut months = Vec::with_capacity(self.months as usize);
        let mut m = self.last_month;
        for _ in 0..self.months {
            months.push(m);
            m = m.previous();
        }
        months.reverse();
        months
    }
}

/// Generates the demo organisation described by `spec`.
pub fn generate(spec: &DemoSpec) -> DemoData {
    let months = spec.month_list();
    let mut events = Vec::new();
    let mut workflow_counters = vec![0u32; FEATURES.len()];
    for (i, &month) in months.iter().enumerate() {
        events.extend(month_events(spec, i, month, &mut workflow_counters));
    }
    DemoData {
        commitments: commitments(&events, &months),
        discounts: vec![Discount {
            provider: "anthropic".to_owned(),
            percent: Decimal::new(8, 0),
            effective_from: months[0].first_day(),
        }],
        transactions: transactions(&events),
        not_latency_bound: NOT_LATENCY_BOUND
            .iter()
            .map(|(team, feature)| FeatureRef {
                team: (*team).to_owned(),
                feature: (*feature).to_owned(),
            })
            .collect(),
        mappings: mappings(&months),
        rules: rules(),
        overheads: overheads(spec.seed, &months),
        events,
    }
}
