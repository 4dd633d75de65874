//! Conversions from database rows to domain types.

use std::sync::LazyLock;

use chrono::NaiveDate;
use sqlx::Row;
use sqlx::any::AnyRow;
use tokentally_domain::price_card::CONTEXT_THRESHOLDS;
use tokentally_domain::rollup::{Dims, RollupKey, RollupTotals, WorkflowGroup};
use tokentally_domain::showback::UsageRow;
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
    sums: &[
        "events",
        "requests",
        "input_tokens",
        "cached_input_tokens",
        "cache_write_tokens",
        "output_tokens",
        "reasoning_tokens",
        "standalone_successes",
    ],
    counted: "events",
};

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

pub(super) fn text(row: &AnyRow, col: &str) -> Result<String, StoreError> {
    Ok(row.try_get::<String, _>(col)?)
}

pub(super) fn opt_text(row: &AnyRow, col: &str) -> Result<Option<String>, StoreError> {
    Ok(row.try_get::<Option<String>, _>(col)?)
}

pub(super) fn int(row: &AnyRow, col: &str) -> Result<i64, StoreError> {
    Ok(row.try_get::<i64, _>(col)?)
}

pub(super) fn count(row: &AnyRow, col: &str) -> Result<u64, StoreError> {
    u64::try_from(int(row, col)?).map_err(|_| StoreError::Corrupt(format!("negative {col}")))
}

pub(super) fn day(row: &AnyRow, col: &str) -> Result<NaiveDate, StoreError> {
    let s = text(row, col)?;
    s.parse()
        .map_err(|_| StoreError::Corrupt(format!("{col} `{s}` is not a date")))
}

pub(super) fn parsed<T: std::str::FromStr>(row: &AnyRow, col: &str) -> Result<T, StoreError> {
    let s = text(row, col)?;
    s.parse()
        .map_err(|_| StoreError::Corrupt(format!("{col} `{s}` is not valid")))
}

pub(super) fn json<T: serde::de::DeserializeOwned>(
    row: &AnyRow,
    col: &str,
) -> Result<T, StoreError> {
    let s = text(row, col)?;
    serde_json::from_str(&s).map_err(|e| StoreError::Corrupt(format!("{col}: {e}")))
}

fn tokens(row: &AnyRow) -> Result<TokenCounts, StoreError> {
    // Stored sums keep the per-event invariants, so no re-validation is needed.
    Ok(TokenCounts {
        input: count(row, "input_tokens")?,
        cached_input: count(row, "cached_input_tokens")?,
        cache_write: count(row, "cache_write_tokens")?,
        output: count(row, "output_tokens")?,
        reasoning: count(row, "reasoning_tokens")?,
    })
}

pub(super) fn dims(row: &AnyRow) -> Result<Dims, StoreError> {
    Ok(Dims {
        provider: text(row, "provider")?,
        model: text(row, "model")?,
        api_key: text(row, "api_key")?,
        team: text(row, "team")?,
        feature: text(row, "feature")?,
        environment: text(row, "environment")?,
        tags: text(row, "tags")?,
    })
}

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

/// Raw events (`events e`) summed into the shape of rollup rows: select these columns and group
/// by [`EVENT_ROLLUP_GROUP`] (and any column selected before them), then read with
/// [`usage_row`]. The context band follows `price_card::context_band` per call (per request
/// for pre-aggregated rows).
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
        .join(", ")
    });
    &SELECT
}
pub(super) const EVENT_ROLLUP_GROUP: &str = "e.day, e.provider, e.model, e.api_key, e.team, e.feature, \
     e.environment, e.tags, e.service_tier, e.outcome, context_band, in_workflow";

pub(super) fn usage_row(row: &AnyRow) -> Result<UsageRow, StoreError> {
    let d = dims(row)?;
    Ok(UsageRow {
        key: RollupKey {
            day: day(row, "day")?,
            provider: d.provider,
            model: d.model,
            api_key: d.api_key,
            team: d.team,
            feature: d.feature,
            environment: d.environment,
            tags: d.tags,
            service_tier: parsed(row, "service_tier")?,
            outcome: parsed(row, "outcome")?,
            context_band: count(row, "context_band")?,
            in_workflow: int(row, "in_workflow")? != 0,
        },
        totals: RollupTotals {
            events: count(row, "events")?,
            requests: count(row, "requests")?,
            tokens: tokens(row)?,
            standalone_successes: count(row, "standalone_successes")?,
        },
    })
}

pub(super) fn workflow_group(r: &AnyRow) -> Result<WorkflowGroup, StoreError> {
    Ok(WorkflowGroup {
        day: day(r, "day")?,
        dims: dims(r)?,
        outcome: parsed(r, "outcome")?,
        workflows: count(r, "workflows")?,
        calls: count(r, "calls")?,
        first_input: count(r, "first_input")?,
        last_input: count(r, "last_input")?,
    })
}

#[cfg(test)]
mod tests {
    use sqlx::AnyPool;
    use tokentally_domain::price_card::context_band;

    use super::*;

    #[test]
    fn event_rollup_select_is_the_sql_it_replaced() {
        let before = "e.day, e.provider, e.model, e.api_key, e.team, e.feature, \
     e.environment, e.tags, e.service_tier, e.outcome, \
     CASE WHEN e.input_tokens / e.requests > 272000 THEN 272000 WHEN e.input_tokens / e.requests > 200000 THEN 200000 \
          WHEN e.input_tokens / e.requests > 128000 THEN 128000 ELSE 0 END AS context_band, \
     CASE WHEN e.workflow_id = '' THEN 0 ELSE 1 END AS in_workflow, \
     CAST(COUNT(*) AS BIGINT) AS events, CAST(SUM(e.requests) AS BIGINT) AS requests, \
     CAST(SUM(e.input_tokens) AS BIGINT) AS input_tokens, CAST(SUM(e.cached_input_tokens) AS BIGINT) AS cached_input_tokens, \
     CAST(SUM(e.cache_write_tokens) AS BIGINT) AS cache_write_tokens, CAST(SUM(e.output_tokens) AS BIGINT) AS output_tokens, \
     CAST(SUM(e.reasoning_tokens) AS BIGINT) AS reasoning_tokens, \
     CAST(SUM(CASE WHEN e.outcome = 'success' AND e.workflow_id = '' THEN e.requests ELSE 0 END) AS BIGINT) AS standalone_successes";
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
