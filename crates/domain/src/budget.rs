//! Budgets: an amount per team, feature or API key per month, alert thresholds on it, and a
//! month-end forecast by the one forecasting method of [`crate::forecast`].
//!
//! A budget holds for its month, or, when `recurring`, for its month and every later one
//! until the same team, feature or key is given another budget ([`in_force`]).

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::anomaly::AnomalySettings;
use crate::forecast::Owner;
use crate::month::Month;

/// Alert thresholds, in percent of the budget, unless a budget sets its own.
pub const DEFAULT_THRESHOLDS: [u32; 3] = [50, 80, 100];

/// What a budget limits: a team's blended cost, one feature's token cost (what its calls
/// cost: overhead shares move with other features' spend, which its owner does not steer), or
/// one API key's token cost.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    Team,
    Feature,
    Key,
}

impl Scope {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Team => "team",
            Self::Feature => "feature",
            Self::Key => "key",
        }
    }
}

impl std::str::FromStr for Scope {
    type Err = BudgetError;
    fn from_str(s: &str) -> Result<Self, BudgetError> {
        match s {
            "team" => Ok(Self::Team),
            "feature" => Ok(Self::Feature),
            "key" => Ok(Self::Key),
            other => Err(BudgetError::BadScope(other.to_owned())),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Budget {
    pub month: Month,
    pub scope: Scope,
    /// The team's name (scopes `team` and `feature`), or the API key's identifier.
    pub subject: String,
    /// The feature (scope `feature`); empty otherwise.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub feature: String,
    /// In whole cents.
    pub amount: Decimal,
    /// Percent of the amount at which an alert is raised, ascending.
    pub thresholds: Vec<u32>,
    /// Holds every later month too, until the same subject gets another budget.
    #[serde(default)]
    pub recurring: bool,
    /// For a recurring budget shown in a later month: the month it was set for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub carried_from: Option<Month>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BudgetError {
    #[error("`scope` must be `team`, `feature` or `key`, got `{0}`")]
    BadScope(String),
    #[error("name the team or key the budget is for")]
    NoSubject,
    #[error("a feature budget names its team and its feature")]
    NoFeature,
    #[error("only a feature budget names a feature")]
    StrayFeature,
    #[error(
        "`amount` must be > 0 and at most {max} with at most two decimal places, got {0}",
        max = crate::bounds::MAX_AMOUNT
    )]
    BadAmount(Decimal),
    #[error("thresholds must be between 1 and 1000 percent, got {0}")]
    BadThreshold(u32),
}

impl Budget {
    /// Checks the budget and puts its thresholds in order (defaults when none are given).
    pub fn validated(mut self) -> Result<Self, BudgetError> {
        self.subject = self.subject.trim().to_owned();
        if self.subject.is_empty() {
            return Err(BudgetError::NoSubject);
        }
        self.feature = self.feature.trim().to_owned();
        match (&self.scope, self.feature.is_empty()) {
            (Scope::Feature, true) => return Err(BudgetError::NoFeature),
            (Scope::Team | Scope::Key, false) => return Err(BudgetError::StrayFeature),
            _ => {}
        }
        if self.amount <= Decimal::ZERO
            || self.amount > crate::bounds::MAX_AMOUNT
            || self.amount.normalize().scale() > 2
        {
            return Err(BudgetError::BadAmount(self.amount));
        }
        if let Some(t) = self.thresholds.iter().find(|t| !(1..=1000).contains(*t)) {
            return Err(BudgetError::BadThreshold(*t));
        }
        if self.thresholds.is_empty() {
            self.thresholds = DEFAULT_THRESHOLDS.to_vec();
        }
        self.thresholds.sort_unstable();
        self.thresholds.dedup();
        Ok(self)
    }

    /// What the budget is for, as alerts and pages name it: `search`, `search/chat`, a key.
    pub fn label(&self) -> String {
        match self.scope {
            Scope::Feature => format!("{}/{}", self.subject, self.feature),
            _ => self.subject.clone(),
        }
    }

    /// The thresholds that `spent` has reached.
    pub fn crossed(&self, spent: Decimal) -> Vec<u32> {
        self.thresholds
            .iter()
            .copied()
            .filter(|t| spent * Decimal::ONE_HUNDRED >= self.amount * Decimal::from(*t))
            .collect()
    }
}

/// The budgets in force in `month`, from `set` (budgets of `month` and of earlier months): a
/// subject's budget of the month itself, or else its latest earlier budget if that one is
/// recurring (shown with `carried_from`). A one-month budget set for a month in between
/// overrides a recurring one for that month only.
pub fn in_force(month: Month, set: &[Budget]) -> Vec<Budget> {
    use std::collections::BTreeMap;
    let mut own: BTreeMap<(Scope, &str, &str), &Budget> = BTreeMap::new();
    let mut recurring: BTreeMap<(Scope, &str, &str), &Budget> = BTreeMap::new();
    for b in set.iter().filter(|b| b.month <= month) {
        let key = (b.scope.clone(), b.subject.as_str(), b.feature.as_str());
        if b.month == month {
            own.insert(key, b);
        } else if b.recurring && recurring.get(&key).is_none_or(|r| r.month < b.month) {
            recurring.insert(key, b);
        }
    }
    // A later one-month budget of the subject ends nothing: the recurring one still holds
    // in the months after it. A later recurring budget replaces it (handled above: latest).
    let mut out: BTreeMap<(Scope, &str, &str), Budget> = BTreeMap::new();
    for (k, b) in recurring {
        out.insert(
            k,
            Budget {
                month,
                carried_from: Some(b.month),
                ..b.clone()
            },
        );
    }
    for (k, b) in own {
        out.insert(k, b.clone());
    }
    let mut v: Vec<Budget> = out.into_values().collect();
    // As stored budgets are listed: teams, then features, then keys, by subject.
    v.sort_by(|a, b| (&a.scope, &a.subject, &a.feature).cmp(&(&b.scope, &b.subject, &b.feature)));
    v
}

/// Where a month is expected to end, by the one forecasting method ([`crate::forecast`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Forecast {
    /// Spend so far in the month (fixed costs included), to the cent.
    pub month_to_date: Decimal,
    /// Expected average daily spend of the days left (from the weekday profile), 6 places.
    pub run_rate: Decimal,
    /// Days of the month after `as_of`.
    pub days_left: u32,
    /// The expected month end, to the cent.
    pub month_end: Decimal,
    /// The conservative and peak month ends.
    pub conservative: Decimal,
    pub peak: Decimal,
}

/// Forecasts the month's end of one owner. `as_of` is today: its spend counts in the month
/// to date and the days after it are forecast from the weekday profile of the history
/// before it. A past month is complete (nothing left); a future one has spent nothing.
pub fn forecast(
    month: Month,
    owner: &Owner,
    as_of: NaiveDate,
    anomalies: &AnomalySettings,
) -> Forecast {
    let l = crate::forecast::line("", owner, &[month], as_of, anomalies);
    let days_left = if as_of >= month.last_day() {
        0
    } else if as_of < month.first_day() {
        month.days()
    } else {
        (month.last_day() - as_of).num_days() as u32
    };
    let run_rate = if days_left > 0 {
        ((l.bands.expected - l.to_date) / Decimal::from(days_left))
            .round_dp(6)
            .normalize()
    } else {
        Decimal::ZERO
    };
    Forecast {
        month_to_date: l.to_date,
        run_rate,
        days_left,
        month_end: l.bands.expected,
        conservative: l.bands.conservative,
        peak: l.bands.peak,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    OnTrack,
    /// Under budget so far, forecast over it.
    AtRisk,
    /// Spent more than the budget.
    Over,
}

impl Status {
    pub fn of(amount: Decimal, f: &Forecast) -> Self {
        if f.month_to_date > amount {
            Self::Over
        } else if f.month_end > amount {
            Self::AtRisk
        } else {
            Self::OnTrack
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::OnTrack => "on track",
            Self::AtRisk => "at risk",
            Self::Over => "over",
        }
    }
}

/// A budget with where its month stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BudgetStatus {
    pub budget: Budget,
    pub forecast: Forecast,
    pub status: Status,
    /// Spent ÷ amount, in percent (one decimal place).
    pub used_pct: Decimal,
    pub crossed: Vec<u32>,
}

/// Where a budget stands; the owner's `fixed` is spend the month carries whatever the days
/// bring (overhead and commitment shares), counted in full in the month to date.
pub fn status(
    budget: &Budget,
    owner: &Owner,
    as_of: NaiveDate,
    anomalies: &AnomalySettings,
) -> BudgetStatus {
    let f = forecast(budget.month, owner, as_of, anomalies);
    BudgetStatus {
        status: Status::of(budget.amount, &f),
        used_pct: (f.month_to_date * Decimal::ONE_HUNDRED / budget.amount).round_dp(1),
        crossed: budget.crossed(f.month_to_date),
        budget: budget.clone(),
        forecast: f,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use rust_decimal_macros::dec;

    fn month() -> Month {
        "2026-03".parse().unwrap()
    }

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, d).unwrap()
    }

    fn series(per_day: Decimal, days: std::ops::RangeInclusive<u32>) -> Owner {
        Owner {
            daily: days.map(|d| (day(d), per_day)).collect::<BTreeMap<_, _>>(),
            fixed: Decimal::ZERO,
        }
    }

    fn budget(amount: Decimal) -> Budget {
        Budget {
            month: month(),
            scope: Scope::Team,
            subject: "search".into(),
            feature: String::new(),
            amount,
            thresholds: vec![],
            recurring: false,
            carried_from: None,
        }
        .validated()
        .unwrap()
    }

    fn anomalies() -> AnomalySettings {
        AnomalySettings::default()
    }

    #[test]
    fn forecast_is_month_to_date_plus_the_weekday_profile_for_the_days_left() {
        // 10.00 a day on the 1st..16th, today the 17th (5.00 so far): every weekday's
        // profile is 10.00, 14 days left after the 17th, fixed costs 7.50.
        let mut s = series(dec!(10), 1..=16);
        s.daily.insert(day(17), dec!(5));
        s.fixed = dec!(7.50);
        let f = forecast(month(), &s, day(17), &anomalies());
        assert_eq!(f.month_to_date, dec!(172.50));
        assert_eq!(f.run_rate, dec!(10));
        assert_eq!(f.days_left, 14);
        assert_eq!(f.month_end, dec!(312.50));
        assert_eq!((f.conservative, f.peak), (dec!(312.50), dec!(312.50)));
    }

    #[test]
    fn early_in_the_month_the_profile_uses_the_days_there_are() {
        let s = series(dec!(3), 1..=3);
        let f = forecast(month(), &s, day(3), &anomalies());
        assert_eq!(f.run_rate, dec!(3));
        assert_eq!(f.month_end, dec!(9) + dec!(3) * dec!(28));
        // On the first, nothing is complete: the forecast is what is spent.
        assert_eq!(
            forecast(month(), &s, day(1), &anomalies()).month_end,
            dec!(3.00)
        );
    }

    #[test]
    fn a_past_month_forecasts_what_it_spent() {
        let s = series(dec!(1.005), 1..=31);
        let f = forecast(
            month(),
            &s,
            NaiveDate::from_ymd_opt(2026, 5, 2).unwrap(),
            &anomalies(),
        );
        assert_eq!(f.days_left, 0);
        assert_eq!(f.month_end, dec!(31.16));
    }

    #[test]
    fn status_is_on_track_at_risk_or_over() {
        let s = series(dec!(10), 1..=10);
        let at = |amount| status(&budget(amount), &s, day(10), &anomalies());
        // 100 spent, 10 a day, 21 days left → 310.
        assert_eq!(at(dec!(400)).status, Status::OnTrack);
        assert_eq!(at(dec!(300)).status, Status::AtRisk);
        let over = at(dec!(99.99));
        assert_eq!(over.status, Status::Over);
        assert_eq!(over.crossed, vec![50, 80, 100]);
        assert_eq!(at(dec!(180)).crossed, vec![50]);
    }

    #[test]
    fn bad_budgets_are_refused() {
        let b = |amount, thresholds: Vec<u32>| Budget {
            month: month(),
            scope: Scope::Key,
            subject: "k".into(),
            feature: String::new(),
            amount,
            thresholds,
            recurring: false,
            carried_from: None,
        };
        assert!(b(dec!(0), vec![]).validated().is_err());
        assert!(b(dec!(1.001), vec![]).validated().is_err());
        assert!(b(dec!(1), vec![0]).validated().is_err());
        assert_eq!(
            b(dec!(1), vec![90, 10, 90]).validated().unwrap().thresholds,
            vec![10, 90]
        );
        assert!("org".parse::<Scope>().is_err());
    }
}
