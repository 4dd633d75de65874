//! Overheads: monthly costs beyond tokens.

use tokentally_domain::allocation::Overhead;
use tokentally_domain::month::Month;

use super::rows::{decode_valid, select};
use super::{Store, StoreError, now_ms};

impl Store {
    pub async fn list_overheads(&self, month: Month) -> Result<Vec<Overhead>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {} FROM overheads WHERE month = $1 ORDER BY category",
            select::<Overhead>()
        ))
        .bind(month.to_string())
        .fetch_all(&self.pool)
        .await?;
        decode_valid(&rows, "overhead", Overhead::validate)
    }

    /// Records the month's amount for a category, replacing an earlier one; answers the
    /// replaced overhead.
    pub async fn set_overhead(&self, o: &Overhead) -> Result<Option<Overhead>, StoreError> {
        let before = self
            .list_overheads(o.month)
            .await?
            .into_iter()
            .find(|x| x.category == o.category);
        let _guard = self.write_guard().await;
        sqlx::query(
            "INSERT INTO overheads (month, category, amount, allocation, created_ms) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (month, category) DO UPDATE SET amount = excluded.amount, allocation = excluded.allocation, created_ms = excluded.created_ms",
        )
        .bind(o.month.to_string())
        .bind(o.category.clone())
        .bind(o.amount.to_string())
        .bind(serde_json::to_string(&o.allocation).map_err(|e| StoreError::Corrupt(e.to_string()))?)
        .bind(now_ms())
        .execute(&self.pool)
        .await?;
        Ok(before)
    }
}
