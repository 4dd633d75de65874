//! Business transactions: what a feature produced for the business (tickets resolved,
//! documents summarised, orders placed), reported by the team so that cost can be read per
//! unit of value: cost per business transaction.
//!
//! A report names its period (a month, or a day within one), the team, optionally the
//! feature, what is counted and how many. Reporting the same (period, team, feature, name)
//! again replaces the count, so a retried report never counts twice.
//!
//! A report may carry what the transactions are worth to the business (revenue or benefit),
//! either per transaction or as a total for the period, in the organisation's currency: the
//! team and feature pages then read value, margin and ROI beside cost (the `margin` module).

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::attribution::validate_owner_name;
use crate::month::Month;

/// At most this many bytes in a transaction's name.
pub const MAX_NAME_BYTES: usize = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Period {
    Day(NaiveDate),
    Month(Month),
}

impl Period {
    pub fn month(&self) -> Month {
        match self {
            Period::Day(d) => Month::of(*d),
            Period::Month(m) => *m,
        }
    }
}

impl std::fmt::Display for Period {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Period::Day(d) => write!(f, "{d}"),
            Period::Month(m) => write!(f, "{m}"),
        }
    }
}

impl std::str::FromStr for Period {
    type Err = TransactionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if let Ok(d) = s.parse::<NaiveDate>() {
            return Ok(Period::Day(d));
        }
        s.parse::<Month>()
            .map(Period::Month)
            .map_err(|_| TransactionError::BadPeriod(s.to_owned()))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BusinessTransactions {
    pub period: Period,
    pub team: String,
    /// Empty for a count that belongs to the team as a whole.
    #[serde(default)]
    pub feature: String,
    pub name: String,
    pub count: u64,
    /// What the transactions are worth; none when only the count is reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<TransactionValue>,
}

/// How a reported value is to be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ValueBasis {
    /// The amount is what one transaction is worth: the period's value is amount × count.
    PerTransaction,
    /// The amount is the period's whole value, whatever the count.
    Total,
}

impl ValueBasis {
    pub fn as_str(self) -> &'static str {
        match self {
            ValueBasis::PerTransaction => "per_transaction",
            ValueBasis::Total => "total",
        }
    }
}

impl std::str::FromStr for ValueBasis {
    type Err = TransactionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "per_transaction" => Ok(ValueBasis::PerTransaction),
            "total" => Ok(ValueBasis::Total),
            other => Err(TransactionError::BadBasis(other.to_owned())),
        }
    }
}

/// Revenue or benefit of a report's transactions, in `currency`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransactionValue {
    pub amount: Decimal,
    pub basis: ValueBasis,
    pub currency: String,
}

impl TransactionValue {
    /// The period's value of `count` transactions.
    pub fn total(&self, count: u64) -> Decimal {
        match self.basis {
            ValueBasis::PerTransaction => self.amount * Decimal::from(count),
            ValueBasis::Total => self.amount,
        }
    }
}

/// Parses a value amount: a plain decimal (`12.50`), not negative, at most
/// [`crate::bounds::MAX_AMOUNT`].
pub fn parse_amount(s: &str) -> Result<Decimal, TransactionError> {
    let t = s.trim();
    let d = t
        .parse::<Decimal>()
        .map_err(|_| TransactionError::BadAmount(t.to_owned()))?;
    if d.is_sign_negative() && !d.is_zero() {
        return Err(TransactionError::NegativeValue(t.to_owned()));
    }
    if !crate::bounds::amount_in_range(d) {
        return Err(TransactionError::ValueTooLarge(t.to_owned()));
    }
    Ok(d.normalize())
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransactionError {
    #[error("`{0}` is neither a month (YYYY-MM) nor a day (YYYY-MM-DD)")]
    BadPeriod(String),
    #[error("{0}")]
    BadOwner(String),
    #[error("`name` must be 1 to {MAX_NAME_BYTES} bytes without control characters")]
    BadName,
    #[error(
        "`count` may be at most {max} in one report, got {0}",
        max = crate::bounds::MAX_TRANSACTIONS
    )]
    CountTooLarge(u64),
    #[error("value `{0}` is not a decimal number")]
    BadAmount(String),
    #[error("value `{0}` is negative: a value is revenue or benefit, 0 or more")]
    NegativeValue(String),
    #[error(
        "value `{0}` is larger than the largest amount kept ({max})",
        max = crate::bounds::MAX_AMOUNT
    )]
    ValueTooLarge(String),
    #[error("value basis `{0}` is neither `per_transaction` nor `total`")]
    BadBasis(String),
    #[error("unknown currency `{got}`: values are kept in the organisation's currency, `{want}`")]
    UnknownCurrency { got: String, want: String },
    #[error("a value per transaction of a month's total would exceed the largest amount kept")]
    TotalTooLarge,
}

impl BusinessTransactions {
    pub fn validate(&self) -> Result<(), TransactionError> {
        let owner =
            |e: crate::attribution::AttributionError| TransactionError::BadOwner(e.to_string());
        validate_owner_name("team", &self.team).map_err(owner)?;
        if !self.feature.is_empty() {
            validate_owner_name("feature", &self.feature).map_err(owner)?;
        }
        let name = self.name.trim();
        if name.is_empty() || name.len() > MAX_NAME_BYTES || name.chars().any(char::is_control) {
            return Err(TransactionError::BadName);
        }
        if self.count > crate::bounds::MAX_TRANSACTIONS {
            return Err(TransactionError::CountTooLarge(self.count));
        }
        if let Some(v) = &self.value {
            if v.amount.is_sign_negative() && !v.amount.is_zero() {
                return Err(TransactionError::NegativeValue(v.amount.to_string()));
            }
            if !crate::bounds::amount_in_range(v.amount) {
                return Err(TransactionError::ValueTooLarge(v.amount.to_string()));
            }
            let total = Decimal::from(self.count).checked_mul(v.amount);
            if v.basis == ValueBasis::PerTransaction
                && !total.is_some_and(crate::bounds::amount_in_range)
            {
                return Err(TransactionError::TotalTooLarge);
            }
        }
        Ok(())
    }

    /// Checks that a value, if any, is in the organisation's currency: there is one currency
    /// and no exchange rates, so any other code is refused rather than summed as if equal.
    pub fn validate_currency(&self, org_currency: &str) -> Result<(), TransactionError> {
        match &self.value {
            Some(v) if !v.currency.eq_ignore_ascii_case(org_currency) => {
                Err(TransactionError::UnknownCurrency {
                    got: v.currency.clone(),
                    want: org_currency.to_owned(),
                })
            }
            _ => Ok(()),
        }
    }

    /// The period's value, none when the report carries none.
    pub fn value_total(&self) -> Option<Decimal> {
        self.value.as_ref().map(|v| v.total(self.count))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_period_is_a_day_or_a_month() {
        assert_eq!(
            "2026-03-04".parse::<Period>().unwrap(),
            Period::Day("2026-03-04".parse().unwrap())
        );
        let m: Period = "2026-03".parse().unwrap();
        assert_eq!(m, Period::Month("2026-03".parse().unwrap()));
        assert_eq!(m.month().to_string(), "2026-03");
        assert_eq!(
            "2026-03-31".parse::<Period>().unwrap().month().to_string(),
            "2026-03"
        );
        assert!("March".parse::<Period>().is_err());
    }

    fn report(count: u64, value: Option<(&str, ValueBasis)>) -> BusinessTransactions {
        BusinessTransactions {
            period: "2026-03".parse().unwrap(),
            team: "search".into(),
            feature: "answers".into(),
            name: "tickets".into(),
            count,
            value: value.map(|(a, basis)| TransactionValue {
                amount: a.parse().unwrap(),
                basis,
                currency: "USD".into(),
            }),
        }
    }

    #[test]
    fn a_value_per_transaction_is_multiplied_by_the_count_a_total_is_not() {
        let per = report(120, Some(("2.50", ValueBasis::PerTransaction)));
        assert_eq!(per.value_total(), Some("300".parse().unwrap()));
        let total = report(120, Some(("300.00", ValueBasis::Total)));
        assert_eq!(total.value_total(), Some("300".parse().unwrap()));
        assert_eq!(report(120, None).value_total(), None);
    }

    #[test]
    fn amounts_must_be_decimals_of_zero_or_more() {
        assert_eq!(parse_amount(" 12.50 "), Ok("12.5".parse().unwrap()));
        assert_eq!(parse_amount("0"), Ok(Decimal::ZERO));
        assert_eq!(
            parse_amount("-1"),
            Err(TransactionError::NegativeValue("-1".into()))
        );
        assert_eq!(
            parse_amount("ten"),
            Err(TransactionError::BadAmount("ten".into()))
        );
        assert!(matches!(
            parse_amount("1000000000001"),
            Err(TransactionError::ValueTooLarge(_))
        ));
        assert_eq!("total".parse::<ValueBasis>(), Ok(ValueBasis::Total));
        assert!("each".parse::<ValueBasis>().is_err());
    }

    #[test]
    fn only_the_organisation_currency_is_taken() {
        let mut r = report(3, Some(("1", ValueBasis::Total)));
        assert_eq!(r.validate_currency("USD"), Ok(()));
        r.value.as_mut().unwrap().currency = "EUR".into();
        assert_eq!(
            r.validate_currency("USD"),
            Err(TransactionError::UnknownCurrency {
                got: "EUR".into(),
                want: "USD".into()
            })
        );
        let mut neg = report(3, Some(("1", ValueBasis::Total)));
        neg.value.as_mut().unwrap().amount = "-0.01".parse().unwrap();
        assert!(matches!(
            neg.validate(),
            Err(TransactionError::NegativeValue(_))
        ));
        let huge = report(1_000_000_000_000, Some(("2", ValueBasis::PerTransaction)));
        assert_eq!(huge.validate(), Err(TransactionError::TotalTooLarge));
    }
}
