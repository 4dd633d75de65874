//! What finance records beside the usage: overheads, commitments and business transactions.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use tokentally_domain::allocation::{Allocation, Overhead};
use tokentally_domain::commitment::{Commitment, DEFAULT_UTILISATION_FLOOR};
use tokentally_domain::event::{Outcome, UsageEvent};
use tokentally_domain::month::Month;
use tokentally_domain::transaction::{BusinessTransactions, Period};

use super::events::month_key;
use super::features::FEATURES;
use super::rng::Rng;

pub(super) fn overheads(seed: u64, months: &[Month]) -> Vec<Overhead> {
    let mut out = Vec::new();
    for (i, &month) in months.iter().enumerate() {
        let mut rng = Rng::stream(seed, &[0x0E_4E_AD, month_key(month)]);
        let mut cents = |base: f64, growth: f64| -> i64 {
            (base * growth.powi(i as i32) * rng.range_f64(0.97, 1.03)).round() as i64
        };
        let share = |s: i64| Decimal::new(s, 2);
        out.extend([
            Overhead {
                month,
                category: "retrieval".to_owned(),
                amount: Decimal::new(cents(4_500.0, 1.04), 2),
                allocation: Allocation::Proportional,
            },
            Overhead {
                month,
                category: "vector-search".to_owned(),
                amount: Decimal::new(cents(3_000.0, 1.02), 2),
                allocation: Allocation::Fixed {
                    shares: BTreeMap::from([
                        ("search".to_owned(), share(60)),
                        ("support".to_owned(), share(40)),
                    ]),
                },
            },
            Overhead {
                month,
                category: "logging".to_owned(),
                amount: Decimal::new(cents(1_500.0, 1.05), 2),
                allocation: Allocation::Even,
            },
            Overhead {
                month,
                category: "human-review".to_owned(),
                amount: Decimal::new(cents(5_500.0, 1.02), 2),
                allocation: Allocation::Direct {
                    team: "support".to_owned(),
                },
            },
        ]);
    }
    out
}

/// Provisioned gpt-4o capacity, sized to each month's use (well used) except the last month,
/// bought at twice its use; and, from the second-to-last month, reserved Claude 3.5 Sonnet
/// capacity bought for a support-agent rollout that came in smaller than planned (some 2.5
/// times its use, under the 60% floor), so that the last full month shows an idle commitment.
pub(super) fn commitments(events: &[UsageEvent], months: &[Month]) -> Vec<Commitment> {
    let used = |model: &str, month: Month| -> u64 {
        events
            .iter()
            .filter(|e| e.model == model && Month::of(e.timestamp.date_naive()) == month)
            .map(|e| e.tokens.input + e.tokens.output)
            .sum()
    };
    let mut out: Vec<Commitment> = months
        .iter()
        .enumerate()
        .map(|(i, &month)| {
            let factor = if i + 1 == months.len() { 20 } else { 11 };
            Commitment {
                month,
                provider: "openai".to_owned(),
                model: "gpt-4o".to_owned(),
                fee: Decimal::new(60, 0),
                capacity_tokens: (used("gpt-4o", month) * factor / 10).max(1),
                utilisation_floor: DEFAULT_UTILISATION_FLOOR,
            }
        })
        .collect();
    let reserved_from = months.len().saturating_sub(2);
    out.extend(months[reserved_from..].iter().map(|&month| Commitment {
        month,
        provider: "anthropic".to_owned(),
        model: SONNET.to_owned(),
        fee: Decimal::new(40, 0),
        capacity_tokens: (used(SONNET, month) * 25 / 10).max(1),
        utilisation_floor: DEFAULT_UTILISATION_FLOOR,
    }));
    out
}

/// The model of the reserved Anthropic capacity.
const SONNET: &str = "claude-3-5-sonnet-20241022";

/// Features their owners mark as not latency-bound (the batch/flex lever looks at these):
/// offline evaluations, most of which already run on the batch tier, and personalised emails,
/// sent hours after they are written.
pub(super) const NOT_LATENCY_BOUND: &[(&str, &str)] = &[
    ("data-platform", "offline-evals"),
    ("growth", "email-personalization"),
];

/// Business transactions each feature reports: one per four successful calls, per month.
pub(super) fn transactions(events: &[UsageEvent]) -> Vec<BusinessTransactions> {
    let mut counts: BTreeMap<(Month, &str), u64> = BTreeMap::new();
    for e in events.iter().filter(|e| e.outcome == Outcome::Success) {
        if let Some(f) = e.feature.as_deref() {
            *counts
                .entry((Month::of(e.timestamp.date_naive()), f))
                .or_default() += e.requests;
        }
    }
    counts
        .into_iter()
        .filter_map(|((month, feature), n)| {
            let f = FEATURES.iter().find(|x| x.name == feature)?;
            Some(BusinessTransactions {
                period: Period::Month(month),
                team: f.team.to_owned(),
                feature: feature.to_owned(),
                name: "tasks completed".to_owned(),
                count: n / 4,
                value: None,
            })
        })
        .filter(|t| t.count > 0)
        .collect()
}
