//! Output caps: outputs longer on average than the ceiling are capped to it; every output
//! class shrinks in proportion. Assumed (rollups know the mean length, not each call's).

use rust_decimal::Decimal;

use super::pool::{OUTPUT_CLASSES, Slice, cost};
use super::{Basis, Evidence, PoolContext, Step};

pub fn apply(cx: &PoolContext<'_>, slices: &[Slice]) -> Option<Step> {
    let requests: Decimal = slices.iter().map(|s| s.requests).sum();
    let output: Decimal = slices
        .iter()
        .flat_map(|s| OUTPUT_CLASSES.iter().map(|c| s.qty[c.index()]))
        .sum();
    if requests.is_zero() {
        return None;
    }
    let per_request = output / requests;
    let cap = Decimal::from(cx.settings.max_output_tokens);
    if per_request <= cap {
        return None;
    }
    let k = cap / per_request;
    let mut after = slices.to_vec();
    after.iter_mut().for_each(|s| s.scale(&OUTPUT_CLASSES, k));
    let page = cx.feature_page();
    Some(Step {
        saving: cost(cx.book, slices) - cost(cx.book, &after),
        after,
        basis: Basis::Assumed,
        action: format!(
            "Cap outputs of {}/{} at {} tokens (max_tokens): they average {}",
            cx.key.team,
            cx.key.feature,
            cap,
            per_request.round_dp(0)
        ),
        evidence: vec![
            Evidence::new("output tokens per request", per_request.round_dp(0), &page),
            Evidence::new("requests", cx.pool.requests, &page),
            Evidence::new("ceiling (tokens)", cap, "/scorecard"),
        ],
        candidate: None,
        break_even_success_pct: None,
    })
}
