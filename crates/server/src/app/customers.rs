//! Customers as a reporting dimension: each customer's token cost in a month, narrowed to a
//! team or a feature (its top customers), from the per-customer rollup.

use rust_decimal::Decimal;
use serde::Serialize;
use tokentally_domain::customer::{CustomerCost, customer_costs};
use tokentally_domain::month::Month;

use super::AppError;
use crate::auth::{Capability, Principal};
use crate::state::AppState;

/// The most customers one answer lists (the CSV lists all).
pub const MAX_LIMIT: usize = 10_000;

#[derive(Debug, Clone, Serialize)]
pub struct CustomersView {
    pub month: Month,
    pub currency: String,
    pub team: Option<String>,
    pub feature: Option<String>,
    /// Customers with usage within the filter, and their token cost together.
    pub customers_total: usize,
    pub token_cost: Decimal,
    /// Largest first, at most the limit asked.
    pub customers: Vec<CustomerCost>,
}

/// The month's customers as the principal may see them (a lead: usage of their teams),
/// within `team` and `feature` when given.
pub async fn customers(
    state: &AppState,
    principal: &Principal,
    month: Month,
    team: Option<String>,
    feature: Option<String>,
) -> Result<CustomersView, AppError> {
    principal.ensure(Capability::ReadReports)?;
    let team = team.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty());
    let feature = feature
        .map(|f| f.trim().to_owned())
        .filter(|f| !f.is_empty());
    if let Some(t) = team.as_ref().filter(|t| !principal.may_read_team(t)) {
        return Err(AppError::Forbidden(format!("you may not read team `{t}`")));
    }
    let store = &state.store;
    let (rows, discounts, attributor, book) = tokio::try_join!(
        store.list_customer_rollups(month),
        store.list_discounts(),
        super::reports::attributor(store),
        state.prices.get(store),
    )?;
    let all = customer_costs(&rows, &discounts, &attributor, &book, |owner| {
        principal.may_read_team(&owner.team)
            && team.as_ref().is_none_or(|t| &owner.team == t)
            && feature.as_ref().is_none_or(|f| &owner.feature == f)
    });
    Ok(CustomersView {
        month,
        currency: state.config.currency.clone(),
        team,
        feature,
        customers_total: all.len(),
        token_cost: all.iter().map(|c| c.token_cost).sum(),
        customers: all,
    })
}

/// How often the party log (customers' and users' usage as ingest appends it) is folded into
/// the per-customer and per-user rollups. Reads are exact either way; folding keeps what they
/// sum small.
pub const COMPACTION_INTERVAL: std::time::Duration = std::time::Duration::from_secs(60);

/// Folds the party log every `every`, for as long as the server runs.
pub async fn compact_periodically(state: AppState, every: std::time::Duration) {
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    loop {
        tick.tick().await;
        match state.store.compact_party_log().await {
            Ok(0) => {}
            Ok(n) => tracing::debug!(rows = n, "party log folded"),
            Err(e) => tracing::warn!(error = ?e, "folding the party log failed"),
        }
    }
}
