//! The routes that take usage: the native event API, OTLP traces and the adapters. Each
//! batch bumps the data version inside its own transaction, so these routes need no
//! data-version layer. They share a bounded number of turns (`backpressure`).

pub mod adapters;
pub mod backpressure;
pub mod events;
pub mod otlp;

use axum::Router;
use axum::routing::post;

use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/events", post(events::post))
        .route("/v1/traces", post(otlp::post))
        .route("/api/v1/ingest/openai", post(adapters::openai))
        .route("/api/v1/ingest/openai/usage", post(adapters::openai_usage))
        .route("/api/v1/ingest/anthropic", post(adapters::anthropic))
        .route(
            "/api/v1/ingest/anthropic/usage",
            post(adapters::anthropic_usage),
        )
        .route("/api/v1/ingest/litellm", post(adapters::litellm))
        .route("/api/v1/ingest/bedrock", post(adapters::bedrock))
        .route("/api/v1/ingest/csv", post(adapters::csv))
}
