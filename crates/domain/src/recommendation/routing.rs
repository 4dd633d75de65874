//! Route to a cheaper model: the pool's token mix as it stands (cache share, tier and
//! context band kept) re-priced on the card of each other model the organisation uses for
//! generation, with that provider's discount, on the pool's last day.
//!
//! A candidate is recommended (measured) only when the organisation's calls to it succeed
//! at least as often as the pool's, over at least `min_outcomes` reported outcomes; the
//! saving is then the re-priced difference. A candidate with a lower or unknown success
//! rate is `untested`: it shows the success rate it needs to be no dearer per successful
//! call (`s × cost′ ÷ cost`), and for a known lower rate `s′` its saving is what the same
//! successes would cost, `cost − cost′ × s ÷ s′`. When that is no saving (its retries make it
//! dearer per success) the candidate is not shown at all.

use rust_decimal::Decimal;

use super::pool::{Slice, cost};
use super::{Basis, Evidence, PoolContext, Step, model_page, money};
use crate::discount;

struct Candidate {
    model: String,
    after: Vec<Slice>,
    cost: Decimal,
    rate: Option<Decimal>,
    outcomes: u64,
    saving: Decimal,
    basis: Basis,
}

pub fn apply(cx: &PoolContext<'_>, slices: &[Slice]) -> Option<Step> {
    let min = cx.settings.min_outcomes;
    if cx.pool.outcomes < min {
        return None;
    }
    let s = cx.pool.success_rate()?;
    let day = cx.pool.last_day?;
    let before = cost(cx.book, slices);
    if before.is_zero() || s.is_zero() {
        return None;
    }
    let mut best: Option<Candidate> = None;
    for ((provider, model), record) in cx.models {
        if (provider, model) == (&cx.key.provider, &cx.key.model) || record.output_tokens == 0 {
            continue;
        }
        let Some(card) = cx.book.lookup(provider, model, day) else {
            continue;
        };
        let factor = discount::in_force(cx.discounts, provider, day)
            .map_or(Decimal::ONE, |i| cx.discounts[i].factor());
        let after: Vec<Slice> = slices
            .iter()
            .map(|x| Slice {
                card,
                factor,
                ..x.clone()
            })
            .collect();
        let repriced = cost(cx.book, &after);
        if repriced >= before {
            continue;
        }
        let rate = record.success_rate().filter(|_| record.outcomes >= min);
        let (saving, basis) = match rate {
            Some(r) if r >= s => (before - repriced, Basis::Measured),
            Some(r) if r.is_zero() => continue,
            Some(r) => (before - repriced * s / r, Basis::Untested),
            None => (before - repriced, Basis::Untested),
        };
        if saving <= Decimal::ZERO {
            // Cheaper per call, dearer per success: never a saving.
            continue;
        }
        let c = Candidate {
            model: format!("{provider}/{model}"),
            after,
            cost: repriced,
            rate,
            outcomes: record.outcomes,
            saving,
            basis,
        };
        let better = match &best {
            None => true,
            Some(b) => {
                (c.basis, std::cmp::Reverse(c.saving)) < (b.basis, std::cmp::Reverse(b.saving))
            }
        };
        if better {
            best = Some(c);
        }
    }
    let c = best?;
    let hundred = Decimal::ONE_HUNDRED;
    let break_even = (s * c.cost / before * hundred).round_dp(1).normalize();
    let here = model_page(cx.month, &cx.key.model);
    let there = model_page(
        cx.month,
        c.model.split_once('/').map_or(&c.model[..], |x| x.1),
    );
    let page = cx.feature_page();
    Some(Step {
        saving: c.saving,
        after: c.after,
        basis: c.basis,
        action: match c.basis {
            Basis::Untested => format!(
                "Try {} for {}/{} on a sample: it needs a success rate of {}% to be no dearer per success",
                c.model, cx.key.team, cx.key.feature, break_even
            ),
            _ => format!(
                "Route {}/{} from {} to {}: same work, cheaper tokens, success rate as good",
                cx.key.team,
                cx.key.feature,
                cx.model(),
                c.model
            ),
        },
        evidence: vec![
            Evidence::new("token cost on the current model", money(before), &page),
            Evidence::new(
                &format!("the same tokens on {}", c.model),
                money(c.cost),
                &there,
            ),
            Evidence::new(
                "success rate now (%)",
                format!(
                    "{} of {} outcomes",
                    (s * hundred).round_dp(1).normalize(),
                    cx.pool.outcomes
                ),
                &here,
            ),
            Evidence::new(
                &format!("success rate of {} across the organisation (%)", c.model),
                c.rate
                    .map_or(format!("untested ({} outcomes)", c.outcomes), |r| {
                        format!(
                            "{} of {} outcomes",
                            (r * hundred).round_dp(1).normalize(),
                            c.outcomes
                        )
                    }),
                &there,
            ),
            Evidence::new("break-even success rate (%)", break_even, &there),
        ],
        candidate: Some(c.model),
        break_even_success_pct: Some(break_even),
    })
}
