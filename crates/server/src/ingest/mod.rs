//! Ingestion: adapters turn what a source sends into validated usage events; the use case
//! stores them and reports, per event, what happened. One module per source; each maps its
//! shape onto the native event and lets the domain validate it.

pub mod anthropic;
pub mod bedrock;
pub mod common;
pub mod csv;
pub mod litellm;
pub mod native;
pub mod openai;
pub mod otlp;
#[cfg(test)]
mod proptests;

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use tokentally_domain::bounds::MAX_MONTH_TOKENS;
use tokentally_domain::event::UsageEvent;
use tokentally_domain::month::Month;

use crate::storage::{Store, StoreError};

/// An event refused, with where it stood in the batch and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rejection {
    pub index: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub error: String,
}

/// The answer to an ingest request (the event contract in docs/ARCHITECTURE.md).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct IngestReport {
    pub accepted: usize,
    pub duplicates: usize,
    pub rejected: Vec<Rejection>,
    /// Records that were read but carry no usage (spans without GenAI usage, cache hits, empty
    /// aggregate rows); only adapters that can ignore something report it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ignored: Option<usize>,
}

/// A batch after parsing: what is valid, and what was refused.
#[derive(Debug, Default)]
pub struct ParsedBatch {
    pub events: Vec<UsageEvent>,
    /// Where each of `events` stood in the request (for refusals made after parsing).
    pub positions: Vec<usize>,
    pub rejected: Vec<Rejection>,
    pub ignored: Option<usize>,
}

impl ParsedBatch {
    /// Keeps a valid event that stood at `index` in the request.
    pub fn accept(&mut self, index: usize, event: UsageEvent) {
        self.positions.push(index);
        self.events.push(event);
    }
}

/// Stores the valid events of a batch; the report is true once this returns.
pub async fn ingest(store: &Store, batch: ParsedBatch) -> Result<IngestReport, StoreError> {
    let batch = refuse_before_horizon(store, batch).await?;
    let batch = refuse_past_month_bound(store, batch).await?;
    let added = if batch.events.is_empty() {
        Default::default()
    } else {
        store.add_events(batch.events).await?
    };
    Ok(IngestReport {
        accepted: added.accepted,
        duplicates: added.duplicates,
        rejected: batch.rejected,
        ignored: batch.ignored,
    })
}

/// Imports a CSV file: maps its rows, stores the valid ones, and records the import in the
/// audit log (who, which file by name and digest, the mapping, the outcome). The CLI, the admin
/// page and the API share it.
pub async fn import_csv(
    store: &Store,
    actor: &str,
    file_name: &str,
    body: &[u8],
    file: &csv::CsvFile,
    targets: &[csv::Target],
    now: chrono::DateTime<chrono::Utc>,
) -> Result<IngestReport, StoreError> {
    use sha2::Digest;
    let report = ingest(store, csv::parse(file, targets, now)).await?;
    let mapping: serde_json::Map<String, serde_json::Value> = file
        .headers
        .iter()
        .zip(targets)
        .map(|(h, t)| (h.clone(), t.spec().into()))
        .collect();
    store
        .add_audit(
            actor,
            "usage.import",
            &format!("import:{file_name}"),
            None,
            Some(serde_json::json!({
                "format": "csv",
                "file": file_name,
                "sha256": hex::encode(sha2::Sha256::digest(body)),
                "rows": file.rows.len(),
                "mapping": mapping,
                "accepted": report.accepted,
                "duplicates": report.duplicates,
                "rejected": report.rejected.len(),
            })),
        )
        .await?;
    Ok(report)
}

/// Events from before the retention horizon are refused: their raw events were pruned, so a
/// resent event could no longer be recognised as a duplicate and would count twice.
async fn refuse_before_horizon(
    store: &Store,
    batch: ParsedBatch,
) -> Result<ParsedBatch, StoreError> {
    let Some(horizon) = store.pruned_before().await? else {
        return Ok(batch);
    };
    Ok(refuse_where(batch, |e| {
        (e.timestamp.date_naive() < horizon).then(|| format!(
            "raw events before {horizon} were pruned; an event from then can no longer be checked for duplicates"
        ))
    }))
}

/// Events that would take their month's total of a token class, or of requests, past
/// [`MAX_MONTH_TOKENS`] are refused, so that no sum a read makes can leave a 64-bit integer
/// (SQLite turns such a sum into a float, PostgreSQL refuses it). Batches checked at the same
/// moment may together pass the bound by their own size, far inside the headroom below 2^63.
async fn refuse_past_month_bound(
    store: &Store,
    batch: ParsedBatch,
) -> Result<ParsedBatch, StoreError> {
    let months: BTreeSet<Month> = batch
        .events
        .iter()
        .map(|e| Month::of(e.timestamp.date_naive()))
        .collect();
    let mut totals: BTreeMap<Month, [u64; 6]> = BTreeMap::new();
    for m in months {
        totals.insert(m, store.month_usage_totals(m).await?);
    }
    const NAMES: [&str; 6] = [
        "input tokens",
        "cached input tokens",
        "cache-write tokens",
        "output tokens",
        "reasoning tokens",
        "requests",
    ];
    Ok(refuse_where(batch, |e| {
        let month = Month::of(e.timestamp.date_naive());
        let total = totals.entry(month).or_default();
        let t = &e.tokens;
        let adds = [
            t.input,
            t.cached_input,
            t.cache_write,
            t.output,
            t.reasoning,
            e.requests,
        ];
        let after: Vec<Option<u64>> = total
            .iter()
            .zip(adds)
            .map(|(have, add)| have.checked_add(add).filter(|n| *n <= MAX_MONTH_TOKENS))
            .collect();
        match after.iter().position(Option::is_none) {
            Some(i) => Some(format!(
                "{month} already holds {} {}: this event would take it past the bound of {MAX_MONTH_TOKENS} a month",
                total[i], NAMES[i]
            )),
            None => {
                for (have, next) in total.iter_mut().zip(after) {
                    *have = next.unwrap_or(*have);
                }
                None
            }
        }
    }))
}

/// Keeps the events `refuse` has nothing against, and refuses the others with its reason.
fn refuse_where(
    batch: ParsedBatch,
    mut refuse: impl FnMut(&UsageEvent) -> Option<String>,
) -> ParsedBatch {
    let mut out = ParsedBatch {
        rejected: batch.rejected,
        ignored: batch.ignored,
        ..ParsedBatch::default()
    };
    for (i, e) in batch.events.into_iter().enumerate() {
        let index = batch.positions.get(i).copied().unwrap_or(i);
        match refuse(&e) {
            None => out.accept(index, e),
            Some(error) => out.rejected.push(Rejection {
                index,
                id: Some(e.id.clone()),
                error,
            }),
        }
    }
    out.rejected.sort_by_key(|r| r.index);
    out
}
