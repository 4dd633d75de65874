//! Month close, late events, issued statements (frozen snapshots), statement modes and
//! provider invoices.

use rust_decimal::Decimal;
use tokentally_domain::month::Month;
use tokentally_domain::showback::UsageRow;
use tokentally_domain::statement::Mode;

use super::rows::{
    Cols, EVENT_ROLLUP_GROUP, Invoice, StatementMode, decode, decode_all, event_rollup_select,
    select,
};
use super::{Store, StoreError, now_ms};

/// An issued (or voided) statement as stored: its content is the exact JSON that was issued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredStatement {
    pub team: String,
    pub month: Month,
    pub version: i64,
    pub status: String,
    pub content: String,
    pub sha256: String,
    pub issued_ms: i64,
    pub issued_by: String,
    pub void_ms: Option<i64>,
    pub void_by: Option<String>,
    pub void_reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthClose {
    pub month: Month,
    pub closed_ms: i64,
    pub closed_by: String,
}

impl Store {
    /// Closes a month; answers false when it was closed already. On PostgreSQL the insert
    /// waits for ingest batches in flight (they hold a share lock on `month_closes`).
    pub async fn close_month(&self, month: Month, by: &str) -> Result<bool, StoreError> {
        let _guard = self.write_guard().await;
        let done = sqlx::query(
            "INSERT INTO month_closes (month, closed_ms, closed_by) VALUES ($1, $2, $3) ON CONFLICT (month) DO NOTHING",
        )
        .bind(month.to_string())
        .bind(now_ms())
        .bind(by.to_owned())
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn month_close(&self, month: Month) -> Result<Option<MonthClose>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {} FROM month_closes WHERE month = $1",
            select::<MonthClose>()
        ))
        .bind(month.to_string())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(decode).transpose()
    }

    /// Every closed month, oldest first.
    pub async fn list_month_closes(&self) -> Result<Vec<MonthClose>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {} FROM month_closes ORDER BY month",
            select::<MonthClose>()
        ))
        .fetch_all(&self.pool)
        .await?;
        decode_all(&rows)
    }

    /// Reopens a closed month: the close goes and every statement issued for the month is
    /// voided with `reason`, in one transaction. Answers the statements voided, or `None`
    /// when the month was not closed.
    pub async fn reopen_month(
        &self,
        month: Month,
        reason: &str,
        by: &str,
    ) -> Result<Option<Vec<StoredStatement>>, StoreError> {
        let _guard = self.write_guard().await;
        let mut tx = self.pool.begin().await?;
        let gone = sqlx::query("DELETE FROM month_closes WHERE month = $1")
            .bind(month.to_string())
            .execute(&mut *tx)
            .await?;
        if gone.rows_affected() == 0 {
            return Ok(None);
        }
        let rows = sqlx::query(&format!(
            "SELECT {} FROM statements WHERE month = $1 AND status = 'issued' ORDER BY team",
            select::<StoredStatement>()
        ))
        .bind(month.to_string())
        .fetch_all(&mut *tx)
        .await?;
        let issued: Vec<StoredStatement> = decode_all(&rows)?;
        sqlx::query(
            "UPDATE statements SET status = 'void', void_ms = $1, void_by = $2, void_reason = $3 \
             WHERE month = $4 AND status = 'issued'",
        )
        .bind(now_ms())
        .bind(by.to_owned())
        .bind(reason.to_owned())
        .bind(month.to_string())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Some(issued))
    }

    /// Usage that arrived after its month closed and lands on `target`'s statements, summed
    /// like rollups per month it belongs to.
    pub async fn late_usage(&self, target: Month) -> Result<Vec<(Month, UsageRow)>, StoreError> {
        self.late_usage_where("target_month", target, "belongs_month")
            .await
    }

    /// Usage of `month` that arrived after it closed, per month whose statements carry it.
    pub async fn late_usage_carried(
        &self,
        month: Month,
    ) -> Result<Vec<(Month, UsageRow)>, StoreError> {
        self.late_usage_where("belongs_month", month, "target_month")
            .await
    }

    /// Usage of `month` that arrived after it closed (carried to later statements).
    pub async fn late_usage_of(&self, month: Month) -> Result<Vec<UsageRow>, StoreError> {
        Ok(self
            .late_usage_where("belongs_month", month, "belongs_month")
            .await?
            .into_iter()
            .map(|(_, r)| r)
            .collect())
    }

    /// Late usage where `column` is `month`, summed per `per` month (both `belongs_month` or
    /// `target_month`) and rollup key.
    async fn late_usage_where(
        &self,
        column: &'static str,
        month: Month,
        per: &'static str,
    ) -> Result<Vec<(Month, UsageRow)>, StoreError> {
        let sql = format!(
            "SELECT {}, l.{per} \
             FROM late_events l JOIN events e ON e.source = l.source AND e.event_id = l.event_id \
             WHERE l.{column} = $1 GROUP BY l.{per}, {EVENT_ROLLUP_GROUP}",
            event_rollup_select(),
        );
        let rows = sqlx::query(&sql)
            .bind(month.to_string())
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                let mut c = Cols::new(r);
                let usage: UsageRow = c.read()?;
                Ok((c.parsed()?, usage))
            })
            .collect()
    }

    /// The month's statements that are issued or voided, every version.
    pub async fn list_statements(&self, month: Month) -> Result<Vec<StoredStatement>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {} FROM statements WHERE month = $1 ORDER BY team, version",
            select::<StoredStatement>()
        ))
        .bind(month.to_string())
        .fetch_all(&self.pool)
        .await?;
        decode_all(&rows)
    }

    /// The team's issued statement for the month, if one stands.
    pub async fn issued_statement(
        &self,
        team: &str,
        month: Month,
    ) -> Result<Option<StoredStatement>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {} FROM statements WHERE team = $1 AND month = $2 AND status = 'issued'",
            select::<StoredStatement>()
        ))
        .bind(team.to_owned())
        .bind(month.to_string())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(decode).transpose()
    }

    /// Stores an issued statement as the next version; `None` when one is issued already.
    pub async fn issue_statement(
        &self,
        team: &str,
        month: Month,
        content: &str,
        sha256: &str,
        by: &str,
    ) -> Result<Option<StoredStatement>, StoreError> {
        let _guard = self.write_guard().await;
        let mut tx = self.pool.begin().await?;
        let versions: Vec<(i64, String)> =
            sqlx::query_as("SELECT version, status FROM statements WHERE team = $1 AND month = $2")
                .bind(team.to_owned())
                .bind(month.to_string())
                .fetch_all(&mut *tx)
                .await?;
        if versions.iter().any(|(_, status)| status == "issued") {
            return Ok(None);
        }
        let version = versions.iter().map(|(v, _)| *v).max().unwrap_or(0) + 1;
        // Two issuers at once: the primary key lets one version in; the other fails here.
        sqlx::query(
            "INSERT INTO statements (team, month, version, status, content, sha256, issued_ms, issued_by) \
             VALUES ($1, $2, $3, 'issued', $4, $5, $6, $7)",
        )
        .bind(team.to_owned())
        .bind(month.to_string())
        .bind(version)
        .bind(content.to_owned())
        .bind(sha256.to_owned())
        .bind(now_ms())
        .bind(by.to_owned())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        self.issued_statement(team, month).await
    }

    /// Voids the issued statement; answers it as it was, or `None` when none is issued.
    pub async fn void_statement(
        &self,
        team: &str,
        month: Month,
        reason: &str,
        by: &str,
    ) -> Result<Option<StoredStatement>, StoreError> {
        let Some(current) = self.issued_statement(team, month).await? else {
            return Ok(None);
        };
        let _guard = self.write_guard().await;
        sqlx::query(
            "UPDATE statements SET status = 'void', void_ms = $1, void_by = $2, void_reason = $3 \
             WHERE team = $4 AND month = $5 AND version = $6 AND status = 'issued'",
        )
        .bind(now_ms())
        .bind(by.to_owned())
        .bind(reason.to_owned())
        .bind(team.to_owned())
        .bind(month.to_string())
        .bind(current.version)
        .execute(&self.pool)
        .await?;
        Ok(Some(current))
    }

    pub async fn statement_modes(&self) -> Result<Vec<(String, Mode)>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {} FROM statement_modes",
            select::<StatementMode>()
        ))
        .fetch_all(&self.pool)
        .await?;
        Ok(decode_all::<StatementMode>(&rows)?
            .into_iter()
            .map(|m| (m.team, m.mode))
            .collect())
    }

    pub async fn set_statement_mode(&self, team: &str, mode: Mode) -> Result<(), StoreError> {
        let _guard = self.write_guard().await;
        sqlx::query(
            "INSERT INTO statement_modes (team, mode) VALUES ($1, $2) ON CONFLICT (team) DO UPDATE SET mode = excluded.mode",
        )
        .bind(team.to_owned())
        .bind(mode.as_str().to_owned())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn list_invoices(&self, month: Month) -> Result<Vec<(String, Decimal)>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {} FROM provider_invoices WHERE month = $1 ORDER BY provider",
            select::<Invoice>()
        ))
        .bind(month.to_string())
        .fetch_all(&self.pool)
        .await?;
        Ok(decode_all::<Invoice>(&rows)?
            .into_iter()
            .map(|i| (i.provider, i.amount))
            .collect())
    }

    pub async fn set_invoice(
        &self,
        month: Month,
        provider: &str,
        amount: Decimal,
    ) -> Result<(), StoreError> {
        let _guard = self.write_guard().await;
        sqlx::query(
            "INSERT INTO provider_invoices (month, provider, amount, created_ms) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (month, provider) DO UPDATE SET amount = excluded.amount, created_ms = excluded.created_ms",
        )
        .bind(month.to_string())
        .bind(provider.to_owned())
        .bind(amount.to_string())
        .bind(now_ms())
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
