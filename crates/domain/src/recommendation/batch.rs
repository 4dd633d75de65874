//! Batch or flex tier: a feature its owner marks as not latency-bound, its standard-tier
//! calls re-priced on the card's own batch or flex rates (the cheaper of the two), where the
//! card has them. Measured: the rates are the card's.

use rust_decimal::Decimal;

use super::pool::{Slice, cost};
use super::{Basis, Evidence, PoolContext, Step, money};
use crate::event::ServiceTier;

pub fn apply(cx: &PoolContext<'_>, slices: &[Slice]) -> Option<Step> {
    if !cx.settings.latency_free(&cx.key.team, &cx.key.feature) {
        return None;
    }
    let before = cost(cx.book, slices);
    let mut best: Option<(ServiceTier, Vec<Slice>, Decimal)> = None;
    for tier in [ServiceTier::Batch, ServiceTier::Flex] {
        let after: Vec<Slice> = slices
            .iter()
            .map(|x| {
                let mut x = x.clone();
                if x.tier == ServiceTier::Standard && cx.book.card(x.card).tiers.contains_key(&tier)
                {
                    x.tier = tier;
                }
                x
            })
            .collect();
        let c = cost(cx.book, &after);
        if c < before && best.as_ref().is_none_or(|b| c < b.2) {
            best = Some((tier, after, c));
        }
    }
    let (tier, after, repriced) = best?;
    let tier_name = match tier {
        ServiceTier::Flex => "flex",
        _ => "batch",
    };
    let page = cx.feature_page();
    Some(Step {
        saving: before - repriced,
        after,
        basis: Basis::Measured,
        action: format!(
            "Send {}/{} on the {tier_name} tier of {}: its owner marked it not latency-bound",
            cx.key.team,
            cx.key.feature,
            cx.model()
        ),
        evidence: vec![
            Evidence::new("token cost at standard rates", money(before), &page),
            Evidence::new(
                &format!("the same tokens at {tier_name} rates"),
                money(repriced),
                "/admin/prices",
            ),
        ],
        candidate: None,
        break_even_success_pct: None,
    })
}
