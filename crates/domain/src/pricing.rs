//! Pricing: token counts × the card's rates, exactly. Aggregate tokens first, then price:
//! the caller sums the tokens of one (card, tier, context band) and prices the sum once.

use rust_decimal::Decimal;
use serde::Serialize;

use crate::event::ServiceTier;
use crate::price_card::{PriceCard, ResolvedRates};
use crate::tokens::TokenCounts;

const PER_MILLION: Decimal = Decimal::from_parts(1_000_000, 0, 0, false, 0);

/// The classes a call is billed in: token classes (priced per 1,000,000 tokens) and units
/// (priced per unit). `input` and `output` are the plain text rates (uncached input; output
/// that is not reasoning, audio or image); `cache_write` is the 5-minute write. The first five
/// are the classes every event had before; their order is the order of statement lines.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum TokenClass {
    Input,
    CachedInput,
    CacheWrite,
    Output,
    Reasoning,
    #[serde(rename = "cache_write_1h")]
    CacheWrite1h,
    AudioInput,
    CachedAudioInput,
    ImageInput,
    AudioOutput,
    ImageOutput,
    WebSearch,
    FileSearch,
    CodeInterpreter,
}

/// Where a class without a rate of its own takes its rate from (docs/DECISIONS.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fallback {
    /// The rate of that class.
    Class(TokenClass),
    /// That class's rate times a factor (Anthropic's 1-hour cache write: 2 × input).
    Times(TokenClass, u32),
    /// None: quantities of the class go to Unpriced.
    Unpriced,
}

impl TokenClass {
    pub const COUNT: usize = 14;

    pub const ALL: [TokenClass; Self::COUNT] = [
        Self::Input,
        Self::CachedInput,
        Self::CacheWrite,
        Self::Output,
        Self::Reasoning,
        Self::CacheWrite1h,
        Self::AudioInput,
        Self::CachedAudioInput,
        Self::ImageInput,
        Self::AudioOutput,
        Self::ImageOutput,
        Self::WebSearch,
        Self::FileSearch,
        Self::CodeInterpreter,
    ];

    /// The classes every event had before audio, image, 1-hour writes and units: pages show
    /// these always, the others only when they hold something.
    pub const BASIC: [TokenClass; 5] = [
        Self::Input,
        Self::CachedInput,
        Self::CacheWrite,
        Self::Output,
        Self::Reasoning,
    ];

    pub fn index(self) -> usize {
        self as usize
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Input => "input",
            Self::CachedInput => "cached_input",
            Self::CacheWrite => "cache_write",
            Self::Output => "output",
            Self::Reasoning => "reasoning",
            Self::CacheWrite1h => "cache_write_1h",
            Self::AudioInput => "audio_input",
            Self::CachedAudioInput => "cached_audio_input",
            Self::ImageInput => "image_input",
            Self::AudioOutput => "audio_output",
            Self::ImageOutput => "image_output",
            Self::WebSearch => "web_search",
            Self::FileSearch => "file_search",
            Self::CodeInterpreter => "code_interpreter",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Input => "Uncached input",
            Self::CachedInput => "Cached input",
            Self::CacheWrite => "Cache write",
            Self::Output => "Output",
            Self::Reasoning => "Reasoning",
            Self::CacheWrite1h => "Cache write (1 hour)",
            Self::AudioInput => "Audio input",
            Self::CachedAudioInput => "Cached audio input",
            Self::ImageInput => "Image input",
            Self::AudioOutput => "Audio output",
            Self::ImageOutput => "Image output",
            Self::WebSearch => "Web search",
            Self::FileSearch => "File search",
            Self::CodeInterpreter => "Code interpreter",
        }
    }

    /// The unit a class counts, for units that are not tokens (FOCUS `ConsumedUnit`).
    pub fn unit(self) -> Option<&'static str> {
        match self {
            Self::WebSearch => Some("Queries"),
            Self::FileSearch => Some("Calls"),
            Self::CodeInterpreter => Some("Sessions"),
            _ => None,
        }
    }

    pub fn is_unit(self) -> bool {
        self.unit().is_some()
    }

    /// LiteLLM's registry key of the class's rate, before any band or tier suffix.
    pub fn registry_key(self) -> &'static str {
        match self {
            Self::Input => "input_cost_per_token",
            Self::CachedInput => "cache_read_input_token_cost",
            Self::CacheWrite => "cache_creation_input_token_cost",
            Self::Output => "output_cost_per_token",
            Self::Reasoning => "output_cost_per_reasoning_token",
            Self::CacheWrite1h => "cache_creation_input_token_cost_above_1hr",
            Self::AudioInput => "input_cost_per_audio_token",
            Self::CachedAudioInput => "cache_read_input_audio_token_cost",
            Self::ImageInput => "input_cost_per_image_token",
            Self::AudioOutput => "output_cost_per_audio_token",
            Self::ImageOutput => "output_cost_per_image_token",
            Self::WebSearch => "search_context_cost_per_query",
            Self::FileSearch => "file_search_cost_per_1k_calls",
            Self::CodeInterpreter => "code_interpreter_cost_per_session",
        }
    }

    /// The documented fallback of a class the card does not price.
    pub fn fallback(self) -> Fallback {
        match self {
            Self::Input | Self::Output => Fallback::Unpriced,
            Self::CachedInput | Self::CacheWrite | Self::AudioInput | Self::ImageInput => {
                Fallback::Class(Self::Input)
            }
            Self::CacheWrite1h => Fallback::Times(Self::Input, 2),
            Self::CachedAudioInput => Fallback::Class(Self::AudioInput),
            Self::Reasoning | Self::AudioOutput | Self::ImageOutput => {
                Fallback::Class(Self::Output)
            }
            Self::WebSearch | Self::FileSearch | Self::CodeInterpreter => Fallback::Unpriced,
        }
    }

    /// How many of this class `t` holds (tokens, or units).
    pub fn quantity(self, t: &TokenCounts) -> u64 {
        match self {
            Self::Input => t.uncached_input(),
            Self::CachedInput => t.cached_text_input(),
            Self::CacheWrite => t.cache_write_5m(),
            Self::Output => t.visible_output(),
            Self::Reasoning => t.reasoning,
            Self::CacheWrite1h => t.cache_write_1h,
            Self::AudioInput => t.uncached_audio_input(),
            Self::CachedAudioInput => t.cached_audio_input,
            Self::ImageInput => t.image_input,
            Self::AudioOutput => t.audio_output,
            Self::ImageOutput => t.image_output,
            Self::WebSearch => t.web_search,
            Self::FileSearch => t.file_search,
            Self::CodeInterpreter => t.code_interpreter,
        }
    }

    /// The rate of this class, or `None` when the card prices it neither itself nor by its
    /// fallback (units only: every token class falls back to input or output).
    pub fn rate(self, r: &ResolvedRates) -> Option<Decimal> {
        r.rate(self)
    }

    /// What `quantity` of this class costs at `rate` (per 1M tokens, or per unit), exactly.
    pub fn cost(self, quantity: u64, rate: Decimal) -> Decimal {
        if self.is_unit() {
            Decimal::from(quantity) * rate
        } else {
            amount(quantity, rate)
        }
    }
}

/// Exact cost by class, unrounded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Cost {
    pub input: Decimal,
    pub cached_input: Decimal,
    pub cache_write: Decimal,
    pub output: Decimal,
    pub reasoning: Decimal,
    /// The classes after the first five, by [`TokenClass::index`] (the first five entries
    /// stay zero), serialized by name when not zero.
    #[serde(flatten, serialize_with = "extra_classes")]
    pub extra: [Decimal; TokenClass::COUNT],
}

fn extra_classes<S: serde::Serializer>(
    extra: &[Decimal; TokenClass::COUNT],
    s: S,
) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut m = s.serialize_map(None)?;
    for c in TokenClass::ALL.into_iter().skip(TokenClass::BASIC.len()) {
        if !extra[c.index()].is_zero() {
            m.serialize_entry(c.as_str(), &extra[c.index()])?;
        }
    }
    m.end()
}

impl Cost {
    pub fn total(&self) -> Decimal {
        TokenClass::ALL.iter().map(|c| self.of(*c)).sum()
    }

    pub fn of(&self, class: TokenClass) -> Decimal {
        match class {
            TokenClass::Input => self.input,
            TokenClass::CachedInput => self.cached_input,
            TokenClass::CacheWrite => self.cache_write,
            TokenClass::Output => self.output,
            TokenClass::Reasoning => self.reasoning,
            other => self.extra[other.index()],
        }
    }

    pub fn of_mut(&mut self, class: TokenClass) -> &mut Decimal {
        match class {
            TokenClass::Input => &mut self.input,
            TokenClass::CachedInput => &mut self.cached_input,
            TokenClass::CacheWrite => &mut self.cache_write,
            TokenClass::Output => &mut self.output,
            TokenClass::Reasoning => &mut self.reasoning,
            other => &mut self.extra[other.index()],
        }
    }

    pub fn add(&mut self, other: &Cost) {
        for c in TokenClass::ALL {
            *self.of_mut(c) += other.of(c);
        }
    }

    /// Every class multiplied by `factor` (a discount's), exactly.
    pub fn scaled(&self, factor: Decimal) -> Cost {
        let mut out = Cost::default();
        for c in TokenClass::ALL {
            *out.of_mut(c) = self.of(c) * factor;
        }
        out
    }
}

/// `tokens` tokens at `rate` per million, exactly.
pub fn amount(tokens: u64, rate: Decimal) -> Decimal {
    Decimal::from(tokens) * rate / PER_MILLION
}

/// Prices an aggregate of calls that share a card, a tier and a context band. A class the
/// card cannot price (a unit without a rate) costs nothing here: [`unpriced`] answers it, and
/// callers count it as Unpriced.
pub fn price(card: &PriceCard, tier: ServiceTier, band: u64, tokens: &TokenCounts) -> Cost {
    let rates = card.resolve(tier, band);
    let mut cost = Cost::default();
    for class in TokenClass::ALL {
        let q = class.quantity(tokens);
        if q == 0 {
            continue;
        }
        if let Some(rate) = rates.rate(class) {
            *cost.of_mut(class) = class.cost(q, rate);
        }
    }
    cost
}

/// The part of `tokens` the card cannot price in this tier and band: units it has no rate
/// for (every token class has a rate, by fallback).
pub fn unpriced(
    card: &PriceCard,
    tier: ServiceTier,
    band: u64,
    tokens: &TokenCounts,
) -> TokenCounts {
    if !tokens.has_units() {
        return TokenCounts::default();
    }
    let rates = card.resolve(tier, band);
    let keep = |class: TokenClass, n: u64| if rates.rate(class).is_none() { n } else { 0 };
    TokenCounts {
        web_search: keep(TokenClass::WebSearch, tokens.web_search),
        file_search: keep(TokenClass::FileSearch, tokens.file_search),
        code_interpreter: keep(TokenClass::CodeInterpreter, tokens.code_interpreter),
        ..TokenCounts::default()
    }
}

#[cfg(test)]
mod tests {
    //! Amounts computed by hand from the providers' published per-1M rates.
    use super::*;
    use crate::price_card::{LongContext, Rates, context_band};
    use chrono::NaiveDate;
    use rust_decimal_macros::dec;

    fn card(model: &str, rates: Rates) -> PriceCard {
        PriceCard {
            provider: "p".into(),
            model: model.into(),
            effective_from: NaiveDate::from_ymd_opt(2024, 1, 1).unwrap(),
            rates,
            tiers: Default::default(),
            long_context: Vec::new(),
            origin: "test".into(),
        }
    }

    fn gpt_4o() -> PriceCard {
        let mut c = card(
            "gpt-4o",
            Rates {
                input: Some(dec!(2.5)),
                cached_input: Some(dec!(1.25)),
                output: Some(dec!(10)),
                ..Default::default()
            },
        );
        c.tiers.insert(
            ServiceTier::Batch,
            Rates {
                input: Some(dec!(1.25)),
                output: Some(dec!(5)),
                ..Default::default()
            },
        );
        c
    }

    fn tokens(input: u64, cached: u64, write: u64, output: u64, reasoning: u64) -> TokenCounts {
        TokenCounts::new(input, cached, write, output, reasoning).unwrap()
    }

    #[test]
    fn gpt_4o_with_cached_input() {
        // 10,000 input of which 6,000 cached, 1,000 output:
        // 4,000 × 2.50/1M = 0.01; 6,000 × 1.25/1M = 0.0075; 1,000 × 10/1M = 0.01.
        let c = price(
            &gpt_4o(),
            ServiceTier::Standard,
            0,
            &tokens(10_000, 6_000, 0, 1_000, 0),
        );
        assert_eq!(
            (c.input, c.cached_input, c.output),
            (dec!(0.01), dec!(0.0075), dec!(0.01))
        );
        assert_eq!(c.total(), dec!(0.0275));
    }

    #[test]
    fn claude_with_cache_write_and_cache_read() {
        // Claude 3.5 Sonnet: 3 input, 0.30 cache read, 3.75 cache write, 15 output per 1M.
        // 50,000 input = 2,000 plain + 40,000 read + 8,000 written; 700 output.
        let sonnet = card(
            "claude-3-5-sonnet",
            Rates {
                input: Some(dec!(3)),
                cached_input: Some(dec!(0.3)),
                cache_write: Some(dec!(3.75)),
                output: Some(dec!(15)),
                ..Default::default()
            },
        );
        let c = price(
            &sonnet,
            ServiceTier::Standard,
            0,
            &tokens(50_000, 40_000, 8_000, 700, 0),
        );
        assert_eq!(c.input, dec!(0.006));
        assert_eq!(c.cached_input, dec!(0.012));
        assert_eq!(c.cache_write, dec!(0.03));
        assert_eq!(c.output, dec!(0.0105));
        assert_eq!(c.total(), dec!(0.0585));
    }

    #[test]
    fn reasoning_tokens_at_their_own_rate_or_output_rate() {
        // o1-like: 15 input, 60 output. 2,000 output of which 1,500 reasoning.
        let mut o1 = card(
            "o1",
            Rates {
                input: Some(dec!(15)),
                output: Some(dec!(60)),
                ..Default::default()
            },
        );
        let t = tokens(1_000, 0, 0, 2_000, 1_500);
        let c = price(&o1, ServiceTier::Standard, 0, &t);
        assert_eq!(
            (c.output, c.reasoning, c.total()),
            (dec!(0.03), dec!(0.09), dec!(0.135))
        );
        o1.rates.reasoning = Some(dec!(30));
        assert_eq!(
            price(&o1, ServiceTier::Standard, 0, &t).reasoning,
            dec!(0.045)
        );
    }

    #[test]
    fn batch_calls_take_batch_rates() {
        // 1,000,000 input (200,000 cached) and 100,000 output in batch: 800,000 × 1.25 + 200,000 × 1.25
        // (batch has no cached rate of its own, so its input rate) + 100,000 × 5.
        let c = price(
            &gpt_4o(),
            ServiceTier::Batch,
            0,
            &tokens(1_000_000, 200_000, 0, 100_000, 0),
        );
        assert_eq!(
            (c.input, c.cached_input, c.output),
            (dec!(1), dec!(0.25), dec!(0.5))
        );
    }

    #[test]
    fn a_call_above_200k_input_takes_the_long_context_rates() {
        // Gemini 2.5 Pro-like: 1.25/10 up to 200k, 2.50/15 above.
        let mut g = card(
            "gemini-2.5-pro",
            Rates {
                input: Some(dec!(1.25)),
                output: Some(dec!(10)),
                ..Default::default()
            },
        );
        g.long_context = vec![LongContext {
            threshold: 200_000,
            rates: Rates {
                input: Some(dec!(2.5)),
                output: Some(dec!(15)),
                ..Default::default()
            },
            tiers: Default::default(),
        }];
        let big = tokens(250_000, 0, 0, 1_000, 0);
        let c = price(&g, ServiceTier::Standard, context_band(big.input), &big);
        assert_eq!((c.input, c.output), (dec!(0.625), dec!(0.015)));
        let small = tokens(200_000, 0, 0, 1_000, 0);
        let c = price(&g, ServiceTier::Standard, context_band(small.input), &small);
        assert_eq!((c.input, c.output), (dec!(0.25), dec!(0.01)));
    }

    #[test]
    fn amounts_are_exact_for_tiny_rates() {
        assert_eq!(amount(1, dec!(0.075)), dec!(0.000000075));
        assert_eq!(
            amount(3, dec!(0.1)) * Decimal::from(10),
            amount(30, dec!(0.1))
        );
    }
}
