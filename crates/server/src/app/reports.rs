//! Read use cases: load what a month needs, let the domain attribute and price it.

use std::sync::Arc;

use tokentally_domain::attribution::Attributor;
use tokentally_domain::catalog::PriceBook;
use tokentally_domain::drilldown::{self, FeatureDrilldown, TeamDrilldown};
use tokentally_domain::month::Month;
use tokentally_domain::showback::{self, Showback, TeamShowback};
use tokentally_domain::unit_economics::{tokens_per, unit_cost};

use crate::auth::Principal;
use crate::cache::{PriceBookCache, ShowbackCache};
use crate::state::AppState;
use crate::storage::{RowsOf, Store, StoreError, on_own_task};

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
    // Boxed: the two month reads' futures are large, and every showback awaits them.
    let (current, previous) = Box::pin(async {
        tokio::try_join!(
            store.month_without_users(month),
            store.month_costs(month.previous())
        )
    })
    .await?;
    Ok(showback::showback(
        month,
        currency,
        &current,
        Some(&previous),
        &book,
        &attributor,
    ))
}

/// A team's drill-down; `None` when the team has nothing in the month. Kept per month and
/// team until the data version moves (see [`crate::cache::TeamCache`]); `fresh` computes it
/// anew from the database.
pub async fn team(
    state: &AppState,
    month: Month,
    team: &str,
    fresh: bool,
) -> Result<Option<TeamDrilldown>, StoreError> {
    if fresh {
        return Box::pin(compute_team(state, month, team, true)).await;
    }
    let version = state.store.data_version().await?;
    let kept = state
        .teams
        .get_or_compute(
            version,
            (month, team.to_owned()),
            Box::pin(compute_team(state, month, team, false)),
        )
        .await?;
    Ok(Option::clone(&kept))
}

async fn compute_team(
    state: &AppState,
    month: Month,
    team: &str,
    fresh: bool,
) -> Result<Option<TeamDrilldown>, StoreError> {
    let Some(team_data) = Box::pin(TeamData::load(state, month, team, fresh)).await? else {
        return Ok(None);
    };
    Ok(Some(team_data.drilldown(&state.config.currency)))
}

/// What one team's drill-down reads: its row of the organisation's showback (what the views
/// add up to: shares of overheads and commitments need every team), and of the month's daily
/// rows only those that can be the team's (`Attributor::candidates`), so that a drill-down
/// reads about its team's share of the month rather than the whole of it.
struct TeamData {
    month: Month,
    row: TeamShowback,
    data: showback::MonthData,
    book: Arc<PriceBook>,
    attributor: Attributor,
}

impl TeamData {
    /// `None` when the team has nothing in the month.
    async fn load(
        state: &AppState,
        month: Month,
        team: &str,
        fresh: bool,
    ) -> Result<Option<Self>, StoreError> {
        let store = &state.store;
        let currency = &state.config.currency;
        let (book, attributor) = tokio::try_join!(state.prices.get(store), attributor(store))?;
        let only = attributor.candidates(team).map(RowsOf::from);
        // The organisation's showback and the team's rows are read at once: neither needs
        // the other. The showback goes on a task of its own, so that its pricing runs on one
        // core while the team's rows decode on another.
        let whole = {
            let state = state.clone();
            let currency = currency.clone();
            on_own_task(async move {
                showback(
                    &state.store,
                    &state.prices,
                    &state.showbacks,
                    month,
                    &currency,
                    fresh,
                )
                .await
            })
        };
        let (sb, data) = tokio::try_join!(whole, store.month_data_of(month, only.as_ref()))?;
        let Some(row) = sb.team(team).cloned() else {
            return Ok(None);
        };
        Ok(Some(Self {
            month,
            row,
            data,
            book,
            attributor,
        }))
    }

    fn drilldown(&self, currency: &str) -> TeamDrilldown {
        drilldown::team_drilldown(
            &self.row,
            self.month,
            currency,
            &self.data,
            &self.book,
            &self.attributor,
        )
    }
}

/// One feature of a team; `None` when the team has no usage under that feature. Kept like
/// [`team`].
pub async fn feature(
    state: &AppState,
    month: Month,
    team: &str,
    feature: &str,
    fresh: bool,
) -> Result<Option<FeatureDrilldown>, StoreError> {
    if fresh {
        return Box::pin(compute_feature(state, month, team, feature, true)).await;
    }
    let version = state.store.data_version().await?;
    let kept = state
        .features
        .get_or_compute(
            version,
            (month, team.to_owned(), feature.to_owned()),
            Box::pin(compute_feature(state, month, team, feature, false)),
        )
        .await?;
    Ok(Option::clone(&kept))
}

async fn compute_feature(
    state: &AppState,
    month: Month,
    team: &str,
    feature: &str,
    fresh: bool,
) -> Result<Option<FeatureDrilldown>, StoreError> {
    let Some(t) = Box::pin(TeamData::load(state, month, team, fresh)).await? else {
        return Ok(None);
    };
    // From the team's row, not its whole drill-down: of the team's views, the feature needs
    // only the one by feature (for its shares).
    Ok(drilldown::feature_of_team(
        &t.row,
        feature,
        t.month,
        &state.config.currency,
        &t.data,
        &t.book,
        &t.attributor,
    ))
}

/// What a month's pages need: its data, the one before (for changes), prices and owners.
pub struct MonthContext {
    pub month: Month,
    pub book: Arc<PriceBook>,
    pub attributor: Attributor,
    /// Shared with the kept month when loaded with users (see [`MonthContext::load_with_users`]);
    /// `Arc::make_mut` gives a copy of one's own to change.
    pub data: Arc<showback::MonthData>,
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
        let data = async { store.month_without_users(month).await.map(Arc::new) };
        Self::load_parts(store, prices, month, data).await
    }

    /// The month with its users, for pages that count active users. The month's data is kept
    /// until the data version moves (see [`crate::cache::MonthDataCache`]); `fresh` reads it
    /// anew.
    pub async fn load_with_users(
        state: &AppState,
        month: Month,
        fresh: bool,
    ) -> Result<Self, StoreError> {
        let store = &state.store;
        let data = async {
            if fresh {
                return store.month_data(month).await.map(Arc::new);
            }
            let version = store.data_version().await?;
            state
                .months
                .get_or_compute(version, month, Box::pin(store.month_data(month)))
                .await
        };
        Self::load_parts(store, &state.prices, month, data).await
    }

    /// The month's rows that `only` takes, with their users, read anew (not kept: the
    /// pages that read this keep their own answers): for the key and model pages, which cut
    /// one key's or one model's rows.
    pub async fn load_rows_of(
        state: &AppState,
        month: Month,
        only: RowsOf,
    ) -> Result<Self, StoreError> {
        let store = &state.store;
        let data = async { store.month_data_of(month, Some(&only)).await.map(Arc::new) };
        Self::load_parts(store, &state.prices, month, data).await
    }

    async fn load_parts(
        store: &Store,
        prices: &PriceBookCache,
        month: Month,
        data: impl std::future::Future<Output = Result<Arc<showback::MonthData>, StoreError>>,
    ) -> Result<Self, StoreError> {
        let book = prices.get(store).await?;
        let attributor = attributor(store).await?;
        let (data, previous) = tokio::try_join!(data, store.month_costs(month.previous()))?;
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

    /// A team's drill-down from this month's data; `None` when the team has nothing in it.
    pub fn team_drilldown(&self, team: &str, currency: &str) -> Option<TeamDrilldown> {
        let sb = self.showback(currency);
        sb.team(team).map(|t| {
            drilldown::team_drilldown(
                t,
                self.month,
                currency,
                &self.data,
                &self.book,
                &self.attributor,
            )
        })
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
    // The organisation's value is the caller's teams' value against their cost.
    let values: Vec<rust_decimal::Decimal> = sb
        .teams
        .iter()
        .filter_map(|t| t.margin.map(|m| m.value))
        .collect();
    sb.margin = (!values.is_empty()).then(|| {
        tokentally_domain::margin::Margin::of(
            values.iter().sum(),
            sb.org_total,
            sb.tokens.input + sb.tokens.output,
        )
    });
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
