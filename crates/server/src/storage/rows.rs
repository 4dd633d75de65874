//! Conversions from database rows to domain types.

use chrono::NaiveDate;
use sqlx::Row;
use sqlx::any::AnyRow;
use tokentally_domain::rollup::{Dims, RollupKey, RollupTotals};
use tokentally_domain::showback::UsageRow;
use tokentally_domain::tokens::TokenCounts;

use super::StoreError;

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
