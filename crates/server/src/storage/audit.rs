//! The audit log: append-only; there is no update or delete path.

use super::{Store, StoreError, now_ms};

impl Store {
    pub async fn add_audit(
        &self,
        actor: &str,
        action: &str,
        subject: &str,
        before: Option<serde_json::Value>,
        after: Option<serde_json::Value>,
    ) -> Result<(), StoreError> {
        let _guard = self.write_guard().await;
        sqlx::query("INSERT INTO audit_log (at_ms, actor, action, subject, before, after) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(now_ms())
            .bind(actor.to_owned())
            .bind(action.to_owned())
            .bind(subject.to_owned())
            .bind(before.map(|v| v.to_string()))
            .bind(after.map(|v| v.to_string()))
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
