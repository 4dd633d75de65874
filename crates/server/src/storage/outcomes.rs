//! Late outcomes of single calls: a stored event's outcome changed after the fact (an
//! evaluation, an accepted answer, a resolved ticket), its rollups moved with it.
//!
//! The event's tokens leave the rollup rows of its old outcome (daily and monthly) and join
//! those of the new one, in one transaction with the event's own row and the report, so that
//! every read after the commit sees the new outcome and none sees half of it. Costs do not
//! change (an outcome prices nothing), only what counts as a success. Issued statements are
//! frozen snapshots and never read rollups again.

use sqlx::{Any, Row, Transaction};
use tokentally_domain::event::{Outcome, ServiceTier};
use tokentally_domain::month::Month;
use tokentally_domain::price_card::context_band;
use tokentally_domain::rollup::RollupKey;

use super::rows::{EXTRA_COUNT_COLUMNS, ROLLUPS};
use super::{Store, StoreError, now_ms};

/// One call's outcome as a client reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportedOutcome {
    pub source: String,
    pub id: String,
    pub outcome: Outcome,
}

/// Why a report cannot be taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutcomeRefusal {
    /// No stored event has this source and id (never sent, or pruned).
    Unknown,
    /// The call belongs to this workflow, whose outcome is reported as the workflow's.
    InWorkflow(String),
}

/// What one report changed: the call's outcome before and after.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutcomeChange {
    pub source: String,
    pub id: String,
    pub before: Outcome,
    pub after: Outcome,
}

/// What a request of reports did: the changes, or every refusal by index (nothing written).
pub type OutcomesSet = Result<Vec<OutcomeChange>, Vec<(usize, OutcomeRefusal)>>;

/// A stored call as its rollups hold it.
struct StoredCall {
    key: RollupKey,
    requests: i64,
    tokens: [i64; 5],
    /// The billable classes after the first five, in the order of [`EXTRA_COUNT_COLUMNS`]
    /// (rollup sums list them after `standalone_successes`).
    extra: [i64; 9],
}

fn select_call() -> String {
    format!(
        "SELECT day, provider, model, api_key, team, feature, environment, tags, \
         service_tier, outcome, workflow_id, requests, input_tokens, cached_input_tokens, \
         cache_write_tokens, output_tokens, reasoning_tokens, {} \
         FROM events WHERE source = $1 AND event_id = $2",
        EXTRA_COUNT_COLUMNS.join(", ")
    )
}

fn corrupt(what: &str, value: &str) -> StoreError {
    StoreError::Corrupt(format!("event {what} `{value}`"))
}

async fn stored_call(
    tx: &mut Transaction<'static, Any>,
    r: &ReportedOutcome,
) -> Result<Option<(StoredCall, String)>, StoreError> {
    let Some(row) = sqlx::query(&select_call())
        .bind(r.source.clone())
        .bind(r.id.clone())
        .fetch_optional(&mut **tx)
        .await?
    else {
        return Ok(None);
    };
    let text = |c: &str| -> Result<String, StoreError> { Ok(row.try_get::<String, _>(c)?) };
    let int = |c: &str| -> Result<i64, StoreError> { Ok(row.try_get::<i64, _>(c)?) };
    let day = text("day")?;
    let tier = text("service_tier")?;
    let outcome = text("outcome")?;
    let workflow: Option<String> = row.try_get("workflow_id")?;
    let workflow = workflow.unwrap_or_default();
    let requests = int("requests")?;
    let input = int("input_tokens")?;
    let key = RollupKey {
        day: day.parse().map_err(|_| corrupt("day", &day))?,
        provider: text("provider")?,
        model: text("model")?,
        api_key: text("api_key")?,
        team: text("team")?,
        feature: text("feature")?,
        environment: text("environment")?,
        tags: text("tags")?,
        service_tier: tier
            .parse::<ServiceTier>()
            .map_err(|_| corrupt("tier", &tier))?,
        outcome: outcome
            .parse::<Outcome>()
            .map_err(|_| corrupt("outcome", &outcome))?,
        context_band: context_band(
            u64::try_from(input).unwrap_or(0) / u64::try_from(requests.max(1)).unwrap_or(1),
        ),
        in_workflow: !workflow.is_empty(),
    };
    let mut call = StoredCall {
        key,
        requests,
        tokens: [
            input,
            int("cached_input_tokens")?,
            int("cache_write_tokens")?,
            int("output_tokens")?,
            int("reasoning_tokens")?,
        ],
        extra: [0; 9],
    };
    for (slot, column) in call.extra.iter_mut().zip(EXTRA_COUNT_COLUMNS) {
        *slot = int(column)?;
    }
    Ok(Some((call, workflow)))
}

/// Adds (`sign` 1) or takes away (`sign` -1) one call in the daily and monthly rollup rows of
/// `key`; a row left with no event is deleted.
async fn move_call(
    tx: &mut Transaction<'static, Any>,
    key: &RollupKey,
    call: &StoredCall,
    sign: i64,
) -> Result<(), StoreError> {
    let successes = if key.outcome == Outcome::Success && !key.in_workflow {
        call.requests
    } else {
        0
    };
    let sums: Vec<i64> = [1, call.requests]
        .into_iter()
        .chain(call.tokens)
        .chain([successes])
        .chain(call.extra)
        .map(|v| v * sign)
        .collect();
    for (table, period_column, period) in [
        (ROLLUPS.daily, "day", key.day.to_string()),
        (ROLLUPS.monthly, "month", Month::of(key.day).to_string()),
    ] {
        let keys: Vec<&str> = std::iter::once(period_column)
            .chain(ROLLUPS.keys.iter().copied())
            .collect();
        let columns: Vec<&str> = keys.iter().chain(ROLLUPS.sums).copied().collect();
        let placeholders: Vec<String> = (1..=columns.len()).map(|i| format!("${i}")).collect();
        let updates: Vec<String> = ROLLUPS
            .sums
            .iter()
            .map(|c| format!("{c} = {table}.{c} + excluded.{c}"))
            .collect();
        let sql = format!(
            "INSERT INTO {table} ({}) VALUES ({}) ON CONFLICT ({}) DO UPDATE SET {}",
            columns.join(", "),
            placeholders.join(", "),
            keys.join(", "),
            updates.join(", ")
        );
        let mut q = sqlx::query(&sql)
            .bind(period.clone())
            .bind(key.provider.clone())
            .bind(key.model.clone())
            .bind(key.api_key.clone())
            .bind(key.team.clone())
            .bind(key.feature.clone())
            .bind(key.environment.clone())
            .bind(key.tags.clone())
            .bind(key.service_tier.as_str().to_owned())
            .bind(key.outcome.as_str().to_owned())
            .bind(i64::try_from(key.context_band).unwrap_or(i64::MAX))
            .bind(i64::from(key.in_workflow));
        for s in &sums {
            q = q.bind(*s);
        }
        q.execute(&mut **tx).await?;
        if sign < 0 {
            let conditions: Vec<String> = keys
                .iter()
                .enumerate()
                .map(|(i, k)| format!("{k} = ${}", i + 1))
                .collect();
            let sql = format!(
                "DELETE FROM {table} WHERE {} AND {} = 0",
                conditions.join(" AND "),
                ROLLUPS.counted
            );
            sqlx::query(&sql)
                .bind(period.clone())
                .bind(key.provider.clone())
                .bind(key.model.clone())
                .bind(key.api_key.clone())
                .bind(key.team.clone())
                .bind(key.feature.clone())
                .bind(key.environment.clone())
                .bind(key.tags.clone())
                .bind(key.service_tier.as_str().to_owned())
                .bind(key.outcome.as_str().to_owned())
                .bind(i64::try_from(key.context_band).unwrap_or(i64::MAX))
                .bind(i64::from(key.in_workflow))
                .execute(&mut **tx)
                .await?;
        }
    }
    Ok(())
}

impl Store {
    /// Sets the outcomes of stored calls, all or none: when any report names a call that is
    /// not stored or belongs to a workflow, nothing is written and the refusals are answered
    /// by index. A report that repeats the call's outcome changes nothing (a resent batch is
    /// harmless); the others move the call's rollups, set its outcome and record the report.
    pub async fn set_call_outcomes(
        &self,
        reports: &[ReportedOutcome],
        actor: &str,
    ) -> Result<OutcomesSet, StoreError> {
        let _guard = self.write_guard().await;
        let mut tx = self.pool.begin().await?;
        let mut calls = Vec::with_capacity(reports.len());
        let mut refused = Vec::new();
        for (i, r) in reports.iter().enumerate() {
            match stored_call(&mut tx, r).await? {
                None => refused.push((i, OutcomeRefusal::Unknown)),
                Some((_, workflow)) if !workflow.is_empty() => {
                    refused.push((i, OutcomeRefusal::InWorkflow(workflow)))
                }
                Some((call, _)) => calls.push(call),
            }
        }
        if !refused.is_empty() {
            tx.rollback().await?;
            return Ok(Err(refused));
        }
        let now = now_ms();
        let mut changes = Vec::new();
        for (r, call) in reports.iter().zip(calls) {
            let before = call.key.outcome;
            if before == r.outcome {
                continue;
            }
            move_call(&mut tx, &call.key, &call, -1).await?;
            let after = RollupKey {
                outcome: r.outcome,
                ..call.key.clone()
            };
            move_call(&mut tx, &after, &call, 1).await?;
            sqlx::query("UPDATE events SET outcome = $1 WHERE source = $2 AND event_id = $3")
                .bind(r.outcome.as_str().to_owned())
                .bind(r.source.clone())
                .bind(r.id.clone())
                .execute(&mut *tx)
                .await?;
            // The outcome the call reported itself is kept from the first late report.
            sqlx::query(
                "INSERT INTO call_outcomes (source, event_id, outcome, call_outcome, reported_ms, actor) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (source, event_id) DO UPDATE SET \
                 outcome = excluded.outcome, reported_ms = excluded.reported_ms, actor = excluded.actor",
            )
            .bind(r.source.clone())
            .bind(r.id.clone())
            .bind(r.outcome.as_str().to_owned())
            .bind(before.as_str().to_owned())
            .bind(now)
            .bind(actor.to_owned())
            .execute(&mut *tx)
            .await?;
            changes.push(OutcomeChange {
                source: r.source.clone(),
                id: r.id.clone(),
                before,
                after: r.outcome,
            });
        }
        if !changes.is_empty() {
            super::data_version::bump_in(&mut tx).await?;
        }
        tx.commit().await?;
        Ok(Ok(changes))
    }
}

impl Store {
    /// Usage of `month` whose outcome was reported after the call (`POST /api/v1/outcomes`),
    /// summed like rollups under the outcome reported. Bounded by the outcomes reported, not
    /// by the month's events: the join starts from `call_outcomes`.
    pub async fn late_outcome_usage(
        &self,
        month: tokentally_domain::month::Month,
    ) -> Result<Vec<tokentally_domain::showback::UsageRow>, StoreError> {
        let sql = format!(
            "SELECT {} FROM call_outcomes c \
             JOIN events e ON e.source = c.source AND e.event_id = c.event_id \
             WHERE e.day >= $1 AND e.day < $2 GROUP BY {}",
            super::rows::event_rollup_select(),
            super::rows::EVENT_ROLLUP_GROUP,
        );
        let rows = sqlx::query(&sql)
            .bind(month.first_day().to_string())
            .bind(month.end_exclusive().to_string())
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| super::rows::Cols::new(r).read())
            .collect()
    }
}
