//! Users and API tokens. Secrets are never stored: passwords as argon2id PHC strings, tokens
//! as SHA-256 digests.

use super::rows::{decode, decode_all, select};
use super::{Store, StoreError, now_ms};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    pub id: i64,
    pub email: String,
    pub password_hash: String,
    pub role: String,
    pub teams: Vec<String>,
}

/// A token as the tokens page lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiTokenListing {
    pub id: i64,
    pub name: String,
    pub role: String,
    pub teams: Vec<String>,
    pub created_ms: i64,
    pub last_used_ms: Option<i64>,
    pub revoked_ms: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiTokenRecord {
    pub id: i64,
    pub name: String,
    pub role: String,
    pub teams: Vec<String>,
    pub revoked: bool,
    pub last_used_ms: Option<i64>,
}

impl Store {
    pub async fn add_user(
        &self,
        email: &str,
        password_hash: &str,
        role: &str,
        teams: &[String],
    ) -> Result<i64, StoreError> {
        let _guard = self.write_guard().await;
        Ok(sqlx::query_scalar("INSERT INTO users (email, password_hash, role, teams, created_ms) VALUES ($1, $2, $3, $4, $5) RETURNING id")
            .bind(email.to_owned())
            .bind(password_hash.to_owned())
            .bind(role.to_owned())
            .bind(serde_json::to_string(teams).unwrap_or_else(|_| "[]".into()))
            .bind(now_ms())
            .fetch_one(&self.pool)
            .await?)
    }

    pub async fn get_user_by_email(&self, email: &str) -> Result<Option<UserRecord>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {} FROM users WHERE email = $1",
            select::<UserRecord>()
        ))
        .bind(email.to_owned())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(decode).transpose()
    }

    pub async fn add_api_token(
        &self,
        name: &str,
        token_hash: &str,
        role: &str,
        teams: &[String],
    ) -> Result<i64, StoreError> {
        let _guard = self.write_guard().await;
        Ok(sqlx::query_scalar("INSERT INTO api_tokens (name, token_hash, role, teams, created_ms) VALUES ($1, $2, $3, $4, $5) RETURNING id")
            .bind(name.to_owned())
            .bind(token_hash.to_owned())
            .bind(role.to_owned())
            .bind(serde_json::to_string(teams).unwrap_or_else(|_| "[]".into()))
            .bind(now_ms())
            .fetch_one(&self.pool)
            .await?)
    }

    pub async fn get_api_token(
        &self,
        token_hash: &str,
    ) -> Result<Option<ApiTokenRecord>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {} FROM api_tokens WHERE token_hash = $1",
            select::<ApiTokenRecord>()
        ))
        .bind(token_hash.to_owned())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(decode).transpose()
    }

    /// Records when a token was last used (at most once a minute, to spare writes).
    pub async fn touch_api_token(&self, id: i64) -> Result<(), StoreError> {
        let _guard = self.write_guard().await;
        let now = now_ms();
        sqlx::query("UPDATE api_tokens SET last_used_ms = $1 WHERE id = $2 AND (last_used_ms IS NULL OR last_used_ms < $3)")
            .bind(now)
            .bind(id)
            .bind(now - 60_000)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn revoke_api_token(&self, id: i64) -> Result<(), StoreError> {
        let _guard = self.write_guard().await;
        let done = sqlx::query(
            "UPDATE api_tokens SET revoked_ms = $1 WHERE id = $2 AND revoked_ms IS NULL",
        )
        .bind(now_ms())
        .bind(id)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    pub async fn count_users(&self) -> Result<i64, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM users")
                .fetch_one(&self.pool)
                .await?,
        )
    }

    pub async fn list_users(&self) -> Result<Vec<UserRecord>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {} FROM users ORDER BY email",
            select::<UserRecord>()
        ))
        .fetch_all(&self.pool)
        .await?;
        decode_all(&rows)
    }

    pub async fn list_api_tokens(&self) -> Result<Vec<ApiTokenListing>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {} FROM api_tokens ORDER BY id DESC",
            select::<ApiTokenListing>()
        ))
        .fetch_all(&self.pool)
        .await?;
        decode_all(&rows)
    }
}
