//! The write path of ingest: raw events stored idempotently, and their rollup and workflow
//! deltas added in the same transaction.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use sqlx::any::AnyArguments;
use sqlx::{Any, Arguments, Transaction};
use tokentally_domain::event::UsageEvent;
use tokentally_domain::month::Month;
use tokentally_domain::rollup::{self, RollupKey, RollupTotals, UserWord, WorkflowDelta};

use super::numbering::{KnownNumbers, Learned, USER_NUMBERS, number_names};
use super::parties::log_parties;
use super::rows::{FromRow, ROLLUPS, extra_counts, with_extra_counts};
use super::{Backend, Store, StoreError, now_ms};

/// Which events of a batch were stored now, and which were already there.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct AddedEvents {
    pub accepted: usize,
    pub duplicates: usize,
}

/// Rows per statement: under both databases' limits on bound parameters.
///
/// Only statements of a full chunk are prepared once and kept: each other row count is a
/// statement of its own, and keeping those (thousands of parameters each, per connection)
/// held hundreds of megabytes.
pub(super) const EVENT_CHUNK: usize = 500;
pub(super) const ROLLUP_CHUNK: usize = 800;

const EVENT_COLUMNS: &[&str] = &with_extra_counts::<25, 34>([
    "source",
    "event_id",
    "ts_ms",
    "day",
    "provider",
    "model",
    "api_key",
    "team",
    "feature",
    "environment",
    "user_id",
    "customer",
    "tags",
    "input_tokens",
    "cached_input_tokens",
    "cache_write_tokens",
    "output_tokens",
    "reasoning_tokens",
    "requests",
    "service_tier",
    "outcome",
    "workflow_id",
    "latency_ms",
    "reported_cost",
    "received_ms",
]);

const WORKFLOW_COLUMNS: &[&str] = &[
    "workflow_id",
    "calls",
    "requests",
    "input_tokens",
    "first_ms",
    "first_input",
    "last_ms",
    "last_event_id",
    "last_outcome",
    "last_input",
    "last_day",
    "provider",
    "model",
    "api_key",
    "team",
    "feature",
    "environment",
    "tags",
];

/// `usage_user_words`, in the order its rows are read; all but the last (`bits`) are its key.
const USER_WORD_COLUMNS: &[&str] = <UserWord as FromRow>::COLUMNS;

/// `INSERT INTO table (cols) VALUES ($1, ..), (..)` for `rows` rows.
pub(super) fn insert_sql(backend: Backend, table: &str, columns: &[&str], rows: usize) -> String {
    let mut sql = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
    let mut n = 0;
    for r in 0..rows {
        if r > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for c in 0..columns.len() {
            n += 1;
            if c > 0 {
                sql.push_str(", ");
            }
            backend.push_param(&mut sql, n);
        }
        sql.push(')');
    }
    sql
}

pub(super) fn add<'q, T>(args: &mut AnyArguments<'q>, value: T)
where
    T: 'q + sqlx::Encode<'q, Any> + sqlx::Type<Any>,
{
    // Encoding an owned integer or string into AnyArguments cannot fail.
    let _ = args.add(value);
}

pub(super) fn count(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Which rollups an upsert adds to: per day, or per month (see `list_rollups_by_stretch`).
#[derive(Debug, Clone, Copy)]
pub(super) enum Period {
    Day,
    Month,
}

/// A batch waiting for SQLite's writer, and where its count of stored events goes.
pub(super) struct PendingBatch {
    events: Vec<UsageEvent>,
    reply: tokio::sync::oneshot::Sender<Result<usize, StoreError>>,
}

/// First occurrence wins within a batch; sorted so that concurrent writers lock rows in one
/// order. Answers the unique events and how many repeated an earlier one.
pub(super) fn unique_sorted(events: Vec<UsageEvent>) -> (Vec<UsageEvent>, usize) {
    let total = events.len();
    let mut seen = HashSet::with_capacity(total);
    let mut unique: Vec<UsageEvent> = Vec::with_capacity(total);
    for e in events {
        if seen.insert((e.source.clone(), e.id.clone())) {
            unique.push(e);
        }
    }
    unique.sort_by(|a, b| (&a.source, &a.id).cmp(&(&b.source, &b.id)));
    let repeated = total - unique.len();
    (unique, repeated)
}

impl Store {
    /// Stores a batch. An event whose (source, id) is already stored, or repeated within the
    /// batch, is a duplicate: counted, not added again. Returns after the commit.
    pub async fn add_events(
        &self,
        events: impl Into<Vec<UsageEvent>>,
    ) -> Result<AddedEvents, StoreError> {
        let (unique, in_batch_duplicates) = unique_sorted(events.into());
        let offered = unique.len();
        let stored = if self.backend.single_writer() {
            self.add_in_group(unique).await?
        } else {
            self.add_batches_retrying(&[&unique]).await?[0]
        };
        Ok(AddedEvents {
            accepted: stored,
            duplicates: in_batch_duplicates + offered - stored,
        })
    }

    /// Group commit for SQLite, which takes one writer at a time: the batch joins the queue,
    /// and whoever gets the writer next stores every queued batch in one transaction, so
    /// batches that arrive while one commits share the next commit (one durable write instead
    /// of one each, and one upsert of the rollups they share). The write runs in a task of its
    /// own, so a client that hangs up cannot cut short the others' batches.
    async fn add_in_group(&self, events: Vec<UsageEvent>) -> Result<usize, StoreError> {
        let (reply, stored) = tokio::sync::oneshot::channel();
        self.queue().push(PendingBatch { events, reply });
        let writer = self.writer.clone().lock_owned().await;
        let batches = std::mem::take(&mut *self.queue());
        if batches.is_empty() {
            // An earlier writer took this batch; its answer is on the way.
            drop(writer);
        } else {
            let store = self.clone();
            tokio::spawn(async move {
                store.add_queued(batches).await;
                drop(writer);
            });
        }
        stored.await.unwrap_or_else(|_| {
            Err(StoreError::Unavailable(
                "the write of this batch was abandoned".into(),
            ))
        })
    }

    fn queue(&self) -> std::sync::MutexGuard<'_, Vec<PendingBatch>> {
        // Pushing and taking cannot leave the queue half-changed, so a poisoned lock is fine.
        self.queued.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Stores queued batches together and answers each; when that fails, each on its own, so
    /// one batch's error is not the others'.
    async fn add_queued(&self, batches: Vec<PendingBatch>) {
        let events: Vec<&[UsageEvent]> = batches.iter().map(|b| b.events.as_slice()).collect();
        match self.add_batches_retrying(&events).await {
            Ok(counts) => {
                for (b, n) in batches.into_iter().zip(counts) {
                    let _ = b.reply.send(Ok(n));
                }
            }
            Err(e) if batches.len() == 1 => {
                let _ = batches.into_iter().next().map(|b| b.reply.send(Err(e)));
            }
            Err(_) => {
                for b in batches {
                    let result = self.add_batches_retrying(&[&b.events]).await;
                    let _ = b.reply.send(result.map(|counts| counts[0]));
                }
            }
        }
    }

    /// [`Store::add_batches_once`], again after a serialization failure or deadlock.
    async fn add_batches_retrying(
        &self,
        batches: &[&[UsageEvent]],
    ) -> Result<Vec<usize>, StoreError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.add_batches_once(batches).await {
                Err(e) if e.is_retryable() && attempt < 5 => continue,
                result => return result,
            }
        }
    }

    /// Stores batches in one transaction; answers how many events of each were new.
    async fn add_batches_once(&self, batches: &[&[UsageEvent]]) -> Result<Vec<usize>, StoreError> {
        let mut tx = self.pool.begin().await?;
        if let Some(lock) = self.backend.ingest_lock() {
            // Closing a month waits for batches in flight, and batches wait for a close in
            // flight, so every event is either in its month before the close or noted late.
            sqlx::query(lock).execute(&mut *tx).await?;
        }
        let stored = store_batches_in(&mut tx, self.backend, batches, &self.numbers).await?;
        tx.commit().await?;
        self.numbers.remember(stored.learned);
        Ok(stored.counts)
    }

    /// Deletes raw events from before `day` (rollups stay); answers how many.
    pub async fn prune_events(&self, day: chrono::NaiveDate) -> Result<u64, StoreError> {
        let _guard = self.write_guard().await;
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "DELETE FROM late_events WHERE EXISTS (SELECT 1 FROM events e WHERE e.source = late_events.source \
             AND e.event_id = late_events.event_id AND e.day < $1)",
        )
        .bind(day.to_string())
        .execute(&mut *tx)
        .await?;
        let done = sqlx::query("DELETE FROM events WHERE day < $1")
            .bind(day.to_string())
            .execute(&mut *tx)
            .await?;
        // The horizon only moves forward.
        sqlx::query(
            "INSERT INTO retention (id, pruned_before) VALUES (1, $1) \
             ON CONFLICT (id) DO UPDATE SET pruned_before = excluded.pruned_before \
             WHERE retention.pruned_before < excluded.pruned_before",
        )
        .bind(day.to_string())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(done.rows_affected())
    }

    /// The first day whose raw events are still kept, once events have been pruned.
    pub async fn pruned_before(&self) -> Result<Option<chrono::NaiveDate>, StoreError> {
        let day: Option<String> =
            sqlx::query_scalar("SELECT pruned_before FROM retention WHERE id = 1")
                .fetch_optional(&self.pool)
                .await?;
        Ok(day.and_then(|d| d.parse().ok()))
    }

    /// The month's stored totals of input, cached input, cache-write, output and reasoning
    /// tokens and of requests: what ingest checks against the month's bound before it adds
    /// more.
    pub async fn month_usage_totals(&self, month: Month) -> Result<[u64; 6], StoreError> {
        let sums: Vec<String> = [
            "input_tokens",
            "cached_input_tokens",
            "cache_write_tokens",
            "output_tokens",
            "reasoning_tokens",
            "requests",
        ]
        .iter()
        .map(|c| super::dialect::bigint(&format!("COALESCE(SUM({c}), 0)")))
        .collect();
        let row: (i64, i64, i64, i64, i64, i64) = sqlx::query_as(&format!(
            "SELECT {} FROM {} WHERE month = $1",
            sums.join(", "),
            ROLLUPS.monthly
        ))
        .bind(month.to_string())
        .fetch_one(&self.pool)
        .await?;
        let n = |v: i64| u64::try_from(v).unwrap_or(0);
        Ok([n(row.0), n(row.1), n(row.2), n(row.3), n(row.4), n(row.5)])
    }

    pub async fn count_events(&self) -> Result<i64, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM events")
                .fetch_one(&self.pool)
                .await?,
        )
    }
}

/// Stores batches inside `tx` (the ingest lock taken): raw events, workflows, late notes,
/// users and rollups, and bumps the data version; answers how many events of each were new.
pub(super) async fn store_batches_in(
    tx: &mut Transaction<'static, Any>,
    backend: Backend,
    batches: &[&[UsageEvent]],
    known: &KnownNumbers,
) -> Result<Stored, StoreError> {
    let closed: std::collections::BTreeSet<Month> =
        sqlx::query_scalar::<_, String>("SELECT month FROM month_closes")
            .fetch_all(&mut **tx)
            .await?
            .iter()
            .filter_map(|m| m.parse().ok())
            .collect();
    let received = now_ms();
    let mut stored: Vec<&UsageEvent> = Vec::new();
    let mut counts = Vec::with_capacity(batches.len());
    for batch in batches {
        let before = stored.len();
        for chunk in batch.chunks(EVENT_CHUNK) {
            let inserted = insert_events(tx, backend, chunk, received).await?;
            stored.extend(chunk.iter().filter(|e| {
                inserted
                    .binary_search_by(|(source, id)| {
                        (source.as_str(), id.as_str()).cmp(&(e.source.as_str(), e.id.as_str()))
                    })
                    .is_ok()
            }));
        }
        counts.push(stored.len() - before);
    }
    let workflows: Vec<(String, WorkflowDelta)> = rollup::fold_workflows(stored.iter().copied())
        .into_iter()
        .collect();
    for chunk in workflows.chunks(ROLLUP_CHUNK) {
        upsert_workflows(tx, backend, chunk).await?;
    }
    if !closed.is_empty() {
        note_late_events(tx, &stored, &closed).await?;
    }
    // Per-call usage of a day a pull stored for good comes out of the pulled bucket.
    super::late_per_call::take_from_pulled(tx, backend, &stored, &closed).await?;
    // Users as words of bit sets per day and dimensions: shared between batches like the
    // rollups, so written just before them, in key order.
    let users = rollup::fold_users(stored.iter().copied());
    let mut user_numbers = HashMap::new();
    let mut learned = Learned::default();
    if !users.is_empty() {
        let names: BTreeSet<&str> = users.iter().map(|u| u.user.as_str()).collect();
        user_numbers = number_names(
            tx,
            backend,
            known,
            &mut learned,
            USER_NUMBERS,
            names.into_iter().collect(),
        )
        .await?;
        let words = rollup::user_words(&users, |u| user_numbers.get(u).copied());
        for chunk in words.chunks(ROLLUP_CHUNK) {
            upsert_user_words(tx, backend, chunk).await?;
        }
    }
    // Rollups last: concurrent batches (on PostgreSQL) share their rows, above all the
    // month's, and each holds the rows it upserted until it commits, so the shorter that
    // is, the less the batches wait on each other. The version is bumped after them.
    let daily = rollup::fold(stored.iter().copied());
    let mut monthly: BTreeMap<RollupKey, RollupTotals> = BTreeMap::new();
    for (k, t) in &daily {
        let key = RollupKey {
            day: Month::of(k.day).first_day(),
            ..k.clone()
        };
        monthly.entry(key).or_default().add(t);
    }
    for (period, rollups) in [(Period::Day, daily), (Period::Month, monthly)] {
        let rollups: Vec<(RollupKey, RollupTotals)> = rollups.into_iter().collect();
        for chunk in rollups.chunks(ROLLUP_CHUNK) {
            upsert_rollups(tx, backend, period, chunk, false).await?;
        }
    }
    // Customers and users in a log of their own, after the rollups showback reads: appended,
    // never upserted, so batches neither wait on each other's rows there nor touch a page
    // per row; batches that name neither add nothing.
    learned.extend(log_parties(tx, backend, known, &stored, &user_numbers).await?);
    if !stored.is_empty() {
        super::data_version::bump_in(tx).await?;
    }
    Ok(Stored { counts, learned })
}

/// What [`store_batches_in`] stored: how many events of each batch were new, and the
/// numbers it learned (to remember once the transaction has committed).
pub(super) struct Stored {
    pub counts: Vec<usize>,
    pub learned: Learned,
}

/// Inserts the events that are not stored yet; answers the (source, id) of those it stored,
/// sorted.
async fn insert_events(
    tx: &mut Transaction<'static, Any>,
    backend: Backend,
    chunk: &[UsageEvent],
    received: i64,
) -> Result<Vec<(String, String)>, StoreError> {
    let sql = format!(
        "{} ON CONFLICT (source, event_id) DO NOTHING RETURNING source, event_id",
        insert_sql(backend, "events", EVENT_COLUMNS, chunk.len())
    );
    let mut args = AnyArguments::default();
    for e in chunk {
        let opt = |o: &Option<String>| o.clone().unwrap_or_default();
        add(&mut args, e.source.clone());
        add(&mut args, e.id.clone());
        add(&mut args, e.timestamp.timestamp_millis());
        add(&mut args, e.timestamp.date_naive().to_string());
        add(&mut args, e.provider.clone());
        add(&mut args, e.model.clone());
        add(&mut args, opt(&e.api_key));
        add(&mut args, opt(&e.team));
        add(&mut args, opt(&e.feature));
        add(&mut args, opt(&e.environment));
        add(&mut args, opt(&e.user));
        add(&mut args, opt(&e.customer));
        add(
            &mut args,
            if e.tags.is_empty() {
                String::new()
            } else {
                serde_json::to_string(&e.tags).unwrap_or_default()
            },
        );
        add(&mut args, count(e.tokens.input));
        add(&mut args, count(e.tokens.cached_input));
        add(&mut args, count(e.tokens.cache_write));
        add(&mut args, count(e.tokens.output));
        add(&mut args, count(e.tokens.reasoning));
        add(&mut args, count(e.requests));
        add(&mut args, e.service_tier.as_str().to_owned());
        add(&mut args, e.outcome.as_str().to_owned());
        add(&mut args, opt(&e.workflow_id));
        add(&mut args, e.latency_ms.map(count));
        add(&mut args, e.reported_cost.map(|c| c.to_string()));
        add(&mut args, received);
        for n in extra_counts(&e.tokens) {
            add(&mut args, count(n));
        }
    }
    let mut inserted: Vec<(String, String)> = sqlx::query_as_with(&sql, args)
        .persistent(chunk.len() == EVENT_CHUNK)
        .fetch_all(&mut **tx)
        .await?;
    inserted.sort_unstable();
    Ok(inserted)
}

pub(super) async fn upsert_rollups(
    tx: &mut Transaction<'static, Any>,
    backend: Backend,
    period: Period,
    chunk: &[(RollupKey, RollupTotals)],
    subtract: bool,
) -> Result<(), StoreError> {
    let (table, period_column) = match period {
        Period::Day => (ROLLUPS.daily, "day"),
        Period::Month => (ROLLUPS.monthly, "month"),
    };
    let keys: Vec<&str> = std::iter::once(period_column)
        .chain(ROLLUPS.keys.iter().copied())
        .collect();
    let columns: Vec<&str> = keys.iter().chain(ROLLUPS.sums).copied().collect();
    let updates: Vec<String> = ROLLUPS
        .sums
        .iter()
        .map(|c| {
            let op = if subtract { '-' } else { '+' };
            format!("{c} = {table}.{c} {op} excluded.{c}")
        })
        .collect();
    let sql = format!(
        "{} ON CONFLICT ({}) DO UPDATE SET {}",
        insert_sql(backend, table, &columns, chunk.len()),
        keys.join(", "),
        updates.join(", ")
    );
    let mut args = AnyArguments::default();
    for (k, t) in chunk {
        add(
            &mut args,
            match period {
                Period::Day => k.day.to_string(),
                Period::Month => Month::of(k.day).to_string(),
            },
        );
        add(&mut args, k.provider.clone());
        add(&mut args, k.model.clone());
        add(&mut args, k.api_key.clone());
        add(&mut args, k.team.clone());
        add(&mut args, k.feature.clone());
        add(&mut args, k.environment.clone());
        add(&mut args, k.tags.clone());
        add(&mut args, k.service_tier.as_str().to_owned());
        add(&mut args, k.outcome.as_str().to_owned());
        add(&mut args, count(k.context_band));
        add(&mut args, i64::from(k.in_workflow));
        add(&mut args, count(t.events));
        add(&mut args, count(t.requests));
        add(&mut args, count(t.tokens.input));
        add(&mut args, count(t.tokens.cached_input));
        add(&mut args, count(t.tokens.cache_write));
        add(&mut args, count(t.tokens.output));
        add(&mut args, count(t.tokens.reasoning));
        add(&mut args, count(t.standalone_successes));
        for n in extra_counts(&t.tokens) {
            add(&mut args, count(n));
        }
    }
    sqlx::query_with(&sql, args)
        .persistent(chunk.len() == ROLLUP_CHUNK)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

async fn upsert_workflows(
    tx: &mut Transaction<'static, Any>,
    backend: Backend,
    chunk: &[(String, WorkflowDelta)],
) -> Result<(), StoreError> {
    // A call is later than the stored final call when it is later in time, or at the same
    // instant with a larger event id; then it replaces the final call's fields.
    // Byte order, as in Rust: PostgreSQL's locale collation would order ids differently.
    let later = format!(
        "(excluded.last_ms > workflows.last_ms OR (excluded.last_ms = workflows.last_ms AND {} > {}))",
        backend.byte_order("excluded.last_event_id"),
        backend.byte_order("workflows.last_event_id"),
    );
    let earlier = "excluded.first_ms < workflows.first_ms";
    let mut sets: Vec<String> = ["calls", "requests", "input_tokens"]
        .iter()
        .map(|c| format!("{c} = workflows.{c} + excluded.{c}"))
        .collect();
    for c in ["first_ms", "first_input"] {
        sets.push(format!(
            "{c} = CASE WHEN {earlier} THEN excluded.{c} ELSE workflows.{c} END"
        ));
    }
    for c in WORKFLOW_COLUMNS.iter().skip(6) {
        sets.push(format!(
            "{c} = CASE WHEN {later} THEN excluded.{c} ELSE workflows.{c} END"
        ));
    }
    let sql = format!(
        "{} ON CONFLICT (workflow_id) DO UPDATE SET {}",
        insert_sql(backend, "workflows", WORKFLOW_COLUMNS, chunk.len()),
        sets.join(", ")
    );
    let mut args = AnyArguments::default();
    for (id, w) in chunk {
        add(&mut args, id.clone());
        add(&mut args, count(w.calls));
        add(&mut args, count(w.requests));
        add(&mut args, count(w.input_tokens));
        add(&mut args, w.first_at.timestamp_millis());
        add(&mut args, count(w.first_input));
        add(&mut args, w.last_at.timestamp_millis());
        add(&mut args, w.last_event_id.clone());
        add(&mut args, w.last_outcome.as_str().to_owned());
        add(&mut args, count(w.last_input));
        add(&mut args, w.last_at.date_naive().to_string());
        let d = &w.last_dims;
        for v in [
            &d.provider,
            &d.model,
            &d.api_key,
            &d.team,
            &d.feature,
            &d.environment,
            &d.tags,
        ] {
            add(&mut args, v.clone());
        }
    }
    sqlx::query_with(&sql, args)
        .persistent(chunk.len() == ROLLUP_CHUNK)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Adds users to the words of their day and dimensions (a bitwise or).
async fn upsert_user_words(
    tx: &mut Transaction<'static, Any>,
    backend: Backend,
    chunk: &[UserWord],
) -> Result<(), StoreError> {
    let keys = &USER_WORD_COLUMNS[..USER_WORD_COLUMNS.len() - 1];
    let sql = format!(
        "{} ON CONFLICT ({}) DO UPDATE SET bits = usage_user_words.bits | excluded.bits",
        insert_sql(backend, "usage_user_words", USER_WORD_COLUMNS, chunk.len()),
        keys.join(", ")
    );
    let mut args = AnyArguments::default();
    for u in chunk {
        add(&mut args, u.day.to_string());
        let d = &u.dims;
        for v in [
            &d.provider,
            &d.model,
            &d.api_key,
            &d.team,
            &d.feature,
            &d.environment,
            &d.tags,
        ] {
            add(&mut args, v.clone());
        }
        add(&mut args, count(u.word));
        add(&mut args, count(u.bits));
    }
    sqlx::query_with(&sql, args)
        .persistent(chunk.len() == ROLLUP_CHUNK)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Notes the events whose month is closed, with the first month after it still open: its
/// statements carry them as an adjustment.
async fn note_late_events(
    tx: &mut Transaction<'static, Any>,
    stored: &[&UsageEvent],
    closed: &std::collections::BTreeSet<Month>,
) -> Result<(), StoreError> {
    for e in stored {
        let belongs = Month::of(e.timestamp.date_naive());
        if !closed.contains(&belongs) {
            continue;
        }
        let mut target = belongs.next();
        while closed.contains(&target) {
            target = target.next();
        }
        sqlx::query(
            "INSERT INTO late_events (source, event_id, belongs_month, target_month) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (source, event_id) DO NOTHING",
        )
        .bind(e.source.clone())
        .bind(e.id.clone())
        .bind(belongs.to_string())
        .bind(target.to_string())
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}
