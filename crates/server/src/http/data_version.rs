//! Every request that may change data bumps the data version once it is answered, so that
//! kept reports (see `cache`) are computed anew on the next read.
//!
//! The bump comes after the handler, so after its commit: a reader that saw the old version
//! before the commit files data at least that new under it, and the next reader sees the new
//! version. The router applies this layer to the API and the pages; ingest bumps inside each
//! batch's own transaction, which saves a second durable commit per batch.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;

use crate::state::AppState;

pub async fn bump_after_changes(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let changes = !request.method().is_safe();
    let response = next.run(request).await;
    if changes && let Err(e) = state.store.bump_data_version().await {
        // Other servers may keep a stale report until the next change; this one must not.
        tracing::warn!(error = %e, "could not bump the data version; forgetting kept reports");
        state.forget_kept();
    }
    response
}

/// A read that asks to be computed anew (`Cache-Control: no-cache`) runs with the flag that
/// makes every kept answer it asks for (see `cache::Answers`) come from the database.
pub async fn honour_no_cache(request: Request, next: Next) -> Response {
    let fresh = crate::http::api::asks_for_fresh(request.headers());
    crate::cache::computed_anew(fresh, next.run(request)).await
}
