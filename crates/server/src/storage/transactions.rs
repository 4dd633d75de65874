//! Business transactions reported per team, feature and period.

use tokentally_domain::month::Month;
use tokentally_domain::transaction::BusinessTransactions;

use super::rows::{decode_all, select};
use super::{Store, StoreError, now_ms};

impl Store {
    /// The month's reports, by period, team, feature and name.
    pub async fn list_transactions(
        &self,
        month: Month,
    ) -> Result<Vec<BusinessTransactions>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {} FROM business_transactions WHERE month = $1 \
             ORDER BY period, team, feature, name",
            select::<BusinessTransactions>()
        ))
        .bind(month.to_string())
        .fetch_all(&self.pool)
        .await?;
        decode_all(&rows)
    }

    /// Records a count, replacing one reported for the same period, team, feature and name
    /// (so a retried report never counts twice); answers the replaced count.
    pub async fn set_transactions(
        &self,
        t: &BusinessTransactions,
    ) -> Result<Option<u64>, StoreError> {
        let before = self
            .list_transactions(t.period.month())
            .await?
            .into_iter()
            .find(|x| {
                x.period == t.period
                    && x.team == t.team
                    && x.feature == t.feature
                    && x.name == t.name
            })
            .map(|x| x.count);
        let _guard = self.write_guard().await;
        sqlx::query(
            "INSERT INTO business_transactions (period, month, team, feature, name, count, created_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (period, team, feature, name) DO UPDATE SET \
             count = excluded.count, created_ms = excluded.created_ms",
        )
        .bind(t.period.to_string())
        .bind(t.period.month().to_string())
        .bind(t.team.clone())
        .bind(t.feature.clone())
        .bind(t.name.trim().to_owned())
        .bind(i64::try_from(t.count).unwrap_or(i64::MAX))
        .bind(now_ms())
        .execute(&self.pool)
        .await?;
        Ok(before)
    }
}
