//! Browser sessions and the record of failed logins that throttles guessing.

use super::auth::UserRecord;
use super::rows::decode;
use super::{Store, StoreError, now_ms};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub id: i64,
    pub csrf: String,
    pub last_seen_ms: i64,
    pub expires_ms: i64,
    pub user: UserRecord,
}

impl Store {
    pub async fn add_session(
        &self,
        token_hash: &str,
        user_id: i64,
        csrf: &str,
        expires_ms: i64,
    ) -> Result<(), StoreError> {
        let _guard = self.write_guard().await;
        let now = now_ms();
        sqlx::query("INSERT INTO sessions (token_hash, user_id, csrf, created_ms, last_seen_ms, expires_ms) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(token_hash.to_owned())
            .bind(user_id)
            .bind(csrf.to_owned())
            .bind(now)
            .bind(now)
            .bind(expires_ms)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn get_session(&self, token_hash: &str) -> Result<Option<SessionRecord>, StoreError> {
        let row = sqlx::query(
            "SELECT s.id AS session_id, s.csrf, s.last_seen_ms, s.expires_ms, u.id, u.email, u.password_hash, u.role, u.teams, u.disabled_ms \
             FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.token_hash = $1 AND u.disabled_ms IS NULL",
        )
        .bind(token_hash.to_owned())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(decode).transpose()
    }

    /// Marks a session as used now (at most once a minute, to spare writes).
    pub async fn touch_session(&self, id: i64) -> Result<(), StoreError> {
        let _guard = self.write_guard().await;
        let now = now_ms();
        sqlx::query("UPDATE sessions SET last_seen_ms = $1 WHERE id = $2 AND last_seen_ms < $3")
            .bind(now)
            .bind(id)
            .bind(now - 60_000)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        let _guard = self.write_guard().await;
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash.to_owned())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Ends every session of a user but `keep` (after a password change).
    pub async fn delete_other_sessions(&self, user_id: i64, keep: i64) -> Result<(), StoreError> {
        let _guard = self.write_guard().await;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id <> $2")
            .bind(user_id)
            .bind(keep)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Records a login attempt before its password is checked (as a failure until it
    /// succeeds), so that attempts sent in parallel count each other; answers its id.
    pub async fn add_login_attempt(&self, email: &str, address: &str) -> Result<i64, StoreError> {
        let _guard = self.write_guard().await;
        Ok(sqlx::query_scalar(
            "INSERT INTO login_failures (email, address, at_ms) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(email.to_owned())
        .bind(address.to_owned())
        .bind(now_ms())
        .fetch_one(&self.pool)
        .await?)
    }

    /// The attempts recorded before attempt `id` since `since_ms`, by scope: this account
    /// from this address, this address, this account; each as (how many, the latest time).
    pub async fn login_attempts_before(
        &self,
        id: i64,
        email: &str,
        address: &str,
        since_ms: i64,
    ) -> Result<[(i64, i64); 3], StoreError> {
        let scope = |cond: &str| {
            format!(
                "CAST(COALESCE(SUM(CASE WHEN {cond} THEN 1 ELSE 0 END), 0) AS BIGINT), \
                 CAST(COALESCE(MAX(CASE WHEN {cond} THEN at_ms END), 0) AS BIGINT)"
            )
        };
        let row: (i64, i64, i64, i64, i64, i64) = sqlx::query_as(&format!(
            "SELECT {}, {}, {} FROM login_failures \
             WHERE id < $3 AND at_ms >= $4 AND (email = $1 OR address = $2)",
            scope("email = $1 AND address = $2"),
            scope("address = $2"),
            scope("email = $1"),
        ))
        .bind(email.to_owned())
        .bind(address.to_owned())
        .bind(id)
        .bind(since_ms)
        .fetch_one(&self.pool)
        .await?;
        Ok([(row.0, row.1), (row.2, row.3), (row.4, row.5)])
    }

    /// Forgets one attempt: it succeeded, or was throttled before any password was checked.
    pub async fn delete_login_attempt(&self, id: i64) -> Result<(), StoreError> {
        let _guard = self.write_guard().await;
        sqlx::query("DELETE FROM login_failures WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Forgets the failures of this account from this address (after it signed in there).
    pub async fn clear_login_failures(&self, email: &str, address: &str) -> Result<(), StoreError> {
        let _guard = self.write_guard().await;
        sqlx::query("DELETE FROM login_failures WHERE email = $1 AND address = $2")
            .bind(email.to_owned())
            .bind(address.to_owned())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn set_user_teams(&self, user_id: i64, teams: &[String]) -> Result<(), StoreError> {
        let _guard = self.write_guard().await;
        sqlx::query("UPDATE users SET teams = $1 WHERE id = $2")
            .bind(serde_json::to_string(teams).unwrap_or_else(|_| "[]".into()))
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn set_password_hash(&self, user_id: i64, hash: &str) -> Result<(), StoreError> {
        let _guard = self.write_guard().await;
        sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(hash.to_owned())
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
