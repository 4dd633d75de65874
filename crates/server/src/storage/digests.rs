//! The monthly digest's bookkeeping: the scheduler's claim on a month (one server sends it)
//! and who was sent it.

use super::{Store, StoreError, now_ms};

impl Store {
    /// Takes the scheduled digest of `month` for this server until `until_ms`: false when it
    /// was sent already, another server holds it, or a failed run waits for its next try.
    pub async fn claim_digest_run(&self, month: &str, until_ms: i64) -> Result<bool, StoreError> {
        let _guard = self.write_guard().await;
        let now = now_ms();
        sqlx::query(
            "INSERT INTO digest_runs (month, lease_until_ms, next_try_ms, done_ms, last_error) \
             VALUES ($1, 0, 0, NULL, NULL) ON CONFLICT (month) DO NOTHING",
        )
        .bind(month.to_owned())
        .execute(&self.pool)
        .await?;
        let r = sqlx::query(
            "UPDATE digest_runs SET lease_until_ms = $1 \
             WHERE month = $2 AND done_ms IS NULL AND lease_until_ms <= $3 AND next_try_ms <= $4",
        )
        .bind(until_ms)
        .bind(month.to_owned())
        .bind(now)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Ends a claimed run: done (`error` none), or to be tried again at `retry_at_ms`.
    pub async fn finish_digest_run(
        &self,
        month: &str,
        error: Option<&str>,
        retry_at_ms: i64,
    ) -> Result<(), StoreError> {
        let _guard = self.write_guard().await;
        let done = error.is_none().then(now_ms);
        sqlx::query(
            "UPDATE digest_runs SET lease_until_ms = 0, done_ms = $1, last_error = $2, next_try_ms = $3 \
             WHERE month = $4",
        )
        .bind(done)
        .bind(error.map(str::to_owned))
        .bind(retry_at_ms)
        .bind(month.to_owned())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Records that `recipient` was sent the digest of `month` (again, on demand).
    pub async fn record_digest_send(
        &self,
        month: &str,
        recipient: &str,
        scope: &str,
        sent_by: &str,
    ) -> Result<(), StoreError> {
        let _guard = self.write_guard().await;
        sqlx::query(
            "INSERT INTO digest_sends (month, recipient, scope, sent_ms, sent_by) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (month, recipient) DO UPDATE SET scope = excluded.scope, sent_ms = excluded.sent_ms, \
             sent_by = excluded.sent_by",
        )
        .bind(month.to_owned())
        .bind(recipient.to_owned())
        .bind(scope.to_owned())
        .bind(now_ms())
        .bind(sent_by.to_owned())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Who was sent the digest of `month` already.
    pub async fn digest_recipients(&self, month: &str) -> Result<Vec<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT recipient FROM digest_sends WHERE month = $1 ORDER BY recipient",
        )
        .bind(month.to_owned())
        .fetch_all(&self.pool)
        .await?)
    }
}
