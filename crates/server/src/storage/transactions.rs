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

    /// Records a count (and its value, if any), replacing one reported for the same period,
    /// team, feature and name (so a retried report never counts twice); answers the replaced
    /// report.
    pub async fn set_transactions(
        &self,
        t: &BusinessTransactions,
    ) -> Result<Option<BusinessTransactions>, StoreError> {
        let before = self
            .list_transactions(t.period.month())
            .await?
            .into_iter()
            .find(|x| {
                x.period == t.period
                    && x.team == t.team
                    && x.feature == t.feature
                    && x.name == t.name
            });
        let _guard = self.write_guard().await;
        let mut tx = self.pool.begin().await?;
        insert(&mut tx, t).await?;
        tx.commit().await?;
        Ok(before)
    }

    /// Records several reports in one transaction: all of them or, on any failure, none.
    pub async fn set_transactions_all(
        &self,
        all: &[BusinessTransactions],
    ) -> Result<(), StoreError> {
        let _guard = self.write_guard().await;
        let mut tx = self.pool.begin().await?;
        for t in all {
            insert(&mut tx, t).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

async fn insert(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    t: &BusinessTransactions,
) -> Result<(), StoreError> {
    let v = t.value.as_ref();
    sqlx::query(
            "INSERT INTO business_transactions (period, month, team, feature, name, count, created_ms, \
             value_amount, value_basis, value_currency) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (period, team, feature, name) DO UPDATE SET \
             count = excluded.count, created_ms = excluded.created_ms, value_amount = excluded.value_amount, \
             value_basis = excluded.value_basis, value_currency = excluded.value_currency",
        )
        .bind(t.period.to_string())
        .bind(t.period.month().to_string())
        .bind(t.team.clone())
        .bind(t.feature.clone())
        .bind(t.name.trim().to_owned())
        .bind(i64::try_from(t.count).unwrap_or(i64::MAX))
        .bind(now_ms())
        .bind(v.map(|v| v.amount.to_string()))
        .bind(v.map(|v| v.basis.as_str().to_owned()))
        .bind(v.map(|v| v.currency.to_ascii_uppercase()))
        .execute(&mut **tx)
        .await?;
    Ok(())
}
