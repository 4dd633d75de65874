//! What AI spend earns: the value reported with business transactions set against the
//! blended cost of the same team or feature and month.
//!
//! | metric | definition |
//! |---|---|
//! | margin | value − blended cost |
//! | ROI | value ÷ blended cost (2 places); none without cost |
//! | cost share of value | blended cost ÷ value, in percent (1 place); none without value |
//! | value per 1M tokens | value × 1,000,000 ÷ tokens (input and output), 6 places |
//! | earns less than it burns | blended cost > value |

use rust_decimal::Decimal;
use serde::Serialize;

use crate::unit_economics::percent;

/// Value against cost for one team, feature or the organisation in one month.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Margin {
    /// Σ reported value (per-transaction amounts × counts, plus period totals).
    pub value: Decimal,
    /// The blended cost it is set against (token cost + overhead + commitment).
    pub cost: Decimal,
    pub margin: Decimal,
    pub roi: Option<Decimal>,
    pub cost_share_of_value: Option<Decimal>,
    pub value_per_million_tokens: Option<Decimal>,
    /// Cost exceeds value: the flag "earns less than it burns".
    pub earns_less_than_it_burns: bool,
}

impl Margin {
    /// `value` against `cost`, with `tokens` (input and output) for value per 1M tokens.
    pub fn of(value: Decimal, cost: Decimal, tokens: u64) -> Margin {
        Margin {
            value: value.normalize(),
            cost: cost.normalize(),
            margin: (value - cost).normalize(),
            roi: (!cost.is_zero()).then(|| (value / cost).round_dp(2).normalize()),
            cost_share_of_value: percent(cost, value),
            value_per_million_tokens: (tokens > 0).then(|| {
                (value * Decimal::from(1_000_000u64) / Decimal::from(tokens))
                    .round_dp(6)
                    .normalize()
            }),
            earns_less_than_it_burns: cost > value,
        }
    }
}

#[cfg(test)]
mod tests {
    use rust_decimal_macros::dec;

    use super::*;

    /// A feature worth 120 tickets × 2.50 = 300.00 that cost 75.00 over 1.5M tokens.
    #[test]
    fn a_feature_that_earns_more_than_it_burns() {
        let m = Margin::of(dec!(300.00), dec!(75.00), 1_500_000);
        assert_eq!(m.margin, dec!(225));
        assert_eq!(m.roi, Some(dec!(4)));
        assert_eq!(m.cost_share_of_value, Some(dec!(25)));
        assert_eq!(m.value_per_million_tokens, Some(dec!(200)));
        assert!(!m.earns_less_than_it_burns);
    }

    /// Worth 40.00, cost 52.30 over 3M tokens: margin −12.30, ROI 40 ÷ 52.30 = 0.7648… → 0.76,
    /// cost share 52.30 ÷ 40 = 130.75 % → 130.8, value per 1M 40 ÷ 3 = 13.333333.
    #[test]
    fn a_feature_that_earns_less_than_it_burns_is_flagged() {
        let m = Margin::of(dec!(40.00), dec!(52.30), 3_000_000);
        assert_eq!(m.margin, dec!(-12.3));
        assert_eq!(m.roi, Some(dec!(0.76)));
        assert_eq!(m.cost_share_of_value, Some(dec!(130.8)));
        assert_eq!(m.value_per_million_tokens, Some(dec!(13.333333)));
        assert!(m.earns_less_than_it_burns);
    }

    #[test]
    fn ratios_are_none_without_a_denominator() {
        let free = Margin::of(dec!(10), Decimal::ZERO, 0);
        assert_eq!(free.roi, None);
        assert_eq!(free.value_per_million_tokens, None);
        assert_eq!(free.cost_share_of_value, Some(dec!(0)));
        let worthless = Margin::of(Decimal::ZERO, dec!(5), 10);
        assert_eq!(worthless.roi, Some(dec!(0)));
        assert_eq!(worthless.cost_share_of_value, None);
        assert!(worthless.earns_less_than_it_burns);
        // Break-even is not flagged: cost must exceed value.
        assert!(!Margin::of(dec!(5), dec!(5), 10).earns_less_than_it_burns);
    }
}
