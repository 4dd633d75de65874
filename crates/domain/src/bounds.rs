//! The largest values tokentally accepts, so that no product or sum of what it stores can
//! leave the range of a decimal or of a 64-bit column.
//!
//! Every bound lies far above anything real (the largest provider bill is some billions a
//! year; the dearest model some hundreds per million tokens), and low enough that the
//! arithmetic of a month (tokens × rate, amount × weight, fee × tokens ÷ capacity, sums over
//! twelve months and all teams, in cents) stays below `rust_decimal`'s 7.9e28 and an `i64`'s 9.2e18.

use rust_decimal::Decimal;

/// The largest amount of money in one record: an overhead, a commitment fee, a budget, a
/// reported cost (one trillion in the org currency).
pub const MAX_AMOUNT: Decimal = Decimal::from_parts(3_567_587_328, 232, 0, false, 0);

/// The largest rate of a price card, per million tokens (a cent per token: some sixteen
/// times the dearest model's output rate).
pub const MAX_RATE: Decimal = Decimal::from_parts(10_000, 0, 0, false, 0);

/// The largest fixed share (a weight) of an overhead split.
pub const MAX_SHARE: Decimal = Decimal::from_parts(1_000_000_000, 0, 0, false, 0);

/// The most tokens of one class (and requests) the whole organisation may record in one
/// month; also the largest capacity of a commitment. A quadrillion: a thousand times the
/// largest real monthly volumes, and sums of a century of such months still fit an `i64`.
pub const MAX_MONTH_TOKENS: u64 = 1_000_000_000_000_000;

/// The largest count of business transactions in one report.
pub const MAX_TRANSACTIONS: u64 = 1_000_000_000_000;

/// The largest latency of one call, in milliseconds: the range of the stored column.
pub const MAX_LATENCY_MS: u64 = i64::MAX as u64;

/// Whether `d` is a money amount tokentally keeps: not negative, at most [`MAX_AMOUNT`].
pub fn amount_in_range(d: Decimal) -> bool {
    d >= Decimal::ZERO && d <= MAX_AMOUNT
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bounds_say_what_their_docs_say() {
        assert_eq!(MAX_AMOUNT, Decimal::from(1_000_000_000_000_u64));
        assert!(amount_in_range(MAX_AMOUNT));
        assert!(!amount_in_range(MAX_AMOUNT + Decimal::new(1, 2)));
        assert!(!amount_in_range(Decimal::new(-1, 2)));
        assert!(amount_in_range(Decimal::ZERO));
    }

    #[test]
    fn a_month_at_every_bound_prices_and_sums_without_overflow() {
        // Every class of a month at the bound, at the largest rate, over a century of months.
        let month = Decimal::from(MAX_MONTH_TOKENS)
            .checked_mul(MAX_RATE)
            .expect("tokens × rate fits");
        let year_cents = (month / Decimal::from(1_000_000))
            .checked_mul(Decimal::from(5 * 12 * 100))
            .expect("a year of months, in cents, fits a decimal");
        assert!(year_cents < Decimal::from(i64::MAX), "and an i64 of cents");
        // A commitment fee × capacity.
        assert!(
            MAX_AMOUNT
                .checked_mul(Decimal::from(MAX_MONTH_TOKENS))
                .is_some()
        );
        // Tokens of every class over a century still fit an i64.
        assert!(
            MAX_MONTH_TOKENS
                .checked_mul(6 * 12 * 100)
                .is_some_and(|n| n < i64::MAX as u64)
        );
    }
}
