//! Unit cost over time: a scope's cost per successful outcome, cost per query, tokens per
//! successful outcome and cost per active user, month by month. Each point is the figure that month's showback (or
//! drill-down) shows, taken from it rather than computed again, so the two never disagree. A
//! month without usage has no figure: a gap, never a zero.

use rust_decimal::Decimal;
use serde::Serialize;

use crate::drilldown::Line;
use crate::month::Month;
use crate::movement::Scope;
use crate::showback::{Showback, TeamShowback};
use crate::unit_economics::unit_cost;

/// How many months a trend covers, ending with the month asked for.
pub const TREND_MONTHS: usize = 12;

/// A unit cost a trend follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    CostPerSuccessfulOutcome,
    CostPerQuery,
    TokensPerSuccessfulOutcome,
    CostPerActiveUser,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown metric `{0}`: use cost_per_successful_outcome, cost_per_query, tokens_per_successful_outcome or cost_per_active_user"
)]
pub struct MetricError(pub String);

impl Metric {
    pub const ALL: [Metric; 4] = [
        Self::CostPerSuccessfulOutcome,
        Self::CostPerQuery,
        Self::TokensPerSuccessfulOutcome,
        Self::CostPerActiveUser,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::CostPerSuccessfulOutcome => "cost_per_successful_outcome",
            Self::CostPerQuery => "cost_per_query",
            Self::TokensPerSuccessfulOutcome => "tokens_per_successful_outcome",
            Self::CostPerActiveUser => "cost_per_active_user",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::CostPerSuccessfulOutcome => "Cost per successful outcome",
            Self::CostPerQuery => "Cost per query",
            Self::TokensPerSuccessfulOutcome => "Tokens per successful outcome",
            Self::CostPerActiveUser => "Cost per active user",
        }
    }

    /// Whether the metric is money (the others are counts of tokens).
    pub fn is_money(self) -> bool {
        !matches!(self, Self::TokensPerSuccessfulOutcome)
    }

    pub fn parse(s: &str) -> Result<Self, MetricError> {
        Self::ALL
            .into_iter()
            .find(|m| m.as_str() == s)
            .ok_or_else(|| MetricError(s.to_owned()))
    }
}

/// One month of a trend. `None` figures are gaps: no usage (or no successful outcome) that
/// month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrendPoint {
    pub month: Month,
    pub blended_cost: Decimal,
    pub requests: u64,
    pub successful_outcomes: u64,
    pub cost_per_successful_outcome: Option<Decimal>,
    pub cost_per_query: Option<Decimal>,
    pub tokens_per_successful_outcome: Option<Decimal>,
    /// Distinct users of the scope in the month (calls that name a user); `None` until
    /// counted.
    pub active_users: Option<u64>,
    /// Blended cost ÷ active users; a gap without users.
    pub cost_per_active_user: Option<Decimal>,
}

impl TrendPoint {
    /// The organisation's point: its showback's figures (the whole bill, idle commitments
    /// included).
    pub fn of_org(sb: &Showback) -> Self {
        Self {
            month: sb.month,
            blended_cost: sb.org_total,
            requests: sb.requests,
            successful_outcomes: sb.successful_outcomes,
            cost_per_successful_outcome: sb.cost_per_successful_outcome,
            cost_per_query: unit_cost(sb.org_total, sb.requests),
            tokens_per_successful_outcome: sb.tokens_per_successful_outcome,
            active_users: None,
            cost_per_active_user: None,
        }
    }

    /// A team's point: its row of the month's showback.
    pub fn of_team(month: Month, t: &TeamShowback) -> Self {
        Self {
            month,
            blended_cost: t.blended_cost,
            requests: t.requests,
            successful_outcomes: t.successful_outcomes,
            cost_per_successful_outcome: t.cost_per_successful_outcome,
            cost_per_query: unit_cost(t.blended_cost, t.requests),
            tokens_per_successful_outcome: t.tokens_per_successful_outcome,
            active_users: None,
            cost_per_active_user: None,
        }
    }

    /// A feature's point: its line of the team's drill-down.
    pub fn of_line(month: Month, l: &Line) -> Self {
        Self {
            month,
            blended_cost: l.blended_cost,
            requests: l.requests,
            successful_outcomes: l.successful_outcomes,
            cost_per_successful_outcome: l.cost_per_successful_outcome,
            cost_per_query: l.cost_per_query,
            tokens_per_successful_outcome: l.tokens_per_successful_outcome,
            active_users: None,
            cost_per_active_user: None,
        }
    }

    /// A month with nothing in the scope: every figure a gap.
    pub fn empty(month: Month) -> Self {
        Self {
            month,
            blended_cost: Decimal::ZERO,
            requests: 0,
            successful_outcomes: 0,
            cost_per_successful_outcome: None,
            cost_per_query: None,
            tokens_per_successful_outcome: None,
            active_users: None,
            cost_per_active_user: None,
        }
    }

    /// The point with its month's active users counted, and the cost per active user (a
    /// gap when no call named a user).
    pub fn with_active_users(mut self, users: u64) -> Self {
        self.active_users = Some(users);
        self.cost_per_active_user = unit_cost(self.blended_cost, users);
        self
    }

    pub fn value(&self, metric: Metric) -> Option<Decimal> {
        match metric {
            Metric::CostPerSuccessfulOutcome => self.cost_per_successful_outcome,
            Metric::CostPerQuery => self.cost_per_query,
            Metric::TokensPerSuccessfulOutcome => self.tokens_per_successful_outcome,
            Metric::CostPerActiveUser => self.cost_per_active_user,
        }
    }
}

/// A scope's unit costs over [`TREND_MONTHS`] months, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Trend {
    pub scope: Scope,
    pub currency: String,
    pub points: Vec<TrendPoint>,
    /// The feature's unit-cost target (cost per successful outcome, at most), where the
    /// scorecard sets one.
    pub target: Option<Decimal>,
}

impl Trend {
    /// Whether the latest month with a cost per successful outcome meets the target: `None`
    /// without a target or without such a month.
    pub fn on_target(&self) -> Option<bool> {
        let target = self.target?;
        let latest = self
            .points
            .iter()
            .rev()
            .find_map(|p| p.cost_per_successful_outcome)?;
        Some(latest <= target)
    }
}

/// The `n` months ending with `last`, oldest first.
pub fn months_ending(last: Month, n: usize) -> Vec<Month> {
    let mut months = Vec::with_capacity(n);
    let mut m = last;
    for _ in 0..n {
        months.push(m);
        m = m.previous();
    }
    months.reverse();
    months
}

#[cfg(test)]
mod tests {
    use rust_decimal_macros::dec;

    use super::*;

    #[test]
    fn metrics_parse_by_their_names_only() {
        for m in Metric::ALL {
            assert_eq!(Metric::parse(m.as_str()), Ok(m));
        }
        assert!(Metric::parse("cost").is_err());
    }

    #[test]
    fn twelve_months_oldest_first_across_a_year() {
        let m = months_ending("2026-03".parse().unwrap(), 12);
        assert_eq!(m.len(), 12);
        assert_eq!(m[0].to_string(), "2025-04");
        assert_eq!(m[11].to_string(), "2026-03");
    }

    #[test]
    fn on_target_reads_the_latest_month_with_a_figure() {
        let point = |cps| TrendPoint {
            cost_per_successful_outcome: cps,
            ..TrendPoint::empty("2026-03".parse().unwrap())
        };
        let mut t = Trend {
            scope: Scope::Org,
            currency: "USD".into(),
            points: vec![point(Some(dec!(0.5))), point(Some(dec!(0.2))), point(None)],
            target: None,
        };
        assert_eq!(t.on_target(), None);
        t.target = Some(dec!(0.25));
        assert_eq!(t.on_target(), Some(true));
        t.target = Some(dec!(0.1));
        assert_eq!(t.on_target(), Some(false));
    }

    #[test]
    fn cost_per_active_user_is_the_blended_cost_over_distinct_users_and_a_gap_without_any() {
        let month = "2026-03".parse().unwrap();
        let point = TrendPoint {
            blended_cost: dec!(10.00),
            requests: 40,
            ..TrendPoint::empty(month)
        };
        let counted = point.clone().with_active_users(3);
        assert_eq!(counted.active_users, Some(3));
        assert_eq!(
            counted.value(Metric::CostPerActiveUser),
            Some(dec!(3.333333))
        );
        let nobody = point.with_active_users(0);
        assert_eq!(
            (nobody.active_users, nobody.cost_per_active_user),
            (Some(0), None)
        );
    }
}
