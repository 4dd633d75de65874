//! What showback reads: a month's rollups, workflows and overheads.

use tokentally_domain::month::Month;
use tokentally_domain::rollup::{UserDay, WorkflowRow};
use tokentally_domain::showback::{MonthData, UsageRow};

use super::rows::{count, day, dims, opt_text, parsed, text, usage_row};
use super::{Store, StoreError};

impl Store {
    pub async fn month_data(&self, month: Month) -> Result<MonthData, StoreError> {
        Ok(MonthData {
            rows: self.list_rollups(month).await?,
            workflows: self.list_workflows(month).await?,
            overheads: self.list_overheads(month).await?,
            users: self.list_user_days(month).await?,
        })
    }

    /// Everything but the users: for pages that show no active-user counts.
    pub async fn month_without_users(&self, month: Month) -> Result<MonthData, StoreError> {
        Ok(MonthData {
            rows: self.list_rollups(month).await?,
            workflows: self.list_workflows(month).await?,
            overheads: self.list_overheads(month).await?,
            users: Vec::new(),
        })
    }

    /// What a month's costs need and no more: rollups and overheads (no workflows or users,
    /// so no outcomes or active users). For trends and changes against an earlier month.
    pub async fn month_costs(&self, month: Month) -> Result<MonthData, StoreError> {
        Ok(MonthData {
            rows: self.list_rollups(month).await?,
            overheads: self.list_overheads(month).await?,
            ..MonthData::default()
        })
    }

    pub async fn list_rollups(&self, month: Month) -> Result<Vec<UsageRow>, StoreError> {
        let rows = sqlx::query("SELECT * FROM usage_rollups WHERE day >= $1 AND day < $2")
            .bind(month.first_day().to_string())
            .bind(month.end_exclusive().to_string())
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(usage_row).collect()
    }

    /// Workflows whose final call falls in the month.
    pub async fn list_workflows(&self, month: Month) -> Result<Vec<WorkflowRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT workflow_id, calls, last_day, last_outcome, explicit_outcome, provider, model, api_key, team, feature, environment, tags \
             FROM workflows WHERE last_day >= $1 AND last_day < $2",
        )
        .bind(month.first_day().to_string())
        .bind(month.end_exclusive().to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let outcome = match opt_text(r, "explicit_outcome")? {
                    Some(o) => o
                        .parse()
                        .map_err(|_| StoreError::Corrupt(format!("explicit_outcome `{o}`")))?,
                    None => parsed(r, "last_outcome")?,
                };
                Ok(WorkflowRow {
                    workflow_id: text(r, "workflow_id")?,
                    day: day(r, "last_day")?,
                    calls: count(r, "calls")?,
                    outcome,
                    dims: dims(r)?,
                })
            })
            .collect()
    }

    /// Users seen in the month, per day and owner dimensions.
    pub async fn list_user_days(&self, month: Month) -> Result<Vec<UserDay>, StoreError> {
        let rows = sqlx::query("SELECT * FROM usage_users WHERE day >= $1 AND day < $2")
            .bind(month.first_day().to_string())
            .bind(month.end_exclusive().to_string())
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(UserDay {
                    day: day(r, "day")?,
                    dims: dims(r)?,
                    user: text(r, "user_id")?,
                })
            })
            .collect()
    }

    /// The months that hold usage, newest first.
    pub async fn list_months(&self) -> Result<Vec<Month>, StoreError> {
        let row = sqlx::query("SELECT MIN(day) AS first, MAX(day) AS last FROM usage_rollups")
            .fetch_one(&self.pool)
            .await?;
        let (Some(first), Some(last)) = (opt_text(&row, "first")?, opt_text(&row, "last")?) else {
            return Ok(Vec::new());
        };
        let parse = |s: &str| {
            s.parse()
                .map(Month::of)
                .map_err(|_| StoreError::Corrupt(format!("day `{s}`")))
        };
        let (first, last) = (parse(&first)?, parse(&last)?);
        let mut months = vec![last];
        while let Some(m) = months.last().copied().filter(|m| *m > first) {
            months.push(m.previous());
        }
        Ok(months)
    }
}
