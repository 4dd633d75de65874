//! The data version: a counter that moves with every change reports read (usage, owners,
//! prices, costs), so that a computed report can be kept until it moves.
//!
//! The counter is a row, bumped inside the changing transaction (ingest) or right after it
//! (every other change, see `http::data_version`). A reader asks for the version *before* it
//! reads the data, so what it computes is at least as new as the version it is filed under:
//! a cached report is never older than its version says. Servers sharing one database see
//! each other's changes through the row.

use sqlx::{Any, Transaction};

use super::{Store, StoreError};

impl Store {
    pub async fn data_version(&self) -> Result<i64, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT version FROM data_version WHERE id = 1")
                .fetch_one(&self.pool)
                .await?,
        )
    }

    /// Bumps the version after changes committed on their own.
    pub async fn bump_data_version(&self) -> Result<(), StoreError> {
        let _guard = self.write_guard().await;
        let mut tx = self.pool.begin().await?;
        bump_in(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Bumps the version inside a changing transaction. Call it last before the commit: the row
/// is locked from here to the commit, and taking it last keeps concurrent writers from
/// waiting on each other in a cycle.
pub(super) async fn bump_in(tx: &mut Transaction<'static, Any>) -> Result<(), StoreError> {
    sqlx::query("UPDATE data_version SET version = version + 1 WHERE id = 1")
        .execute(&mut **tx)
        .await?;
    Ok(())
}
