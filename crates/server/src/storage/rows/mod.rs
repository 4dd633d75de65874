//! Rows as the database answers them, read into domain types: every row type's columns and
//! conversions are here, and the queries elsewhere select [`FromRow::COLUMNS`] and call
//! [`decode`] or [`decode_all`].
//!
//! A row is read by position, in the order of its type's `COLUMNS`: no lookup by name per
//! value on the month reads, which decode tens of thousands of rows. Debug builds check that
//! the columns a query answered are the ones the type reads.

pub(super) mod packed;
mod records;
mod usage;

use std::sync::LazyLock;

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::any::AnyRow;
use sqlx::{Any, Column, Row};
use tokentally_domain::price_card::CONTEXT_THRESHOLDS;
use tokentally_domain::rollup::Dims;
use tokentally_domain::tokens::TokenCounts;

use super::StoreError;
use super::dialect::bigint;

/// A sum kept per day and per month: its two tables, its key after the day (or month), its
/// summed columns, and the column whose zero marks a group that holds nothing.
pub(super) struct DailyAndMonthly {
    pub daily: &'static str,
    pub monthly: &'static str,
    pub keys: &'static [&'static str],
    pub sums: &'static [&'static str],
    pub counted: &'static str,
}

/// `usage_rollups` and `usage_rollups_monthly`.
pub(super) const ROLLUPS: DailyAndMonthly = DailyAndMonthly {
    daily: "usage_rollups",
    monthly: "usage_rollups_monthly",
    keys: &[
        "provider",
        "model",
        "api_key",
        "team",
        "feature",
        "environment",
        "tags",
        "service_tier",
        "outcome",
        "context_band",
        "in_workflow",
    ],
    sums: &with_extra_counts::<8, 17>([
        "events",
        "requests",
        "input_tokens",
        "cached_input_tokens",
        "cache_write_tokens",
        "output_tokens",
        "reasoning_tokens",
        "standalone_successes",
    ]),
    counted: "events",
};

/// The columns of the billable classes after the first five (migration 0016), on events and
/// rollups alike, in the order of [`extra_counts`].
pub(super) const EXTRA_COUNT_COLUMNS: [&str; 9] = [
    "cache_write_1h_tokens",
    "audio_input_tokens",
    "cached_audio_input_tokens",
    "image_input_tokens",
    "audio_output_tokens",
    "image_output_tokens",
    "web_search_queries",
    "file_search_calls",
    "code_interpreter_sessions",
];

/// `columns` followed by [`EXTRA_COUNT_COLUMNS`], at compile time: a column list that ends in
/// the billable counts names them from the one list. `N` is the length of the result.
pub(super) const fn with_extra_counts<const B: usize, const N: usize>(
    columns: [&'static str; B],
) -> [&'static str; N] {
    assert!(
        B + EXTRA_COUNT_COLUMNS.len() == N,
        "N is B plus the nine counts"
    );
    let mut out = [""; N];
    let mut i = 0;
    while i < N {
        out[i] = if i < B {
            columns[i]
        } else {
            EXTRA_COUNT_COLUMNS[i - B]
        };
        i += 1;
    }
    out
}

/// `t`'s counts for [`EXTRA_COUNT_COLUMNS`].
pub(super) fn extra_counts(t: &TokenCounts) -> [u64; 9] {
    [
        t.cache_write_1h,
        t.audio_input,
        t.cached_audio_input,
        t.image_input,
        t.audio_output,
        t.image_output,
        t.web_search,
        t.file_search,
        t.code_interpreter,
    ]
}

/// `workflow_groups` and `workflow_groups_monthly`.
pub(super) const WORKFLOW_GROUPS: DailyAndMonthly = DailyAndMonthly {
    daily: "workflow_groups",
    monthly: "workflow_groups_monthly",
    keys: &[
        "provider",
        "model",
        "api_key",
        "team",
        "feature",
        "environment",
        "tags",
        "outcome",
    ],
    sums: &["workflows", "calls", "first_input", "last_input"],
    counted: "workflows",
};

/// A type read from a row: its columns, in the order queries select them, and how they read.
pub(super) trait FromRow: Sized + Send + 'static {
    const COLUMNS: &'static [&'static str];
    fn read(c: &mut Cols<'_>) -> Result<Self, StoreError>;
}

/// `T`'s columns as a select list.
pub(super) fn select<T: FromRow>() -> String {
    T::COLUMNS.join(", ")
}

/// A row whose first columns are `T`'s.
pub(super) fn decode<T: FromRow>(row: &AnyRow) -> Result<T, StoreError> {
    Cols::new(row).read()
}

pub(super) fn decode_all<T: FromRow>(rows: &[AnyRow]) -> Result<Vec<T>, StoreError> {
    rows.iter().map(decode).collect()
}

/// Rows a user sets (price cards, overheads, commitments, budgets), leaving out any that the
/// domain's checks refuse today: a value stored before its bound existed (a 1e20 rate, a 1e28
/// overhead) would overflow the month's arithmetic, and a read must not fail because of what
/// is stored. Each one left out is logged; storing a valid one in its place corrects it.
pub(super) fn decode_valid<T: FromRow + std::fmt::Debug, E: std::fmt::Display>(
    rows: &[AnyRow],
    what: &str,
    check: impl Fn(&T) -> Result<(), E>,
) -> Result<Vec<T>, StoreError> {
    let all: Vec<T> = decode_all(rows)?;
    Ok(all
        .into_iter()
        .filter(|item| match check(item) {
            Ok(()) => true,
            Err(e) => {
                tracing::warn!(?item, reason = %e, "a stored {what} is out of bounds and left out");
                false
            }
        })
        .collect())
}

/// The columns of one row, read in order: a row as the driver answers it, or one row of a
/// packed answer (see [`packed`]).
pub(super) struct Cols<'r> {
    row: Source<'r>,
    at: usize,
}

enum Source<'r> {
    Row(&'r AnyRow),
    /// A row as PostgreSQL's own driver answers it (the month reads).
    Pg(&'r sqlx::postgres::PgRow),
    /// One row of a packed answer, with the names of the columns it holds.
    Packed(&'r [packed::Cell<'r>], &'static [&'static str]),
}

impl<'r> Cols<'r> {
    pub(super) fn new(row: &'r AnyRow) -> Self {
        Self {
            row: Source::Row(row),
            at: 0,
        }
    }

    pub(super) fn pg(row: &'r sqlx::postgres::PgRow) -> Self {
        Self {
            row: Source::Pg(row),
            at: 0,
        }
    }

    /// The next columns, as a `T`.
    pub(super) fn read<T: FromRow>(&mut self) -> Result<T, StoreError> {
        if cfg!(debug_assertions) {
            let names: Option<Vec<&str>> = match self.row {
                Source::Row(row) => Some(row.columns().iter().map(|c| c.name()).collect()),
                Source::Pg(row) => Some(row.columns().iter().map(|c| c.name()).collect()),
                Source::Packed(..) => None,
            };
            if let Some(names) = names {
                debug_assert!(
                    names
                        .iter()
                        .skip(self.at)
                        .take(T::COLUMNS.len())
                        .eq(T::COLUMNS.iter()),
                    "the query answered {names:?} where {} reads {:?}",
                    std::any::type_name::<T>(),
                    T::COLUMNS,
                );
            }
        }
        T::read(self)
    }

    fn next<T>(&mut self) -> Result<T, StoreError>
    where
        T: sqlx::Decode<'r, Any>
            + sqlx::Type<Any>
            + sqlx::Decode<'r, sqlx::Postgres>
            + sqlx::Type<sqlx::Postgres>
            + packed::FromCell,
    {
        let value = match self.row {
            Source::Row(row) => row.try_get(self.at)?,
            // The month reads' SQL is ours and `read` checks its columns in debug builds;
            // checking each value's type again cost a tenth of a drill-down.
            Source::Pg(row) => row.try_get_unchecked(self.at)?,
            Source::Packed(cells, names) => {
                let name = names.get(self.at).copied().unwrap_or("?");
                let cell = cells.get(self.at).ok_or_else(|| {
                    StoreError::Corrupt(format!("a packed row has no column {name}"))
                })?;
                T::from_cell(cell).ok_or_else(|| {
                    StoreError::Corrupt(format!("{name}: unexpected value {cell:?}"))
                })?
            }
        };
        self.at += 1;
        Ok(value)
    }

    /// The name of the column read last, for messages.
    fn last(&self) -> &str {
        let at = self.at.wrapping_sub(1);
        match self.row {
            Source::Row(row) => row.columns().get(at).map_or("?", |c| c.name()),
            Source::Pg(row) => row.columns().get(at).map_or("?", |c| c.name()),
            Source::Packed(_, names) => names.get(at).copied().unwrap_or("?"),
        }
    }

    pub(super) fn text(&mut self) -> Result<String, StoreError> {
        self.next()
    }

    pub(super) fn opt_text(&mut self) -> Result<Option<String>, StoreError> {
        self.next()
    }

    pub(super) fn int(&mut self) -> Result<i64, StoreError> {
        self.next()
    }

    pub(super) fn opt_int(&mut self) -> Result<Option<i64>, StoreError> {
        self.next()
    }

    pub(super) fn count(&mut self) -> Result<u64, StoreError> {
        let n = self.int()?;
        u64::try_from(n).map_err(|_| StoreError::Corrupt(format!("negative {}", self.last())))
    }

    pub(super) fn day(&mut self) -> Result<NaiveDate, StoreError> {
        let s = self.text()?;
        s.parse()
            .map_err(|_| StoreError::Corrupt(format!("{} `{s}` is not a date", self.last())))
    }

    pub(super) fn parsed<T: std::str::FromStr>(&mut self) -> Result<T, StoreError> {
        let s = self.text()?;
        s.parse()
            .map_err(|_| StoreError::Corrupt(format!("{} `{s}` is not valid", self.last())))
    }

    pub(super) fn json<T: serde::de::DeserializeOwned>(&mut self) -> Result<T, StoreError> {
        let s = self.text()?;
        json_of(self.last(), &s)
    }

    fn instant(&mut self) -> Result<DateTime<Utc>, StoreError> {
        let ms = self.int()?;
        DateTime::from_timestamp_millis(ms)
            .ok_or_else(|| StoreError::Corrupt(format!("{} {ms}", self.last())))
    }

    fn dims(&mut self) -> Result<Dims, StoreError> {
        Ok(Dims {
            provider: self.text()?,
            model: self.text()?,
            api_key: self.text()?,
            team: self.text()?,
            feature: self.text()?,
            environment: self.text()?,
            tags: self.text()?,
        })
    }

    pub(super) fn tokens(&mut self) -> Result<TokenCounts, StoreError> {
        // Stored sums keep the per-event invariants, so no re-validation is needed.
        Ok(TokenCounts {
            input: self.count()?,
            cached_input: self.count()?,
            cache_write: self.count()?,
            output: self.count()?,
            reasoning: self.count()?,
            ..TokenCounts::default()
        })
    }

    /// The [`EXTRA_COUNT_COLUMNS`] into `t`.
    pub(super) fn extra_counts(&mut self, t: &mut TokenCounts) -> Result<(), StoreError> {
        t.cache_write_1h = self.count()?;
        t.audio_input = self.count()?;
        t.cached_audio_input = self.count()?;
        t.image_input = self.count()?;
        t.audio_output = self.count()?;
        t.image_output = self.count()?;
        t.web_search = self.count()?;
        t.file_search = self.count()?;
        t.code_interpreter = self.count()?;
        Ok(())
    }
}

/// JSON text of column `col`.
pub(super) fn json_of<T: serde::de::DeserializeOwned>(col: &str, s: &str) -> Result<T, StoreError> {
    serde_json::from_str(s).map_err(|e| StoreError::Corrupt(format!("{col}: {e}")))
}

pub(super) use records::{Alias, Invoice, StatementMode};

/// `price_card::context_band` in SQL: the largest of the domain's
/// [`CONTEXT_THRESHOLDS`] that `input` exceeds, else 0, as
/// `CASE WHEN input > 272000 THEN 272000 WHEN … ELSE 0 END`.
pub(super) fn context_band_sql(input: &str) -> String {
    let mut sql = String::from("CASE");
    for t in CONTEXT_THRESHOLDS.iter().rev() {
        sql.push_str(&format!(" WHEN {input} > {t} THEN {t}"));
    }
    sql.push_str(" ELSE 0 END");
    sql
}

/// Raw events (`events e`) summed into the shape of rollup rows: select these columns first,
/// then any of the query's own, group by [`EVENT_ROLLUP_GROUP`] and those, and read a
/// [`UsageRow`] followed by the query's own columns. The context band follows
/// `price_card::context_band` per call (per request for pre-aggregated rows).
pub(super) fn event_rollup_select() -> &'static str {
    static SELECT: LazyLock<String> = LazyLock::new(|| {
        let sum = |expr: &str, name: &str| format!("{} AS {name}", bigint(&format!("SUM({expr})")));
        [
            "e.day, e.provider, e.model, e.api_key, e.team, e.feature, e.environment, e.tags, \
             e.service_tier, e.outcome"
                .to_owned(),
            format!(
                "{} AS context_band",
                context_band_sql("e.input_tokens / e.requests")
            ),
            "CASE WHEN e.workflow_id = '' THEN 0 ELSE 1 END AS in_workflow".to_owned(),
            format!("{} AS events", bigint("COUNT(*)")),
            sum("e.requests", "requests"),
            sum("e.input_tokens", "input_tokens"),
            sum("e.cached_input_tokens", "cached_input_tokens"),
            sum("e.cache_write_tokens", "cache_write_tokens"),
            sum("e.output_tokens", "output_tokens"),
            sum("e.reasoning_tokens", "reasoning_tokens"),
            sum(
                "CASE WHEN e.outcome = 'success' AND e.workflow_id = '' THEN e.requests ELSE 0 END",
                "standalone_successes",
            ),
        ]
        .into_iter()
        .chain(
            EXTRA_COUNT_COLUMNS
                .iter()
                .map(|c| sum(&format!("e.{c}"), c)),
        )
        .collect::<Vec<_>>()
        .join(", ")
    });
    &SELECT
}

/// The grouping of [`event_rollup_select`].
pub(super) const EVENT_ROLLUP_GROUP: &str = "e.day, e.provider, e.model, e.api_key, e.team, e.feature, \
     e.environment, e.tags, e.service_tier, e.outcome, context_band, in_workflow";

#[cfg(test)]
mod tests {
    use sqlx::AnyPool;
    use tokentally_domain::price_card::context_band;
    use tokentally_domain::rollup::WorkflowGroup;
    use tokentally_domain::showback::UsageRow;

    use super::*;

    fn kept_columns(kept: &DailyAndMonthly) -> Vec<&'static str> {
        std::iter::once("day")
            .chain(kept.keys.iter().copied())
            .chain(kept.sums.iter().copied())
            .collect()
    }

    #[test]
    fn rollups_and_workflow_groups_are_read_in_the_order_they_are_kept() {
        assert_eq!(UsageRow::COLUMNS, kept_columns(&ROLLUPS));
        assert_eq!(WorkflowGroup::COLUMNS, kept_columns(&WORKFLOW_GROUPS));
    }

    #[test]
    fn event_rollups_answer_the_columns_of_a_usage_row() {
        let names: Vec<&str> = event_rollup_select()
            .split(", ")
            .filter_map(|c| c.rsplit([' ', '.']).next())
            .filter(|c| !c.is_empty())
            .collect();
        assert_eq!(names, UsageRow::COLUMNS);
    }

    #[test]
    fn event_rollup_select_is_the_sql_it_replaced() {
        let before = "e.day, e.provider, e.model, e.api_key, e.team, e.feature, \
     e.environment, e.tags, e.service_tier, e.outcome, \
     CASE WHEN e.input_tokens / e.requests > 512000 THEN 512000 \
          WHEN e.input_tokens / e.requests > 272000 THEN 272000 WHEN e.input_tokens / e.requests > 200000 THEN 200000 \
          WHEN e.input_tokens / e.requests > 128000 THEN 128000 WHEN e.input_tokens / e.requests > 100000 THEN 100000 \
          ELSE 0 END AS context_band, \
     CASE WHEN e.workflow_id = '' THEN 0 ELSE 1 END AS in_workflow, \
     CAST(COUNT(*) AS BIGINT) AS events, CAST(SUM(e.requests) AS BIGINT) AS requests, \
     CAST(SUM(e.input_tokens) AS BIGINT) AS input_tokens, CAST(SUM(e.cached_input_tokens) AS BIGINT) AS cached_input_tokens, \
     CAST(SUM(e.cache_write_tokens) AS BIGINT) AS cache_write_tokens, CAST(SUM(e.output_tokens) AS BIGINT) AS output_tokens, \
     CAST(SUM(e.reasoning_tokens) AS BIGINT) AS reasoning_tokens, \
     CAST(SUM(CASE WHEN e.outcome = 'success' AND e.workflow_id = '' THEN e.requests ELSE 0 END) AS BIGINT) AS standalone_successes, \
     CAST(SUM(e.cache_write_1h_tokens) AS BIGINT) AS cache_write_1h_tokens, \
     CAST(SUM(e.audio_input_tokens) AS BIGINT) AS audio_input_tokens, \
     CAST(SUM(e.cached_audio_input_tokens) AS BIGINT) AS cached_audio_input_tokens, \
     CAST(SUM(e.image_input_tokens) AS BIGINT) AS image_input_tokens, \
     CAST(SUM(e.audio_output_tokens) AS BIGINT) AS audio_output_tokens, \
     CAST(SUM(e.image_output_tokens) AS BIGINT) AS image_output_tokens, \
     CAST(SUM(e.web_search_queries) AS BIGINT) AS web_search_queries, \
     CAST(SUM(e.file_search_calls) AS BIGINT) AS file_search_calls, \
     CAST(SUM(e.code_interpreter_sessions) AS BIGINT) AS code_interpreter_sessions";
        let words = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
        assert_eq!(words(event_rollup_select()), words(before));
    }

    #[tokio::test]
    async fn context_band_sql_bands_as_the_domain_does() {
        sqlx::any::install_default_drivers();
        let pool = AnyPool::connect("sqlite::memory:").await.expect("SQLite");
        let sql = format!(
            "SELECT CAST({} AS BIGINT) AS band",
            context_band_sql("CAST($1 AS BIGINT)")
        );
        let mut inputs = vec![0_u64, 1, 1_000_000];
        for t in CONTEXT_THRESHOLDS {
            inputs.extend([t - 1, t, t + 1]);
        }
        for input in inputs {
            let band: i64 = sqlx::query_scalar(&sql)
                .bind(i64::try_from(input).expect("small"))
                .fetch_one(&pool)
                .await
                .expect("the band");
            assert_eq!(
                band,
                i64::try_from(context_band(input)).expect("small"),
                "{input}"
            );
        }
    }
}
