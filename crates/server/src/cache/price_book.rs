//! The price book, kept until the stored cards change.

use std::sync::Arc;

use tokentally_domain::catalog::PriceBook;
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
