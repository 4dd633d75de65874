//! Business transactions: what a feature produced for the business (tickets resolved,
//! documents summarised, orders placed), reported by the team so that cost can be read per
//! unit of value: cost per business transaction.
//!
//! A report names its period (a month, or a day within one), the team, optionally the
//! feature, what is counted and how many. Reporting the same (period, team, feature, name)
//! again replaces the count, so a retried report never counts twice.

use chrono::NaiveDate;
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
        Ok(())
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
}
