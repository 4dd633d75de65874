//! Price cards: what a model costs per million tokens of each class, from a date.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::event::ServiceTier;

/// Input sizes at which providers switch to long-context rates (LiteLLM's
/// `*_above_128k_tokens`, `*_above_200k_tokens`, OpenAI's 272k). Rollups record which of
/// these a call's input exceeded, so that a card's long-context tier prices exactly.
pub const CONTEXT_THRESHOLDS: [u64; 3] = [128_000, 200_000, 272_000];

/// The largest threshold a call's input tokens exceed, or 0.
pub fn context_band(input_tokens: u64) -> u64 {
    CONTEXT_THRESHOLDS
        .iter()
        .rev()
        .copied()
        .find(|t| input_tokens > *t)
        .unwrap_or(0)
}

/// Rates in the org currency per 1,000,000 tokens. A class left empty falls back: cached
/// input and cache write to input, reasoning to output.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Rates {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cached_input: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_write: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning: Option<Decimal>,
}

impl Rates {
    /// Fields set in `over` replace those of `self`.
    fn overlay(&self, over: &Rates) -> Rates {
        Rates {
            input: over.input.or(self.input),
            cached_input: over.cached_input.or(self.cached_input),
            cache_write: over.cache_write.or(self.cache_write),
            output: over.output.or(self.output),
            reasoning: over.reasoning.or(self.reasoning),
        }
    }

    fn values(&self) -> impl Iterator<Item = Decimal> {
        [
            self.input,
            self.cached_input,
            self.cache_write,
            self.output,
            self.reasoning,
        ]
        .into_iter()
        .flatten()
    }
}

/// Rates with every class filled in, for one (tier, context band).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ResolvedRates {
    pub input: Decimal,
    pub cached_input: Decimal,
    pub cache_write: Decimal,
    pub output: Decimal,
    pub reasoning: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LongContext {
    /// Above this many input tokens in one call, `rates` apply to that call.
    pub threshold: u64,
    pub rates: Rates,
}

/// A price card. `model` is an exact model name, or a prefix pattern ending in `*`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceCard {
    pub provider: String,
    pub model: String,
    pub effective_from: NaiveDate,
    pub rates: Rates,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tiers: BTreeMap<ServiceTier, Rates>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub long_context: Option<LongContext>,
    /// Where the card came from (`litellm`, `manual`, ...).
    #[serde(default)]
    pub origin: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PriceCardError {
    #[error("`provider` and `model` are required")]
    MissingName,
    #[error("a card needs an input and an output rate")]
    MissingBaseRates,
    #[error("rates must not be negative")]
    NegativeRate,
    #[error(
        "a rate may be at most {max} per million tokens, got {0}",
        max = crate::bounds::MAX_RATE
    )]
    RateTooLarge(Decimal),
    #[error("the long-context threshold must be one of {CONTEXT_THRESHOLDS:?}, got {0}")]
    UnsupportedThreshold(u64),
    #[error("`*` may only end a model pattern")]
    BadPattern,
}

impl PriceCard {
    /// Checks a card before it is stored.
    pub fn validate(&self) -> Result<(), PriceCardError> {
        if self.provider.trim().is_empty() || self.model.trim().is_empty() {
            return Err(PriceCardError::MissingName);
        }
        if self.model.trim_end_matches('*').contains('*') {
            return Err(PriceCardError::BadPattern);
        }
        if self.rates.input.is_none() || self.rates.output.is_none() {
            return Err(PriceCardError::MissingBaseRates);
        }
        let all = || {
            std::iter::once(&self.rates)
                .chain(self.tiers.values())
                .chain(self.long_context.iter().map(|l| &l.rates))
                .flat_map(Rates::values)
        };
        if all().any(|r| r.is_sign_negative() && !r.is_zero()) {
            return Err(PriceCardError::NegativeRate);
        }
        if let Some(r) = all().find(|r| *r > crate::bounds::MAX_RATE) {
            return Err(PriceCardError::RateTooLarge(r));
        }
        if let Some(lc) = &self.long_context
            && !CONTEXT_THRESHOLDS.contains(&lc.threshold)
        {
            return Err(PriceCardError::UnsupportedThreshold(lc.threshold));
        }
        Ok(())
    }

    pub fn is_pattern(&self) -> bool {
        self.model.ends_with('*')
    }

    /// Whether this card's model name or pattern covers `model`.
    pub fn matches_model(&self, model: &str) -> bool {
        match self.model.strip_suffix('*') {
            Some(prefix) => model.starts_with(prefix),
            None => self.model == model,
        }
    }

    /// The rates for a call of this tier whose input exceeded `band` tokens
    /// ([`context_band`]). Long context applies first, then the tier's own rates; a tier the
    /// card does not price is billed at the standard rates.
    pub fn resolve(&self, tier: ServiceTier, band: u64) -> ResolvedRates {
        let mut r = self.rates.clone();
        if let Some(lc) = &self.long_context
            && band >= lc.threshold
        {
            r = r.overlay(&lc.rates);
        }
        if let Some(t) = self.tiers.get(&tier) {
            r = r.overlay(t);
        }
        let input = r.input.unwrap_or_default();
        let output = r.output.unwrap_or_default();
        ResolvedRates {
            input,
            cached_input: r.cached_input.unwrap_or(input),
            cache_write: r.cache_write.unwrap_or(input),
            output,
            reasoning: r.reasoning.unwrap_or(output),
        }
    }

    /// Same prices (the effective date and origin aside).
    pub fn same_rates(&self, other: &PriceCard) -> bool {
        self.rates == other.rates
            && self.tiers == other.tiers
            && self.long_context == other.long_context
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn card() -> PriceCard {
        PriceCard {
            provider: "openai".into(),
            model: "gpt-4o".into(),
            effective_from: NaiveDate::from_ymd_opt(2024, 1, 1).unwrap(),
            rates: Rates {
                input: Some(dec!(2.5)),
                cached_input: Some(dec!(1.25)),
                output: Some(dec!(10)),
                ..Rates::default()
            },
            tiers: [(
                ServiceTier::Batch,
                Rates {
                    input: Some(dec!(1.25)),
                    output: Some(dec!(5)),
                    ..Rates::default()
                },
            )]
            .into(),
            long_context: Some(LongContext {
                threshold: 200_000,
                rates: Rates {
                    input: Some(dec!(5)),
                    output: Some(dec!(15)),
                    ..Rates::default()
                },
            }),
            origin: "test".into(),
        }
    }

    #[test]
    fn bands_follow_litellm_above_semantics() {
        assert_eq!(context_band(200_000), 128_000);
        assert_eq!(context_band(200_001), 200_000);
        assert_eq!(context_band(1_000), 0);
    }

    #[test]
    fn resolves_fallbacks_tiers_and_long_context() {
        let c = card();
        let std = c.resolve(ServiceTier::Standard, 0);
        assert_eq!(
            (std.cached_input, std.cache_write, std.reasoning),
            (dec!(1.25), dec!(2.5), dec!(10))
        );
        let batch = c.resolve(ServiceTier::Batch, 0);
        assert_eq!(
            (batch.input, batch.output, batch.cached_input),
            (dec!(1.25), dec!(5), dec!(1.25))
        );
        let long = c.resolve(ServiceTier::Standard, 200_000);
        assert_eq!((long.input, long.output), (dec!(5), dec!(15)));
        assert_eq!(c.resolve(ServiceTier::Flex, 128_000), std);
    }

    #[test]
    fn validation_catches_bad_cards() {
        let mut c = card();
        c.long_context.as_mut().unwrap().threshold = 100_000;
        assert_eq!(
            c.validate(),
            Err(PriceCardError::UnsupportedThreshold(100_000))
        );
        let mut c = card();
        c.rates.output = None;
        assert_eq!(c.validate(), Err(PriceCardError::MissingBaseRates));
        let mut c = card();
        c.model = "gpt-*-mini".into();
        assert_eq!(c.validate(), Err(PriceCardError::BadPattern));
        assert!(card().validate().is_ok());
    }
}
