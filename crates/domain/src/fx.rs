//! Currencies: exchange rates and statements converted with them.
//!
//! Prices, costs and statements stay in the billing currency (the server's `--currency`).
//! A figure shown in another currency — the organisation's reporting currency, or a team's
//! statement currency — is converted at **one rate per month**: the rate stated for the
//! statement's month, with its source. Conversion is exact decimal multiplication; the
//! converted lines are then rounded to the cent so that they add up to the converted total
//! (itself the exact total rounded), and the exact converted total is kept beside it, so
//! that dividing it by the rate gives back the billing-currency total exactly.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::drilldown::rounded_to;
use crate::month::Month;
use crate::statement::{LineKind, Statement};

/// The largest rate accepted (1 unit of the base buys at most a million of the quote).
pub const MAX_RATE: Decimal = Decimal::from_parts(1_000_000, 0, 0, false, 0);
/// Decimal places a rate may carry.
pub const RATE_PLACES: u32 = 10;
/// Longest source text.
pub const MAX_SOURCE: usize = 200;

/// 1 `base` = `rate` `quote`, for every day of `month`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FxRate {
    pub base: String,
    pub quote: String,
    pub month: Month,
    pub rate: Decimal,
    /// Where the rate comes from (`ECB reference rate 2026-04-30`, `treasury`, ...).
    pub source: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FxError {
    #[error(
        "`{field}` must be a three-letter ISO 4217 code in capitals (like USD or EUR), got `{value}`"
    )]
    BadCurrency { field: &'static str, value: String },
    #[error("`base` and `quote` must differ")]
    SameCurrency,
    #[error(
        "`rate` must be above 0 and at most {MAX_RATE}, with at most {RATE_PLACES} decimal places, got {0}"
    )]
    BadRate(Decimal),
    #[error(
        "`source` must say where the rate comes from, in 1 to {MAX_SOURCE} characters without control characters"
    )]
    BadSource,
    #[error("no rate from {base} to {quote} for {month}")]
    NoRate {
        base: String,
        quote: String,
        month: Month,
    },
}

/// A currency code as ISO 4217 writes it: three ASCII capitals.
pub fn currency(field: &'static str, value: &str) -> Result<String, FxError> {
    if value.len() == 3 && value.chars().all(|c| c.is_ascii_uppercase()) {
        Ok(value.to_owned())
    } else {
        Err(FxError::BadCurrency {
            field,
            value: value.chars().take(20).collect(),
        })
    }
}

impl FxRate {
    pub fn validate(&self) -> Result<(), FxError> {
        currency("base", &self.base)?;
        currency("quote", &self.quote)?;
        if self.base == self.quote {
            return Err(FxError::SameCurrency);
        }
        if self.rate <= Decimal::ZERO || self.rate > MAX_RATE || self.rate.scale() > RATE_PLACES {
            return Err(FxError::BadRate(self.rate));
        }
        let s = self.source.trim();
        if s.is_empty() || s.chars().count() > MAX_SOURCE || s.chars().any(char::is_control) {
            return Err(FxError::BadSource);
        }
        Ok(())
    }
}

/// The rate that converts `base` into `quote` for `month`, among `rates`.
pub fn rate_for<'a>(
    rates: &'a [FxRate],
    base: &str,
    quote: &str,
    month: Month,
) -> Result<&'a FxRate, FxError> {
    rates
        .iter()
        .find(|r| r.base == base && r.quote == quote && r.month == month)
        .ok_or_else(|| FxError::NoRate {
            base: base.to_owned(),
            quote: quote.to_owned(),
            month,
        })
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConvertedLine {
    pub kind: LineKind,
    pub description: String,
    /// In the billing currency, as the statement has it.
    pub amount: Decimal,
    /// In the converted currency, rounded to the cent (the lines add up to `total`).
    pub converted: Decimal,
    /// `amount × rate`, exactly.
    pub converted_exact: Decimal,
}

/// A statement in another currency, with the rate and its source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConvertedStatement {
    pub team: String,
    pub month: Month,
    pub billing_currency: String,
    pub billing_total: Decimal,
    pub currency: String,
    pub rate: Decimal,
    pub rate_source: String,
    pub lines: Vec<ConvertedLine>,
    /// `billing_total × rate` rounded to the cent.
    pub total: Decimal,
    /// `billing_total × rate`, exactly: ÷ `rate` gives `billing_total` back.
    pub total_exact: Decimal,
}

impl ConvertedStatement {
    /// The billing-currency total got back from the exact converted total, to the cent.
    pub fn reconciled(&self) -> Decimal {
        (self.total_exact / self.rate).round_dp(2)
    }
}

/// The statement in `rate.quote`. The rate must convert from the statement's currency.
pub fn convert(s: &Statement, rate: &FxRate) -> Result<ConvertedStatement, FxError> {
    if rate.base != s.currency || rate.month != s.month {
        return Err(FxError::NoRate {
            base: s.currency.clone(),
            quote: rate.quote.clone(),
            month: s.month,
        });
    }
    let exact: Vec<Decimal> = s.lines.iter().map(|l| l.amount * rate.rate).collect();
    let total_exact = s.total * rate.rate;
    let total = total_exact.round_dp(2);
    let rounded = if exact.is_empty() {
        Vec::new()
    } else {
        rounded_to(total, &exact)
    };
    Ok(ConvertedStatement {
        team: s.team.clone(),
        month: s.month,
        billing_currency: s.currency.clone(),
        billing_total: s.total,
        currency: rate.quote.clone(),
        rate: rate.rate,
        rate_source: rate.source.clone(),
        lines: s
            .lines
            .iter()
            .zip(exact.iter().zip(rounded))
            .map(|(l, (e, r))| ConvertedLine {
                kind: l.kind,
                description: l.description.clone(),
                amount: l.amount,
                converted: r,
                converted_exact: e.normalize(),
            })
            .collect(),
        total,
        total_exact: total_exact.normalize(),
    })
}

#[cfg(test)]
mod tests {
    use rust_decimal_macros::dec;

    use super::*;
    use crate::statement::{Mode, StatementLine};

    fn rate(r: Decimal) -> FxRate {
        FxRate {
            base: "USD".into(),
            quote: "EUR".into(),
            month: "2026-04".parse().unwrap(),
            rate: r,
            source: "ECB".into(),
        }
    }

    fn line(amount: Decimal) -> StatementLine {
        StatementLine {
            kind: LineKind::Usage,
            description: "x".into(),
            provider: None,
            model: None,
            token_class: None,
            quantity: None,
            rate_per_million: None,
            list_rate_per_million: None,
            rate_key: None,
            amount,
            exact_amount: None,
            belongs_to: None,
            parts: Vec::new(),
        }
    }

    fn statement(amounts: &[Decimal]) -> Statement {
        let total = amounts.iter().sum();
        let month: Month = "2026-04".parse().unwrap();
        Statement {
            team: "search".into(),
            month,
            period_start: month.first_day(),
            period_end: month.last_day(),
            currency: "USD".into(),
            mode: Mode::Chargeback,
            lines: amounts.iter().map(|a| line(*a)).collect(),
            usage: total,
            overhead: Decimal::ZERO,
            commitment: Decimal::ZERO,
            adjustments: Decimal::ZERO,
            total,
            basis: Vec::new(),
        }
    }

    #[test]
    fn rates_are_validated() {
        assert!(rate(dec!(0.9213)).validate().is_ok());
        for bad in [dec!(0), dec!(-1), dec!(1000001), dec!(0.00000000001)] {
            assert_eq!(rate(bad).validate(), Err(FxError::BadRate(bad)));
        }
        let mut r = rate(dec!(1));
        r.quote = "eur".into();
        assert!(matches!(r.validate(), Err(FxError::BadCurrency { .. })));
        r.quote = "USD".into();
        assert_eq!(r.validate(), Err(FxError::SameCurrency));
        let mut r = rate(dec!(1));
        r.source = "  ".into();
        assert_eq!(r.validate(), Err(FxError::BadSource));
    }

    #[test]
    fn a_converted_statement_adds_up_and_reconciles_to_the_cent() {
        // 3 × 0.01 + 10.00 at 0.9213: exact 0.009213 × 3 + 9.213 = 9.240639 → 9.24.
        let s = statement(&[dec!(0.01), dec!(0.01), dec!(0.01), dec!(10.00)]);
        let c = convert(&s, &rate(dec!(0.9213))).unwrap();
        assert_eq!(c.total_exact, dec!(9.240639));
        assert_eq!(c.total, dec!(9.24));
        assert_eq!(
            c.lines.iter().map(|l| l.converted).sum::<Decimal>(),
            c.total
        );
        assert_eq!(c.reconciled(), dec!(10.03));
        assert_eq!(c.rate_source, "ECB");
    }

    #[test]
    fn a_rate_of_another_month_or_currency_does_not_convert() {
        let s = statement(&[dec!(1)]);
        let mut r = rate(dec!(2));
        r.month = "2026-05".parse().unwrap();
        assert!(convert(&s, &r).is_err());
        let mut r = rate(dec!(2));
        r.base = "GBP".into();
        assert!(convert(&s, &r).is_err());
    }
}
