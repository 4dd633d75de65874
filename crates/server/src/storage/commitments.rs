//! Commitments (capacity bought per model and month) and negotiated discounts per provider.

use tokentally_domain::commitment::Commitment;
use tokentally_domain::discount::Discount;
use tokentally_domain::month::Month;

use super::rows::{decode_all, decode_valid, select};
use super::{Store, StoreError, now_ms};

impl Store {
    pub async fn list_commitments(&self, month: Month) -> Result<Vec<Commitment>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {} FROM commitments WHERE month = $1 ORDER BY provider, model",
            select::<Commitment>()
        ))
        .bind(month.to_string())
        .fetch_all(&self.pool)
        .await?;
        decode_valid(&rows, "commitment", Commitment::validate)
    }

    /// Records a month's commitment for a model, replacing an earlier one; answers the
    /// replaced commitment.
    pub async fn set_commitment(&self, c: &Commitment) -> Result<Option<Commitment>, StoreError> {
        let before = self
            .list_commitments(c.month)
            .await?
            .into_iter()
            .find(|x| x.provider == c.provider && x.model == c.model);
        let _guard = self.write_guard().await;
        sqlx::query(
            "INSERT INTO commitments (month, provider, model, fee, capacity_tokens, utilisation_floor, created_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (month, provider, model) DO UPDATE SET \
             fee = excluded.fee, capacity_tokens = excluded.capacity_tokens, \
             utilisation_floor = excluded.utilisation_floor, created_ms = excluded.created_ms",
        )
        .bind(c.month.to_string())
        .bind(c.provider.clone())
        .bind(c.model.clone())
        .bind(c.fee.to_string())
        .bind(i64::try_from(c.capacity_tokens).unwrap_or(i64::MAX))
        .bind(c.utilisation_floor.to_string())
        .bind(now_ms())
        .execute(&self.pool)
        .await?;
        Ok(before)
    }

    /// Removes a month's commitment; answers whether there was one.
    pub async fn delete_commitment(
        &self,
        month: Month,
        provider: &str,
        model: &str,
    ) -> Result<Option<Commitment>, StoreError> {
        let before = self
            .list_commitments(month)
            .await?
            .into_iter()
            .find(|x| x.provider == provider && x.model == model);
        let _guard = self.write_guard().await;
        sqlx::query("DELETE FROM commitments WHERE month = $1 AND provider = $2 AND model = $3")
            .bind(month.to_string())
            .bind(provider.to_owned())
            .bind(model.to_owned())
            .execute(&self.pool)
            .await?;
        Ok(before)
    }

    /// Every discount, oldest first.
    pub async fn list_discounts(&self) -> Result<Vec<Discount>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {} FROM discounts ORDER BY effective_from, provider",
            select::<Discount>()
        ))
        .fetch_all(&self.pool)
        .await?;
        decode_all(&rows)
    }

    /// Records a provider's discount from a day, replacing one from the same day; answers
    /// the replaced discount.
    pub async fn set_discount(&self, d: &Discount) -> Result<Option<Discount>, StoreError> {
        let before = self
            .list_discounts()
            .await?
            .into_iter()
            .find(|x| x.provider == d.provider && x.effective_from == d.effective_from);
        let _guard = self.write_guard().await;
        sqlx::query(
            "INSERT INTO discounts (provider, effective_from, percent, created_ms) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (provider, effective_from) DO UPDATE SET percent = excluded.percent, created_ms = excluded.created_ms",
        )
        .bind(d.provider.clone())
        .bind(d.effective_from.to_string())
        .bind(d.percent.normalize().to_string())
        .bind(now_ms())
        .execute(&self.pool)
        .await?;
        Ok(before)
    }
}
