//! The audit log: append-only; there is no update or delete path.

use super::rows::{decode_all, select};
use super::{Store, StoreError, now_ms};

/// One entry of the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub id: i64,
    pub at_ms: i64,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

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

    /// The newest entries first; `subject_prefix` narrows to one subject (e.g. `key:k1`).
    pub async fn list_audit(
        &self,
        subject_prefix: Option<&str>,
        limit: i64,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {} FROM audit_log WHERE ($1 = '' OR subject = $1) ORDER BY id DESC LIMIT $2",
            select::<AuditEntry>()
        ))
        .bind(subject_prefix.unwrap_or("").to_owned())
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        decode_all(&rows)
    }
}
