//! Pull connections (a provider account whose usage and cost tokentally fetches) and the
//! provider's own cost figures. The admin key is stored sealed; this module never sees it in
//! clear.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::rows::{Cols, FromRow, decode, decode_all, select};
use super::{Store, StoreError, now_ms};

/// A connection as stored (the key sealed).
#[derive(Clone, PartialEq, Eq)]
pub struct ConnectionRecord {
    pub id: i64,
    /// `openai` or `anthropic`.
    pub provider: String,
    pub name: String,
    /// The admin key sealed with the server secret; never answered to anyone.
    pub sealed_key: String,
    pub start_day: NaiveDate,
    pub base_url: String,
    /// The first day not yet pulled complete.
    pub cursor_day: NaiveDate,
    pub last_sync_ms: Option<i64>,
    pub rows_pulled: i64,
    pub next_run_ms: i64,
    pub last_error: Option<String>,
    pub lease_until_ms: i64,
    pub created_ms: i64,
    pub created_by: String,
}

impl std::fmt::Debug for ConnectionRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectionRecord")
            .field("id", &self.id)
            .field("provider", &self.provider)
            .field("name", &self.name)
            .field("sealed_key", &"<sealed>")
            .field("cursor_day", &self.cursor_day)
            .finish_non_exhaustive()
    }
}

impl FromRow for ConnectionRecord {
    const COLUMNS: &'static [&'static str] = &[
        "id",
        "provider",
        "name",
        "sealed_key",
        "start_day",
        "base_url",
        "cursor_day",
        "last_sync_ms",
        "rows_pulled",
        "next_run_ms",
        "last_error",
        "lease_until_ms",
        "created_ms",
        "created_by",
    ];

    fn read(c: &mut Cols<'_>) -> Result<Self, StoreError> {
        Ok(ConnectionRecord {
            id: c.int()?,
            provider: c.text()?,
            name: c.text()?,
            sealed_key: c.text()?,
            start_day: c.day()?,
            base_url: c.text()?,
            cursor_day: c.day()?,
            last_sync_ms: c.opt_int()?,
            rows_pulled: c.int()?,
            next_run_ms: c.int()?,
            last_error: c.opt_text()?,
            lease_until_ms: c.int()?,
            created_ms: c.int()?,
            created_by: c.text()?,
        })
    }
}

/// A connection to add.
pub struct NewConnection<'a> {
    pub provider: &'a str,
    pub name: &'a str,
    pub sealed_key: &'a str,
    pub start_day: NaiveDate,
    pub base_url: &'a str,
    pub created_by: &'a str,
}

/// The provider's own cost of a day and model.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ProviderCost {
    pub connection_id: i64,
    pub day: NaiveDate,
    pub provider: String,
    pub model: String,
    pub amount: Decimal,
    pub currency: String,
    /// What of the model the amount bills, as the provider names it (`input`, `output`,
    /// `web_search`, ...); empty when the report does not say.
    pub unit: String,
}

impl FromRow for ProviderCost {
    const COLUMNS: &'static [&'static str] = &[
        "connection_id",
        "day",
        "provider",
        "model",
        "amount",
        "currency",
        "unit",
    ];

    fn read(c: &mut Cols<'_>) -> Result<Self, StoreError> {
        Ok(ProviderCost {
            connection_id: c.int()?,
            day: c.day()?,
            provider: c.text()?,
            model: c.text()?,
            amount: c
                .text()?
                .parse()
                .map_err(|_| StoreError::Corrupt("provider cost amount".into()))?,
            currency: c.text()?,
            unit: c.text()?,
        })
    }
}

impl Store {
    /// Adds a connection, due at once; `Conflict` when the name is taken.
    pub async fn add_connection(&self, c: &NewConnection<'_>) -> Result<i64, StoreError> {
        let _guard = self.write_guard().await;
        let now = now_ms();
        Ok(sqlx::query_scalar(
            "INSERT INTO connections (provider, name, sealed_key, start_day, base_url, cursor_day, \
             last_sync_ms, rows_pulled, next_run_ms, last_error, lease_until_ms, created_ms, created_by) \
             VALUES ($1, $2, $3, $4, $5, $6, NULL, 0, $7, NULL, 0, $8, $9) RETURNING id",
        )
        .bind(c.provider.to_owned())
        .bind(c.name.to_owned())
        .bind(c.sealed_key.to_owned())
        .bind(c.start_day.to_string())
        .bind(c.base_url.to_owned())
        .bind(c.start_day.to_string())
        .bind(now)
        .bind(now)
        .bind(c.created_by.to_owned())
        .fetch_one(&self.pool)
        .await?)
    }

    pub async fn list_connections(&self) -> Result<Vec<ConnectionRecord>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {} FROM connections ORDER BY id",
            select::<ConnectionRecord>()
        ))
        .fetch_all(&self.pool)
        .await?;
        decode_all(&rows)
    }

    pub async fn get_connection(&self, id: i64) -> Result<Option<ConnectionRecord>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {} FROM connections WHERE id = $1",
            select::<ConnectionRecord>()
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(decode).transpose()
    }

    /// Takes a connection for this server until `until_ms` (the leader's claim): false when
    /// another server holds it, or, with `due_only`, when its next run is not due yet.
    pub async fn claim_connection(
        &self,
        id: i64,
        until_ms: i64,
        due_only: bool,
    ) -> Result<bool, StoreError> {
        let _guard = self.write_guard().await;
        let now = now_ms();
        let due = if due_only {
            " AND next_run_ms <= $4"
        } else {
            " AND $4 = $4"
        };
        let r = sqlx::query(&format!(
            "UPDATE connections SET lease_until_ms = $1 WHERE id = $2 AND lease_until_ms <= $3{due}"
        ))
        .bind(until_ms)
        .bind(id)
        .bind(now)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Renews this server's claim on a connection, held until `held_ms`, until `until_ms`:
    /// false when the claim is no longer the one this server wrote (it lapsed and another
    /// server took it).
    pub async fn renew_connection_claim(
        &self,
        id: i64,
        held_ms: i64,
        until_ms: i64,
    ) -> Result<bool, StoreError> {
        let _guard = self.write_guard().await;
        let r = sqlx::query(
            "UPDATE connections SET lease_until_ms = $1 WHERE id = $2 AND lease_until_ms = $3",
        )
        .bind(until_ms)
        .bind(id)
        .bind(held_ms)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Moves the cursor after a stretch of days was stored and counts the events the
    /// connection's `source` holds now.
    pub async fn advance_connection(
        &self,
        id: i64,
        cursor: NaiveDate,
        source: &str,
    ) -> Result<(), StoreError> {
        let _guard = self.write_guard().await;
        sqlx::query(
            "UPDATE connections SET cursor_day = $1, \
             rows_pulled = (SELECT COUNT(*) FROM events WHERE source = $2) WHERE id = $3",
        )
        .bind(cursor.to_string())
        .bind(source.to_owned())
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Ends a sync of this server, whose claim holds until `held_ms`: when it ran, its error
    /// (`None`: it completed), the next run, and the claim released. Nothing changes when the
    /// claim is another server's now.
    pub async fn finish_connection_sync(
        &self,
        id: i64,
        held_ms: i64,
        error: Option<&str>,
        next_run_ms: i64,
    ) -> Result<(), StoreError> {
        let _guard = self.write_guard().await;
        sqlx::query(
            "UPDATE connections SET last_sync_ms = $1, last_error = $2, next_run_ms = $3, lease_until_ms = 0 \
             WHERE id = $4 AND lease_until_ms = $5",
        )
        .bind(now_ms())
        .bind(error.map(str::to_owned))
        .bind(next_run_ms)
        .bind(id)
        .bind(held_ms)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Replaces a connection's provider costs on the days `first..=last`.
    pub async fn replace_provider_costs(
        &self,
        connection_id: i64,
        first: NaiveDate,
        last: NaiveDate,
        costs: &[ProviderCost],
    ) -> Result<(), StoreError> {
        let _guard = self.write_guard().await;
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "DELETE FROM provider_costs WHERE connection_id = $1 AND day >= $2 AND day <= $3",
        )
        .bind(connection_id)
        .bind(first.to_string())
        .bind(last.to_string())
        .execute(&mut *tx)
        .await?;
        for c in costs {
            sqlx::query(
                "INSERT INTO provider_costs (connection_id, day, provider, model, amount, currency, unit) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(connection_id)
            .bind(c.day.to_string())
            .bind(c.provider.clone())
            .bind(c.model.clone())
            .bind(c.amount.to_string())
            .bind(c.currency.clone())
            .bind(c.unit.clone())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The provider costs of the days `first..=last`, by day, provider and model.
    pub async fn list_provider_costs(
        &self,
        first: NaiveDate,
        last: NaiveDate,
    ) -> Result<Vec<ProviderCost>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {} FROM provider_costs WHERE day >= $1 AND day <= $2 ORDER BY day, provider, model, unit",
            select::<ProviderCost>()
        ))
        .bind(first.to_string())
        .bind(last.to_string())
        .fetch_all(&self.pool)
        .await?;
        decode_all(&rows)
    }

    /// What sources other than pulls stored for a provider on the days `first..=last`, summed
    /// per day, model, service tier and key: what a pulled bucket must not count again.
    pub async fn pushed_usage(
        &self,
        provider: &str,
        first: NaiveDate,
        last: NaiveDate,
        pulled_prefix: &str,
    ) -> Result<Vec<tokentally_domain::showback::UsageRow>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {} FROM events e WHERE e.provider = $1 AND e.day >= $2 AND e.day <= $3 \
             AND e.source NOT LIKE $4 GROUP BY {}",
            super::rows::event_rollup_select(),
            super::rows::EVENT_ROLLUP_GROUP
        ))
        .bind(provider.to_owned())
        .bind(first.to_string())
        .bind(last.to_string())
        .bind(format!("{pulled_prefix}%"))
        .fetch_all(&self.pool)
        .await?;
        decode_all(&rows)
    }
}
