//! Long context: calls priced in a long-context band, re-priced at the card's base band as
//! if their context were trimmed under the threshold. Assumed (trimming is the owner's work).

use super::pool::{Slice, cost};
use super::{Basis, Evidence, PoolContext, Step, money};

pub fn apply(cx: &PoolContext<'_>, slices: &[Slice]) -> Option<Step> {
    let long: Vec<&Slice> = slices.iter().filter(|s| s.band > 0).collect();
    if long.is_empty() {
        return None;
    }
    let mut after = slices.to_vec();
    after.iter_mut().for_each(|s| s.band = 0);
    let saving = cost(cx.book, slices) - cost(cx.book, &after);
    let requests: rust_decimal::Decimal = long.iter().map(|s| s.requests).sum();
    let band = long.iter().map(|s| s.band).max().unwrap_or(0);
    let long_cost: rust_decimal::Decimal = long.iter().map(|s| s.cost(cx.book)).sum();
    let page = cx.feature_page();
    Some(Step {
        saving,
        after,
        basis: Basis::Assumed,
        action: format!(
            "Trim the context of {}/{} under {} input tokens a call: long-context rates apply above",
            cx.key.team, cx.key.feature, band
        ),
        evidence: vec![
            Evidence::new("requests above the threshold", requests.round_dp(0), &page),
            Evidence::new("their token cost", money(long_cost), &page),
            Evidence::new("threshold (input tokens)", band, "/admin/prices"),
        ],
        candidate: None,
        break_even_success_pct: None,
    })
}
