//! Backpressure on ingest. A server stores at most `ingest_concurrency` ingest requests at
//! once; a request past them waits for a turn before its body is read, and when no turn comes
//! within `ingest_wait` it is answered 503 with `Retry-After`. So when the database falls
//! behind, senders are told to come back instead of the server queueing bodies without bound:
//! memory holds at most `ingest_concurrency` bodies however hard the senders push.
//!
//! Nothing accepted is lost: a 503 is answered before the body is read, so the batch was
//! never taken, and a sender that retries it stores it once (ingest is idempotent).

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::state::AppState;
use crate::telemetry::Metrics;

/// What a refused sender is asked to wait, in seconds.
pub const RETRY_AFTER_SECS: u64 = 2;

/// Runs the request in one of the server's ingest turns, or answers 503 when none frees in
/// time.
pub async fn take_turn(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let turns = state.ingest_turns.clone();
    let Ok(Ok(turn)) = tokio::time::timeout(state.config.ingest_wait, turns.acquire_owned()).await
    else {
        Metrics::add(&state.metrics.ingest_busy, 1);
        tracing::warn!(
            concurrency = state.config.ingest_concurrency,
            wait_ms = state.config.ingest_wait.as_millis() as u64,
            "ingest is behind; a request was answered 503"
        );
        return busy(&state);
    };
    let response = next.run(request).await;
    drop(turn);
    response
}

fn busy(state: &AppState) -> Response {
    let message = format!(
        "ingest is behind: {} requests are being stored and none finished within {} ms; nothing of this request was stored, send it again in {RETRY_AFTER_SECS} s",
        state.config.ingest_concurrency,
        state.config.ingest_wait.as_millis()
    );
    let mut response = (
        StatusCode::SERVICE_UNAVAILABLE,
        axum::Json(json!({ "error": message })),
    )
        .into_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECS));
    response
}
