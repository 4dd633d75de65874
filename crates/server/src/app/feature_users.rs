//! A feature's heaviest users in a month: each user's token cost, requests and tokens on the
//! feature, and their share of the feature's token cost, from the per-user rollup.

use rust_decimal::Decimal;
use serde::Serialize;
use tokentally_domain::customer::customer_costs;
use tokentally_domain::month::Month;
use tokentally_domain::tokens::TokenCounts;
use tokentally_domain::unit_economics::percent;

use super::AppError;
use crate::auth::{Capability, Principal};
use crate::state::AppState;

/// What one user cost on a feature in a month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserCost {
    pub user: String,
    /// Effective token cost, rounded to the cent so that the users add up to their total.
    pub token_cost: Decimal,
    pub requests: u64,
    pub events: u64,
    pub tokens: TokenCounts,
    pub unpriced_requests: u64,
    /// Token cost ÷ the feature's token cost, in percent (one place); none when the feature
    /// cost nothing.
    pub share_of_feature_cost: Option<Decimal>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FeatureUsersView {
    pub month: Month,
    pub currency: String,
    pub team: String,
    pub feature: String,
    /// The feature's token cost in the month, calls with or without a user.
    pub feature_token_cost: Decimal,
    /// Users with usage on the feature, and their token cost together.
    pub users_total: usize,
    pub users_token_cost: Decimal,
    /// Largest first (then by name); every user, the caller cuts.
    pub users: Vec<UserCost>,
}

/// The users of `team`'s `feature` in `month`, largest token cost first. A lead reads their
/// own teams only.
pub async fn feature_users(
    state: &AppState,
    principal: &Principal,
    month: Month,
    team: &str,
    feature: &str,
) -> Result<FeatureUsersView, AppError> {
    principal.ensure(Capability::ReadReports)?;
    if !principal.may_read_team(team) {
        return Err(AppError::Forbidden(format!(
            "you may not read team `{team}`"
        )));
    }
    let store = &state.store;
    let (dims, discounts, attributor, book) = tokio::try_join!(
        store.list_party_dims(),
        store.list_discounts(),
        super::reports::attributor(store),
        state.prices.get(store),
    )?;
    // Only the dimension tuples attributed to the feature are read: a month's user rows are
    // many, its tuples few.
    let day = month.first_day();
    let ours: Vec<i64> = dims
        .iter()
        .filter(|(_, d)| {
            let tags = d.dims.parse_tags();
            let owner = attributor.resolve(&d.dims.event_dims(&tags), day);
            owner.team == team && owner.feature == feature
        })
        .map(|(id, _)| *id)
        .collect();
    let (rows, feature_cost) = tokio::try_join!(
        store.list_user_rollups(month, Some(&ours)),
        feature_token_cost(state, month, team, feature),
    )?;
    let users: Vec<UserCost> = customer_costs(&rows, &discounts, &attributor, &book, |o| {
        o.team == team && o.feature == feature
    })
    .into_iter()
    .map(|c| UserCost {
        share_of_feature_cost: percent(c.token_cost, feature_cost),
        user: c.customer,
        token_cost: c.token_cost,
        requests: c.requests,
        events: c.events,
        tokens: c.tokens,
        unpriced_requests: c.unpriced_requests,
    })
    .collect();
    Ok(FeatureUsersView {
        month,
        currency: state.config.currency.clone(),
        team: team.to_owned(),
        feature: feature.to_owned(),
        feature_token_cost: feature_cost,
        users_total: users.len(),
        users_token_cost: users.iter().map(|u| u.token_cost).sum(),
        users,
    })
}

/// The feature's token cost as its drill-down states it (zero without usage).
async fn feature_token_cost(
    state: &AppState,
    month: Month,
    team: &str,
    feature: &str,
) -> Result<Decimal, crate::storage::StoreError> {
    Ok(super::reports::feature(state, month, team, feature, false)
        .await?
        .map_or(Decimal::ZERO, |f| f.total.token_cost))
}
