//! Prompt caching: large prompts with a low cache hit rate. The repeatable share of input
//! (`cacheable_input_pct`, assumed) moves from the plain input rate to the model's own
//! cache-read rate, net of cache writes: one moved token in `cache_reads_per_write + 1` is
//! written at the card's cache-write rate, the others read. Cards without a cache rate of
//! their own price cache reads as input, so they save nothing here.

use rust_decimal::Decimal;

use super::pool::{INPUT_CLASSES, Slice, cost};
use super::{Basis, Evidence, PoolContext, Step, pct};
use crate::tokens::TokenClass;

pub fn apply(cx: &PoolContext<'_>, slices: &[Slice]) -> Option<Step> {
    let s = cx.settings;
    let sum = |classes: &[TokenClass]| -> Decimal {
        slices
            .iter()
            .flat_map(|x| classes.iter().map(|c| x.qty[c.index()]))
            .sum()
    };
    let requests: Decimal = slices.iter().map(|x| x.requests).sum();
    let input = sum(&INPUT_CLASSES);
    let cached = sum(&[TokenClass::CachedInput, TokenClass::CachedAudioInput]);
    let uncached = sum(&[TokenClass::Input]);
    if requests.is_zero() || input.is_zero() || uncached.is_zero() {
        return None;
    }
    let per_request = input / requests;
    let hit = pct(cached, input);
    if per_request < Decimal::from(s.large_input_tokens) || hit >= s.min_cache_hit_pct {
        return None;
    }
    let moved = (input * s.cacheable_input_pct / Decimal::ONE_HUNDRED - cached).min(uncached);
    if moved <= Decimal::ZERO {
        return None;
    }
    let share = moved / uncached;
    let written = Decimal::ONE / Decimal::from(s.cache_reads_per_write + 1);
    let mut after = slices.to_vec();
    for x in &mut after {
        let m = x.qty[TokenClass::Input.index()] * share;
        x.qty[TokenClass::Input.index()] -= m;
        x.qty[TokenClass::CacheWrite.index()] += m * written;
        x.qty[TokenClass::CachedInput.index()] += m - m * written;
    }
    let saving = cost(cx.book, slices) - cost(cx.book, &after);
    let first = slices.first()?;
    let rates = cx.book.card(first.card).resolve(first.tier, first.band);
    let rate = |c: TokenClass| {
        rates
            .rate(c)
            .map_or("-".to_owned(), |r| r.normalize().to_string())
    };
    let page = cx.feature_page();
    Some(Step {
        saving,
        after,
        basis: Basis::Assumed,
        action: format!(
            "Cache the repeated prompt prefix of {}/{} on {}: {}% of input read from cache today",
            cx.key.team,
            cx.key.feature,
            cx.model(),
            hit
        ),
        evidence: vec![
            Evidence::new("input tokens per request", per_request.round_dp(0), &page),
            Evidence::new("cache hit rate (%)", hit, &page),
            Evidence::new(
                "input, cache-read, cache-write rate per 1M",
                format!(
                    "{}, {}, {}",
                    rate(TokenClass::Input),
                    rate(TokenClass::CachedInput),
                    rate(TokenClass::CacheWrite)
                ),
                "/admin/prices",
            ),
            Evidence::new(
                "assumed cacheable share (%), reads per write",
                format!("{}, {}", s.cacheable_input_pct, s.cache_reads_per_write),
                "/scorecard",
            ),
        ],
        candidate: None,
        break_even_success_pct: None,
    })
}
