//! How numbers read on a finance page: currency, thousands separators, fixed decimals.

use chrono::{DateTime, Utc};
use rust_decimal::{Decimal, RoundingStrategy};

/// Groups the digits of an integer string in threes.
fn group(digits: &str) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn symbol(currency: &str) -> &str {
    match currency {
        "USD" => "$",
        "EUR" => "€",
        "GBP" => "£",
        _ => "",
    }
}

/// `$1,234.56`; `-$12.00`; other currencies as `1,234.56 CHF`.
pub fn money(amount: Decimal, currency: &str) -> String {
    fixed_money(amount, currency, 2)
}

/// Money without cents, for a chart's axis of round figures: `$1,500`.
pub fn whole_money(amount: Decimal, currency: &str) -> String {
    fixed_money(amount, currency, 0)
}

/// A unit cost, where a tenth of a cent matters: `$0.0271`.
pub fn unit_money(amount: Decimal, currency: &str) -> String {
    let dp = if amount.abs() >= Decimal::ONE { 2 } else { 4 };
    fixed_money(amount, currency, dp)
}

/// A price card's rate at its full precision, never rounded: `$0.000000375`, `$2.50`,
/// `$1,200.125`. At least two decimals, as money reads.
pub fn rate(amount: Decimal, currency: &str) -> String {
    let dp = amount.normalize().scale().max(2);
    fixed_money(amount, currency, dp)
}

fn fixed_money(amount: Decimal, currency: &str, dp: u32) -> String {
    let body = fixed(amount.abs(), dp);
    let sign = if amount.is_sign_negative()
        && !amount.is_zero()
        && body.chars().any(|c| c.is_ascii_digit() && c != '0')
    {
        "-"
    } else {
        ""
    };
    match symbol(currency) {
        "" => format!("{sign}{body} {currency}"),
        s => format!("{sign}{s}{body}"),
    }
}

/// A non-negative decimal with `dp` places and grouped thousands.
pub fn fixed(amount: Decimal, dp: u32) -> String {
    let r = amount.round_dp_with_strategy(dp, RoundingStrategy::MidpointNearestEven);
    let s = format!("{:.*}", dp as usize, r);
    let (int, frac) = s
        .split_once('.')
        .map_or((s.as_str(), None), |(i, f)| (i, Some(f)));
    let (neg, int) = int.strip_prefix('-').map_or(("", int), |i| ("-", i));
    match frac {
        Some(f) => format!("{neg}{}.{f}", group(int)),
        None => format!("{neg}{}", group(int)),
    }
}

/// `12,345,678`
pub fn count(n: u64) -> String {
    group(&n.to_string())
}

/// Token counts in a compact form: `1.2M`, `845k`, `512`.
pub fn tokens(n: u64) -> String {
    let d = Decimal::from(n);
    if n >= 1_000_000_000 {
        format!("{}B", fixed(d / Decimal::from(1_000_000_000), 1))
    } else if n >= 1_000_000 {
        format!("{}M", fixed(d / Decimal::from(1_000_000), 1))
    } else if n >= 10_000 {
        format!("{}k", fixed(d / Decimal::from(1_000), 0))
    } else {
        count(n)
    }
}

/// A signed percentage: `+12.5%`, `-3.0%`.
pub fn signed_pct(p: Decimal) -> String {
    let sign = if p > Decimal::ZERO { "+" } else { "" };
    format!("{sign}{}%", fixed(p, 1))
}

/// Share of a whole as a percentage with one decimal.
pub fn share(part: Decimal, whole: Decimal) -> String {
    if whole.is_zero() {
        "–".to_owned()
    } else {
        format!("{}%", fixed(part / whole * Decimal::ONE_HUNDRED, 1))
    }
}

/// A moment for tables, to the minute, in UTC: `2026-03-14 09:30`.
pub fn when(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M").to_string()
}

/// A moment with its zone said: `2026-03-14 09:30 UTC`.
pub fn when_utc(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// A percentage as measured, with no rounding: `12.5%`.
pub fn pct(p: Decimal) -> String {
    format!("{p}%")
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn money_reads_like_an_invoice() {
        assert_eq!(money(dec!(1234567.891), "USD"), "$1,234,567.89");
        assert_eq!(money(dec!(-12), "USD"), "-$12.00");
        assert_eq!(money(dec!(0.001), "USD"), "$0.00");
        assert_eq!(money(dec!(-0.001), "USD"), "$0.00");
        assert_eq!(money(dec!(999.5), "CHF"), "999.50 CHF");
        assert_eq!(unit_money(dec!(0.027123), "USD"), "$0.0271");
        assert_eq!(unit_money(dec!(1.5), "USD"), "$1.50");
    }

    #[test]
    fn rates_keep_every_digit() {
        assert_eq!(rate(dec!(0.000000375), "USD"), "$0.000000375");
        assert_eq!(rate(dec!(0.375), "USD"), "$0.375");
        assert_eq!(rate(dec!(2.5), "USD"), "$2.50");
        assert_eq!(rate(dec!(2.50000), "USD"), "$2.50");
        assert_eq!(rate(dec!(1200.125), "EUR"), "€1,200.125");
        assert_eq!(rate(dec!(0.0000001), "CHF"), "0.0000001 CHF");
        assert_eq!(rate(dec!(0), "USD"), "$0.00");
    }

    #[test]
    fn counts_and_shares() {
        assert_eq!(count(1234567), "1,234,567");
        assert_eq!(count(12), "12");
        assert_eq!(tokens(1_234_567), "1.2M");
        assert_eq!(tokens(845_300), "845k");
        assert_eq!(signed_pct(dec!(12.46)), "+12.5%");
        assert_eq!(signed_pct(dec!(-3)), "-3.0%");
        assert_eq!(share(dec!(1), dec!(3)), "33.3%");
        assert_eq!(pct(dec!(12.5)), "12.5%");
    }

    #[test]
    fn moments_read_to_the_minute() {
        let at = DateTime::from_timestamp(1_773_480_600, 0).expect("a time");
        assert_eq!(when(at), "2026-03-14 09:30");
        assert_eq!(when_utc(at), "2026-03-14 09:30 UTC");
    }
}
