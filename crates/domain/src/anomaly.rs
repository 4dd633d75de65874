//! Anomalies: a day's spend against its trailing baseline, robustly.
//!
//! The baseline is the 28 days before the day (days without spend count as zero, once the
//! owner has any spend in the window). Its centre is the median and its spread the median
//! absolute deviation (MAD); a day is flagged when its robust z-score,
//! `0.6745 × (x − median) ÷ MAD`, exceeds the threshold (3.5 by default, Iglewicz and
//! Hoaglin's cut-off). Only rises are flagged: spend that drops is not a cost problem. All
//! arithmetic is on exact decimals.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Days in the trailing baseline.
pub const BASELINE_DAYS: i64 = 28;

/// The largest robust z-score threshold an admin may set: far above any useful cut-off (a
/// z of 100 flags nothing a person would call an anomaly), low enough to catch a slip of
/// the keyboard.
pub const MAX_Z_THRESHOLD: Decimal = Decimal::from_parts(100, 0, 0, false, 0);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnomalySettings {
    /// Robust z-score above which a day is flagged.
    pub z_threshold: Decimal,
    /// Days smaller than this are never flagged (cents are noise).
    pub min_amount: Decimal,
    /// Days of the window with spend needed before a baseline is trusted.
    pub min_days: u32,
}

impl Default for AnomalySettings {
    fn default() -> Self {
        Self {
            z_threshold: Decimal::new(35, 1),
            min_amount: Decimal::ONE,
            min_days: 7,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnomalySettingsError {
    #[error("`z_threshold` must be above 0 and at most {MAX_Z_THRESHOLD}, got {0}")]
    BadThreshold(Decimal),
    #[error(
        "`min_amount` must be between 0 and {max}, got {0}",
        max = crate::bounds::MAX_AMOUNT
    )]
    BadMinimum(Decimal),
    #[error("`min_days` must be between 1 and 28, got {0}")]
    BadDays(u32),
}

impl AnomalySettings {
    pub fn validate(&self) -> Result<(), AnomalySettingsError> {
        if self.z_threshold <= Decimal::ZERO || self.z_threshold > MAX_Z_THRESHOLD {
            return Err(AnomalySettingsError::BadThreshold(self.z_threshold));
        }
        if !crate::bounds::amount_in_range(self.min_amount) {
            return Err(AnomalySettingsError::BadMinimum(self.min_amount));
        }
        if !(1..=BASELINE_DAYS as u32).contains(&self.min_days) {
            return Err(AnomalySettingsError::BadDays(self.min_days));
        }
        Ok(())
    }
}

/// A day that stands out, for one owner (a team or a key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Anomaly {
    pub day: NaiveDate,
    pub amount: Decimal,
    pub median: Decimal,
    pub mad: Decimal,
    /// Rounded to two decimal places.
    pub z_score: Decimal,
}

/// The median of `values` (the mean of the middle two for an even count).
pub fn median(values: &[Decimal]) -> Option<Decimal> {
    let mut v = values.to_vec();
    v.sort();
    let n = v.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(v[n / 2]),
        _ => Some((v[n / 2 - 1] + v[n / 2]) / Decimal::TWO),
    }
}

/// Median and median absolute deviation.
pub fn baseline(values: &[Decimal]) -> Option<(Decimal, Decimal)> {
    let m = median(values)?;
    let deviations: Vec<Decimal> = values.iter().map(|v| (*v - m).abs()).collect();
    Some((m, median(&deviations)?))
}

/// `0.6745 × (x − median) ÷ MAD`. A MAD of zero (a flat baseline) is floored at 1% of the
/// median or one cent, whichever is more, so a flat series still flags a real jump.
pub fn robust_z(x: Decimal, median: Decimal, mad: Decimal) -> Decimal {
    let floor = (median.abs() / Decimal::ONE_HUNDRED).max(Decimal::new(1, 2));
    Decimal::new(6745, 4) * (x - median) / mad.max(floor)
}

/// Whether `day` of `daily` (spend per day of one owner) is an anomaly.
pub fn detect(
    daily: &BTreeMap<NaiveDate, Decimal>,
    day: NaiveDate,
    settings: &AnomalySettings,
) -> Option<Anomaly> {
    let amount = daily.get(&day).copied().unwrap_or_default();
    if amount < settings.min_amount || amount.is_zero() {
        return None;
    }
    let start = day - chrono::Duration::days(BASELINE_DAYS);
    let window: Vec<NaiveDate> = (0..BASELINE_DAYS)
        .map(|i| start + chrono::Duration::days(i))
        .collect();
    let active = window.iter().filter(|d| daily.contains_key(d)).count();
    if active < settings.min_days as usize {
        return None;
    }
    // Days without spend after the owner's first day in the window are zero-spend days.
    let first = window.iter().position(|d| daily.contains_key(d))?;
    let values: Vec<Decimal> = window[first..]
        .iter()
        .map(|d| daily.get(d).copied().unwrap_or_default())
        .collect();
    let (m, mad) = baseline(&values)?;
    let z = robust_z(amount, m, mad);
    (z > settings.z_threshold).then(|| Anomaly {
        day,
        amount,
        median: m,
        mad,
        z_score: z.round_dp(2),
    })
}

/// Anomalies of every owner on each of `days`.
pub fn scan<K: Ord + Clone>(
    series: &BTreeMap<K, BTreeMap<NaiveDate, Decimal>>,
    days: &[NaiveDate],
    settings: &AnomalySettings,
) -> Vec<(K, Anomaly)> {
    let mut out = Vec::new();
    for (owner, daily) in series {
        for day in days {
            if let Some(a) = detect(daily, *day, settings) {
                out.push((owner.clone(), a));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn day(n: i64) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, 1).unwrap() + chrono::Duration::days(n)
    }

    /// 28 days of ordinary noise around 100.00 (±12%), deterministic.
    fn noisy() -> BTreeMap<NaiveDate, Decimal> {
        let wiggle = [0, 7, -5, 12, -9, 3, -12, 6, -2, 10, -7, 4, -11, 8];
        (0..28)
            .map(|i| {
                (
                    day(i),
                    dec!(100) + Decimal::from(wiggle[i as usize % wiggle.len()]),
                )
            })
            .collect()
    }

    #[test]
    fn median_and_mad_are_robust() {
        assert_eq!(median(&[dec!(3), dec!(1), dec!(2)]), Some(dec!(2)));
        assert_eq!(
            median(&[dec!(4), dec!(1), dec!(2), dec!(3)]),
            Some(dec!(2.5))
        );
        assert_eq!(median(&[]), None);
        // One wild value moves neither.
        let (m, mad) = baseline(&[dec!(10), dec!(11), dec!(9), dec!(10), dec!(1000)]).unwrap();
        assert_eq!((m, mad), (dec!(10), dec!(1)));
    }

    #[test]
    fn a_three_times_day_is_flagged() {
        let mut s = noisy();
        s.insert(day(28), dec!(300));
        let a = detect(&s, day(28), &AnomalySettings::default()).expect("flagged");
        assert_eq!(a.amount, dec!(300));
        assert!(a.z_score > dec!(3.5), "{a:?}");
    }

    #[test]
    fn ordinary_noise_is_not_flagged() {
        let mut s = noisy();
        let settings = AnomalySettings::default();
        for (i, v) in [dec!(112), dec!(88), dec!(115), dec!(100)]
            .into_iter()
            .enumerate()
        {
            s.insert(day(28 + i as i64), v);
            assert_eq!(detect(&s, day(28 + i as i64), &settings), None, "{v}");
        }
        // Nor is any day of the noise itself against its own trailing window.
        let days: Vec<NaiveDate> = (0..32).map(day).collect();
        assert!(scan(&BTreeMap::from([("search", s)]), &days, &settings).is_empty());
    }

    #[test]
    fn a_flat_baseline_still_flags_a_jump_and_drops_are_never_flagged() {
        let mut s: BTreeMap<NaiveDate, Decimal> = (0..28).map(|i| (day(i), dec!(50))).collect();
        s.insert(day(28), dec!(150));
        assert!(detect(&s, day(28), &AnomalySettings::default()).is_some());
        s.insert(day(28), dec!(50.20));
        assert!(detect(&s, day(28), &AnomalySettings::default()).is_none());
        s.insert(day(28), dec!(1));
        assert!(detect(&s, day(28), &AnomalySettings::default()).is_none());
    }

    #[test]
    fn a_short_history_or_a_tiny_day_is_not_judged() {
        let mut s: BTreeMap<NaiveDate, Decimal> = (22..28).map(|i| (day(i), dec!(1))).collect();
        s.insert(day(28), dec!(100));
        assert!(
            detect(&s, day(28), &AnomalySettings::default()).is_none(),
            "6 days of history"
        );
        let mut t: BTreeMap<NaiveDate, Decimal> = (0..28).map(|i| (day(i), dec!(0.01))).collect();
        t.insert(day(28), dec!(0.50));
        assert!(
            detect(&t, day(28), &AnomalySettings::default()).is_none(),
            "under 1.00"
        );
    }

    #[test]
    fn bad_settings_are_refused() {
        let mut s = AnomalySettings::default();
        assert!(s.validate().is_ok());
        s.z_threshold = dec!(0);
        assert!(s.validate().is_err());
        s = AnomalySettings {
            min_days: 0,
            ..AnomalySettings::default()
        };
        assert!(s.validate().is_err());
        // Above the ceilings: a z of 100.1, an amount past the largest kept.
        s = AnomalySettings {
            z_threshold: dec!(100.1),
            ..AnomalySettings::default()
        };
        assert!(s.validate().is_err());
        s.z_threshold = MAX_Z_THRESHOLD;
        assert!(s.validate().is_ok());
        s.min_amount = crate::bounds::MAX_AMOUNT + dec!(1);
        assert!(s.validate().is_err());
        s.min_amount = dec!(-0.01);
        assert!(s.validate().is_err());
    }
}
