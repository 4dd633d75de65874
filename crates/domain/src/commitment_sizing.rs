//! Commitment sizing: for one model, the daily capacity that would have cost least over a
//! past window, against paying on demand for every token.
//!
//! A commitment ([`crate::commitment`]) buys capacity for a fee whether it is used or not;
//! tokens above it are paid on demand. Over a window of days with `d_i` tokens each, a daily
//! capacity `C` costs `fee_rate × C × days + Σ on_demand(max(0, d_i − C))`. That is convex
//! and piecewise linear in `C`, with its corners at the observed daily volumes, so the
//! cheapest capacity is one of them (or none). Every corner is tried in exact decimals; on a
//! tie the smaller capacity wins (less is committed for the same cost).
//!
//! On-demand cost is what the window's tokens actually cost on the price cards, spread over
//! its tokens: a day's overflow costs `overflow_tokens × on_demand_cost ÷ tokens`, so the
//! observed mix of token classes and discounts carries over to the tokens above capacity.

use rust_decimal::Decimal;
use serde::Serialize;

/// Days a sizing looks back over, ending with the last full day.
pub const WINDOW_DAYS: u32 = 90;

/// Share of the window's days with usage at or above which traffic counts as steady, percent.
pub const STEADY_DAYS_PCT: u32 = 90;

/// What a sizing reads: the model's tokens per day and what they cost on demand.
#[derive(Debug, Clone)]
pub struct SizingInput {
    /// Tokens (input and output) of the model on each day of the window, zeros included.
    pub daily_tokens: Vec<u64>,
    /// The window's token cost on the price cards (discounts applied).
    pub on_demand_cost: Decimal,
    /// The commitment's fee per one million tokens of capacity.
    pub fee_per_million: Decimal,
}

/// The cheapest capacity over the window, and what it would have saved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sizing {
    pub days: u32,
    pub tokens: u64,
    /// Days with any usage, and whether that makes the traffic steady.
    pub days_with_usage: u32,
    pub steady: bool,
    /// The window's on-demand cost, to the cent.
    pub on_demand_cost: Decimal,
    /// On-demand cost per one million tokens, 6 places.
    pub on_demand_per_million: Decimal,
    pub fee_per_million: Decimal,
    /// Tokens of capacity per day (0: no commitment pays), and per 30-day month.
    pub daily_capacity: u64,
    pub monthly_capacity: u64,
    /// With that capacity over the window: the fee, the overflow paid on demand, their sum.
    pub fee: Decimal,
    pub overflow_cost: Decimal,
    pub committed_cost: Decimal,
    /// On-demand cost less committed cost (never negative: no capacity is the fallback).
    pub saving: Decimal,
    /// Used capacity ÷ capacity over the window, percent, one place; none without capacity.
    pub utilisation_pct: Option<Decimal>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SizingError {
    #[error("`fee_per_million` must be greater than 0 and at most {max}, got {0}", max = crate::bounds::MAX_AMOUNT)]
    BadFee(Decimal),
    #[error("the window has no days")]
    NoDays,
}

const MILLION: Decimal = Decimal::from_parts(1_000_000, 0, 0, false, 0);

/// The cost over the window of a daily capacity `c`, unrounded: (fee, overflow).
fn cost_at(input: &SizingInput, tokens: u64, c: u64) -> (Decimal, Decimal) {
    let days = Decimal::from(input.daily_tokens.len() as u64);
    let fee = input.fee_per_million * Decimal::from(c) * days / MILLION;
    let overflow: u64 = input.daily_tokens.iter().map(|d| d.saturating_sub(c)).sum();
    let overflow_cost = if tokens == 0 {
        Decimal::ZERO
    } else {
        input.on_demand_cost * Decimal::from(overflow) / Decimal::from(tokens)
    };
    (fee, overflow_cost)
}

/// Finds the daily capacity that minimises the window's cost.
pub fn size(input: &SizingInput) -> Result<Sizing, SizingError> {
    if input.fee_per_million <= Decimal::ZERO || input.fee_per_million > crate::bounds::MAX_AMOUNT {
        return Err(SizingError::BadFee(input.fee_per_million));
    }
    if input.daily_tokens.is_empty() {
        return Err(SizingError::NoDays);
    }
    let days = input.daily_tokens.len() as u32;
    let tokens: u64 = input.daily_tokens.iter().sum();
    let days_with_usage = input.daily_tokens.iter().filter(|d| **d > 0).count() as u32;
    let mut corners: Vec<u64> = input.daily_tokens.clone();
    corners.push(0);
    corners.sort_unstable();
    corners.dedup();
    let mut best = (0u64, Decimal::ZERO, input.on_demand_cost);
    for c in corners {
        let (fee, overflow) = cost_at(input, tokens, c);
        if fee + overflow < best.1 + best.2 {
            best = (c, fee, overflow);
        }
    }
    let (capacity, fee, overflow) = best;
    let used: u64 = input.daily_tokens.iter().map(|d| (*d).min(capacity)).sum();
    let on_demand_cost = input.on_demand_cost.round_dp(2);
    let fee = fee.round_dp(2);
    let overflow_cost = overflow.round_dp(2);
    let committed_cost = fee + overflow_cost;
    Ok(Sizing {
        days,
        tokens,
        days_with_usage,
        steady: days_with_usage * 100 >= days * STEADY_DAYS_PCT,
        on_demand_cost,
        on_demand_per_million: if tokens == 0 {
            Decimal::ZERO
        } else {
            (input.on_demand_cost * MILLION / Decimal::from(tokens)).round_dp(6)
        },
        fee_per_million: input.fee_per_million,
        daily_capacity: capacity,
        monthly_capacity: capacity * 30,
        fee,
        overflow_cost,
        committed_cost,
        saving: (on_demand_cost - committed_cost).max(Decimal::ZERO),
        utilisation_pct: (capacity > 0).then(|| {
            (Decimal::from(used) * Decimal::ONE_HUNDRED
                / (Decimal::from(capacity) * Decimal::from(days)))
            .round_dp(1)
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn input(days: Vec<u64>, cost: Decimal, fee: Decimal) -> SizingInput {
        SizingInput {
            daily_tokens: days,
            on_demand_cost: cost,
            fee_per_million: fee,
        }
    }

    /// Four days of 1M, 1M, 1M and 3M tokens (6M) costing $60 on demand: $10 per 1M.
    /// At a fee of $4 per 1M of daily capacity:
    /// - C = 0: $60;
    /// - C = 1M: fee 4 × 1 × 4 = $16, overflow 2M = $20: $36;
    /// - C = 3M: fee 4 × 3 × 4 = $48, no overflow: $48.
    ///
    /// So 1M a day, saving $24, used 4M of 4M (100%).
    #[test]
    fn the_cheapest_capacity_is_the_steady_floor() {
        let s = size(&input(
            vec![1_000_000, 1_000_000, 1_000_000, 3_000_000],
            dec!(60),
            dec!(4),
        ))
        .unwrap();
        assert_eq!(s.daily_capacity, 1_000_000);
        assert_eq!(s.monthly_capacity, 30_000_000);
        assert_eq!(s.fee, dec!(16.00));
        assert_eq!(s.overflow_cost, dec!(20.00));
        assert_eq!(s.committed_cost, dec!(36.00));
        assert_eq!(s.saving, dec!(24.00));
        assert_eq!(s.on_demand_per_million, dec!(10.000000));
        assert_eq!(s.utilisation_pct, Some(dec!(100.0)));
        assert!(s.steady);
    }

    /// With the fee above a quarter of the on-demand rate, the peak day's extra capacity
    /// still pays only on 1 day of 4: at $9 per 1M, C = 1M costs 36 + 20 = $56 < $60, and
    /// C = 3M costs 108. At $16 per 1M no capacity pays (C = 1M: 64 + 20 = 84).
    #[test]
    fn a_dear_commitment_is_not_recommended() {
        let days = vec![1_000_000, 1_000_000, 1_000_000, 3_000_000];
        let s = size(&input(days.clone(), dec!(60), dec!(9))).unwrap();
        assert_eq!((s.daily_capacity, s.saving), (1_000_000, dec!(4.00)));
        let s = size(&input(days, dec!(60), dec!(16))).unwrap();
        assert_eq!(s.daily_capacity, 0);
        assert_eq!(s.committed_cost, dec!(60.00));
        assert_eq!(s.saving, dec!(0.00));
        assert_eq!(s.utilisation_pct, None);
    }

    /// Cheap capacity covers the peak: at $1 per 1M, C = 3M costs 12 < C = 1M's 4 + 20.
    #[test]
    fn cheap_capacity_covers_the_peak() {
        let s = size(&input(
            vec![1_000_000, 1_000_000, 1_000_000, 3_000_000],
            dec!(60),
            dec!(1),
        ))
        .unwrap();
        assert_eq!(s.daily_capacity, 3_000_000);
        assert_eq!(s.committed_cost, dec!(12.00));
        assert_eq!(s.saving, dec!(48.00));
        // 6M used of 12M bought.
        assert_eq!(s.utilisation_pct, Some(dec!(50.0)));
    }

    #[test]
    fn sporadic_traffic_is_not_steady_and_bad_fees_are_refused() {
        let s = size(&input(vec![0, 0, 5, 0], dec!(1), dec!(1))).unwrap();
        assert!(!s.steady);
        assert_eq!(s.days_with_usage, 1);
        assert!(matches!(
            size(&input(vec![1], dec!(1), dec!(0))),
            Err(SizingError::BadFee(_))
        ));
        assert!(matches!(
            size(&input(vec![], dec!(1), dec!(1))),
            Err(SizingError::NoDays)
        ));
    }
}
