//! Price cards: what a model costs per million tokens of each class (and per unit of the
//! units it bills), from a date, by service tier and long-context band.

use std::collections::BTreeMap;
use std::fmt;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize};

use crate::event::ServiceTier;
use crate::tokens::{Fallback, TokenClass};

/// Input sizes at which providers switch to long-context rates (LiteLLM's
/// `*_above_100k_tokens` ... `*_above_512k_tokens`, OpenAI's 272k). Rollups record which of
/// these a call's input exceeded, so that a card's long-context bands price exactly.
pub const CONTEXT_THRESHOLDS: [u64; 5] = [100_000, 128_000, 200_000, 272_000, 512_000];

/// The largest threshold a call's input tokens exceed, or 0.
pub fn context_band(input_tokens: u64) -> u64 {
    CONTEXT_THRESHOLDS
        .iter()
        .rev()
        .copied()
        .find(|t| input_tokens > *t)
        .unwrap_or(0)
}

/// Rates in the org currency per 1,000,000 tokens (per unit for web search, file search and
/// code interpreter). A class left empty falls back as [`TokenClass::fallback`] says.
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_write_1h: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audio_input: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cached_audio_input: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_input: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audio_output: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_output: Option<Decimal>,
    /// Per query.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub web_search: Option<Decimal>,
    /// Per call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_search: Option<Decimal>,
    /// Per session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_interpreter: Option<Decimal>,
}

impl Rates {
    /// The rate this set gives `class` itself (no fallback).
    pub fn get(&self, class: TokenClass) -> Option<Decimal> {
        *self.slot(class)
    }

    pub fn set(&mut self, class: TokenClass, rate: Option<Decimal>) {
        *self.slot_mut(class) = rate;
    }

    fn slot(&self, class: TokenClass) -> &Option<Decimal> {
        match class {
            TokenClass::Input => &self.input,
            TokenClass::CachedInput => &self.cached_input,
            TokenClass::CacheWrite => &self.cache_write,
            TokenClass::Output => &self.output,
            TokenClass::Reasoning => &self.reasoning,
            TokenClass::CacheWrite1h => &self.cache_write_1h,
            TokenClass::AudioInput => &self.audio_input,
            TokenClass::CachedAudioInput => &self.cached_audio_input,
            TokenClass::ImageInput => &self.image_input,
            TokenClass::AudioOutput => &self.audio_output,
            TokenClass::ImageOutput => &self.image_output,
            TokenClass::WebSearch => &self.web_search,
            TokenClass::FileSearch => &self.file_search,
            TokenClass::CodeInterpreter => &self.code_interpreter,
        }
    }

    fn slot_mut(&mut self, class: TokenClass) -> &mut Option<Decimal> {
        match class {
            TokenClass::Input => &mut self.input,
            TokenClass::CachedInput => &mut self.cached_input,
            TokenClass::CacheWrite => &mut self.cache_write,
            TokenClass::Output => &mut self.output,
            TokenClass::Reasoning => &mut self.reasoning,
            TokenClass::CacheWrite1h => &mut self.cache_write_1h,
            TokenClass::AudioInput => &mut self.audio_input,
            TokenClass::CachedAudioInput => &mut self.cached_audio_input,
            TokenClass::ImageInput => &mut self.image_input,
            TokenClass::AudioOutput => &mut self.audio_output,
            TokenClass::ImageOutput => &mut self.image_output,
            TokenClass::WebSearch => &mut self.web_search,
            TokenClass::FileSearch => &mut self.file_search,
            TokenClass::CodeInterpreter => &mut self.code_interpreter,
        }
    }

    fn values(&self) -> impl Iterator<Item = Decimal> + '_ {
        TokenClass::ALL.into_iter().filter_map(|c| self.get(c))
    }

    pub fn is_empty(&self) -> bool {
        self.values().next().is_none()
    }
}

/// The rate key that priced a class: the class whose rate it is, and the band and tier it
/// was read from (LiteLLM's naming: `input_cost_per_token_above_200k_tokens_priority`),
/// times a factor for a derived rate (`2 × input_cost_per_token`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct RateKey {
    pub class: TokenClass,
    /// The band's threshold, or 0 for the card's base rates.
    pub band: u64,
    pub tier: Option<ServiceTier>,
    pub factor: u32,
}

impl fmt::Display for RateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.factor != 1 {
            write!(f, "{} × ", self.factor)?;
        }
        f.write_str(self.class.registry_key())?;
        if self.band > 0 {
            write!(f, "_above_{}k_tokens", self.band / 1000)?;
        }
        if let Some(t) = self.tier {
            f.write_str(tier_suffix(t))?;
        }
        Ok(())
    }
}

/// LiteLLM's suffix of a tier's rate keys.
pub fn tier_suffix(tier: ServiceTier) -> &'static str {
    match tier {
        ServiceTier::Standard => "",
        ServiceTier::Batch => "_batches",
        ServiceTier::Flex => "_flex",
        ServiceTier::Priority => "_priority",
    }
}

/// Every class's rate for one (tier, context band), and the key that gave it; `None` for a
/// class the card cannot price (a unit without a rate).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResolvedRates {
    rates: [Option<(Decimal, RateKey)>; TokenClass::COUNT],
}

impl ResolvedRates {
    pub fn rate(&self, class: TokenClass) -> Option<Decimal> {
        self.rates[class.index()].map(|(r, _)| r)
    }

    /// The key that priced `class`.
    pub fn key(&self, class: TokenClass) -> Option<RateKey> {
        self.rates[class.index()].map(|(_, k)| k)
    }

    /// The plain input rate (every card has one).
    pub fn input(&self) -> Decimal {
        self.rate(TokenClass::Input).unwrap_or_default()
    }

    /// The plain output rate (every card has one).
    pub fn output(&self) -> Decimal {
        self.rate(TokenClass::Output).unwrap_or_default()
    }
}

/// Rates that apply to calls whose input exceeded `threshold` tokens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LongContext {
    /// Above this many input tokens in one call, `rates` apply to that call.
    pub threshold: u64,
    pub rates: Rates,
    /// Tier × band rates (`*_above_272k_tokens_priority`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tiers: BTreeMap<ServiceTier, Rates>,
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
    /// Long-context bands, lowest threshold first. Reads the one band cards stored before
    /// several were priced (an object, or null) as well as a list.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "one_or_many_bands"
    )]
    pub long_context: Vec<LongContext>,
    /// Where the card came from (`litellm`, `manual`, ...).
    #[serde(default)]
    pub origin: String,
}

/// `null`, one band, or a list of bands.
pub fn one_or_many_bands<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<LongContext>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(Box<LongContext>),
        Many(Vec<LongContext>),
    }
    Ok(match Option::<OneOrMany>::deserialize(d)? {
        None => Vec::new(),
        Some(OneOrMany::One(b)) => vec![*b],
        Some(OneOrMany::Many(mut v)) => {
            v.sort_by_key(|b| b.threshold);
            v
        }
    })
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
    #[error("two long-context bands share the threshold {0}")]
    DuplicateThreshold(u64),
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
                .chain(
                    self.long_context
                        .iter()
                        .flat_map(|l| std::iter::once(&l.rates).chain(l.tiers.values())),
                )
                .flat_map(Rates::values)
        };
        if all().any(|r| r.is_sign_negative() && !r.is_zero()) {
            return Err(PriceCardError::NegativeRate);
        }
        if let Some(r) = all().find(|r| *r > crate::bounds::MAX_RATE) {
            return Err(PriceCardError::RateTooLarge(r));
        }
        let mut seen = Vec::new();
        for lc in &self.long_context {
            if !CONTEXT_THRESHOLDS.contains(&lc.threshold) {
                return Err(PriceCardError::UnsupportedThreshold(lc.threshold));
            }
            if seen.contains(&lc.threshold) {
                return Err(PriceCardError::DuplicateThreshold(lc.threshold));
            }
            seen.push(lc.threshold);
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

    /// The card's own rate for `class` in this tier and band, and its key, without class
    /// fallback. The bands that apply are those whose threshold ≤ `band`, highest first. The
    /// first rate found wins, in this order (docs/DECISIONS.md): tier × band (highest band
    /// first), the tier's own rate, the band's standard rate (highest first), the base rate.
    pub fn own_rate(
        &self,
        class: TokenClass,
        tier: ServiceTier,
        band: u64,
    ) -> Option<(Decimal, RateKey)> {
        let key = |band: u64, tier: Option<ServiceTier>| RateKey {
            class,
            band,
            tier,
            factor: 1,
        };
        let bands = || {
            self.long_context
                .iter()
                .rev()
                .filter(move |lc| lc.threshold <= band)
        };
        bands()
            .find_map(|lc| {
                let r = lc.tiers.get(&tier)?.get(class)?;
                Some((r, key(lc.threshold, Some(tier))))
            })
            .or_else(|| {
                let r = self.tiers.get(&tier)?.get(class)?;
                Some((r, key(0, Some(tier))))
            })
            .or_else(|| {
                bands().find_map(|lc| Some((lc.rates.get(class)?, key(lc.threshold, None))))
            })
            .or_else(|| Some((self.rates.get(class)?, key(0, None))))
    }

    /// The rate for `class` in this tier and band: the card's own, else its class fallback's.
    pub fn rate_of(
        &self,
        class: TokenClass,
        tier: ServiceTier,
        band: u64,
    ) -> Option<(Decimal, RateKey)> {
        self.own_rate(class, tier, band)
            .or_else(|| match class.fallback() {
                Fallback::Class(parent) => self.rate_of(parent, tier, band),
                Fallback::Times(parent, n) => self.rate_of(parent, tier, band).map(|(r, k)| {
                    (
                        r * Decimal::from(n),
                        RateKey {
                            factor: k.factor * n,
                            ..k
                        },
                    )
                }),
                Fallback::Unpriced => None,
            })
    }

    /// The rates for a call of this tier whose input exceeded `band` tokens
    /// ([`context_band`]), every class resolved by [`PriceCard::rate_of`]. A tier the card
    /// does not price is billed at the standard rates.
    pub fn resolve(&self, tier: ServiceTier, band: u64) -> ResolvedRates {
        let mut rates = [None; TokenClass::COUNT];
        for class in TokenClass::ALL {
            rates[class.index()] = self.rate_of(class, tier, band);
        }
        ResolvedRates { rates }
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

    fn rates(input: Decimal, output: Decimal) -> Rates {
        Rates {
            input: Some(input),
            output: Some(output),
            ..Rates::default()
        }
    }

    fn card() -> PriceCard {
        PriceCard {
            provider: "openai".into(),
            model: "gpt-4o".into(),
            effective_from: NaiveDate::from_ymd_opt(2024, 1, 1).unwrap(),
            rates: Rates {
                cached_input: Some(dec!(1.25)),
                ..rates(dec!(2.5), dec!(10))
            },
            tiers: [(ServiceTier::Batch, rates(dec!(1.25), dec!(5)))].into(),
            long_context: vec![LongContext {
                threshold: 200_000,
                rates: rates(dec!(5), dec!(15)),
                tiers: BTreeMap::new(),
            }],
            origin: "test".into(),
        }
    }

    fn rate(r: &ResolvedRates, c: TokenClass) -> (Decimal, String) {
        (r.rate(c).unwrap(), r.key(c).unwrap().to_string())
    }

    #[test]
    fn bands_follow_litellm_above_semantics() {
        assert_eq!(context_band(200_000), 128_000);
        assert_eq!(context_band(200_001), 200_000);
        assert_eq!(context_band(100_001), 100_000);
        assert_eq!(context_band(512_001), 512_000);
        assert_eq!(context_band(1_000), 0);
    }

    #[test]
    fn resolves_fallbacks_tiers_and_long_context() {
        let c = card();
        let std = c.resolve(ServiceTier::Standard, 0);
        assert_eq!(
            [
                TokenClass::CachedInput,
                TokenClass::CacheWrite,
                TokenClass::Reasoning
            ]
            .map(|k| std.rate(k).unwrap()),
            [dec!(1.25), dec!(2.5), dec!(10)]
        );
        let batch = c.resolve(ServiceTier::Batch, 0);
        assert_eq!(
            (
                batch.input(),
                batch.output(),
                batch.rate(TokenClass::CachedInput)
            ),
            (dec!(1.25), dec!(5), Some(dec!(1.25)))
        );
        let long = c.resolve(ServiceTier::Standard, 200_000);
        assert_eq!((long.input(), long.output()), (dec!(5), dec!(15)));
        assert_eq!(c.resolve(ServiceTier::Flex, 128_000), std);
        // Units have no fallback: a card without their rate cannot price them.
        assert_eq!(std.rate(TokenClass::WebSearch), None);
    }

    #[test]
    fn names_the_key_that_priced_each_class() {
        let mut c = card();
        c.long_context.push(LongContext {
            threshold: 272_000,
            rates: rates(dec!(6), dec!(20)),
            tiers: [(ServiceTier::Priority, rates(dec!(12), dec!(40)))].into(),
        });
        c.tiers
            .insert(ServiceTier::Priority, rates(dec!(4), dec!(16)));
        c.rates.web_search = Some(dec!(0.01));
        let r = c.resolve(ServiceTier::Priority, 512_000);
        // Tier × band first, highest band first.
        assert_eq!(
            rate(&r, TokenClass::Input),
            (
                dec!(12),
                "input_cost_per_token_above_272k_tokens_priority".into()
            )
        );
        // A class the card prices only at base: the base key.
        assert_eq!(
            rate(&r, TokenClass::CachedInput),
            (dec!(1.25), "cache_read_input_token_cost".into())
        );
        // Between 200k and 272k: no tier × band, so the tier's own rate beats the band.
        let r = c.resolve(ServiceTier::Priority, 200_000);
        assert_eq!(
            rate(&r, TokenClass::Output),
            (dec!(16), "output_cost_per_token_priority".into())
        );
        let r = c.resolve(ServiceTier::Batch, 272_000);
        assert_eq!(
            rate(&r, TokenClass::Input),
            (dec!(1.25), "input_cost_per_token_batches".into())
        );
        let r = c.resolve(ServiceTier::Standard, 272_000);
        assert_eq!(
            rate(&r, TokenClass::Reasoning),
            (dec!(20), "output_cost_per_token_above_272k_tokens".into())
        );
        // 1-hour writes without a rate of their own: twice the input rate of the band.
        assert_eq!(
            rate(&r, TokenClass::CacheWrite1h),
            (
                dec!(12),
                "2 × input_cost_per_token_above_272k_tokens".into()
            )
        );
        assert_eq!(
            rate(&r, TokenClass::WebSearch),
            (dec!(0.01), "search_context_cost_per_query".into())
        );
        // Audio falls back to text; cached audio to audio.
        c.rates.audio_input = Some(dec!(40));
        let r = c.resolve(ServiceTier::Standard, 0);
        assert_eq!(
            rate(&r, TokenClass::CachedAudioInput),
            (dec!(40), "input_cost_per_audio_token".into())
        );
        assert_eq!(
            rate(&r, TokenClass::ImageOutput),
            (dec!(10), "output_cost_per_token".into())
        );
    }

    #[test]
    fn reads_cards_stored_with_one_band_or_none() {
        let one: PriceCard = serde_json::from_str(
            r#"{"provider": "p", "model": "m", "effective_from": "2024-01-01",
                "rates": {"input": "1", "output": "2"},
                "long_context": {"threshold": 200000, "rates": {"input": "3"}}}"#,
        )
        .unwrap();
        assert_eq!(one.long_context.len(), 1);
        assert_eq!(one.long_context[0].rates.input, Some(dec!(3)));
        let none: PriceCard = serde_json::from_str(
            r#"{"provider": "p", "model": "m", "effective_from": "2024-01-01",
                "rates": {"input": "1", "output": "2"}, "long_context": null}"#,
        )
        .unwrap();
        assert!(none.long_context.is_empty());
        let again: PriceCard =
            serde_json::from_value(serde_json::to_value(card()).unwrap()).unwrap();
        assert_eq!(again, card());
    }

    #[test]
    fn validation_catches_bad_cards() {
        let mut c = card();
        c.long_context[0].threshold = 150_000;
        assert_eq!(
            c.validate(),
            Err(PriceCardError::UnsupportedThreshold(150_000))
        );
        let mut c = card();
        c.long_context.push(c.long_context[0].clone());
        assert_eq!(
            c.validate(),
            Err(PriceCardError::DuplicateThreshold(200_000))
        );
        let mut c = card();
        c.long_context[0]
            .tiers
            .insert(ServiceTier::Priority, rates(dec!(-1), dec!(1)));
        assert_eq!(c.validate(), Err(PriceCardError::NegativeRate));
        let mut c = card();
        c.rates.output = None;
        assert_eq!(c.validate(), Err(PriceCardError::MissingBaseRates));
        let mut c = card();
        c.model = "gpt-*-mini".into();
        assert_eq!(c.validate(), Err(PriceCardError::BadPattern));
        assert!(card().validate().is_ok());
    }
}
