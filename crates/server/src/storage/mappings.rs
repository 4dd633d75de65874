//! Key mappings and virtual-tag rules: what attribution reads.

use chrono::NaiveDate;
use sqlx::Row;
use tokentally_domain::attribution::{KeyMapping, Rule};

use super::rows::{day, int, opt_text, text};
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
        let rows = sqlx::query("SELECT api_key, team, feature, environment, valid_from FROM key_mappings ORDER BY valid_from, id")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(KeyMapping {
                    api_key: text(r, "api_key")?,
                    team: text(r, "team")?,
                    feature: opt_text(r, "feature")?,
                    environment: opt_text(r, "environment")?,
                    valid_from: day(r, "valid_from")?,
                })
            })
            .collect()
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
        let before = sqlx::query("SELECT api_key, team, feature, environment, valid_from FROM key_mappings WHERE api_key = $1 AND valid_from = $2")
            .bind(m.api_key.clone())
            .bind(m.valid_from.to_string())
            .fetch_optional(&mut *tx)
            .await?
            .map(|r| -> Result<KeyMapping, StoreError> {
                Ok(KeyMapping {
                    api_key: text(&r, "api_key")?,
                    team: text(&r, "team")?,
                    feature: opt_text(&r, "feature")?,
                    environment: opt_text(&r, "environment")?,
                    valid_from: day(&r, "valid_from")?,
                })
            })
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
        let rows = sqlx::query("SELECT * FROM rules ORDER BY priority, id")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                let tag = match (opt_text(r, "tag_key")?, opt_text(r, "tag_value")?) {
                    (Some(k), Some(v)) => Some((k, v)),
                    _ => None,
                };
                Ok(Rule {
                    id: int(r, "id")?,
                    priority: int(r, "priority")?,
                    provider: opt_text(r, "provider")?,
                    model: opt_text(r, "model")?,
                    key_prefix: opt_text(r, "key_prefix")?,
                    tag,
                    team: opt_text(r, "team")?,
                    feature: opt_text(r, "feature")?,
                })
            })
            .collect()
    }

    /// Stores a rule and answers its id.
    pub async fn add_rule(&self, rule: &Rule) -> Result<i64, StoreError> {
        let _guard = self.write_guard().await;
        let (tag_key, tag_value) = rule.tag.clone().unzip();
        let row = sqlx::query(
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
        .await?;
        Ok(row.try_get("id")?)
    }

    /// Every API key seen in usage, with its first and last day.
    pub async fn list_keys_seen(&self) -> Result<Vec<KeySeen>, StoreError> {
        let rows = sqlx::query(
            "SELECT api_key, MIN(day) AS first_day, MAX(day) AS last_day, CAST(SUM(requests) AS BIGINT) AS requests \
             FROM usage_rollups WHERE api_key <> '' GROUP BY api_key ORDER BY api_key",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(KeySeen {
                    api_key: text(r, "api_key")?,
                    first_day: day(r, "first_day")?,
                    last_day: day(r, "last_day")?,
                    requests: super::rows::count(r, "requests")?,
                })
            })
            .collect()
    }
}
