//! The audit log: every change a person or a token makes, with what it replaced.

use serde::Serialize;

use crate::storage::{Store, StoreError};

/// One audited change: who did `action` to `subject`, and the value before and after (as
/// JSON; `None` where there was none).
pub async fn record<B: Serialize, A: Serialize>(
    store: &Store,
    actor: &str,
    action: &str,
    subject: &str,
    before: Option<B>,
    after: Option<A>,
) -> Result<(), StoreError> {
    store
        .add_audit(actor, action, subject, before.map(json), after.map(json))
        .await
}

/// A value as the log keeps it; one that cannot be serialised is kept as `null` rather than
/// failing the change it records.
fn json(value: impl Serialize) -> serde_json::Value {
    serde_json::to_value(value).unwrap_or_default()
}
