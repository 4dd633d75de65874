//! Read use cases: load what a month needs, let the domain attribute and price it.

use std::sync::Arc;

use tokentally_domain::attribution::Attributor;
use tokentally_domain::catalog::PriceBook;
use tokentally_domain::drilldown::{self, FeatureDrilldown, TeamDrilldown};
use tokentally_domain::month::Month;
use tokentally_domain::showback::{self, Showback};
use tokentally_domain::unit_economics::{tokens_per, unit_cost};

use crate::auth::Principal;
use crate::cache::{PriceBookCache, ShowbackCache};
use crate::storage::{Store, StoreError};

pub async fn attributor(store: &Store) -> Result<Attributor, StoreError> {
    let (mappings, rules, aliases) = tokio::try_join!(
        store.list_key_mappings(),
        store.list_rules(),
        store.list_aliases()
    )?;
    Ok(Attributor::new(mappings, rules).with_aliases(aliases))
}

/// The month's showback for everyone (narrow it with [`restrict`]). It is computed once per
/// data version and kept (see [`ShowbackCache`]); `fresh` computes it anew, past the cache.
pub async fn showback(
    store: &Store,
    prices: &PriceBookCache,
    showbacks: &ShowbackCache,
    month: Month,
    currency: &str,
    fresh: bool,
) -> Result<Showback, StoreError> {
    if fresh {
        return compute_showback(store, prices, month, currency).await;
    }
    let version = store.data_version().await?;
    showback_at(store, prices, showbacks, version, month, currency).await
}

/// The month's showback as kept at `version`, computed when it is not.
async fn showback_at(
    store: &Store,
    prices: &PriceBookCache,
    showbacks: &ShowbackCache,
    version: i64,
    month: Month,
    currency: &str,
) -> Result<Showback, StoreError> {
    let kept = showbacks
        .get_or_compute(
            version,
            month,
            compute_showback(store, prices, month, currency),
        )
        .await?;
    Ok(Showback::clone(&kept))
}

async fn compute_showback(
    store: &Store,
    prices: &PriceBookCache,
    month: Month,
    currency: &str,
) -> Result<Showback, StoreError> {
    let book = prices.get(store).await?;
    let attributor = attributor(store).await?;
    let (current, previous) = tokio::try_join!(
        store.month_without_users(month),
        store.month_costs(month.previous())
    )?;
    Ok(showback::showback(
        month,
        currency,
        &current,
        Some(&previous),
        &book,
        &attributor,
    ))
}

/// A team's drill-down; `None` when the team has nothing in the month.
pub async fn team(
    store: &Store,
    prices: &PriceBookCache,
    month: Month,
    team: &str,
    currency: &str,
) -> Result<Option<TeamDrilldown>, StoreError> {
    let book = prices.get(store).await?;
    let attributor = attributor(store).await?;
    let (current, previous) =
        tokio::try_join!(store.month_data(month), store.month_costs(month.previous()))?;
    let sb = showback::showback(
        month,
        currency,
        &current,
        Some(&previous),
        &book,
        &attributor,
    );
    Ok(sb
        .team(team)
        .map(|t| drilldown::team_drilldown(t, month, currency, &current, &book, &attributor)))
}

/// One feature of a team; `None` when the team has no usage under that feature.
pub async fn feature(
    store: &Store,
    prices: &PriceBookCache,
    month: Month,
    team: &str,
    feature: &str,
    currency: &str,
) -> Result<Option<FeatureDrilldown>, StoreError> {
    let ctx = MonthContext::load_with_users(store, prices, month).await?;
    let sb = ctx.showback(currency);
    Ok(sb.team(team).and_then(|t| {
        let drill =
            drilldown::team_drilldown(t, month, currency, &ctx.data, &ctx.book, &ctx.attributor);
        drilldown::feature_drilldown(&drill, feature, &ctx.data, &ctx.book, &ctx.attributor)
    }))
}

/// What a month's pages need: its data, the one before (for changes), prices and owners.
pub struct MonthContext {
    pub month: Month,
    pub book: Arc<PriceBook>,
    pub attributor: Attributor,
    pub data: showback::MonthData,
    pub previous: showback::MonthData,
}

impl MonthContext {
    /// The month without its users (active-user counts read 0): enough for showback and the
    /// admin pages, and much less to read.
    pub async fn load(
        store: &Store,
        prices: &PriceBookCache,
        month: Month,
    ) -> Result<Self, StoreError> {
        Self::load_parts(store, prices, month, false).await
    }

    /// The month with its users, for pages that count active users.
    pub async fn load_with_users(
        store: &Store,
        prices: &PriceBookCache,
        month: Month,
    ) -> Result<Self, StoreError> {
        Self::load_parts(store, prices, month, true).await
    }

    async fn load_parts(
        store: &Store,
        prices: &PriceBookCache,
        month: Month,
        users: bool,
    ) -> Result<Self, StoreError> {
        let book = prices.get(store).await?;
        let attributor = attributor(store).await?;
        let current = async {
            if users {
                store.month_data(month).await
            } else {
                store.month_without_users(month).await
            }
        };
        let (data, previous) = tokio::try_join!(current, store.month_costs(month.previous()))?;
        Ok(Self {
            month,
            book,
            attributor,
            data,
            previous,
        })
    }

    pub fn showback(&self, currency: &str) -> Showback {
        showback::showback(
            self.month,
            currency,
            &self.data,
            Some(&self.previous),
            &self.book,
            &self.attributor,
        )
    }

    pub fn previous_showback(&self, currency: &str) -> Showback {
        showback::showback(
            self.month.previous(),
            currency,
            &self.previous,
            None,
            &self.book,
            &self.attributor,
        )
    }

    pub fn ledger(&self) -> showback::Ledger<'_> {
        showback::Ledger::of(&self.data, &self.attributor, &self.book)
    }

    pub fn views(&self) -> drilldown::Views<'_> {
        drilldown::Views::new(self.month, &self.data, &self.attributor, &self.book)
    }
}

/// Narrows a showback to what the caller may see: a lead keeps only their teams, and the
/// totals become theirs (org-wide figures would reveal the others).
pub fn restrict(principal: &Principal, sb: &mut Showback) {
    if principal.sees_everything() {
        return;
    }
    sb.teams.retain(|t| principal.may_read_team(&t.team));
    sb.org_total = sb.teams.iter().map(|t| t.blended_cost).sum();
    sb.token_cost = sb.teams.iter().map(|t| t.token_cost).sum();
    sb.list_cost = sb.teams.iter().map(|t| t.list_cost).sum();
    sb.overhead = sb.teams.iter().map(|t| t.overhead).sum();
    sb.commitment = sb.teams.iter().map(|t| t.commitment).sum();
    // Commitments are the organisation's: a lead sees their teams' shares only.
    sb.idle_commitment = rust_decimal::Decimal::ZERO;
    sb.commitments.clear();
    sb.requests = sb.teams.iter().map(|t| t.requests).sum();
    sb.successful_outcomes = sb.teams.iter().map(|t| t.successful_outcomes).sum();
    sb.tokens = Default::default();
    for t in &sb.teams {
        sb.tokens.add(&t.tokens);
    }
    sb.cost_per_successful_outcome = unit_cost(sb.org_total, sb.successful_outcomes);
    sb.tokens_per_successful_outcome = tokens_per(sb.tokens.total(), sb.successful_outcomes);
    sb.unpriced.clear();
    sb.previous_org_total = None;
}

/// Blended cost per team for each of the `n` months ending with `last`, oldest first: each
/// month's showback, so kept ones are reused.
pub async fn history(
    store: &Store,
    prices: &PriceBookCache,
    showbacks: &ShowbackCache,
    last: Month,
    n: usize,
    currency: &str,
    principal: &Principal,
) -> Result<Vec<(Month, Vec<(String, rust_decimal::Decimal)>)>, StoreError> {
    let version = store.data_version().await?;
    let mut months = vec![last];
    while months.len() < n {
        let m = months.last().copied().unwrap_or(last).previous();
        months.push(m);
    }
    months.reverse();
    let mut out = Vec::with_capacity(n);
    for m in months {
        let mut sb = showback_at(store, prices, showbacks, version, m, currency).await?;
        restrict(principal, &mut sb);
        out.push((
            m,
            sb.teams
                .into_iter()
                .map(|t| (t.team, t.blended_cost))
                .collect(),
        ));
    }
    Ok(out)
}

/// Each month's showback, as the caller may see it, read at one data version (kept ones
/// reused).
pub async fn showbacks(
    store: &Store,
    prices: &PriceBookCache,
    showbacks: &ShowbackCache,
    months: &[Month],
    currency: &str,
    principal: &Principal,
) -> Result<Vec<Showback>, StoreError> {
    let version = store.data_version().await?;
    let mut out = Vec::with_capacity(months.len());
    for m in months {
        let mut sb = showback_at(store, prices, showbacks, version, *m, currency).await?;
        restrict(principal, &mut sb);
        out.push(sb);
    }
    Ok(out)
}

/// The month pages open on when none is asked for: the last full one.
pub fn last_full_month() -> Month {
    Month::of(chrono::Utc::now().date_naive()).previous()
}
