//! Failures and retries: what failed and retried calls cost beyond the tolerated share of
//! the pool's cost. Assumed: it takes fixing what fails to reach the ceiling.

use rust_decimal::Decimal;

use super::pool::{Slice, cost};
use super::{Basis, Evidence, PoolContext, Step, money, pct};

pub fn apply(cx: &PoolContext<'_>, slices: &[Slice]) -> Option<Step> {
    let total = cost(cx.book, slices);
    let waste: Decimal = slices
        .iter()
        .filter(|s| s.wasted)
        .map(|s| s.cost(cx.book))
        .sum();
    let tolerated = total * cx.settings.max_retry_waste_pct / Decimal::ONE_HUNDRED;
    if waste.is_zero() || waste <= tolerated {
        return None;
    }
    // The wasted calls shrink until they cost the tolerated share of today's cost.
    let k = tolerated / waste;
    let mut after = slices.to_vec();
    after
        .iter_mut()
        .filter(|s| s.wasted)
        .for_each(|s| s.scale_all(k));
    let page = cx.feature_page();
    Some(Step {
        saving: total - cost(cx.book, &after),
        after,
        basis: Basis::Assumed,
        action: format!(
            "Fix what fails in {}/{}: failed and retried calls cost {}% of its {} spend (ceiling {}%)",
            cx.key.team,
            cx.key.feature,
            pct(waste, total),
            cx.model(),
            cx.settings.max_retry_waste_pct
        ),
        evidence: vec![
            Evidence::new("failed or retried requests", cx.pool.wasted_requests, &page),
            Evidence::new("their token cost", money(waste), &page),
            Evidence::new(
                "share of the pool's token cost (%)",
                pct(waste, total),
                &page,
            ),
            Evidence::new(
                "tolerated share (%)",
                cx.settings.max_retry_waste_pct,
                "/scorecard",
            ),
        ],
        candidate: None,
        break_even_success_pct: None,
    })
}
