//! Runaway agent workflows: calls per workflow beyond the ceiling, and context that grows
//! along a workflow beyond the ceiling. The workflows' calls shrink to the ceiling of calls,
//! and their input to what it would be if the last call read at most `max_context_growth`
//! times the first (input grows about linearly along a run, so its mean is proportional to
//! 1 + growth). Assumed.

use rust_decimal::Decimal;

use super::pool::{INPUT_CLASSES, Slice, cost};
use super::{Basis, Evidence, PoolContext, Step};

pub fn apply(cx: &PoolContext<'_>, slices: &[Slice]) -> Option<Step> {
    let w = cx.workflows?;
    let s = cx.settings;
    let calls = w.calls_per_workflow();
    let growth = w.context_growth();
    let k_calls = calls
        .filter(|c| *c > s.max_calls_per_workflow)
        .map_or(Decimal::ONE, |_| {
            s.max_calls_per_workflow * Decimal::from(w.workflows) / Decimal::from(w.calls)
        });
    let k_context = growth
        .filter(|g| *g > s.max_context_growth)
        .map_or(Decimal::ONE, |_| {
            let g = Decimal::from(w.last_input) / Decimal::from(w.first_input);
            (Decimal::ONE + s.max_context_growth) / (Decimal::ONE + g)
        });
    if k_calls == Decimal::ONE && k_context == Decimal::ONE {
        return None;
    }
    let mut after = slices.to_vec();
    for slice in after.iter_mut().filter(|x| x.in_workflow) {
        slice.scale_all(k_calls);
        slice.scale(&INPUT_CLASSES, k_context);
    }
    let before = cost(cx.book, slices);
    let page = cx.feature_page();
    Some(Step {
        saving: before - cost(cx.book, &after),
        after,
        basis: Basis::Assumed,
        action: format!(
            "Bound the agent runs of {}/{}: at most {} calls a workflow, context at most {}× its first call",
            cx.key.team, cx.key.feature, s.max_calls_per_workflow, s.max_context_growth
        ),
        evidence: vec![
            Evidence::new("workflows", w.workflows, &page),
            Evidence::new(
                "calls per workflow",
                calls.map_or("-".to_owned(), |c| c.to_string()),
                &page,
            ),
            Evidence::new(
                "context growth (last ÷ first input)",
                growth.map_or("-".to_owned(), |g| g.to_string()),
                &page,
            ),
            Evidence::new(
                "ceilings (calls, growth)",
                format!("{}, {}", s.max_calls_per_workflow, s.max_context_growth),
                "/scorecard",
            ),
        ],
        candidate: None,
        break_even_success_pct: None,
    })
}
