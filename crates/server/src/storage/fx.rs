//! Exchange rates (one per currency pair and month), the reporting currency and each team's
//! statement currency.

use tokentally_domain::fx::FxRate;

use super::rows::{decode_valid, select};
use super::{Store, StoreError, now_ms};

impl Store {
    /// Every rate, by pair and month.
    pub async fn list_fx_rates(&self) -> Result<Vec<FxRate>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {} FROM fx_rates ORDER BY base, quote, month",
            select::<FxRate>()
        ))
        .fetch_all(&self.pool)
        .await?;
        decode_valid(&rows, "exchange rate", FxRate::validate)
    }

    /// Records rates, replacing those of the same pair and month, all or none.
    pub async fn set_fx_rates(&self, rates: &[FxRate], by: &str) -> Result<(), StoreError> {
        let _guard = self.write_guard().await;
        let mut tx = self.pool.begin().await?;
        for r in rates {
            sqlx::query(
                "INSERT INTO fx_rates (base, quote, month, rate, source, created_ms, created_by) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (base, quote, month) DO UPDATE SET \
                 rate = excluded.rate, source = excluded.source, created_ms = excluded.created_ms, \
                 created_by = excluded.created_by",
            )
            .bind(r.base.clone())
            .bind(r.quote.clone())
            .bind(r.month.to_string())
            .bind(r.rate.to_string())
            .bind(r.source.trim().to_owned())
            .bind(now_ms())
            .bind(by.to_owned())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn reporting_currency(&self) -> Result<Option<String>, StoreError> {
        let row: Option<(String,)> =
            sqlx::query_as("SELECT reporting_currency FROM currency_settings WHERE id = 1")
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(|r| r.0))
    }

    pub async fn set_reporting_currency(&self, currency: &str) -> Result<(), StoreError> {
        let _guard = self.write_guard().await;
        sqlx::query(
            "INSERT INTO currency_settings (id, reporting_currency) VALUES (1, $1) \
             ON CONFLICT (id) DO UPDATE SET reporting_currency = excluded.reporting_currency",
        )
        .bind(currency.to_owned())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Each team's statement currency, where one is set.
    pub async fn team_currencies(&self) -> Result<Vec<(String, String)>, StoreError> {
        Ok(
            sqlx::query_as("SELECT team, currency FROM team_currencies ORDER BY team")
                .fetch_all(&self.pool)
                .await?,
        )
    }

    /// Sets a team's statement currency; `None` returns it to the billing currency.
    pub async fn set_team_currency(
        &self,
        team: &str,
        currency: Option<&str>,
    ) -> Result<(), StoreError> {
        let _guard = self.write_guard().await;
        match currency {
            Some(c) => {
                sqlx::query(
                    "INSERT INTO team_currencies (team, currency) VALUES ($1, $2) \
                     ON CONFLICT (team) DO UPDATE SET currency = excluded.currency",
                )
                .bind(team.to_owned())
                .bind(c.to_owned())
                .execute(&self.pool)
                .await?;
            }
            None => {
                sqlx::query("DELETE FROM team_currencies WHERE team = $1")
                    .bind(team.to_owned())
                    .execute(&self.pool)
                    .await?;
            }
        }
        Ok(())
    }
}
