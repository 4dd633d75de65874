//! Negotiated discounts: a provider's list price turned into what the organisation pays.
//!
//! A discount is a percentage off every token a provider prices, in force from a day until
//! the provider's next discount. List cost is what the price cards say; effective cost (what
//! showback, budgets and statements charge) is list cost less the discount. Both are kept, as
//! FOCUS's `ListCost` and `EffectiveCost`.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::catalog::canonical_provider;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Discount {
    pub provider: String,
    /// Percent off list, 0 to 100, at most four decimal places (e.g. `12.5`).
    pub percent: Decimal,
    /// The UTC day from which it applies.
    pub effective_from: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DiscountError {
    #[error("`provider` must not be empty")]
    NoProvider,
    #[error("`percent` must be between 0 and 100 with at most four decimal places, got {0}")]
    BadPercent(Decimal),
}

impl Discount {
    pub fn validate(&self) -> Result<(), DiscountError> {
        if self.provider.trim().is_empty() {
            return Err(DiscountError::NoProvider);
        }
        let p = self.percent.normalize();
        if p.is_sign_negative() && !p.is_zero() || p > Decimal::ONE_HUNDRED || p.scale() > 4 {
            return Err(DiscountError::BadPercent(self.percent));
        }
        Ok(())
    }

    /// What one unit of list cost costs after the discount.
    pub fn factor(&self) -> Decimal {
        (Decimal::ONE_HUNDRED - self.percent) / Decimal::ONE_HUNDRED
    }
}

/// Which discount (an index into `discounts`) applies to a provider's usage on a day: the
/// latest one in force for its canonical provider name.
pub fn in_force(discounts: &[Discount], provider: &str, day: NaiveDate) -> Option<usize> {
    let provider = canonical_provider(provider);
    discounts
        .iter()
        .enumerate()
        .filter(|(_, d)| d.effective_from <= day && canonical_provider(&d.provider) == provider)
        .max_by_key(|(_, d)| d.effective_from)
        .map(|(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn discount(provider: &str, percent: Decimal, from: &str) -> Discount {
        Discount {
            provider: provider.into(),
            percent,
            effective_from: from.parse().unwrap(),
        }
    }

    #[test]
    fn the_latest_discount_in_force_for_the_provider_applies() {
        let ds = [
            discount("openai", dec!(10), "2026-01-01"),
            discount("anthropic", dec!(5), "2026-01-01"),
            discount("OpenAI", dec!(15), "2026-03-10"),
        ];
        let day = |s: &str| s.parse().unwrap();
        assert_eq!(in_force(&ds, "openai", day("2025-12-31")), None);
        assert_eq!(in_force(&ds, "openai", day("2026-03-09")), Some(0));
        assert_eq!(in_force(&ds, "openai", day("2026-03-10")), Some(2));
        assert_eq!(in_force(&ds, "anthropic", day("2026-03-10")), Some(1));
        assert_eq!(in_force(&ds, "gemini", day("2026-03-10")), None);
        assert_eq!(ds[2].factor(), dec!(0.85));
    }

    #[test]
    fn percent_outside_zero_to_a_hundred_is_refused() {
        assert!(discount("openai", dec!(0), "2026-01-01").validate().is_ok());
        assert!(
            discount("openai", dec!(100), "2026-01-01")
                .validate()
                .is_ok()
        );
        assert!(
            discount("openai", dec!(-1), "2026-01-01")
                .validate()
                .is_err()
        );
        assert!(
            discount("openai", dec!(100.5), "2026-01-01")
                .validate()
                .is_err()
        );
        assert!(
            discount("openai", dec!(1.23456), "2026-01-01")
                .validate()
                .is_err()
        );
        assert!(discount(" ", dec!(1), "2026-01-01").validate().is_err());
    }
}
