//! What showback reads: a month's rollups, workflow groups and overheads.

use tokentally_domain::attribution::TeamCandidates;
use tokentally_domain::month::Month;
use tokentally_domain::rollup::{UserWord, WorkflowGroup};
use tokentally_domain::showback::{MonthData, UsageRow};

use sqlx::any::AnyArguments;

use super::dialect::{bigint, text as text_param};
use super::events::add;
use super::rows::{DailyAndMonthly, FromRow, ROLLUPS, WORKFLOW_GROUPS, packed, select};
use super::{Store, StoreError};

impl Store {
    /// Everything stored for the month, its daily rows and users included: for drill-downs.
    pub async fn month_data(&self, month: Month) -> Result<MonthData, StoreError> {
        self.month_data_of(month, None).await
    }

    /// [`Store::month_data`] narrowed to `only`'s rows (its rollups, users and workflow
    /// groups): the rows that can belong to one team (from `Attributor::candidates`), or one
    /// key's, or one model's. A drill-down reads this, not the whole organisation's month; it
    /// still attributes every row it reads.
    pub async fn month_data_of(
        &self,
        month: Month,
        only: Option<&RowsOf>,
    ) -> Result<MonthData, StoreError> {
        let _turn = self.month_read().await;
        let read = |table: &str, columns: String, extra: &str| {
            let mut args = month_args(month);
            let sql = format!(
                "SELECT {columns} FROM {table} WHERE day >= $1 AND day < $2{extra}{}",
                candidates_filter(only, 2, &mut args)
            );
            (sql, args)
        };
        let (rollups, a) = read("usage_rollups", select::<UsageRow>(), "");
        let (users, b) = read("usage_user_words", select::<UserWord>(), "");
        let (flows, c) = read(
            "workflow_groups",
            select::<WorkflowGroup>(),
            " AND workflows <> 0",
        );
        // The reads go out on their own connections at once: the database answers one while the
        // server parses another.
        let (rows, users, workflows, transactions, terms) = tokio::try_join!(
            self.read_rows(&rollups, a),
            self.read_rows(&users, b),
            self.read_rows(&flows, c),
            self.list_transactions(month),
            self.month_terms(month),
        )?;
        Ok(MonthData {
            rows,
            users,
            workflows,
            transactions,
            ..terms
        })
    }

    /// Everything but the users: for showback and the pages that show no active-user counts
    /// (users are many; counting them belongs to the drill-downs).
    pub async fn month_without_users(&self, month: Month) -> Result<MonthData, StoreError> {
        let _turn = self.month_read().await;
        let starts = self.change_days(month).await?;
        let (rows, workflows, transactions, terms) = tokio::try_join!(
            self.by_stretch(month, &starts, &ROLLUPS),
            self.by_stretch(month, &starts, &WORKFLOW_GROUPS),
            self.list_transactions(month),
            self.month_terms(month),
        )?;
        Ok(MonthData {
            rows,
            workflows,
            transactions,
            ..terms
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
        let (overheads, commitments, discounts) = tokio::try_join!(
            self.list_overheads(month),
            self.list_commitments(month),
            self.list_discounts(),
        )?;
        Ok(MonthData {
            overheads,
            commitments,
            discounts,
            ..MonthData::default()
        })
    }

    /// A month's rollups summed over stretches of days in which no key mapping and no price card
    /// takes effect. Attribution and prices depend on the day only through those effective
    /// dates, so month-level views (showback, trends) price these rows exactly as they would
    /// the daily ones, from about a thirtieth of the rows. Each row's `day` is the first day of
    /// its stretch; views by day must read [`Store::list_rollups`].
    pub async fn list_rollups_by_stretch(&self, month: Month) -> Result<Vec<UsageRow>, StoreError> {
        let starts = self.change_days(month).await?;
        self.by_stretch(month, &starts, &ROLLUPS).await
    }

    /// The month's rows of `kept` summed over the stretches that begin on `starts` (the
    /// month's [`Store::change_days`]), with the stretch's first day as `day`. A month without
    /// change days is one stretch, which is what the monthly table keeps: its rows are read as
    /// they are. Groups that hold nothing are left out.
    pub(super) async fn by_stretch<T: FromRow>(
        &self,
        month: Month,
        starts: &[chrono::NaiveDate],
        kept: &DailyAndMonthly,
    ) -> Result<Vec<T>, StoreError> {
        let keys = kept.keys.join(", ");
        let counted = kept.counted;
        let mut args = AnyArguments::default();
        add(&mut args, month.first_day().to_string());
        if starts.is_empty() {
            let sql = format!(
                "SELECT {} AS day, {keys}, {} FROM {} WHERE month = $2 AND {counted} <> 0",
                text_param("$1"),
                kept.sums.join(", "),
                kept.monthly
            );
            add(&mut args, month.to_string());
            return self.read_rows(&sql, args).await;
        }
        // CASE WHEN day < start1 THEN first WHEN day < start2 THEN start1 ... ELSE last END
        let mut stretch = String::from("CASE");
        let mut previous = "$1".to_owned();
        for i in 0..starts.len() {
            let p = format!("${}", i + 3);
            stretch.push_str(&format!(" WHEN day < {p} THEN {}", text_param(&previous)));
            previous = p;
        }
        stretch.push_str(&format!(" ELSE {} END", text_param(&previous)));
        let sums: Vec<String> = kept
            .sums
            .iter()
            .map(|c| format!("{} AS {c}", bigint(&format!("SUM({c})"))))
            .collect();
        let sql = format!(
            "SELECT {stretch} AS day, {keys}, {} FROM {} WHERE day >= $1 AND day < $2 \
             GROUP BY 1, {keys} HAVING SUM({counted}) <> 0",
            sums.join(", "),
            kept.daily
        );
        add(&mut args, month.end_exclusive().to_string());
        for d in starts {
            add(&mut args, d.to_string());
        }
        self.read_rows(&sql, args).await
    }

    /// The rows of `sql` (a query that selects `T::COLUMNS`, by those names, in order), read
    /// as `T`s: what every month read (rollups, users, workflow groups) goes through.
    ///
    /// SQLite packs them into one JSON text ([`packed`]): its driver hands each row over from
    /// a worker thread. PostgreSQL sends its rows as they are, in its binary format (an
    /// integer is eight bytes): building the JSON text costs it a type lookup and a text
    /// conversion per value, so at a month's 58,000 daily rollup rows the packed read took
    /// 515 ms and the rows 222 ms (docs/BENCHMARKS.md). They are read through PostgreSQL's own
    /// driver and decoded from its rows in place: the `Any` driver would first copy each row,
    /// its values and its columns' names, which took a third of the server's time on a
    /// drill-down.
    ///
    /// The read and its decoding run on a task of their own, so that the reads a request
    /// makes at once (`try_join!`) decode on as many cores: joined on one task they would
    /// take turns on one.
    pub(super) async fn read_rows<T: FromRow>(
        &self,
        sql: &str,
        args: AnyArguments<'static>,
    ) -> Result<Vec<T>, StoreError> {
        let store = self.clone();
        let sql = sql.to_owned();
        super::on_own_task(async move { store.read_rows_here(&sql, args).await }).await
    }

    async fn read_rows_here<T: FromRow>(
        &self,
        sql: &str,
        args: AnyArguments<'static>,
    ) -> Result<Vec<T>, StoreError> {
        // PostgreSQL's own pool is there exactly when the database is PostgreSQL.
        let Some(pool) = &self.rows_pool else {
            return packed::fetch_all(&self.pool, sql, args).await;
        };
        let args: sqlx::postgres::PgArguments = args.convert_to().map_err(sqlx::Error::Encode)?;
        let rows = sqlx::query_with(sql, args).fetch_all(pool).await?;
        rows.iter()
            .map(|r| super::rows::Cols::pg(r).read())
            .collect()
    }

    /// Days inside the month (after its first) on which a key mapping or a price card takes
    /// effect, in order.
    pub async fn change_days(&self, month: Month) -> Result<Vec<chrono::NaiveDate>, StoreError> {
        let days: Vec<String> = sqlx::query_scalar(
            "SELECT valid_from AS d FROM key_mappings WHERE valid_from > $1 AND valid_from < $2 \
             UNION SELECT effective_from AS d FROM price_cards WHERE effective_from > $1 AND effective_from < $2 \
             UNION SELECT effective_from AS d FROM discounts WHERE effective_from > $1 AND effective_from < $2",
        )
        .bind(month.first_day().to_string())
        .bind(month.end_exclusive().to_string())
        .fetch_all(&self.pool)
        .await?;
        let mut days = days
            .iter()
            .map(|d| {
                d.parse()
                    .map_err(|_| StoreError::Corrupt(format!("d `{d}` is not a date")))
            })
            .collect::<Result<Vec<chrono::NaiveDate>, _>>()?;
        days.sort();
        days.dedup();
        Ok(days)
    }

    pub async fn list_rollups(&self, month: Month) -> Result<Vec<UsageRow>, StoreError> {
        let sql = format!(
            "SELECT {} FROM usage_rollups WHERE day >= $1 AND day < $2",
            select::<UsageRow>()
        );
        self.read_rows(&sql, month_args(month)).await
    }

    /// Users seen in the month, per day and owner dimensions, as words of bit sets: a few
    /// rows per day and dimensions, however many events the users made.
    pub async fn list_user_words(&self, month: Month) -> Result<Vec<UserWord>, StoreError> {
        let sql = format!(
            "SELECT {} FROM usage_user_words WHERE day >= $1 AND day < $2",
            select::<UserWord>()
        );
        self.read_rows(&sql, month_args(month)).await
    }

    /// The months that hold usage, newest first.
    pub async fn list_months(&self) -> Result<Vec<Month>, StoreError> {
        // Two queries, because SQLite answers a lone MIN or MAX from the key's index but scans
        // the whole table for both at once.
        let first: Option<String> = sqlx::query_scalar("SELECT MIN(day) AS d FROM usage_rollups")
            .fetch_one(&self.pool)
            .await?;
        let last: Option<String> = sqlx::query_scalar("SELECT MAX(day) AS d FROM usage_rollups")
            .fetch_one(&self.pool)
            .await?;
        let (Some(first), Some(last)) = (first, last) else {
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

/// `$1` and `$2`: the month's first day and the day after its last.
pub(super) fn month_args(month: Month) -> AnyArguments<'static> {
    let mut args = AnyArguments::default();
    add(&mut args, month.first_day().to_string());
    add(&mut args, month.end_exclusive().to_string());
    args
}

/// Which of a month's rows a read takes: those whose API key is one of `keys`, whose team tag
/// is one of `team_tags`, or whose model is one of `models`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RowsOf {
    pub keys: Vec<String>,
    pub team_tags: Vec<String>,
    pub models: Vec<String>,
}

impl From<TeamCandidates> for RowsOf {
    fn from(c: TeamCandidates) -> Self {
        Self {
            keys: c.keys,
            team_tags: c.team_tags,
            models: Vec::new(),
        }
    }
}

/// ` AND (api_key IN (..) OR team IN (..) OR model IN (..))` for `only`, its values added to
/// `args` after the `bound` parameters already there; nothing without `only`.
fn candidates_filter(
    only: Option<&RowsOf>,
    bound: usize,
    args: &mut AnyArguments<'static>,
) -> String {
    let Some(c) = only else {
        return String::new();
    };
    let mut n = bound;
    let mut parts = Vec::new();
    for (column, values) in [
        ("api_key", &c.keys),
        ("team", &c.team_tags),
        ("model", &c.models),
    ] {
        if values.is_empty() {
            continue;
        }
        let mut sql = format!("{column} IN (");
        for (i, v) in values.iter().enumerate() {
            n += 1;
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!("${n}"));
            add(args, v.clone());
        }
        sql.push(')');
        parts.push(sql);
    }
    if parts.is_empty() {
        return " AND 1 = 0".to_owned();
    }
    format!(" AND ({})", parts.join(" OR "))
}
