//! Read use cases: load what a month needs, let the domain attribute and price it.

use std::sync::Arc;

use tokentally_domain::attribution::Attributor;
use tokentally_domain::catalog::PriceBook;
use tokentally_domain::month::Month;
use tokentally_domain::showback::{self, Showback, TeamDrilldown};
use tokio::sync::RwLock;

use crate::storage::{Store, StoreError};

/// The price book, rebuilt only when the stored cards change (several servers may share a
/// database, so the version is asked of the database, not remembered).
#[derive(Clone, Default)]
pub struct PriceBookCache {
    inner: Arc<RwLock<Option<VersionedBook>>>,
}

/// A price book and the stored cards' version it was built from.
type VersionedBook = ((i64, i64), Arc<PriceBook>);

impl PriceBookCache {
    pub async fn get(&self, store: &Store) -> Result<Arc<PriceBook>, StoreError> {
        let version = store.price_cards_version().await?;
        if let Some((v, book)) = self.inner.read().await.as_ref()
            && *v == version
        {
            return Ok(book.clone());
        }
        let book = Arc::new(PriceBook::new(store.list_price_cards().await?));
        *self.inner.write().await = Some((version, book.clone()));
        Ok(book)
    }
}

pub async fn attributor(store: &Store) -> Result<Attributor, StoreError> {
    Ok(Attributor::new(
        store.list_key_mappings().await?,
        store.list_rules().await?,
    ))
}

pub async fn showback(
    store: &Store,
    prices: &PriceBookCache,
    month: Month,
    currency: &str,
) -> Result<Showback, StoreError> {
    let book = prices.get(store).await?;
    let attributor = attributor(store).await?;
    let (current, previous) =
        tokio::try_join!(store.month_data(month), store.month_data(month.previous()))?;
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
        tokio::try_join!(store.month_data(month), store.month_data(month.previous()))?;
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
        .map(|t| showback::team_drilldown(t, month, currency, &current, &book, &attributor)))
}
