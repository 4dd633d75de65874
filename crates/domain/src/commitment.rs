//! Commitments: capacity bought ahead (provisioned throughput, reserved capacity) for a model
//! and a month.
//!
//! The fee is paid whether or not the capacity is used. The used part of it is shared by the
//! teams that used the model, in proportion to their tokens; the unused part is **idle
//! commitment**, a line of its own that no team pays until someone decides who should. The
//! tokens served keep their own price (a card priced at zero models a deployment whose calls
//! are covered by the fee alone).

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::allocation::{cents, from_cents, largest_remainder};
use crate::catalog::canonical_provider;
use crate::month::Month;

/// Utilisation below which a commitment is flagged, in percent, unless it sets its own.
pub const DEFAULT_UTILISATION_FLOOR: Decimal = Decimal::from_parts(60, 0, 0, false, 0);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Commitment {
    pub month: Month,
    pub provider: String,
    pub model: String,
    /// The month's fee, in whole cents.
    pub fee: Decimal,
    /// Tokens (input and output) the fee buys for the month.
    pub capacity_tokens: u64,
    /// Utilisation, in percent, under which the commitment is flagged.
    #[serde(default = "default_floor")]
    pub utilisation_floor: Decimal,
}

fn default_floor() -> Decimal {
    DEFAULT_UTILISATION_FLOOR
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommitmentError {
    #[error("`provider` and `model` must not be empty")]
    NoModel,
    #[error(
        "`fee` must be between 0 and {max} with at most two decimal places, got {0}",
        max = crate::bounds::MAX_AMOUNT
    )]
    BadFee(Decimal),
    #[error("`capacity_tokens` must be at least 1")]
    NoCapacity,
    #[error(
        "`capacity_tokens` may be at most {max} a month, got {0}",
        max = crate::bounds::MAX_MONTH_TOKENS
    )]
    CapacityTooLarge(u64),
    #[error("`utilisation_floor` must be between 0 and 100, got {0}")]
    BadFloor(Decimal),
}

/// How a commitment was used in its month, and who pays for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CommitmentUse {
    pub provider: String,
    pub model: String,
    pub fee: Decimal,
    pub capacity_tokens: u64,
    /// Tokens of the model used in the month (may exceed the capacity).
    pub used_tokens: u64,
    /// Used ÷ capacity, in percent (one decimal place; may exceed 100).
    pub utilisation: Decimal,
    /// Under the commitment's utilisation floor.
    pub underused: bool,
    /// Each team's share of the used part of the fee.
    pub shares: BTreeMap<String, Decimal>,
    /// The part of the fee no usage covered.
    pub idle: Decimal,
}

impl Commitment {
    pub fn validate(&self) -> Result<(), CommitmentError> {
        if self.provider.trim().is_empty() || self.model.trim().is_empty() {
            return Err(CommitmentError::NoModel);
        }
        if !crate::bounds::amount_in_range(self.fee) || self.fee.normalize().scale() > 2 {
            return Err(CommitmentError::BadFee(self.fee));
        }
        if self.capacity_tokens == 0 {
            return Err(CommitmentError::NoCapacity);
        }
        if self.capacity_tokens > crate::bounds::MAX_MONTH_TOKENS {
            return Err(CommitmentError::CapacityTooLarge(self.capacity_tokens));
        }
        let f = self.utilisation_floor;
        if f.is_sign_negative() && !f.is_zero() || f > Decimal::ONE_HUNDRED {
            return Err(CommitmentError::BadFloor(f));
        }
        Ok(())
    }

    /// How views name it: `provider/model`.
    pub fn label(&self) -> String {
        format!("{}/{}", canonical_provider(&self.provider), self.model)
    }

    /// Whether usage of this provider and model draws on the commitment.
    pub fn covers(&self, provider: &str, model: &str) -> bool {
        self.model == model && canonical_provider(&self.provider) == canonical_provider(provider)
    }

    /// Splits the fee: the used fraction (capped at the whole) over the teams in proportion
    /// to their tokens of the model, the rest to idle. Parts add up to the fee exactly.
    pub fn allocate(&self, tokens_by_team: &BTreeMap<String, u64>) -> CommitmentUse {
        let used: u64 = tokens_by_team.values().sum();
        let fee_cents = cents(self.fee);
        let covered = used.min(self.capacity_tokens);
        // The used part, rounded to the cent; the idle part is what is left of the fee.
        let used_cents =
            cents(self.fee * Decimal::from(covered) / Decimal::from(self.capacity_tokens.max(1)));
        let (teams, weights): (Vec<&String>, Vec<Decimal>) = tokens_by_team
            .iter()
            .filter(|(_, t)| **t > 0)
            .map(|(team, t)| (team, Decimal::from(*t)))
            .unzip();
        let shares: BTreeMap<String, Decimal> = if teams.is_empty() {
            BTreeMap::new()
        } else {
            teams
                .into_iter()
                .zip(largest_remainder(used_cents, &weights))
                .map(|(t, c)| (t.clone(), from_cents(c)))
                .collect()
        };
        let shared: i64 = shares.values().map(|d| cents(*d)).sum();
        let utilisation = (Decimal::from(used) * Decimal::ONE_HUNDRED
            / Decimal::from(self.capacity_tokens.max(1)))
        .round_dp(1);
        CommitmentUse {
            provider: canonical_provider(&self.provider),
            model: self.model.clone(),
            fee: from_cents(fee_cents),
            capacity_tokens: self.capacity_tokens,
            used_tokens: used,
            utilisation,
            underused: utilisation < self.utilisation_floor,
            shares,
            idle: from_cents(fee_cents - shared),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn commitment(fee: Decimal, capacity: u64) -> Commitment {
        Commitment {
            month: "2026-03".parse().unwrap(),
            provider: "azure".into(),
            model: "gpt-4o".into(),
            fee,
            capacity_tokens: capacity,
            utilisation_floor: DEFAULT_UTILISATION_FLOOR,
        }
    }

    fn usage(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
        pairs.iter().map(|(t, n)| (t.to_string(), *n)).collect()
    }

    #[test]
    fn the_used_part_is_shared_by_use_and_the_rest_is_idle() {
        // 1,000.00 for 10M tokens; 4M used (3M search, 1M support): 40% used = 400.00,
        // 300.00 and 100.00; 600.00 idle; flagged under 60%.
        let u = commitment(dec!(1000), 10_000_000)
            .allocate(&usage(&[("search", 3_000_000), ("support", 1_000_000)]));
        assert_eq!(u.shares["search"], dec!(300.00));
        assert_eq!(u.shares["support"], dec!(100.00));
        assert_eq!(u.idle, dec!(600.00));
        assert_eq!(u.utilisation, dec!(40.0));
        assert!(u.underused);
        assert_eq!(u.provider, "azure_openai");
    }

    #[test]
    fn use_beyond_capacity_leaves_nothing_idle_and_odd_cents_still_add_up() {
        // 100.00 over three teams using 1:1:1 of a 2M capacity, 3M used: 33.34, 33.33, 33.33.
        let u = commitment(dec!(100), 2_000_000).allocate(&usage(&[
            ("a", 1_000_000),
            ("b", 1_000_000),
            ("c", 1_000_000),
        ]));
        assert_eq!(u.idle, Decimal::ZERO);
        assert_eq!(u.shares.values().copied().sum::<Decimal>(), dec!(100));
        assert_eq!(u.shares["a"], dec!(33.34));
        assert_eq!(u.utilisation, dec!(150.0));
        assert!(!u.underused);
    }

    #[test]
    fn an_unused_commitment_is_all_idle() {
        let u = commitment(dec!(99.99), 1_000).allocate(&BTreeMap::new());
        assert!(u.shares.is_empty());
        assert_eq!(u.idle, dec!(99.99));
        assert_eq!(u.utilisation, Decimal::ZERO);
    }

    #[test]
    fn bad_commitments_are_refused() {
        assert!(commitment(dec!(1), 0).validate().is_err());
        assert!(commitment(dec!(-1), 10).validate().is_err());
        assert!(commitment(dec!(1.001), 10).validate().is_err());
        let mut c = commitment(dec!(1), 10);
        c.utilisation_floor = dec!(101);
        assert!(c.validate().is_err());
        c.model = String::new();
        assert!(c.validate().is_err());
    }
}
