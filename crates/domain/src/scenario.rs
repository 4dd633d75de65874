//! Scenario planning: what a feature would cost a month at a given volume, size of
//! interaction and model, priced on the model's real card.
//!
//! The planner gives an expected volume (interactions a month), tokens per interaction, a
//! model and an overhead multiplier (blended ÷ token cost). Three scenarios are priced: the
//! expected volume, and a low and a high one `spread_pct` percent either side of it. Each
//! scenario's month of tokens is computed first (volume × tokens per interaction, split into
//! token classes by the feature's observed mix) and priced once, as ingest prices rollups.
//! The long-context band is the one a single interaction's input falls in.

use rust_decimal::Decimal;
use serde::Serialize;

use crate::event::ServiceTier;
use crate::price_card::{PriceCard, context_band};
use crate::pricing;
use crate::tokens::{MAX_TOKENS_PER_EVENT, TokenCounts};

/// The low and high scenarios' distance from the expected volume, unless the planner sets one.
pub const DEFAULT_SPREAD_PCT: u32 = 25;

/// Most interactions a month a plan may name (a billion a day).
pub const MAX_VOLUME: u64 = 31_000_000_000;

/// A plan as the form or the API gives it.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Interactions expected in a month.
    pub volume: u64,
    pub tokens_per_interaction: u64,
    /// Blended cost ÷ token cost: 1 for none, 1.2 for a fifth on top.
    pub overhead_multiplier: Decimal,
    /// Percent either side of `volume` for the low and high scenarios.
    pub spread_pct: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Scenario {
    /// `low`, `expected` or `high`.
    pub name: &'static str,
    pub volume: u64,
    pub tokens: TokenCounts,
    /// Exact token cost on the card, and rounded to the cent.
    pub token_cost: Decimal,
    /// Token cost × the overhead multiplier, to the cent.
    pub blended_cost: Decimal,
    /// Blended cost per interaction, 6 places.
    pub cost_per_interaction: Option<Decimal>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("`volume` must be between 1 and {MAX_VOLUME} interactions a month, got {0}")]
    BadVolume(u64),
    #[error("`tokens_per_interaction` must be between 1 and {MAX_TOKENS_PER_EVENT}, got {0}")]
    BadTokens(u64),
    #[error("`overhead_multiplier` must be between 1 and 10, got {0}")]
    BadMultiplier(Decimal),
    #[error("`spread_pct` must be between 0 and 100, got {0}")]
    BadSpread(u32),
    #[error("a month of that plan is more tokens than tokentally counts ({0} interactions × {1})")]
    TooManyTokens(u64, u64),
}

impl Plan {
    pub fn validate(&self) -> Result<(), PlanError> {
        if !(1..=MAX_VOLUME).contains(&self.volume) {
            return Err(PlanError::BadVolume(self.volume));
        }
        if !(1..=MAX_TOKENS_PER_EVENT).contains(&self.tokens_per_interaction) {
            return Err(PlanError::BadTokens(self.tokens_per_interaction));
        }
        if self.overhead_multiplier < Decimal::ONE || self.overhead_multiplier > Decimal::TEN {
            return Err(PlanError::BadMultiplier(self.overhead_multiplier));
        }
        if self.spread_pct > 100 {
            return Err(PlanError::BadSpread(self.spread_pct));
        }
        let high = self.volume + self.volume * u64::from(self.spread_pct) / 100;
        if high
            .checked_mul(self.tokens_per_interaction)
            .is_none_or(|t| t > crate::bounds::MAX_MONTH_TOKENS)
        {
            return Err(PlanError::TooManyTokens(high, self.tokens_per_interaction));
        }
        Ok(())
    }
}

/// `total` tokens split like `mix` (the feature's observed counts): input and output in
/// proportion (rounded to the nearest token), and within them the cached, cache-write and
/// reasoning parts (rounded down, so a part never exceeds its whole). Without a mix, all
/// tokens are input.
pub fn split_like(total: u64, mix: &TokenCounts) -> TokenCounts {
    let part = |n: u64, of: u64, whole: u64| -> u64 {
        if whole == 0 {
            return 0;
        }
        // n × of ÷ whole without overflow: u128 holds any product of two u64.
        (u128::from(n) * u128::from(of) / u128::from(whole)) as u64
    };
    let whole = mix.input + mix.output;
    if whole == 0 {
        return TokenCounts {
            input: total,
            ..TokenCounts::default()
        };
    }
    let input = ((u128::from(total) * u128::from(mix.input) * 2 + u128::from(whole))
        / (2 * u128::from(whole))) as u64;
    let output = total - input;
    TokenCounts {
        input,
        cached_input: part(input, mix.cached_input, mix.input),
        cache_write: part(input, mix.cache_write, mix.input),
        output,
        reasoning: part(output, mix.reasoning, mix.output),
        ..TokenCounts::default()
    }
}

/// The three scenarios of `plan` on `card` at `tier`.
pub fn scenarios(
    plan: &Plan,
    mix: &TokenCounts,
    card: &PriceCard,
    tier: ServiceTier,
) -> Result<Vec<Scenario>, PlanError> {
    plan.validate()?;
    let per_interaction = split_like(plan.tokens_per_interaction, mix);
    let band = context_band(per_interaction.input);
    let delta = plan.volume * u64::from(plan.spread_pct) / 100;
    let volumes = [
        ("low", plan.volume - delta),
        ("expected", plan.volume),
        ("high", plan.volume + delta),
    ];
    Ok(volumes
        .into_iter()
        .map(|(name, volume)| {
            let tokens = split_like(volume * plan.tokens_per_interaction, mix);
            let exact = pricing::price(card, tier, band, &tokens).total();
            let blended = exact * plan.overhead_multiplier;
            Scenario {
                name,
                volume,
                tokens,
                token_cost: exact.round_dp(2),
                blended_cost: blended.round_dp(2),
                cost_per_interaction: (volume > 0)
                    .then(|| (blended / Decimal::from(volume)).round_dp(6)),
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::price_card::Rates;
    use rust_decimal_macros::dec;

    fn card() -> PriceCard {
        // $3 per 1M input, $0.30 per 1M cached input, $15 per 1M output.
        PriceCard {
            provider: "anthropic".into(),
            model: "claude-sonnet".into(),
            effective_from: chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            rates: Rates {
                input: Some(dec!(3)),
                cached_input: Some(dec!(0.30)),
                output: Some(dec!(15)),
                ..Rates::default()
            },
            tiers: Default::default(),
            long_context: Vec::new(),
            origin: "test".into(),
        }
    }

    #[test]
    fn a_mix_is_kept_and_parts_never_exceed_their_whole() {
        let mix = TokenCounts {
            input: 3_000,
            cached_input: 1_000,
            output: 1_000,
            reasoning: 333,
            ..TokenCounts::default()
        };
        let t = split_like(2_000, &mix);
        assert_eq!((t.input, t.output), (1_500, 500));
        assert_eq!(t.cached_input, 500);
        assert_eq!(t.reasoning, 166);
        assert_eq!(split_like(7, &TokenCounts::default()).input, 7);
    }

    /// 10,000 interactions of 2,000 tokens, 3:1 input to output, a third of input cached:
    /// a month of 15M input (5M cached) and 5M output.
    /// Token cost: 10M × $3 + 5M × $0.30 + 5M × $15 per 1M = 30 + 1.50 + 75 = $106.50.
    /// Blended at 1.2: $127.80, $0.012780 an interaction. Low and high at ±25%: 7,500 and
    /// 12,500 interactions, $95.85 and $159.75 blended.
    #[test]
    fn three_scenarios_priced_on_the_card() {
        let mix = TokenCounts {
            input: 3_000,
            cached_input: 1_000,
            output: 1_000,
            ..TokenCounts::default()
        };
        let plan = Plan {
            volume: 10_000,
            tokens_per_interaction: 2_000,
            overhead_multiplier: dec!(1.2),
            spread_pct: DEFAULT_SPREAD_PCT,
        };
        let s = scenarios(&plan, &mix, &card(), ServiceTier::Standard).unwrap();
        assert_eq!(s[1].name, "expected");
        assert_eq!(s[1].tokens.input, 15_000_000);
        assert_eq!(s[1].tokens.cached_input, 5_000_000);
        assert_eq!(s[1].token_cost, dec!(106.50));
        assert_eq!(s[1].blended_cost, dec!(127.80));
        assert_eq!(s[1].cost_per_interaction, Some(dec!(0.012780)));
        assert_eq!((s[0].volume, s[0].blended_cost), (7_500, dec!(95.85)));
        assert_eq!((s[2].volume, s[2].blended_cost), (12_500, dec!(159.75)));
    }

    #[test]
    fn absurd_plans_are_refused() {
        let ok = Plan {
            volume: 1,
            tokens_per_interaction: 1,
            overhead_multiplier: Decimal::ONE,
            spread_pct: 0,
        };
        assert!(ok.validate().is_ok());
        for bad in [
            Plan {
                volume: 0,
                ..ok.clone()
            },
            Plan {
                tokens_per_interaction: 0,
                ..ok.clone()
            },
            Plan {
                overhead_multiplier: dec!(0.5),
                ..ok.clone()
            },
            Plan {
                spread_pct: 101,
                ..ok.clone()
            },
            Plan {
                volume: MAX_VOLUME,
                tokens_per_interaction: MAX_TOKENS_PER_EVENT,
                ..ok.clone()
            },
        ] {
            assert!(bad.validate().is_err(), "{bad:?}");
        }
    }
}
