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

use serde::Serialize;
use tokentally_domain::event::UsageEvent;

use crate::storage::{Store, StoreError};

/// An event refused, with where it stood in the batch and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rejection {
    pub index: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub error: String,
}

/// The answer to an ingest request (DESIGN.md's contract).
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
    pub rejected: Vec<Rejection>,
    pub ignored: Option<usize>,
}

/// Stores the valid events of a batch; the report is true once this returns.
pub async fn ingest(store: &Store, batch: ParsedBatch) -> Result<IngestReport, StoreError> {
    let added = if batch.events.is_empty() {
        Default::default()
    } else {
        store.add_events(&batch.events).await?
    };
    Ok(IngestReport {
        accepted: added.accepted,
        duplicates: added.duplicates,
        rejected: batch.rejected,
        ignored: batch.ignored,
    })
}
