//! The providers' own cost (pulled cost reports) beside the cost tokentally computes, per
//! provider, model and day, with the differences worth a look flagged. The provider's figure
//! never prices anything: it is there to reconcile against.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;
use tokentally_domain::month::Month;

use crate::app::error::{AppError, AppResult};
use crate::auth::{Capability, Principal};
use crate::state::AppState;

/// A difference is flagged past both this share of the provider's figure...
pub const FLAG_SHARE: Decimal = Decimal::from_parts(2, 0, 0, false, 2);
/// ...and this amount (one cent).
pub const FLAG_AMOUNT: Decimal = Decimal::from_parts(1, 0, 0, false, 2);

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CostDay {
    pub provider: String,
    pub model: String,
    pub day: NaiveDate,
    /// tokentally's token cost at list prices of the provider's usage that day, every source.
    pub computed: Decimal,
    /// The provider's cost report.
    pub reported: Decimal,
    pub currency: String,
    /// reported − computed.
    pub difference: Decimal,
    /// Past [`FLAG_SHARE`] of the reported figure and past [`FLAG_AMOUNT`].
    pub flagged: bool,
}

/// Whether a difference is worth a look.
pub fn flagged(computed: Decimal, reported: Decimal) -> bool {
    let d = (reported - computed).abs();
    d > FLAG_AMOUNT && d > reported.abs() * FLAG_SHARE
}

/// The month's provider-reported costs beside the computed ones (admin, finance): one line
/// per provider, model and day the provider reported.
pub async fn provider_costs(
    state: &AppState,
    principal: &Principal,
    month: Month,
) -> AppResult<Vec<CostDay>> {
    principal.ensure(Capability::IssueStatements)?;
    let reported = state
        .store
        .list_provider_costs(month.first_day(), month.last_day())
        .await?;
    if reported.is_empty() {
        return Ok(Vec::new());
    }
    let ctx = crate::app::governance::daily_context(&state.store, &state.prices, month)
        .await
        .map_err(AppError::from)?;
    let ledger = ctx.ledger();
    let computed = ledger.summarize(|r| {
        Some((
            tokentally_domain::catalog::canonical_provider(&r.row.key.provider),
            r.row.key.model.clone(),
            r.day(),
        ))
    });
    let mut by: BTreeMap<(String, String, NaiveDate, String), Decimal> = BTreeMap::new();
    for c in reported {
        *by.entry((c.provider, c.model, c.day, c.currency))
            .or_default() += c.amount;
    }
    Ok(by
        .into_iter()
        .map(|((provider, model, day, currency), reported)| {
            let computed = computed
                .get(&(provider.clone(), model.clone(), day))
                .map(|s| s.token_cost().round_dp(6))
                .unwrap_or_default();
            CostDay {
                flagged: flagged(computed, reported),
                difference: reported - computed,
                provider,
                model,
                day,
                computed,
                reported,
                currency,
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn small_or_relative_small_differences_are_not_flagged() {
        assert!(!flagged(dec!(0.21), dec!(0.215)), "half a cent");
        assert!(!flagged(dec!(100), dec!(101.5)), "1.5%");
        assert!(flagged(dec!(100), dec!(103)), "3%");
        assert!(flagged(dec!(0.21), dec!(0.60)));
        assert!(flagged(dec!(5), dec!(0)), "reported nothing");
    }
}
