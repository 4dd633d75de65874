//! Pricing: token counts × the card's rates, exactly. Aggregate tokens first, then price:
//! the caller sums the tokens of one (card, tier, context band) and prices the sum once.

use rust_decimal::Decimal;
use serde::Serialize;

use crate::event::ServiceTier;
use crate::price_card::PriceCard;
use crate::tokens::TokenCounts;
pub use crate::tokens::{Fallback, TokenClass, amount};

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
