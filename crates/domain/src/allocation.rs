//! Splitting shared money: overheads to teams, and any total into parts that add up to it
//! exactly (the largest-remainder method).

use std::collections::BTreeMap;

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use crate::attribution::UNALLOCATED;
use crate::month::Month;

/// Splits `total` cents into parts proportional to `weights`, so that the parts add up to
/// `total` exactly: each part gets the floor of its quota, and the cents left over go to the
/// largest remainders (ties to the earlier part). Weights must not be negative; if they sum
/// to zero, the split is even.
pub fn largest_remainder(total: i64, weights: &[Decimal]) -> Vec<i64> {
    if weights.is_empty() {
        return Vec::new();
    }
    let ints = integer_weights(weights);
    let sum: i128 = ints.iter().sum();
    let (ints, sum) = if sum == 0 {
        (vec![1i128; ints.len()], ints.len() as i128)
    } else {
        (ints, sum)
    };
    let negative = total < 0;
    let total_abs = i128::from(total).abs();
    let mut parts: Vec<i128> = Vec::with_capacity(ints.len());
    let mut remainders: Vec<(i128, usize)> = Vec::with_capacity(ints.len());
    for (i, w) in ints.iter().enumerate() {
        let product = total_abs * w;
        parts.push(product / sum);
        remainders.push((product % sum, i));
    }
    let left = total_abs - parts.iter().sum::<i128>();
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for &(_, i) in remainders.iter().take(left as usize) {
        parts[i] += 1;
    }
    parts
        .into_iter()
        .map(|p| if negative { -(p as i64) } else { p as i64 })
        .collect()
}

/// Weights as integers of one common scale, small enough that `cents × weight` fits an i128.
fn integer_weights(weights: &[Decimal]) -> Vec<i128> {
    for dp in [12u32, 8, 4, 0] {
        let scaled: Option<Vec<i128>> = weights
            .iter()
            .map(|w| {
                let w = w
                    .max(&Decimal::ZERO)
                    .round_dp_with_strategy(dp, RoundingStrategy::ToZero);
                let m = w.mantissa() * 10i128.pow(dp - w.scale());
                (m < 10i128.pow(22)).then_some(m)
            })
            .collect();
        if let Some(s) = scaled {
            return s;
        }
    }
    vec![1; weights.len()]
}

/// Rounds exact amounts to cents so that they add up to the rounded sum of them: each is
/// floored to the cent and the cents left go to the largest fractions.
pub fn round_to_cents_preserving_total(exact: &[Decimal]) -> Vec<Decimal> {
    let hundred = Decimal::ONE_HUNDRED;
    let total_cents = cents(exact.iter().sum::<Decimal>());
    let floors: Vec<i64> = exact
        .iter()
        .map(|x| (x * hundred).floor().to_i64().unwrap_or(0))
        .collect();
    let mut left = total_cents - floors.iter().sum::<i64>();
    let mut order: Vec<usize> = (0..exact.len()).collect();
    let frac = |i: usize| exact[i] * hundred - Decimal::from(floors[i]);
    order.sort_by(|&a, &b| frac(b).cmp(&frac(a)).then(a.cmp(&b)));
    let mut out = floors.clone();
    for &i in order.iter().cycle().take(exact.len() * 2) {
        if left == 0 {
            break;
        }
        let step = left.signum();
        out[i] += step;
        left -= step;
    }
    out.into_iter().map(from_cents).collect()
}

/// An amount in whole cents, rounded half to even (banker's rounding).
pub fn cents(amount: Decimal) -> i64 {
    // Beyond ±9.2e16 cents (far past any bill) this saturates rather than wraps.
    (amount.round_dp_with_strategy(2, RoundingStrategy::MidpointNearestEven) * Decimal::ONE_HUNDRED)
        .to_i64()
        .unwrap_or(if amount.is_sign_negative() {
            i64::MIN
        } else {
            i64::MAX
        })
}

pub fn from_cents(c: i64) -> Decimal {
    Decimal::new(c, 2)
}

/// How an overhead is shared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "method")]
pub enum Allocation {
    /// In proportion to token cost, among the teams with spend (Unallocated included).
    Proportional,
    /// Equally among the teams with spend (never Unallocated).
    Even,
    /// By fixed weights per team, among the named teams with spend.
    Fixed { shares: BTreeMap<String, Decimal> },
    /// All to one team.
    Direct { team: String },
}

impl Allocation {
    pub fn method(&self) -> &'static str {
        match self {
            Self::Proportional => "proportional",
            Self::Even => "even",
            Self::Fixed { .. } => "fixed",
            Self::Direct { .. } => "direct",
        }
    }
}

/// A monthly cost beyond tokens (retrieval, vector search, orchestration, ...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Overhead {
    pub month: Month,
    pub category: String,
    pub amount: Decimal,
    pub allocation: Allocation,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OverheadError {
    #[error("`category` must not be empty")]
    EmptyCategory,
    #[error(
        "`amount` must be between 0 and {max} with at most two decimal places, got {0}",
        max = crate::bounds::MAX_AMOUNT
    )]
    BadAmount(Decimal),
    #[error("a share may be at most {max}, got {0}", max = crate::bounds::MAX_SHARE)]
    ShareTooLarge(Decimal),
    #[error("fixed shares need at least one team with a positive share")]
    NoShares,
    #[error("shares must not be negative")]
    NegativeShare,
    #[error("Unallocated cannot hold a fixed share: it is spend whose owner is not known yet")]
    UnallocatedShare,
    #[error("a direct allocation needs a team")]
    NoTeam,
}

impl Overhead {
    pub fn validate(&self) -> Result<(), OverheadError> {
        if self.category.trim().is_empty() {
            return Err(OverheadError::EmptyCategory);
        }
        if !crate::bounds::amount_in_range(self.amount) || self.amount.normalize().scale() > 2 {
            return Err(OverheadError::BadAmount(self.amount));
        }
        match &self.allocation {
            Allocation::Fixed { shares } => {
                if shares.contains_key(UNALLOCATED) {
                    return Err(OverheadError::UnallocatedShare);
                }
                if shares
                    .values()
                    .any(|s| s.is_sign_negative() && !s.is_zero())
                {
                    return Err(OverheadError::NegativeShare);
                }
                if let Some(s) = shares.values().find(|s| **s > crate::bounds::MAX_SHARE) {
                    return Err(OverheadError::ShareTooLarge(*s));
                }
                if !shares.values().any(|s| *s > Decimal::ZERO) {
                    return Err(OverheadError::NoShares);
                }
            }
            Allocation::Direct { team } if team.trim().is_empty() => {
                return Err(OverheadError::NoTeam);
            }
            _ => {}
        }
        Ok(())
    }

    /// Splits this overhead over teams, given each team's exact token cost this month
    /// (Unallocated included). The shares add up to the amount exactly; nothing is lost: a
    /// split with no eligible team goes to Unallocated.
    pub fn allocate(&self, token_cost: &BTreeMap<String, Decimal>) -> BTreeMap<String, Decimal> {
        let with_spend = || token_cost.iter().filter(|(_, c)| **c > Decimal::ZERO);
        let (teams, weights): (Vec<String>, Vec<Decimal>) = match &self.allocation {
            Allocation::Proportional => with_spend().map(|(t, c)| (t.clone(), *c)).unzip(),
            Allocation::Even => with_spend()
                .filter(|(t, _)| *t != UNALLOCATED)
                .map(|(t, _)| (t.clone(), Decimal::ONE))
                .unzip(),
            Allocation::Fixed { shares } => {
                let eligible: Vec<_> = shares
                    .iter()
                    .filter(|(t, s)| {
                        **s > Decimal::ZERO
                            && *t != UNALLOCATED
                            && token_cost.get(*t).is_some_and(|c| *c > Decimal::ZERO)
                    })
                    .collect();
                // No named team spent this month: the contract still names who pays.
                let chosen = if eligible.is_empty() {
                    shares
                        .iter()
                        .filter(|(t, s)| **s > Decimal::ZERO && *t != UNALLOCATED)
                        .collect()
                } else {
                    eligible
                };
                chosen.into_iter().map(|(t, s)| (t.clone(), *s)).unzip()
            }
            Allocation::Direct { team } => (vec![team.clone()], vec![Decimal::ONE]),
        };
        let (teams, weights) = if teams.is_empty() {
            (vec![UNALLOCATED.to_owned()], vec![Decimal::ONE])
        } else {
            (teams, weights)
        };
        let parts = largest_remainder(cents(self.amount), &weights);
        teams
            .into_iter()
            .zip(parts)
            .map(|(t, p)| (t, from_cents(p)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    fn costs(pairs: &[(&str, Decimal)]) -> BTreeMap<String, Decimal> {
        pairs.iter().map(|(t, c)| (t.to_string(), *c)).collect()
    }

    fn overhead(amount: Decimal, allocation: Allocation) -> Overhead {
        Overhead {
            month: "2026-01".parse().unwrap(),
            category: "retrieval".into(),
            amount,
            allocation,
        }
    }

    #[test]
    fn largest_remainder_gives_leftover_cents_to_largest_fractions() {
        assert_eq!(
            largest_remainder(100, &[dec!(1), dec!(1), dec!(1)]),
            vec![34, 33, 33]
        );
        assert_eq!(
            largest_remainder(1000, &[dec!(0.5), dec!(0.3), dec!(0.2)]),
            vec![500, 300, 200]
        );
        assert_eq!(largest_remainder(7, &[dec!(2), dec!(1)]), vec![5, 2]);
        assert_eq!(largest_remainder(5, &[dec!(0), dec!(0)]), vec![3, 2]);
    }

    #[test]
    fn rounding_to_cents_preserves_the_rounded_total() {
        let parts = round_to_cents_preserving_total(&[dec!(0.005), dec!(0.005), dec!(0.005)]);
        assert_eq!(parts.iter().sum::<Decimal>(), dec!(0.02));
        assert_eq!(parts, vec![dec!(0.01), dec!(0.01), dec!(0.00)]);
    }

    #[test]
    fn each_method_splits_as_promised() {
        let spend = costs(&[
            ("a", dec!(30)),
            ("b", dec!(10)),
            (UNALLOCATED, dec!(10)),
            ("idle", dec!(0)),
        ]);
        let p = overhead(dec!(100), Allocation::Proportional).allocate(&spend);
        assert_eq!(
            p,
            costs(&[("a", dec!(60)), ("b", dec!(20)), (UNALLOCATED, dec!(20))])
        );
        let e = overhead(dec!(100), Allocation::Even).allocate(&spend);
        assert_eq!(e, costs(&[("a", dec!(50)), ("b", dec!(50))]));
        let f = overhead(
            dec!(90),
            Allocation::Fixed {
                shares: [
                    ("a".into(), dec!(2)),
                    ("b".into(), dec!(1)),
                    ("idle".into(), dec!(5)),
                ]
                .into(),
            },
        )
        .allocate(&spend);
        assert_eq!(f, costs(&[("a", dec!(60)), ("b", dec!(30))]));
        let d = overhead(
            dec!(12.34),
            Allocation::Direct {
                team: "idle".into(),
            },
        )
        .allocate(&spend);
        assert_eq!(d, costs(&[("idle", dec!(12.34))]));
    }

    #[test]
    fn an_overhead_with_no_spend_anywhere_lands_in_unallocated() {
        let got = overhead(dec!(5), Allocation::Even).allocate(&BTreeMap::new());
        assert_eq!(got, costs(&[(UNALLOCATED, dec!(5))]));
    }

    #[test]
    fn overhead_amounts_must_be_whole_cents() {
        assert!(overhead(dec!(1.005), Allocation::Even).validate().is_err());
        assert!(overhead(dec!(-1), Allocation::Even).validate().is_err());
        assert!(overhead(dec!(1.50), Allocation::Even).validate().is_ok());
    }

    proptest! {
        #[test]
        fn parts_always_add_up(total in -1_000_000_000i64..1_000_000_000, raw in proptest::collection::vec(0u64..10_000_000_000, 1..20), scale in 0u32..10) {
            let weights: Vec<Decimal> = raw.iter().map(|w| Decimal::new(*w as i64, scale)).collect();
            let parts = largest_remainder(total, &weights);
            prop_assert_eq!(parts.iter().sum::<i64>(), total);
            let sum: Decimal = weights.iter().sum();
            if !sum.is_zero() {
                for (p, w) in parts.iter().zip(&weights) {
                    let quota = Decimal::from(total) * w / sum;
                    prop_assert!((Decimal::from(*p) - quota).abs() < Decimal::ONE);
                }
            }
        }

        #[test]
        fn rounded_parts_add_up(raw in proptest::collection::vec(0u64..100_000_000_000, 0..30)) {
            let exact: Vec<Decimal> = raw.iter().map(|w| Decimal::new(*w as i64, 7)).collect();
            let parts = round_to_cents_preserving_total(&exact);
            prop_assert_eq!(parts.iter().sum::<Decimal>(), from_cents(cents(exact.iter().sum())));
            for (p, x) in parts.iter().zip(&exact) {
                prop_assert!((p - x).abs() < dec!(0.01));
            }
        }
    }
}
