//! Replacing a pulled source's days: a provider connection fetches a stretch of days again
//! and its events for those days are swapped in one transaction (see `app::connections`).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use sqlx::{Any, Transaction};
use tokentally_domain::event::UsageEvent;
use tokentally_domain::month::Month;
use tokentally_domain::rollup::{RollupKey, RollupTotals};
use tokentally_domain::showback::UsageRow;

use super::events::{Period, ROLLUP_CHUNK, store_batches_in, unique_sorted, upsert_rollups};
use super::rows::ROLLUPS;
use super::{Backend, Store, StoreError};

impl Store {
    /// Replaces every event of `source` on the days `first..=last` by `events` (all of that
    /// source and within those days), in one transaction: the old events leave the daily and
    /// monthly rollups and the raw table, the new ones are stored as by ingest. A pull that
    /// fetches a day again replaces what it stored before, so nothing is counted twice, and
    /// a crash leaves either the old day or the new one. Answers how many events were stored.
    pub async fn replace_source_days(
        &self,
        source: &str,
        first: chrono::NaiveDate,
        last: chrono::NaiveDate,
        events: Vec<UsageEvent>,
    ) -> Result<usize, StoreError> {
        let (events, _) = unique_sorted(events);
        let _guard = self.write_guard().await;
        let mut tx = self.pool.begin().await?;
        if let Some(lock) = self.backend.ingest_lock() {
            sqlx::query(lock).execute(&mut *tx).await?;
        }
        let (from, to) = (first.to_string(), last.to_string());
        let rows = sqlx::query(&format!(
            "SELECT {} FROM events e WHERE e.source = $1 AND e.day >= $2 AND e.day <= $3 GROUP BY {}",
            super::rows::event_rollup_select(),
            super::rows::EVENT_ROLLUP_GROUP
        ))
        .bind(source.to_owned())
        .bind(from.clone())
        .bind(to.clone())
        .fetch_all(&mut *tx)
        .await?;
        let old: Vec<UsageRow> = super::rows::decode_all(&rows)?;
        let mut learned = super::numbering::Learned::default();
        if !old.is_empty() {
            learned = super::parties::unlog_source_days(
                &mut tx,
                self.backend,
                &self.numbers,
                source,
                &from,
                &to,
            )
            .await?;
            change_rollups(&mut tx, self.backend, old, true).await?;
            drop_empty_rollups(&mut tx, first, last).await?;
            sqlx::query("DELETE FROM events WHERE source = $1 AND day >= $2 AND day <= $3")
                .bind(source.to_owned())
                .bind(from)
                .bind(to)
                .execute(&mut *tx)
                .await?;
            super::data_version::bump_in(&mut tx).await?;
        }
        let stored = store_batches_in(&mut tx, self.backend, &[&events], &self.numbers).await?;
        tx.commit().await?;
        learned.extend(stored.learned);
        self.numbers.remember(learned);
        Ok(stored.counts[0])
    }
}

/// Adds rows of raw events summed as rollups (by [`super::rows::event_rollup_select`]) to the
/// daily and monthly rollups, or takes them out (`subtract`), grouped as ingest adds them.
pub(super) async fn change_rollups(
    tx: &mut Transaction<'static, Any>,
    backend: Backend,
    rows: Vec<UsageRow>,
    subtract: bool,
) -> Result<(), StoreError> {
    let mut monthly: BTreeMap<RollupKey, RollupTotals> = BTreeMap::new();
    let daily: Vec<(RollupKey, RollupTotals)> =
        rows.into_iter().map(|r| (r.key, r.totals)).collect();
    for (k, t) in &daily {
        let key = RollupKey {
            day: Month::of(k.day).first_day(),
            ..k.clone()
        };
        monthly.entry(key).or_default().add(t);
    }
    let monthly: Vec<(RollupKey, RollupTotals)> = monthly.into_iter().collect();
    for (period, rollups) in [(Period::Day, &daily), (Period::Month, &monthly)] {
        for chunk in rollups.chunks(ROLLUP_CHUNK) {
            upsert_rollups(tx, backend, period, chunk, subtract).await?;
        }
    }
    Ok(())
}

/// Rollup groups of the days `first..=last` (and of their months) left holding no event go,
/// as if they had never been added to.
pub(super) async fn drop_empty_rollups(
    tx: &mut Transaction<'static, Any>,
    first: NaiveDate,
    last: NaiveDate,
) -> Result<(), StoreError> {
    sqlx::query(&format!(
        "DELETE FROM {} WHERE {} = 0 AND day >= $1 AND day <= $2",
        ROLLUPS.daily, ROLLUPS.counted
    ))
    .bind(first.to_string())
    .bind(last.to_string())
    .execute(&mut **tx)
    .await?;
    sqlx::query(&format!(
        "DELETE FROM {} WHERE {} = 0 AND month >= $1 AND month <= $2",
        ROLLUPS.monthly, ROLLUPS.counted
    ))
    .bind(Month::of(first).to_string())
    .bind(Month::of(last).to_string())
    .execute(&mut **tx)
    .await?;
    Ok(())
}
