//! Governance: budgets, settings, unit-cost targets, showback publication, alerts and
//! webhook deliveries.

use rust_decimal::Decimal;
use serde::Serialize;
use tokentally_domain::budget::Budget;
use tokentally_domain::month::Month;
use tokentally_domain::scorecard::UnitTarget;

use super::rows::{decode, decode_all, decode_valid, json_of, select};
use super::{Store, StoreError, now_ms};

/// An alert as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AlertRecord {
    pub id: i64,
    /// `budget` (a threshold crossed), `forecast` (month end over budget) or `anomaly`.
    pub kind: String,
    /// `team` or `key`.
    pub scope: String,
    pub subject: String,
    /// The owning team (a key's owner), empty when unknown.
    pub team: String,
    /// The month (budgets, forecasts) or day (anomalies).
    pub period: String,
    /// The threshold crossed, in percent; 0 for other kinds.
    pub level: i64,
    pub detail: String,
    pub amount: Decimal,
    pub first_seen_ms: i64,
    pub ack_by: Option<String>,
    pub ack_ms: Option<i64>,
}

/// An alert to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAlert {
    pub kind: &'static str,
    pub scope: String,
    pub subject: String,
    pub team: String,
    pub period: String,
    pub level: i64,
    pub detail: String,
    pub amount: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Delivery {
    pub id: i64,
    pub alert_id: i64,
    pub url: String,
    pub body: String,
    /// `pending`, `sending`, `delivered` or `failed` (given up).
    pub status: String,
    pub attempts: i64,
    pub last_code: Option<i64>,
    pub last_error: Option<String>,
    pub next_attempt_ms: i64,
    pub created_ms: i64,
    pub delivered_ms: Option<i64>,
}

/// A sending claim older than this is taken to have died with its server.
const STALE_CLAIM_MS: i64 = 5 * 60 * 1000;

impl Store {
    /// The budgets in force in `month`: its own, and recurring ones set for earlier months
    /// ([`tokentally_domain::budget::in_force`]).
    pub async fn list_budgets(&self, month: Month) -> Result<Vec<Budget>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {} FROM budgets WHERE month = $1 OR (month < $1 AND recurring <> 0) \
             ORDER BY month, scope, subject, feature",
            select::<Budget>()
        ))
        .bind(month.to_string())
        .fetch_all(&self.pool)
        .await?;
        let set = decode_valid(&rows, "budget", |b: &Budget| {
            b.clone().validated().map(drop)
        })?;
        Ok(tokentally_domain::budget::in_force(month, &set))
    }

    /// Sets a budget, replacing the month's earlier one for the same team, feature or key;
    /// answers the budget that was in force for it (the month's own or a recurring one).
    pub async fn set_budget(&self, b: &Budget) -> Result<Option<Budget>, StoreError> {
        let before = self
            .list_budgets(b.month)
            .await?
            .into_iter()
            .find(|x| x.scope == b.scope && x.subject == b.subject && x.feature == b.feature);
        let _guard = self.write_guard().await;
        sqlx::query(
            "INSERT INTO budgets (month, scope, subject, feature, amount, thresholds, recurring, created_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (month, scope, subject, feature) DO UPDATE SET amount = excluded.amount, \
             thresholds = excluded.thresholds, recurring = excluded.recurring, created_ms = excluded.created_ms",
        )
        .bind(b.month.to_string())
        .bind(b.scope.as_str().to_owned())
        .bind(b.subject.clone())
        .bind(b.feature.clone())
        .bind(b.amount.to_string())
        .bind(serde_json::to_string(&b.thresholds).map_err(|e| StoreError::Corrupt(e.to_string()))?)
        .bind(i64::from(b.recurring))
        .bind(now_ms())
        .execute(&self.pool)
        .await?;
        Ok(before)
    }

    /// A named setting, or `None` when it was never set.
    pub async fn get_setting<T: serde::de::DeserializeOwned>(
        &self,
        name: &str,
    ) -> Result<Option<T>, StoreError> {
        let value: Option<String> =
            sqlx::query_scalar("SELECT value FROM governance_settings WHERE name = $1")
                .bind(name.to_owned())
                .fetch_optional(&self.pool)
                .await?;
        value.map(|v| json_of("value", &v)).transpose()
    }

    pub async fn set_setting<T: Serialize>(&self, name: &str, value: &T) -> Result<(), StoreError> {
        let value = serde_json::to_string(value).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let _guard = self.write_guard().await;
        sqlx::query(
            "INSERT INTO governance_settings (name, value, updated_ms) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_ms = excluded.updated_ms",
        )
        .bind(name.to_owned())
        .bind(value)
        .bind(now_ms())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn list_unit_targets(&self) -> Result<Vec<UnitTarget>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {} FROM unit_targets ORDER BY team, feature",
            select::<UnitTarget>()
        ))
        .fetch_all(&self.pool)
        .await?;
        decode_all(&rows)
    }

    pub async fn set_unit_target(&self, t: &UnitTarget) -> Result<Option<UnitTarget>, StoreError> {
        let before = self
            .list_unit_targets()
            .await?
            .into_iter()
            .find(|x| x.team == t.team && x.feature == t.feature);
        let _guard = self.write_guard().await;
        sqlx::query(
            "INSERT INTO unit_targets (team, feature, target, updated_ms) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (team, feature) DO UPDATE SET target = excluded.target, updated_ms = excluded.updated_ms",
        )
        .bind(t.team.clone())
        .bind(t.feature.clone())
        .bind(t.target.to_string())
        .bind(now_ms())
        .execute(&self.pool)
        .await?;
        Ok(before)
    }

    /// Records that the month's showback was published; false when it was already.
    pub async fn publish_showback(&self, month: Month, by: &str) -> Result<bool, StoreError> {
        let _guard = self.write_guard().await;
        let r = sqlx::query(
            "INSERT INTO showback_publications (month, published_ms, published_by) VALUES ($1, $2, $3) ON CONFLICT (month) DO NOTHING",
        )
        .bind(month.to_string())
        .bind(now_ms())
        .bind(by.to_owned())
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Who published the month's showback, and when.
    pub async fn showback_publication(
        &self,
        month: Month,
    ) -> Result<Option<(String, i64)>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT published_by, published_ms FROM showback_publications WHERE month = $1",
        )
        .bind(month.to_string())
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Records an alert unless the same crossing is recorded already; answers the new id.
    pub async fn add_alert(&self, a: &NewAlert) -> Result<Option<i64>, StoreError> {
        let _guard = self.write_guard().await;
        Ok(sqlx::query_scalar(
            "INSERT INTO alerts (kind, scope, subject, team, period, level, detail, amount, first_seen_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             ON CONFLICT (kind, scope, subject, period, level) DO NOTHING RETURNING id",
        )
        .bind(a.kind.to_owned())
        .bind(a.scope.clone())
        .bind(a.subject.clone())
        .bind(a.team.clone())
        .bind(a.period.clone())
        .bind(a.level)
        .bind(a.detail.clone())
        .bind(a.amount.to_string())
        .bind(now_ms())
        .fetch_optional(&self.pool)
        .await?)
    }

    /// The newest alerts first.
    pub async fn list_alerts(&self, limit: i64) -> Result<Vec<AlertRecord>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {} FROM alerts ORDER BY id DESC LIMIT $1",
            select::<AlertRecord>()
        ))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        decode_all(&rows)
    }

    pub async fn get_alert(&self, id: i64) -> Result<Option<AlertRecord>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {} FROM alerts WHERE id = $1",
            select::<AlertRecord>()
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(decode).transpose()
    }

    /// Acknowledges an alert; false when it was acknowledged already.
    pub async fn acknowledge_alert(&self, id: i64, by: &str) -> Result<bool, StoreError> {
        let _guard = self.write_guard().await;
        let r = sqlx::query(
            "UPDATE alerts SET ack_by = $1, ack_ms = $2 WHERE id = $3 AND ack_by IS NULL",
        )
        .bind(by.to_owned())
        .bind(now_ms())
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Queues one delivery of an alert (a second one for the same alert is ignored).
    pub async fn add_delivery(
        &self,
        alert_id: i64,
        url: &str,
        body: &str,
    ) -> Result<(), StoreError> {
        let _guard = self.write_guard().await;
        let now = now_ms();
        sqlx::query(
            "INSERT INTO webhook_deliveries (alert_id, url, body, status, attempts, next_attempt_ms, created_ms) \
             VALUES ($1, $2, $3, 'pending', 0, $4, $4) ON CONFLICT (alert_id) DO NOTHING",
        )
        .bind(alert_id)
        .bind(url.to_owned())
        .bind(body.to_owned())
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Deliveries due now, oldest first.
    pub async fn due_deliveries(&self) -> Result<Vec<Delivery>, StoreError> {
        let now = now_ms();
        let rows = sqlx::query(&format!(
            "SELECT {} FROM webhook_deliveries WHERE (status = 'pending' AND next_attempt_ms <= $1) \
             OR (status = 'sending' AND next_attempt_ms <= $2) ORDER BY id LIMIT 100",
            select::<Delivery>()
        ))
        .bind(now)
        .bind(now - STALE_CLAIM_MS)
        .fetch_all(&self.pool)
        .await?;
        decode_all(&rows)
    }

    /// Takes a due delivery for this server; false when another took it first.
    pub async fn claim_delivery(&self, d: &Delivery) -> Result<bool, StoreError> {
        let _guard = self.write_guard().await;
        let r = sqlx::query(
            "UPDATE webhook_deliveries SET status = 'sending', next_attempt_ms = $1 \
             WHERE id = $2 AND status = $3 AND next_attempt_ms = $4",
        )
        .bind(now_ms())
        .bind(d.id)
        .bind(d.status.clone())
        .bind(d.next_attempt_ms)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Records one attempt: delivered, retried at `retry_at_ms`, or given up (`None`).
    pub async fn record_attempt(
        &self,
        id: i64,
        code: Option<u16>,
        error: Option<&str>,
        delivered: bool,
        retry_at_ms: Option<i64>,
    ) -> Result<(), StoreError> {
        let status = match (delivered, retry_at_ms) {
            (true, _) => "delivered",
            (false, Some(_)) => "pending",
            (false, None) => "failed",
        };
        let _guard = self.write_guard().await;
        let now = now_ms();
        sqlx::query(
            "UPDATE webhook_deliveries SET status = $1, attempts = attempts + 1, last_code = $2, last_error = $3, \
             next_attempt_ms = $4, delivered_ms = $5 WHERE id = $6",
        )
        .bind(status)
        .bind(code.map(i64::from))
        .bind(error.map(str::to_owned))
        .bind(retry_at_ms.unwrap_or(now))
        .bind(delivered.then_some(now))
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The newest deliveries first.
    pub async fn list_deliveries(&self, limit: i64) -> Result<Vec<Delivery>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {} FROM webhook_deliveries ORDER BY id DESC LIMIT $1",
            select::<Delivery>()
        ))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        decode_all(&rows)
    }
}
