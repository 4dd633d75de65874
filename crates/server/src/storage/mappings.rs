//! Key mappings and virtual-tag rules: what attribution reads.

use chrono::NaiveDate;
use tokentally_domain::attribution::{KeyMapping, Rule};

use super::rows::{decode, decode_all, select};
use super::{Store, StoreError, now_ms};

/// An API key seen in usage.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct KeySeen {
    pub api_key: String,
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
    pub requests: u64,
}

impl Store {
    pub async fn list_key_mappings(&self) -> Result<Vec<KeyMapping>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {} FROM key_mappings ORDER BY valid_from, id",
            select::<KeyMapping>()
        ))
        .fetch_all(&self.pool)
        .await?;
        decode_all(&rows)
    }

    /// Records a mapping; one from the same day for the same key replaces it. Returns the
    /// mapping it replaced, for the audit log.
    pub async fn set_key_mapping(
        &self,
        m: &KeyMapping,
        actor: &str,
    ) -> Result<Option<KeyMapping>, StoreError> {
        let _guard = self.write_guard().await;
        let mut tx = self.pool.begin().await?;
        let before = sqlx::query(&format!(
            "SELECT {} FROM key_mappings WHERE api_key = $1 AND valid_from = $2",
            select::<KeyMapping>()
        ))
        .bind(m.api_key.clone())
        .bind(m.valid_from.to_string())
        .fetch_optional(&mut *tx)
        .await?
        .as_ref()
        .map(decode)
        .transpose()?;
        sqlx::query(
            "INSERT INTO key_mappings (api_key, team, feature, environment, valid_from, created_ms, created_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (api_key, valid_from) DO UPDATE SET team = excluded.team, feature = excluded.feature, \
             environment = excluded.environment, created_ms = excluded.created_ms, created_by = excluded.created_by",
        )
        .bind(m.api_key.clone())
        .bind(m.team.clone())
        .bind(m.feature.clone())
        .bind(m.environment.clone())
        .bind(m.valid_from.to_string())
        .bind(now_ms())
        .bind(actor.to_owned())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(before)
    }

    pub async fn list_rules(&self) -> Result<Vec<Rule>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {} FROM rules ORDER BY priority, id",
            select::<Rule>()
        ))
        .fetch_all(&self.pool)
        .await?;
        decode_all(&rows)
    }

    /// Stores a rule and answers its id.
    pub async fn add_rule(&self, rule: &Rule) -> Result<i64, StoreError> {
        let _guard = self.write_guard().await;
        let (tag_key, tag_value) = rule.tag.clone().unzip();
        Ok(sqlx::query_scalar(
            "INSERT INTO rules (priority, provider, model, key_prefix, tag_key, tag_value, team, feature, created_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(rule.priority)
        .bind(rule.provider.clone())
        .bind(rule.model.clone())
        .bind(rule.key_prefix.clone())
        .bind(tag_key)
        .bind(tag_value)
        .bind(rule.team.clone())
        .bind(rule.feature.clone())
        .bind(now_ms())
        .fetch_one(&self.pool)
        .await?)
    }

    /// Every API key seen in usage, with its first and last day.
    /// Whether any usage carries this key.
    pub async fn key_seen(&self, api_key: &str) -> Result<bool, StoreError> {
        let found: Option<String> = sqlx::query_scalar(&format!(
            "SELECT api_key FROM {} WHERE api_key = $1 LIMIT 1",
            super::rows::ROLLUPS.monthly
        ))
        .bind(api_key.to_owned())
        .fetch_optional(&self.pool)
        .await?;
        Ok(found.is_some())
    }

    pub async fn list_keys_seen(&self) -> Result<Vec<KeySeen>, StoreError> {
        let rows = sqlx::query(
            "SELECT api_key, MIN(day) AS first_day, MAX(day) AS last_day, CAST(SUM(requests) AS BIGINT) AS requests \
             FROM usage_rollups WHERE api_key <> '' GROUP BY api_key ORDER BY api_key",
        )
        .fetch_all(&self.pool)
        .await?;
        decode_all(&rows)
    }
}
