//! The thresholds the levers read, set by an admin (audited by the caller), with the checks
//! that keep a bad value from ever being stored.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// A feature named by its team.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct FeatureRef {
    pub team: String,
    pub feature: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Input tokens per request from which a prompt counts as large (caching).
    pub large_input_tokens: u64,
    /// Cache hit rate (percent of input) under which large prompts are looked at.
    pub min_cache_hit_pct: Decimal,
    /// The share of input (percent) assumed repeatable, hence cacheable: the caching lever
    /// moves input to cache reads until this share is read from the cache.
    pub cacheable_input_pct: Decimal,
    /// Cache reads per cache write assumed for the moved input: one write in this many is
    /// billed at the card's cache-write rate, the rest at its cache-read rate.
    pub cache_reads_per_write: u64,
    /// Output tokens per request above which outputs are capped to this many.
    pub max_output_tokens: u64,
    /// Share of token cost (percent) spent on failures and retries that is tolerated.
    pub max_retry_waste_pct: Decimal,
    /// Days without use after which an owned key is a zombie.
    pub zombie_days: i64,
    /// Calls per workflow above which a workflow counts as runaway.
    pub max_calls_per_workflow: Decimal,
    /// Growth of input from a workflow's first call to its last above which context counts
    /// as compounding (4 = the last call reads four times the first's input).
    pub max_context_growth: Decimal,
    /// Requests reporting an outcome needed before a success rate is trusted (routing).
    pub min_outcomes: u64,
    /// Features their owners mark as not latency-bound: the batch/flex lever looks at these.
    pub not_latency_bound: Vec<FeatureRef>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            large_input_tokens: 2_000,
            min_cache_hit_pct: Decimal::from(20),
            cacheable_input_pct: Decimal::from(50),
            cache_reads_per_write: 9,
            max_output_tokens: 2_000,
            max_retry_waste_pct: Decimal::from(5),
            zombie_days: 30,
            max_calls_per_workflow: Decimal::from(10),
            max_context_growth: Decimal::from(4),
            min_outcomes: 20,
            not_latency_bound: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    #[error("`{field}` must be between {min} and {max}, got {value}")]
    OutOfRange {
        field: &'static str,
        min: Decimal,
        max: Decimal,
        value: Decimal,
    },
    #[error("`cacheable_input_pct` ({cacheable}) must be at least `min_cache_hit_pct` ({floor})")]
    CacheTargetBelowFloor { cacheable: Decimal, floor: Decimal },
    #[error("`not_latency_bound` needs a team and a feature in each entry")]
    EmptyFeature,
}

/// The largest token count a threshold may name (a call's input can be a few million).
const MAX_TOKENS: u64 = 100_000_000;

impl Settings {
    pub fn validate(&self) -> Result<(), SettingsError> {
        let check = |field: &'static str, value: Decimal, min: Decimal, max: Decimal| {
            if value < min || value > max {
                Err(SettingsError::OutOfRange {
                    field,
                    min,
                    max,
                    value,
                })
            } else {
                Ok(())
            }
        };
        let hundred = Decimal::ONE_HUNDRED;
        let tokens = Decimal::from(MAX_TOKENS);
        check(
            "large_input_tokens",
            self.large_input_tokens.into(),
            Decimal::ONE,
            tokens,
        )?;
        check(
            "min_cache_hit_pct",
            self.min_cache_hit_pct,
            Decimal::ZERO,
            hundred,
        )?;
        check(
            "cacheable_input_pct",
            self.cacheable_input_pct,
            Decimal::ZERO,
            hundred,
        )?;
        check(
            "cache_reads_per_write",
            self.cache_reads_per_write.into(),
            Decimal::ONE,
            Decimal::from(1_000_000),
        )?;
        check(
            "max_output_tokens",
            self.max_output_tokens.into(),
            Decimal::ONE,
            tokens,
        )?;
        check(
            "max_retry_waste_pct",
            self.max_retry_waste_pct,
            Decimal::ZERO,
            hundred,
        )?;
        check(
            "zombie_days",
            self.zombie_days.into(),
            Decimal::ONE,
            Decimal::from(3650),
        )?;
        check(
            "max_calls_per_workflow",
            self.max_calls_per_workflow,
            Decimal::ONE,
            Decimal::from(100_000),
        )?;
        check(
            "max_context_growth",
            self.max_context_growth,
            Decimal::ONE,
            Decimal::from(100_000),
        )?;
        check(
            "min_outcomes",
            self.min_outcomes.into(),
            Decimal::ONE,
            Decimal::from(1_000_000_000),
        )?;
        if self.cacheable_input_pct < self.min_cache_hit_pct {
            return Err(SettingsError::CacheTargetBelowFloor {
                cacheable: self.cacheable_input_pct,
                floor: self.min_cache_hit_pct,
            });
        }
        if self
            .not_latency_bound
            .iter()
            .any(|f| f.team.trim().is_empty() || f.feature.trim().is_empty())
        {
            return Err(SettingsError::EmptyFeature);
        }
        Ok(())
    }

    pub fn latency_free(&self, team: &str, feature: &str) -> bool {
        self.not_latency_bound
            .iter()
            .any(|f| f.team == team && f.feature == feature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn defaults_pass_and_each_bad_value_names_its_field() {
        assert_eq!(Settings::default().validate(), Ok(()));
        let bad = Settings {
            max_retry_waste_pct: dec!(101),
            ..Settings::default()
        };
        assert!(matches!(
            bad.validate(),
            Err(SettingsError::OutOfRange {
                field: "max_retry_waste_pct",
                ..
            })
        ));
        let bad = Settings {
            max_calls_per_workflow: dec!(0.5),
            ..Settings::default()
        };
        assert!(
            bad.validate()
                .unwrap_err()
                .to_string()
                .contains("max_calls_per_workflow")
        );
        let bad = Settings {
            cacheable_input_pct: dec!(10),
            ..Settings::default()
        };
        assert!(matches!(
            bad.validate(),
            Err(SettingsError::CacheTargetBelowFloor { .. })
        ));
    }
}
