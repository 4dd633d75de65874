//! What showback reads: a month's rollups, workflow groups and overheads.

use tokentally_domain::month::Month;
use tokentally_domain::rollup::UserDay;
use tokentally_domain::showback::{MonthData, UsageRow};

use sqlx::any::AnyRow;

use super::rows::{day, dims, opt_text, text, usage_row};
use super::{Store, StoreError};

/// A rollup's key but its day.
const ROLLUP_KEYS: &str = "provider, model, api_key, team, feature, environment, tags, service_tier, outcome, context_band, in_workflow";

const ROLLUP_SUMS: &[&str] = &[
    "events",
    "requests",
    "input_tokens",
    "cached_input_tokens",
    "cache_write_tokens",
    "output_tokens",
    "reasoning_tokens",
    "standalone_successes",
];

impl Store {
    /// Everything stored for the month, its daily rows and users included: for drill-downs.
    pub async fn month_data(&self, month: Month) -> Result<MonthData, StoreError> {
        let _turn = self.month_read().await;
        Ok(MonthData {
            rows: self.list_rollups(month).await?,
            users: self.list_user_days(month).await?,
            workflows: self.list_workflow_groups(month).await?,
            transactions: self.list_transactions(month).await?,
            ..self.month_terms(month).await?
        })
    }

    /// Everything but the users: for showback and the pages that show no active-user counts
    /// (users are many; counting them belongs to the drill-downs).
    pub async fn month_without_users(&self, month: Month) -> Result<MonthData, StoreError> {
        let _turn = self.month_read().await;
        Ok(MonthData {
            rows: self.list_rollups_by_stretch(month).await?,
            workflows: self.list_workflow_groups_by_stretch(month).await?,
            transactions: self.list_transactions(month).await?,
            ..self.month_terms(month).await?
        })
    }

    /// What a month's costs need and no more: rollups, overheads, commitments and discounts
    /// (no workflows or users, so no outcomes or active users). For trends and changes
    /// against an earlier month.
    pub async fn month_costs(&self, month: Month) -> Result<MonthData, StoreError> {
        let _turn = self.month_read().await;
        Ok(MonthData {
            rows: self.list_rollups_by_stretch(month).await?,
            ..self.month_terms(month).await?
        })
    }

    /// The month's costs beyond tokens and the discounts that price it; no usage.
    async fn month_terms(&self, month: Month) -> Result<MonthData, StoreError> {
        Ok(MonthData {
            overheads: self.list_overheads(month).await?,
            commitments: self.list_commitments(month).await?,
            discounts: self.list_discounts().await?,
            ..MonthData::default()
        })
    }

    /// A month's rollups summed over stretches of days in which no key mapping and no price card
    /// takes effect. Attribution and prices depend on the day only through those effective
    /// dates, so month-level views (showback, trends) price these rows exactly as they would
    /// the daily ones, from about a thirtieth of the rows. Each row's `day` is the first day of
    /// its stretch; views by day must read [`Store::list_rollups`].
    ///
    /// A month without such a day is one stretch: its rows are the monthly rollups, read as
    /// they are kept.
    pub async fn list_rollups_by_stretch(&self, month: Month) -> Result<Vec<UsageRow>, StoreError> {
        if self.change_days(month).await?.is_empty() {
            let rows = sqlx::query(&format!(
                "SELECT CAST($1 AS TEXT) AS day, {ROLLUP_KEYS}, {} FROM usage_rollups_monthly WHERE month = $2",
                ROLLUP_SUMS.join(", ")
            ))
            .bind(month.first_day().to_string())
            .bind(month.to_string())
            .fetch_all(&self.pool)
            .await?;
            return rows.iter().map(usage_row).collect();
        }
        let sums: Vec<String> = ROLLUP_SUMS
            .iter()
            .map(|c| format!("CAST(SUM({c}) AS BIGINT) AS {c}"))
            .collect();
        let rows = self
            .by_stretch(month, ROLLUP_KEYS, &sums.join(", "), "usage_rollups", "")
            .await?;
        rows.iter().map(usage_row).collect()
    }

    /// `SELECT stretch AS day, {keys}, {sums} FROM {table}` over the month's rows, grouped by
    /// stretch (see [`Store::list_rollups_by_stretch`]) and keys; `having` filters groups.
    pub(super) async fn by_stretch(
        &self,
        month: Month,
        keys: &str,
        sums: &str,
        table: &str,
        having: &str,
    ) -> Result<Vec<AnyRow>, StoreError> {
        let starts = self.change_days(month).await?;
        // CASE WHEN day < start1 THEN first WHEN day < start2 THEN start1 ... ELSE last END
        let mut stretch = String::from("CASE");
        let mut previous = "$1".to_owned();
        for i in 0..starts.len() {
            let p = format!("${}", i + 3);
            stretch.push_str(&format!(" WHEN day < {p} THEN CAST({previous} AS TEXT)"));
            previous = p;
        }
        let stretch = if starts.is_empty() {
            "CAST($1 AS TEXT)".to_owned()
        } else {
            format!("{stretch} ELSE CAST({previous} AS TEXT) END")
        };
        let sql = format!(
            "SELECT {stretch} AS day, {keys}, {sums} FROM {table} WHERE day >= $1 AND day < $2 \
             GROUP BY 1, {keys} {having}"
        );
        let mut query = sqlx::query(&sql)
            .bind(month.first_day().to_string())
            .bind(month.end_exclusive().to_string());
        for d in &starts {
            query = query.bind(d.to_string());
        }
        Ok(query.fetch_all(&self.pool).await?)
    }

    /// Days inside the month (after its first) on which a key mapping or a price card takes
    /// effect, in order.
    pub async fn change_days(&self, month: Month) -> Result<Vec<chrono::NaiveDate>, StoreError> {
        let rows = sqlx::query(
            "SELECT valid_from AS d FROM key_mappings WHERE valid_from > $1 AND valid_from < $2 \
             UNION SELECT effective_from AS d FROM price_cards WHERE effective_from > $1 AND effective_from < $2 \
             UNION SELECT effective_from AS d FROM discounts WHERE effective_from > $1 AND effective_from < $2",
        )
        .bind(month.first_day().to_string())
        .bind(month.end_exclusive().to_string())
        .fetch_all(&self.pool)
        .await?;
        let mut days = rows
            .iter()
            .map(|r| day(r, "d"))
            .collect::<Result<Vec<_>, _>>()?;
        days.sort();
        days.dedup();
        Ok(days)
    }

    pub async fn list_rollups(&self, month: Month) -> Result<Vec<UsageRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT day, provider, model, api_key, team, feature, environment, tags, service_tier, outcome, \
             context_band, in_workflow, events, requests, input_tokens, cached_input_tokens, cache_write_tokens, \
             output_tokens, reasoning_tokens, standalone_successes \
             FROM usage_rollups WHERE day >= $1 AND day < $2",
        )
            .bind(month.first_day().to_string())
            .bind(month.end_exclusive().to_string())
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(usage_row).collect()
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
        // Two queries, because SQLite answers a lone MIN or MAX from the key's index but scans
        // the whole table for both at once.
        let first = sqlx::query("SELECT MIN(day) AS d FROM usage_rollups")
            .fetch_one(&self.pool)
            .await?;
        let last = sqlx::query("SELECT MAX(day) AS d FROM usage_rollups")
            .fetch_one(&self.pool)
            .await?;
        let (Some(first), Some(last)) = (opt_text(&first, "d")?, opt_text(&last, "d")?) else {
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
