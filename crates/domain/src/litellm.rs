//! Importer of LiteLLM's `model_prices_and_context_window.json` into [`PriceCard`]s.
//!
//! LiteLLM prices per token as JSON numbers (`2.5e-06`). Read as binary floating point those
//! are not the decimal prices the provider published, so every number is read from its literal text
//! (serde_json's `RawValue`) straight into a [`Decimal`], and turned into a per-1M-token rate
//! by moving the decimal point: money never passes through binary floating point.
//!
//! Only token-priced models import (modes `chat`, `responses`, `completion`, `embedding`).
//! Every other entry is counted under a short reason, so that imported + skipped always
//! equals the number of entries in the file.

use std::collections::{BTreeMap, HashSet};
use std::fmt;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

use crate::catalog::{canonical_provider, split_model_prefix};
use crate::event::ServiceTier;
use crate::price_card::{CONTEXT_THRESHOLDS, LongContext, PriceCard, PriceCardError, Rates};
use crate::pricing::TokenClass;

/// What an import produced: the cards, and how many entries were left out, by reason.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LitellmImport {
    pub cards: Vec<PriceCard>,
    /// Reason → number of entries skipped for it.
    pub skipped: BTreeMap<String, u64>,
}

impl LitellmImport {
    pub fn skipped_total(&self) -> u64 {
        self.skipped.values().sum()
    }

    fn skip(&mut self, reason: Skip) {
        *self.skipped.entry(reason.to_string()).or_default() += 1;
    }
}

/// Why a file could not be imported at all (a bad entry is skipped, not an error).
#[derive(Debug, thiserror::Error)]
pub enum LitellmError {
    #[error("the LiteLLM price file is not valid JSON: {0}")]
    NotJson(#[source] serde_json::Error),
    #[error("the LiteLLM price file must be a JSON object of model name → prices: {0}")]
    NotAnObject(#[source] serde_json::Error),
}

/// The value of `origin` on every imported card.
pub const ORIGIN: &str = "litellm";

/// Reads LiteLLM's price file. Cards take effect on `effective_from`.
pub fn import(json: &[u8], effective_from: NaiveDate) -> Result<LitellmImport, LitellmError> {
    let entries: Entries<'_> = serde_json::from_slice(json).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => LitellmError::NotAnObject(e),
        _ => LitellmError::NotJson(e),
    })?;
    let mut out = LitellmImport::default();
    let mut seen = HashSet::new();
    for (key, raw) in entries.0 {
        match card(&key, raw, effective_from) {
            Ok(card) if seen.insert((card.provider.clone(), card.model.clone())) => {
                out.cards.push(card)
            }
            Ok(_) => out.skip(Skip::Duplicate),
            Err(reason) => out.skip(reason),
        }
    }
    Ok(out)
}

/// Why one entry did not become a card. Its text is the key of [`LitellmImport::skipped`].
#[derive(Debug, thiserror::Error)]
enum Skip {
    #[error("sample_spec")]
    SampleSpec,
    #[error("not an object")]
    NotAnObject,
    #[error("no mode")]
    NoMode,
    #[error("mode {0}")]
    Mode(String),
    #[error("no token prices")]
    NoTokenPrices,
    #[error("no output price")]
    NoOutputPrice,
    #[error("no provider")]
    NoProvider,
    #[error("bad {0}")]
    BadPrice(String),
    #[error("{0}")]
    Invalid(PriceCardError),
    #[error("duplicate")]
    Duplicate,
}

/// The file's top-level entries in document order. serde_json's own map sorts its keys,
/// and "the first of two entries for one model wins" needs the file's order.
struct Entries<'a>(Vec<(String, &'a RawValue)>);

impl<'de> Deserialize<'de> for Entries<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(EntriesVisitor)
    }
}

struct EntriesVisitor;

impl<'de> Visitor<'de> for EntriesVisitor {
    type Value = Entries<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object of model name → prices")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0));
        while let Some(entry) = map.next_entry::<String, &'de RawValue>()? {
            entries.push(entry);
        }
        Ok(Entries(entries))
    }
}

/// One entry's fields, each kept as its JSON text.
type Fields<'a> = BTreeMap<String, &'a RawValue>;

/// The modes whose models LiteLLM prices per token.
const TOKEN_MODES: [&str; 4] = ["chat", "responses", "completion", "embedding"];

const INPUT: &str = "input_cost_per_token";

/// Field suffixes of the service tiers (`input_cost_per_token_batches`, ...).
const TIER_SUFFIXES: [(&str, ServiceTier); 3] = [
    ("_batches", ServiceTier::Batch),
    ("_flex", ServiceTier::Flex),
    ("_priority", ServiceTier::Priority),
];

/// Older spellings of a class's base key, read when the class's own key is absent:
/// DeepSeek's cache-hit input rate, and the realtime models' cached audio rate, which
/// LiteLLM files under `cache_creation_input_audio_token_cost` although OpenAI bills it for
/// audio read from the cache (docs/DECISIONS.md).
pub const KEY_ALIASES: [(&str, TokenClass); 2] = [
    ("input_cost_per_token_cache_hit", TokenClass::CachedInput),
    (
        "cache_creation_input_audio_token_cost",
        TokenClass::CachedAudioInput,
    ),
];

/// The medium context size of `search_context_cost_per_query`: OpenAI's default, and the
/// only size Anthropic's and Bedrock's entries price differently from none.
pub const SEARCH_CONTEXT_SIZE: &str = "search_context_size_medium";

/// The card of one entry, or why there is none.
fn card(key: &str, raw: &RawValue, effective_from: NaiveDate) -> Result<PriceCard, Skip> {
    if key == "sample_spec" {
        return Err(Skip::SampleSpec);
    }
    let fields: Fields<'_> = serde_json::from_str(raw.get()).map_err(|_| Skip::NotAnObject)?;
    let mode = text(&fields, "mode").ok_or(Skip::NoMode)?;
    if !TOKEN_MODES.contains(&mode.as_str()) {
        return Err(Skip::Mode(mode.chars().take(40).collect()));
    }
    if price(&fields, INPUT)?.is_none() {
        return Err(Skip::NoTokenPrices);
    }
    let litellm_provider = text(&fields, "litellm_provider")
        .filter(|p| !p.trim().is_empty())
        .ok_or(Skip::NoProvider)?;
    let mut rates = rates(&fields, "")?;
    if rates.output.is_none() {
        // Embeddings have no output tokens; LiteLLM leaves some without an output price.
        if mode != "embedding" {
            return Err(Skip::NoOutputPrice);
        }
        rates.output = Some(Decimal::ZERO);
    }
    let card = PriceCard {
        provider: canonical_provider(&litellm_provider),
        model: model_name(key, &litellm_provider).to_owned(),
        effective_from,
        rates,
        tiers: tiers(&fields, "")?,
        long_context: long_context(&fields)?,
        origin: ORIGIN.to_owned(),
    };
    card.validate().map_err(Skip::Invalid)?;
    Ok(card)
}

/// The model name of a key: `azure/gpt-4o` → `gpt-4o` when the prefix is the entry's
/// LiteLLM provider or a provider tokentally knows; other keys stay whole.
fn model_name<'k>(key: &'k str, litellm_provider: &str) -> &'k str {
    match key.split_once('/') {
        Some((prefix, rest)) if prefix == litellm_provider && !rest.is_empty() => rest,
        _ => split_model_prefix(key).1,
    }
}

/// A string field; absent when missing or not a string.
fn text(fields: &Fields<'_>, name: &str) -> Option<String> {
    fields
        .get(name)
        .and_then(|raw| serde_json::from_str(raw.get()).ok())
}

/// Every class's rate read from `<class key><suffix>`: per 1M tokens for token classes,
/// per unit for units.
fn rates(fields: &Fields<'_>, suffix: &str) -> Result<Rates, Skip> {
    let mut out = Rates::default();
    for class in TokenClass::ALL {
        let mut rate = class_rate(fields, class, &format!("{}{suffix}", class.registry_key()))?;
        for (alias, of) in KEY_ALIASES {
            if of == class && rate.is_none() {
                rate = class_rate(fields, class, &format!("{alias}{suffix}"))?;
            }
        }
        out.set(class, rate);
    }
    Ok(out)
}

/// One class's rate from field `name`, in tokentally's unit for the class.
fn class_rate(fields: &Fields<'_>, class: TokenClass, name: &str) -> Result<Option<Decimal>, Skip> {
    match class {
        TokenClass::WebSearch => {
            let Some(raw) = fields.get(name) else {
                return Ok(None);
            };
            if raw.get() == "null" {
                return Ok(None);
            }
            let sizes: Fields<'_> =
                serde_json::from_str(raw.get()).map_err(|_| Skip::BadPrice(name.to_owned()))?;
            unit_price(&sizes, SEARCH_CONTEXT_SIZE).map_err(|_| Skip::BadPrice(name.to_owned()))
        }
        TokenClass::FileSearch => Ok(
            unit_price(fields, name)?.map(|per_1k| (per_1k / Decimal::ONE_THOUSAND).normalize())
        ),
        TokenClass::CodeInterpreter => unit_price(fields, name),
        _ => price(fields, name),
    }
}

/// A price per unit, as written; `None` when missing or null.
fn unit_price(fields: &Fields<'_>, name: &str) -> Result<Option<Decimal>, Skip> {
    let Some(raw) = fields.get(name) else {
        return Ok(None);
    };
    if raw.get() == "null" {
        return Ok(None);
    }
    parse_number(raw.get())
        .map(|d| Some(d.normalize()))
        .ok_or_else(|| Skip::BadPrice(name.to_owned()))
}

fn tiers(fields: &Fields<'_>, band_suffix: &str) -> Result<BTreeMap<ServiceTier, Rates>, Skip> {
    let mut tiers = BTreeMap::new();
    for (suffix, tier) in TIER_SUFFIXES {
        let r = rates(fields, &format!("{band_suffix}{suffix}"))?;
        if !r.is_empty() {
            tiers.insert(tier, r);
        }
    }
    Ok(tiers)
}

/// The long-context bands from `*_above_<N>k_tokens` fields (and their tier ×
/// band `*_above_<N>k_tokens_<tier>`), for every threshold tokentally's rollups record
/// ([`CONTEXT_THRESHOLDS`]).
fn long_context(fields: &Fields<'_>) -> Result<Vec<LongContext>, Skip> {
    let mut bands = Vec::new();
    for threshold in CONTEXT_THRESHOLDS {
        let suffix = band_suffix(threshold);
        let rates = rates(fields, &suffix)?;
        let tiers = tiers(fields, &suffix)?;
        if !rates.is_empty() || !tiers.is_empty() {
            bands.push(LongContext {
                threshold,
                rates,
                tiers,
            });
        }
    }
    Ok(bands)
}

/// `_above_200k_tokens` for 200,000.
fn band_suffix(threshold: u64) -> String {
    format!("_above_{}k_tokens", threshold / 1000)
}

/// A per-token price field as a per-1M-token rate; `None` when missing or null.
fn price(fields: &Fields<'_>, name: &str) -> Result<Option<Decimal>, Skip> {
    let Some(raw) = fields.get(name) else {
        return Ok(None);
    };
    let literal = raw.get();
    if literal == "null" {
        return Ok(None);
    }
    parse_number(literal)
        .and_then(per_million)
        .map(Some)
        .ok_or_else(|| Skip::BadPrice(name.to_owned()))
}

/// A JSON number literal (`2.5e-06`, `0.000015`, `3`) as the exact decimal it writes, or
/// `None` when it is not a number or does not fit a [`Decimal`] without rounding.
fn parse_number(literal: &str) -> Option<Decimal> {
    let literal = literal.trim();
    if !literal.starts_with(|c: char| c == '-' || c.is_ascii_digit()) {
        return None;
    }
    let mantissa = literal.split(['e', 'E']).next()?;
    // `from_str` rounds digits beyond Decimal's precision; `from_str_exact` refuses them.
    let exact = Decimal::from_str_exact(mantissa).ok()?;
    if mantissa.len() == literal.len() {
        return Some(exact);
    }
    // `from_scientific` only moves the decimal point of that mantissa, and errors rather
    // than rounds when it cannot.
    Decimal::from_scientific(literal).ok()
}

/// Per token → per 1,000,000 tokens, by moving the decimal point six places (exact, unlike
/// a multiplication that may round when the mantissa overflows), then normalized.
fn per_million(per_token: Decimal) -> Option<Decimal> {
    let scale = per_token.scale();
    let shifted = match scale.checked_sub(6) {
        Some(scale) => Decimal::try_from_i128_with_scale(per_token.mantissa(), scale),
        None => Decimal::try_from_i128_with_scale(
            per_token.mantissa().checked_mul(10_i128.pow(6 - scale))?,
            0,
        ),
    };
    shifted.ok().map(|d| d.normalize())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::price_card::tier_suffix;
    use crate::tokens::TokenCounts;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;
    use serde_json::Value;

    const REAL_FILE: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../assets/litellm-model-prices.json"
    );

    fn day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 7, 1).unwrap()
    }

    fn real() -> (Vec<u8>, LitellmImport) {
        let bytes = std::fs::read(REAL_FILE).unwrap();
        let import = import(&bytes, day()).unwrap();
        (bytes, import)
    }

    fn find<'a>(import: &'a LitellmImport, provider: &str, model: &str) -> &'a PriceCard {
        import
            .cards
            .iter()
            .find(|c| c.provider == provider && c.model == model)
            .unwrap_or_else(|| panic!("no card for {provider}/{model}"))
    }

    fn rates(input: Decimal, output: Decimal) -> Rates {
        Rates {
            input: Some(input),
            output: Some(output),
            ..Rates::default()
        }
    }

    #[test]
    fn real_file_prices_gpt_4o_with_cache_and_batch_rates() {
        let (_, import) = real();
        let c = find(&import, "openai", "gpt-4o");
        assert_eq!(
            c.rates,
            Rates {
                cached_input: Some(dec!(1.25)),
                ..rates(dec!(2.5), dec!(10))
            }
        );
        assert_eq!(
            c.tiers,
            BTreeMap::from([(ServiceTier::Batch, rates(dec!(1.25), dec!(5)))])
        );
        assert_eq!(c.long_context, []);
        assert_eq!((c.origin.as_str(), c.effective_from), ("litellm", day()));
        // Normalized: 2.5, not 2.5000000.
        assert_eq!(c.rates.input.unwrap().to_string(), "2.5");
        // `azure/gpt-4o` loses its prefix and lands under Azure OpenAI.
        let azure = find(&import, "azure_openai", "gpt-4o");
        assert_eq!(
            azure.rates,
            Rates {
                cached_input: Some(dec!(1.25)),
                ..rates(dec!(2.5), dec!(10))
            }
        );
    }

    #[test]
    fn real_file_prices_claude_cache_writes_and_reads() {
        let (_, import) = real();
        let c = find(&import, "anthropic", "claude-3-5-sonnet-20241022");
        assert_eq!(
            c.rates,
            Rates {
                cached_input: Some(dec!(0.3)),
                cache_write: Some(dec!(3.75)),
                // $10 per 1,000 searches.
                web_search: Some(dec!(0.01)),
                ..rates(dec!(3), dec!(15))
            }
        );
        let vertex = find(&import, "vertex_ai", "claude-3-5-sonnet@20240620");
        assert_eq!(vertex.rates, rates(dec!(3), dec!(15)));
    }

    #[test]
    fn real_file_prices_long_context_tiers() {
        let (_, import) = real();
        let c = find(&import, "gemini", "gemini-2.5-pro");
        assert_eq!(c.rates, rates(dec!(1.25), dec!(10)));
        assert_eq!(
            c.long_context,
            [LongContext {
                threshold: 200_000,
                rates: rates(dec!(2.5), dec!(15)),
                tiers: BTreeMap::new(),
            }]
        );
        let c = find(&import, "vertex_ai", "gemini-1.5-pro");
        assert_eq!(
            c.long_context,
            [LongContext {
                threshold: 128_000,
                rates: rates(dec!(2.5), dec!(10)),
                tiers: BTreeMap::new(),
            }]
        );
    }

    #[test]
    fn real_file_prices_audio_cached_audio_and_units() {
        let (_, import) = real();
        let c = find(&import, "openai", "gpt-4o-audio-preview-2024-12-17");
        assert_eq!(
            (c.rates.audio_input, c.rates.audio_output),
            (Some(dec!(40)), Some(dec!(80)))
        );
        // The realtime models' cached audio, under LiteLLM's cache-creation key.
        let c = find(&import, "openai", "gpt-4o-mini-realtime-preview");
        assert_eq!(c.rates.cached_audio_input, Some(dec!(0.3)));
        let c = find(
            &import,
            "azure_openai",
            "us/gpt-4o-realtime-preview-2024-12-17",
        );
        assert_eq!(c.rates.cached_audio_input, Some(dec!(2.5)));
        // DeepSeek's cache-hit rate is its cached input rate.
        let c = find(&import, "deepseek", "deepseek-chat");
        assert_eq!(c.rates.cached_input, Some(dec!(0.07)));
        // Web search at the medium context size.
        let c = find(&import, "openai", "gpt-4o-search-preview");
        assert_eq!(c.rates.web_search, Some(dec!(0.035)));
    }

    /// Registry keys tokentally does not price (docs/DECISIONS.md): per character, second,
    /// pixel, image (not per image token), video, GB-day, DBU, request or query rates, and
    /// a few one-model oddities. Every other cost key of an imported entry must be priced.
    fn not_priced(key: &str) -> bool {
        let per_image = (key.starts_with("input_cost_per_image")
            || key.starts_with("output_cost_per_image"))
            && !key.contains("per_image_token");
        per_image
            || [
                "_per_character",
                "_per_second",
                "_per_pixel",
                "_per_video",
                "_per_gb_per_day",
                "_dbu_",
                "_db_cost_",
                "input_cost_per_query",
                "input_cost_per_request",
                "citation_cost_per_token",
                "input_cost_per_token_batch_requests",
                "computer_use_",
            ]
            .iter()
            .any(|p| key.contains(p))
    }

    /// Every rate key tokentally reads: (class, band, tier) by its LiteLLM name.
    fn rate_keys() -> BTreeMap<String, (TokenClass, u64, Option<ServiceTier>)> {
        let mut out = BTreeMap::new();
        for class in TokenClass::ALL {
            let bases = std::iter::once(class.registry_key()).chain(
                KEY_ALIASES
                    .iter()
                    .filter(|(_, c)| *c == class)
                    .map(|(a, _)| *a),
            );
            for base in bases {
                for band in std::iter::once(0).chain(CONTEXT_THRESHOLDS) {
                    let band_part = if band == 0 {
                        String::new()
                    } else {
                        band_suffix(band)
                    };
                    out.insert(format!("{base}{band_part}"), (class, band, None));
                    for (suffix, tier) in TIER_SUFFIXES {
                        out.insert(
                            format!("{base}{band_part}{suffix}"),
                            (class, band, Some(tier)),
                        );
                    }
                }
            }
        }
        out
    }

    /// What one registry literal is in tokentally's unit for `class`.
    fn expected_rate(class: TokenClass, raw: &RawValue) -> Decimal {
        match class {
            TokenClass::WebSearch => {
                let sizes: BTreeMap<String, Box<RawValue>> =
                    serde_json::from_str(raw.get()).unwrap();
                parse_number(sizes[SEARCH_CONTEXT_SIZE].get()).unwrap()
            }
            TokenClass::FileSearch => parse_number(raw.get()).unwrap() / dec!(1000),
            TokenClass::CodeInterpreter => parse_number(raw.get()).unwrap(),
            _ => parse_number(raw.get()).and_then(per_million).unwrap(),
        }
    }

    /// One call with some of every class: 1M tokens of each token class, 1,000 of each unit.
    fn one_of_everything() -> TokenCounts {
        let t = TokenCounts {
            input: 7_000_000,
            cached_input: 2_000_000,
            cached_audio_input: 1_000_000,
            cache_write: 2_000_000,
            cache_write_1h: 1_000_000,
            audio_input: 2_000_000,
            image_input: 1_000_000,
            output: 4_000_000,
            reasoning: 1_000_000,
            audio_output: 1_000_000,
            image_output: 1_000_000,
            web_search: 1_000,
            file_search: 1_000,
            code_interpreter: 1_000,
        };
        let t = t.checked().unwrap();
        for class in TokenClass::ALL {
            let expected = if class.is_unit() { 1_000 } else { 1_000_000 };
            assert_eq!(class.quantity(&t), expected, "{class:?}");
        }
        t
    }

    #[test]
    fn every_registry_rate_prices_its_class_key_by_key() {
        use crate::pricing::{price, unpriced};
        let bytes = std::fs::read(REAL_FILE).unwrap();
        let file: Vec<(String, BTreeMap<String, Box<RawValue>>)> = {
            let entries: Entries<'_> = serde_json::from_slice(&bytes).unwrap();
            entries
                .0
                .into_iter()
                .filter_map(|(k, raw)| Some((k, serde_json::from_str(raw.get()).ok()?)))
                .collect()
        };
        let keys = rate_keys();
        let tokens = one_of_everything();
        let (mut models, mut checked, mut unused) = (0, 0, Vec::new());
        for (name, fields) in &file {
            let raw: Box<RawValue> =
                RawValue::from_string(serde_json::to_string(fields).unwrap()).unwrap();
            let Ok(card) = card(name, &raw, day()) else {
                continue;
            };
            models += 1;
            // The standard call, and one per (tier, band) the entry prices.
            let mut calls: Vec<(ServiceTier, u64)> = vec![(ServiceTier::Standard, 0)];
            for (key, value) in fields.iter().filter(|(k, _)| k.contains("cost")) {
                if not_priced(key) {
                    continue;
                }
                let Some(&(class, band, tier)) = keys.get(key) else {
                    unused.push(format!("{name}: {key}"));
                    continue;
                };
                if value.get() == "null" {
                    continue;
                }
                let tier = tier.unwrap_or(ServiceTier::Standard);
                let resolved = card.resolve(tier, band);
                let expected = expected_rate(class, value);
                let own = resolved.key(class).map(|k| k.to_string());
                let canonical = format!(
                    "{}{}{}",
                    class.registry_key(),
                    if band == 0 {
                        String::new()
                    } else {
                        band_suffix(band)
                    },
                    tier_suffix(tier)
                );
                if own.as_deref() != Some(canonical.as_str()) {
                    // An alias the class's own key overrides must say the same price.
                    assert!(
                        KEY_ALIASES.iter().any(|(a, _)| key.starts_with(a)),
                        "{name}: {key} priced by {own:?}"
                    );
                }
                assert_eq!(resolved.rate(class), Some(expected), "{name}: {key}");
                let cost = price(&card, tier, band, &tokens);
                let q = class.quantity(&tokens);
                assert_eq!(cost.of(class), class.cost(q, expected), "{name}: {key}");
                calls.push((tier, band));
                checked += 1;
            }
            for (tier, band) in calls {
                let rates = card.resolve(tier, band);
                let cost = price(&card, tier, band, &tokens);
                let left = unpriced(&card, tier, band, &tokens);
                let mut sum = Decimal::ZERO;
                for class in TokenClass::ALL {
                    let q = class.quantity(&tokens);
                    match rates.rate(class) {
                        Some(rate) => {
                            assert_eq!(cost.of(class), class.cost(q, rate), "{name} {class:?}");
                            assert_eq!(class.quantity(&left), 0, "{name} {class:?}");
                        }
                        // No unit silently dropped: what is not priced is Unpriced.
                        None => {
                            assert!(class.is_unit(), "{name} {class:?} has no rate");
                            assert_eq!(class.quantity(&left), q, "{name} {class:?}");
                            assert!(cost.of(class).is_zero());
                        }
                    }
                    sum += cost.of(class);
                }
                assert_eq!(sum, cost.total(), "{name}");
            }
        }
        assert!(
            unused.is_empty(),
            "registry rates tokentally leaves unused: {unused:#?}"
        );
        assert!(models > 900, "{models}");
        assert!(checked > 2_000, "{checked}");
    }

    #[test]
    fn the_issues_anthropic_row_costs_19_dollars_at_list_prices() {
        use crate::pricing::price;
        let (_, import) = real();
        let c = find(&import, "anthropic", "claude-sonnet-4-20250514");
        // 1M uncached input ($3), 1M one-hour cache writes (2 × $3 input: the registry file
        // has no 1-hour key for it), 1,000 web searches ($10 per 1,000).
        let t = TokenCounts {
            input: 2_000_000,
            cache_write: 1_000_000,
            cache_write_1h: 1_000_000,
            web_search: 1_000,
            ..TokenCounts::default()
        }
        .checked()
        .unwrap();
        let cost = price(c, ServiceTier::Standard, 0, &t);
        assert_eq!(
            (
                cost.input,
                cost.of(TokenClass::CacheWrite1h),
                cost.of(TokenClass::WebSearch)
            ),
            (dec!(3), dec!(6), dec!(10))
        );
        assert_eq!(cost.total(), dec!(19));
        // Before, the same row was priced $3 + $3.75 (the 5-minute rate), searches dropped.
        assert_eq!(cost.cache_write, dec!(0));
    }

    #[test]
    fn reads_unit_prices_per_unit() {
        let i = one(r#""m": {"mode": "chat", "litellm_provider": "openai",
                "input_cost_per_token": 1e-06, "output_cost_per_token": 4e-06,
                "cache_creation_input_token_cost_above_1hr": 2e-06,
                "file_search_cost_per_1k_calls": 2.5, "code_interpreter_cost_per_session": 0.03,
                "search_context_cost_per_query": {"search_context_size_low": 0.03, "search_context_size_medium": 0.035}}"#);
        let r = &i.cards[0].rates;
        assert_eq!(
            (
                r.cache_write_1h,
                r.file_search,
                r.code_interpreter,
                r.web_search
            ),
            (
                Some(dec!(2)),
                Some(dec!(0.0025)),
                Some(dec!(0.03)),
                Some(dec!(0.035))
            )
        );
        let bad = one(r#""m": {"mode": "chat", "litellm_provider": "openai",
                "input_cost_per_token": 1e-06, "output_cost_per_token": 4e-06,
                "search_context_cost_per_query": 0.01}"#);
        assert_eq!(reasons(&bad), [("bad search_context_cost_per_query", 1)]);
    }

    #[test]
    fn real_file_prices_reasoning_and_embeddings() {
        let (_, import) = real();
        let c = find(&import, "gemini", "gemini-2.5-flash-preview-04-17");
        assert_eq!(
            c.rates,
            Rates {
                reasoning: Some(dec!(3.5)),
                audio_input: Some(dec!(1)),
                ..rates(dec!(0.15), dec!(0.6))
            }
        );
        // An embedding without an output price costs nothing per output token.
        assert_eq!(
            find(&import, "mistral", "mistral-embed").rates,
            rates(dec!(0.1), dec!(0))
        );
        let small = find(&import, "openai", "text-embedding-3-small");
        assert_eq!(small.rates, rates(dec!(0.02), dec!(0)));
    }

    /// The reference counts below are computed from a plain `serde_json::Value` parse of the
    /// file, independently of the importer's own code paths.
    fn reference_model(key: &str, litellm_provider: &str) -> String {
        match key.split_once('/') {
            Some((p, rest)) if p == litellm_provider => rest.to_owned(),
            _ => split_model_prefix(key).1.to_owned(),
        }
    }

    #[test]
    fn every_chat_model_with_token_prices_imports() {
        let (bytes, import) = real();
        let file: BTreeMap<String, Value> = serde_json::from_slice(&bytes).unwrap();
        let chat: HashSet<(String, String)> = file
            .iter()
            .filter(|(k, v)| *k != "sample_spec" && v["mode"] == "chat")
            .filter(|(_, v)| {
                v["input_cost_per_token"].is_number() && v["output_cost_per_token"].is_number()
            })
            .map(|(k, v)| {
                let p = v["litellm_provider"].as_str().unwrap();
                (canonical_provider(p), reference_model(k, p))
            })
            .collect();
        let imported: HashSet<(String, String)> = import
            .cards
            .iter()
            .map(|c| (c.provider.clone(), c.model.clone()))
            .collect();
        assert_eq!(
            imported.len(),
            import.cards.len(),
            "cards are unique by (provider, model)"
        );
        assert!(chat.len() > 700, "{}", chat.len());
        let missing: Vec<_> = chat.difference(&imported).collect();
        assert!(missing.is_empty(), "chat models not imported: {missing:?}");
        assert_eq!(
            import
                .cards
                .iter()
                .filter(|c| chat.contains(&(c.provider.clone(), c.model.clone())))
                .count(),
            chat.len()
        );
    }

    #[test]
    fn every_entry_is_imported_or_counted_as_skipped() {
        let (bytes, import) = real();
        let file: BTreeMap<String, Value> = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(
            import.cards.len() as u64 + import.skipped_total(),
            file.len() as u64
        );
        let modes = |m: &str| file.values().filter(|v| v["mode"] == m).count() as u64;
        assert_eq!(import.skipped["sample_spec"], 1);
        assert_eq!(
            import.skipped["mode image_generation"],
            modes("image_generation")
        );
        assert_eq!(import.skipped["mode rerank"], modes("rerank"));
        assert!(import.skipped["duplicate"] >= 1);
        assert!(
            import
                .cards
                .iter()
                .all(|c| c.validate().is_ok() && c.origin == ORIGIN)
        );
    }

    #[test]
    fn real_rates_equal_the_literals_times_a_million() {
        // Cross-check `per_million` against Decimal's multiplication on every price literal.
        let (bytes, _) = real();
        let file: BTreeMap<String, BTreeMap<String, Box<RawValue>>> =
            serde_json::from_slice(&bytes).unwrap();
        let mut n = 0;
        for fields in file.values() {
            for (name, raw) in fields
                .iter()
                .filter(|(k, _)| k.contains("cost_per_token") || k.ends_with("token_cost"))
            {
                let Some(d) = parse_number(raw.get()) else {
                    continue;
                };
                assert_eq!(
                    per_million(d),
                    Some((d * dec!(1_000_000)).normalize()),
                    "{name} {}",
                    raw.get()
                );
                n += 1;
            }
        }
        assert!(n > 2000, "{n}");
    }

    #[test]
    fn parses_number_literals_exactly() {
        let cases = [
            ("2.5e-06", Some(dec!(2.5))),
            ("3e-06", Some(dec!(3))),
            ("0.000015", Some(dec!(15))),
            ("1E-7", Some(dec!(0.1))),
            ("1e+2", Some(dec!(100_000_000))),
            ("0", Some(dec!(0))),
            ("0.0", Some(dec!(0))),
            ("0.0000001", Some(dec!(0.1))),
            // Binary floating point would turn this into 1.0.
            ("1.0000000000000001e-06", Some(dec!(1.0000000000000001))),
            ("1e-28", Some(dec!(0.0000000000000000000001))),
            ("1e-29", None),
            ("1e30", None),
            ("0.12345678901234567890123456789", None),
            ("1e99999999999", None),
            ("\"0.1\"", None),
            ("{}", None),
            ("true", None),
        ];
        for (literal, expected) in cases {
            assert_eq!(
                parse_number(literal).and_then(per_million),
                expected,
                "{literal}"
            );
        }
        assert_eq!(parse_number("-1e-06"), Some(dec!(-0.000001)));
    }

    fn one(entry: &str) -> LitellmImport {
        import(format!("{{{entry}}}").as_bytes(), day()).unwrap()
    }

    fn reasons(import: &LitellmImport) -> Vec<(&str, u64)> {
        import
            .skipped
            .iter()
            .map(|(k, v)| (k.as_str(), *v))
            .collect()
    }

    #[test]
    fn reads_tiers_every_context_band_and_tier_by_band() {
        let i = one(
            r#""openai/m": {"mode": "responses", "litellm_provider": "openai",
                "input_cost_per_token": 1e-06, "output_cost_per_token": 4e-06,
                "input_cost_per_token_flex": 5e-07, "cache_read_input_token_cost_flex": 1e-07,
                "output_cost_per_token_priority": 8e-06,
                "input_cost_per_token_above_200k_tokens": 2e-06, "output_cost_per_token_above_200k_tokens": 6e-06,
                "input_cost_per_token_above_128k_tokens": 1.5e-06,
                "input_cost_per_token_above_100k_tokens": 9e-06,
                "input_cost_per_token_above_272k_tokens_priority": 7e-06,
                "input_cost_per_token_above_512k_tokens": 3e-06,
                "input_cost_per_character_above_128k_tokens": 9e-06}"#,
        );
        assert_eq!(i.skipped_total(), 0);
        let c = &i.cards[0];
        assert_eq!((c.provider.as_str(), c.model.as_str()), ("openai", "m"));
        assert_eq!(
            c.tiers,
            BTreeMap::from([
                (
                    ServiceTier::Flex,
                    Rates {
                        input: Some(dec!(0.5)),
                        cached_input: Some(dec!(0.1)),
                        ..Rates::default()
                    }
                ),
                (
                    ServiceTier::Priority,
                    Rates {
                        output: Some(dec!(8)),
                        ..Rates::default()
                    }
                ),
            ])
        );
        let input = |d: Decimal| Rates {
            input: Some(d),
            ..Rates::default()
        };
        let band = |threshold, rates, tiers: &[(ServiceTier, Rates)]| LongContext {
            threshold,
            rates,
            tiers: tiers.iter().cloned().collect(),
        };
        assert_eq!(
            c.long_context,
            [
                band(100_000, input(dec!(9)), &[]),
                band(128_000, input(dec!(1.5)), &[]),
                band(200_000, rates(dec!(2), dec!(6)), &[]),
                band(
                    272_000,
                    Rates::default(),
                    &[(ServiceTier::Priority, input(dec!(7)))]
                ),
                band(512_000, input(dec!(3)), &[]),
            ]
        );
    }

    #[test]
    fn names_models_without_their_provider_prefix() {
        let cases = [
            ("azure/gpt-4o", "azure", "gpt-4o"),
            ("gemini/gemini-1.5-pro", "gemini", "gemini-1.5-pro"),
            (
                "vertex_ai/claude-3-5-sonnet@20240620",
                "vertex_ai-anthropic_models",
                "claude-3-5-sonnet@20240620",
            ),
            (
                "openrouter/deepseek/deepseek-r1",
                "openrouter",
                "deepseek/deepseek-r1",
            ),
            (
                "meta-llama/Llama-3-8b",
                "together_ai",
                "meta-llama/Llama-3-8b",
            ),
            ("azure/", "azure", "azure/"),
            ("gpt-4o", "openai", "gpt-4o"),
        ];
        for (key, provider, model) in cases {
            assert_eq!(model_name(key, provider), model, "{key}");
        }
    }

    #[test]
    fn skips_entries_with_a_reason_and_keeps_the_first_duplicate() {
        let i = one(r#""sample_spec": {"mode": "chat"},
            "gpt-4o": {"mode": "chat", "litellm_provider": "openai", "input_cost_per_token": 1e-06, "output_cost_per_token": 2e-06},
            "openai/gpt-4o": {"mode": "chat", "litellm_provider": "openai", "input_cost_per_token": 9e-06, "output_cost_per_token": 9e-06},
            "dall-e-3": {"mode": "image_generation", "litellm_provider": "openai", "input_cost_per_pixel": 1e-08},
            "medlm": {"mode": "chat", "litellm_provider": "vertex_ai-language-models", "input_cost_per_character": 1e-06},
            "half": {"mode": "chat", "litellm_provider": "openai", "input_cost_per_token": 1e-06},
            "nomode": {"litellm_provider": "fireworks_ai", "input_cost_per_token": 1e-06, "output_cost_per_token": 1e-06},
            "noprov": {"mode": "chat", "input_cost_per_token": 1e-06, "output_cost_per_token": 1e-06},
            "neg": {"mode": "chat", "litellm_provider": "openai", "input_cost_per_token": -1e-06, "output_cost_per_token": 1e-06},
            "str": {"mode": "chat", "litellm_provider": "openai", "input_cost_per_token": "1e-06", "output_cost_per_token": 1e-06},
            "tiny": {"mode": "chat", "litellm_provider": "openai", "input_cost_per_token": 1e-06, "output_cost_per_token": 1e-40},
            "num": 42,
            "embed": {"mode": "embedding", "litellm_provider": "mistral", "input_cost_per_token": 1e-07, "output_cost_per_token": null}"#);
        let cards: Vec<_> = i
            .cards
            .iter()
            .map(|c| (c.provider.as_str(), c.model.as_str(), c.rates.input))
            .collect();
        assert_eq!(
            cards,
            [
                ("openai", "gpt-4o", Some(dec!(1))),
                ("mistral", "embed", Some(dec!(0.1)))
            ]
        );
        assert_eq!(i.cards[1].rates.output, Some(dec!(0)));
        assert_eq!(
            reasons(&i),
            [
                ("bad input_cost_per_token", 1),
                ("bad output_cost_per_token", 1),
                ("duplicate", 1),
                ("mode image_generation", 1),
                ("no mode", 1),
                ("no output price", 1),
                ("no provider", 1),
                ("no token prices", 1),
                ("not an object", 1),
                ("rates must not be negative", 1),
                ("sample_spec", 1),
            ]
        );
        assert_eq!(i.skipped_total() + i.cards.len() as u64, 13);
    }

    #[test]
    fn refuses_files_that_are_not_a_json_object() {
        for bad in ["", "not json", "{\"a\": 1", "{} trailing", "\u{0}"] {
            assert!(
                matches!(import(bad.as_bytes(), day()), Err(LitellmError::NotJson(_))),
                "{bad:?}"
            );
        }
        for bad in ["[1, 2]", "42", "\"x\"", "null"] {
            assert!(
                matches!(
                    import(bad.as_bytes(), day()),
                    Err(LitellmError::NotAnObject(_))
                ),
                "{bad:?}"
            );
        }
        assert!(import(&[0xff, 0xfe, b'{'], day()).is_err());
        assert_eq!(import(b"{}", day()).unwrap(), LitellmImport::default());
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = import(&bytes, day());
        }

        #[test]
        fn arbitrary_number_literals_never_panic(
            input in "-?(0|[1-9][0-9]{0,40})(\\.[0-9]{1,40})?([eE][+-]?[0-9]{1,4})?",
            output in "-?(0|[1-9][0-9]{0,40})(\\.[0-9]{1,40})?([eE][+-]?[0-9]{1,4})?",
        ) {
            let json = format!(
                r#"{{"m": {{"mode": "chat", "litellm_provider": "openai",
                    "input_cost_per_token": {input}, "output_cost_per_token": {output}}}}}"#
            );
            let i = import(json.as_bytes(), day()).unwrap();
            prop_assert_eq!(i.cards.len() as u64 + i.skipped_total(), 1);
        }
    }
}
