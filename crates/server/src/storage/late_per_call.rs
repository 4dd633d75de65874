//! Per-call events that arrive after a pull stored their day for good.
//!
//! A pull keeps of each provider bucket only what the other sources had not stored yet
//! ([`topup::remainder`]), and each run fetches the last [`SETTLE_DAYS`] before its cursor
//! again, so per-call events that arrive within those days are taken into account by the next
//! run. A day before those is never fetched again: per-call events that arrive for it later
//! (a gateway's backlog, an SDK that was offline) would be counted twice, once in the bucket
//! and once on their own. So ingest takes them out of the bucket, in the batch's transaction,
//! by the same rule the pull applies (same key first, then the remaining rows of the same
//! day, model and tier): the per-call event stays whole (it names the team, the feature, the
//! user), the bucket keeps the rest and never goes below zero.
//!
//! Only events stored now are taken out, so a re-sent event changes nothing. Days of a
//! closed month are left alone: late usage of a closed month is carried whole into the next
//! open month's statements, and a closed month's statements must not move.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use sqlx::any::AnyArguments;
use sqlx::{Any, Arguments, Transaction};
use tokentally_domain::event::{Outcome, UsageEvent};
use tokentally_domain::month::Month;
use tokentally_domain::rollup;
use tokentally_domain::showback::UsageRow;

use super::pulled_days::{change_rollups, drop_empty_rollups};
use super::rows::{
    Cols, EXTRA_COUNT_COLUMNS, FromRow, decode_all, extra_counts, with_extra_counts,
};
use super::topup::{self, PULLED_PREFIX, SETTLE_DAYS};
use super::{Backend, StoreError};

/// A pulled event as far as taking from it goes.
struct PulledCall(UsageEvent);

impl FromRow for PulledCall {
    const COLUMNS: &'static [&'static str] = &with_extra_counts::<13, 22>([
        "source",
        "event_id",
        "ts_ms",
        "provider",
        "model",
        "api_key",
        "service_tier",
        "requests",
        "input_tokens",
        "cached_input_tokens",
        "cache_write_tokens",
        "output_tokens",
        "reasoning_tokens",
    ]);

    fn read(c: &mut Cols<'_>) -> Result<Self, StoreError> {
        let source = c.text()?;
        let id = c.text()?;
        let ms = c.int()?;
        let timestamp = chrono::DateTime::from_timestamp_millis(ms)
            .ok_or_else(|| StoreError::Corrupt(format!("ts_ms {ms}")))?;
        let provider = c.text()?;
        let model = c.text()?;
        let api_key = Some(c.text()?).filter(|k| !k.is_empty());
        let service_tier = c.parsed()?;
        let requests = c.count()?;
        let mut tokens = c.tokens()?;
        c.extra_counts(&mut tokens)?;
        Ok(PulledCall(UsageEvent {
            id,
            source,
            timestamp,
            provider,
            model,
            api_key,
            team: None,
            feature: None,
            environment: None,
            user: None,
            customer: None,
            tags: BTreeMap::new(),
            tokens,
            requests,
            service_tier,
            outcome: Outcome::default(),
            workflow_id: None,
            latency_ms: None,
            reported_cost: None,
        }))
    }
}

/// The connections that pulled a provider's day for good, and the per-call events of it.
type Settled<'a> = (Vec<i64>, Vec<&'a UsageEvent>);

/// The hook of ingest: takes the per-call events of `stored` (the events this transaction
/// stored, not those already there) out of the pulled buckets of days pulled for good.
pub(super) async fn take_from_pulled(
    tx: &mut Transaction<'static, Any>,
    backend: Backend,
    stored: &[&UsageEvent],
    closed: &BTreeSet<Month>,
) -> Result<(), StoreError> {
    let per_call: Vec<&UsageEvent> = stored
        .iter()
        .copied()
        .filter(|e| {
            !e.source.starts_with(PULLED_PREFIX)
                && !closed.contains(&Month::of(e.timestamp.date_naive()))
        })
        .collect();
    if per_call.is_empty() {
        return Ok(());
    }
    let connections: Vec<(i64, String, String)> =
        sqlx::query_as("SELECT id, provider, cursor_day FROM connections")
            .fetch_all(&mut **tx)
            .await?;
    // Per provider and day, the connections that pulled it for good.
    let mut settled: BTreeMap<(&str, NaiveDate), Settled<'_>> = BTreeMap::new();
    for e in per_call {
        let day = e.timestamp.date_naive();
        let ids: Vec<i64> = connections
            .iter()
            .filter(|(_, provider, cursor)| {
                *provider == e.provider
                    && cursor
                        .parse::<NaiveDate>()
                        .is_ok_and(|cursor| day < cursor - chrono::Duration::days(SETTLE_DAYS))
            })
            .map(|(id, _, _)| *id)
            .collect();
        if !ids.is_empty() {
            settled
                .entry((e.provider.as_str(), day))
                .or_insert_with(|| (ids, Vec::new()))
                .1
                .push(e);
        }
    }
    for ((provider, day), (ids, events)) in settled {
        let arrived: Vec<UsageRow> = rollup::fold(events)
            .into_iter()
            .map(|(key, totals)| UsageRow { key, totals })
            .collect();
        take_on_day(tx, backend, provider, day, &ids, &arrived).await?;
    }
    Ok(())
}

/// `source IN ($first, ..)` for the connections `ids`, the parameters from `first` on.
fn sources_in(provider: &str, ids: &[i64], first: usize) -> (String, Vec<String>) {
    let mut sql = String::from("e.source IN (");
    let mut sources = Vec::with_capacity(ids.len());
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            sql.push_str(", ");
        }
        sql.push_str(&format!("${}", first + i));
        sources.push(format!("{PULLED_PREFIX}{provider}:{id}"));
    }
    sql.push(')');
    (sql, sources)
}

/// The pulled events of the connections `ids` on `day`, as rollup rows or as calls (`tail`
/// ends the query: a grouping, an order).
async fn pulled_on_day<T: FromRow>(
    tx: &mut Transaction<'static, Any>,
    what: &str,
    provider: &str,
    day: NaiveDate,
    ids: &[i64],
    tail: &str,
) -> Result<Vec<T>, StoreError> {
    let (sources, names) = sources_in(provider, ids, 2);
    let sql = format!("SELECT {what} FROM events e WHERE e.day = $1 AND {sources}{tail}");
    let mut args = AnyArguments::default();
    let _ = args.add(day.to_string());
    for n in names {
        let _ = args.add(n);
    }
    let rows = sqlx::query_with(&sql, args).fetch_all(&mut **tx).await?;
    decode_all(&rows)
}

async fn take_on_day(
    tx: &mut Transaction<'static, Any>,
    backend: Backend,
    provider: &str,
    day: NaiveDate,
    ids: &[i64],
    arrived: &[UsageRow],
) -> Result<(), StoreError> {
    let columns: Vec<String> = PulledCall::COLUMNS
        .iter()
        .map(|c| format!("e.{c}"))
        .collect();
    // Locked on PostgreSQL, where batches commit side by side: a second batch of the same
    // day waits here and then reads the rows as the first left them, so neither's taking is
    // lost and the rollups follow the rows.
    let lock = match backend {
        Backend::Postgres => " FOR UPDATE",
        Backend::Sqlite => "",
    };
    let order = format!(" ORDER BY e.source, e.event_id{lock}");
    let calls: Vec<PulledCall> =
        pulled_on_day(tx, &columns.join(", "), provider, day, ids, &order).await?;
    if calls.is_empty() {
        return Ok(());
    }
    let before: Vec<UsageEvent> = calls.into_iter().map(|c| c.0).collect();
    let after: BTreeMap<(String, String), UsageEvent> = topup::remainder(before.clone(), arrived)
        .into_iter()
        .map(|e| ((e.source.clone(), e.id.clone()), e))
        .collect();
    let changed: Vec<(&UsageEvent, Option<&UsageEvent>)> = before
        .iter()
        .map(|b| (b, after.get(&(b.source.clone(), b.id.clone()))))
        .filter(|(b, a)| a.is_none_or(|a| a.tokens != b.tokens || a.requests != b.requests))
        .collect();
    if changed.is_empty() {
        return Ok(());
    }
    let group = format!(" GROUP BY {}", super::rows::EVENT_ROLLUP_GROUP);
    let select = super::rows::event_rollup_select();
    let old: Vec<UsageRow> = pulled_on_day(tx, select, provider, day, ids, &group).await?;
    let mut emptied: BTreeMap<&str, i64> = BTreeMap::new();
    for (b, a) in &changed {
        match a {
            Some(a) => update_counts(tx, a).await?,
            None => {
                sqlx::query("DELETE FROM events WHERE source = $1 AND event_id = $2")
                    .bind(b.source.clone())
                    .bind(b.id.clone())
                    .execute(&mut **tx)
                    .await?;
                *emptied.entry(b.source.as_str()).or_default() += 1;
            }
        }
    }
    let new: Vec<UsageRow> = pulled_on_day(tx, select, provider, day, ids, &group).await?;
    change_rollups(tx, backend, old, true).await?;
    change_rollups(tx, backend, new, false).await?;
    drop_empty_rollups(tx, day, day).await?;
    for (source, n) in emptied {
        sqlx::query("UPDATE connections SET rows_pulled = rows_pulled - $1 WHERE id = $2")
            .bind(n)
            .bind(
                source
                    .rsplit(':')
                    .next()
                    .and_then(|id| id.parse::<i64>().ok()),
            )
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Writes a pulled event's requests and token counts as `e` holds them now.
async fn update_counts(
    tx: &mut Transaction<'static, Any>,
    e: &UsageEvent,
) -> Result<(), StoreError> {
    let counts = [
        ("requests", e.requests),
        ("input_tokens", e.tokens.input),
        ("cached_input_tokens", e.tokens.cached_input),
        ("cache_write_tokens", e.tokens.cache_write),
        ("output_tokens", e.tokens.output),
        ("reasoning_tokens", e.tokens.reasoning),
    ]
    .into_iter()
    .chain(EXTRA_COUNT_COLUMNS.into_iter().zip(extra_counts(&e.tokens)));
    let mut sets = Vec::new();
    let mut args = AnyArguments::default();
    for (i, (column, n)) in counts.enumerate() {
        sets.push(format!("{column} = ${}", i + 1));
        let _ = args.add(i64::try_from(n).unwrap_or(i64::MAX));
    }
    let n = sets.len();
    let sql = format!(
        "UPDATE events SET {} WHERE source = ${} AND event_id = ${}",
        sets.join(", "),
        n + 1,
        n + 2
    );
    let _ = args.add(e.source.clone());
    let _ = args.add(e.id.clone());
    sqlx::query_with(&sql, args).execute(&mut **tx).await?;
    Ok(())
}
