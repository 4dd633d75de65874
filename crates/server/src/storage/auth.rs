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
    /// Since when the account is disabled; `None` while it may sign in.
    pub disabled_ms: Option<i64>,
}

impl UserRecord {
    pub fn is_disabled(&self) -> bool {
        self.disabled_ms.is_some()
    }
}

/// The person a token belongs to, as they are now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenOwner {
    Present {
        role: String,
        teams: Vec<String>,
        disabled: bool,
    },
    /// The account was deleted.
    Deleted,
}

/// A change an admin makes to an account (see [`Store::change_user`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserChange<'a> {
    Disable,
    Enable,
    /// Ends the account: its sessions end, its tokens are revoked, its row goes.
    Delete,
    SetAccess {
        role: &'a str,
        teams: &'a [String],
    },
    /// A new password hash; every session of the account ends.
    SetPassword(&'a str),
}

impl UserChange<'_> {
    /// Whether the change takes an enabled admin's admin rights away.
    fn removes_admin(self) -> bool {
        match self {
            Self::Disable | Self::Delete => true,
            Self::SetAccess { role, .. } => role != "admin",
            Self::Enable | Self::SetPassword(_) => false,
        }
    }
}

/// How [`Store::change_user`] ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserChangeOutcome {
    /// Done; the account as it was before.
    Done(UserRecord),
    /// Refused: the account is the last enabled admin.
    LastAdmin,
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
    /// The email of the person it belongs to, if it belongs to one that still exists.
    pub owner: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiTokenRecord {
    pub id: i64,
    pub name: String,
    pub role: String,
    pub teams: Vec<String>,
    pub revoked: bool,
    pub last_used_ms: Option<i64>,
    /// The person the token belongs to; `None` for a service token.
    pub owner: Option<TokenOwner>,
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
        owner_id: Option<i64>,
    ) -> Result<i64, StoreError> {
        let _guard = self.write_guard().await;
        Ok(sqlx::query_scalar("INSERT INTO api_tokens (name, token_hash, role, teams, created_ms, owner_id) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id")
            .bind(name.to_owned())
            .bind(token_hash.to_owned())
            .bind(role.to_owned())
            .bind(serde_json::to_string(teams).unwrap_or_else(|_| "[]".into()))
            .bind(now_ms())
            .bind(owner_id)
            .fetch_one(&self.pool)
            .await?)
    }

    pub async fn get_api_token(
        &self,
        token_hash: &str,
    ) -> Result<Option<ApiTokenRecord>, StoreError> {
        let row = sqlx::query(
            "SELECT t.id, t.name, t.role, t.teams, t.revoked_ms, t.last_used_ms, t.owner_id, \
             u.id AS owner_found, u.role AS owner_role, u.teams AS owner_teams, \
             u.disabled_ms AS owner_disabled_ms \
             FROM api_tokens t LEFT JOIN users u ON u.id = t.owner_id WHERE t.token_hash = $1",
        )
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
        let rows = sqlx::query(
            "SELECT t.id, t.name, t.role, t.teams, t.created_ms, t.last_used_ms, t.revoked_ms, \
             u.email AS owner FROM api_tokens t LEFT JOIN users u ON u.id = t.owner_id \
             ORDER BY t.id DESC",
        )
        .fetch_all(&self.pool)
        .await?;
        decode_all(&rows)
    }

    pub async fn get_user(&self, id: i64) -> Result<Option<UserRecord>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {} FROM users WHERE id = $1",
            select::<UserRecord>()
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(decode).transpose()
    }

    /// Applies an admin's change to account `id`, refusing one that would leave no enabled
    /// admin. Checked and written in one transaction that first locks every enabled admin's
    /// row, so two admins demoting each other at once cannot both succeed.
    pub async fn change_user(
        &self,
        id: i64,
        change: UserChange<'_>,
    ) -> Result<UserChangeOutcome, StoreError> {
        let _guard = self.write_guard().await;
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE users SET role = role WHERE role = 'admin' AND disabled_ms IS NULL")
            .execute(&mut *tx)
            .await?;
        let row = sqlx::query(&format!(
            "SELECT {} FROM users WHERE id = $1",
            select::<UserRecord>()
        ))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let before: UserRecord = row
            .as_ref()
            .map(decode)
            .transpose()?
            .ok_or(StoreError::NotFound)?;
        if before.role == "admin" && !before.is_disabled() && change.removes_admin() {
            let others: i64 = sqlx::query_scalar(
                "SELECT CAST(COUNT(*) AS BIGINT) FROM users \
                 WHERE role = 'admin' AND disabled_ms IS NULL AND id <> $1",
            )
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
            if others == 0 {
                return Ok(UserChangeOutcome::LastAdmin);
            }
        }
        let now = now_ms();
        let end_sessions = !matches!(change, UserChange::Enable | UserChange::SetAccess { .. });
        if end_sessions {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        match change {
            UserChange::Disable => {
                sqlx::query(
                    "UPDATE users SET disabled_ms = $1 WHERE id = $2 AND disabled_ms IS NULL",
                )
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            }
            UserChange::Enable => {
                sqlx::query("UPDATE users SET disabled_ms = NULL WHERE id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
            UserChange::Delete => {
                // Its tokens stay listed, revoked, for the record.
                sqlx::query(
                    "UPDATE api_tokens SET revoked_ms = $1 WHERE owner_id = $2 AND revoked_ms IS NULL",
                )
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
                sqlx::query("DELETE FROM users WHERE id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
            UserChange::SetAccess { role, teams } => {
                sqlx::query("UPDATE users SET role = $1, teams = $2 WHERE id = $3")
                    .bind(role.to_owned())
                    .bind(serde_json::to_string(teams).unwrap_or_else(|_| "[]".into()))
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
            UserChange::SetPassword(hash) => {
                sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
                    .bind(hash.to_owned())
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(UserChangeOutcome::Done(before))
    }
}
