//! Every request that may change data bumps the data version once it is answered, so that
//! kept reports (see `showback_cache`) are computed anew on the next read.
//!
//! The bump comes after the handler, so after its commit: a reader that saw the old version
//! before the commit files data at least that new under it, and the next reader sees the new
//! version. Ingest routes are left out: ingest bumps inside each batch's own transaction,
//! which saves a second durable commit per batch.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;

use crate::startup::AppState;

/// Routes whose handlers store events through `Store::add_events`, which bumps the version
/// itself.
const INGEST_ROUTES: &[&str] = &["/api/v1/events", "/api/v1/ingest/", "/v1/traces"];

pub async fn bump_after_changes(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    let changes = !request.method().is_safe() && !INGEST_ROUTES.iter().any(|r| path.starts_with(r));
    let response = next.run(request).await;
    if changes && let Err(e) = state.store.bump_data_version().await {
        // Other servers may keep a stale report until the next change; this one must not.
        tracing::warn!(error = %e, "could not bump the data version; forgetting kept reports");
        state.showbacks.clear();
    }
    response
}
