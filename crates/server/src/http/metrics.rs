//! `GET /metrics`: counters in Prometheus's text format.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;

use crate::startup::AppState;

#[derive(Debug, Default)]
pub struct Metrics {
    pub events_accepted: AtomicU64,
    pub events_duplicate: AtomicU64,
    pub events_rejected: AtomicU64,
    pub ingest_requests: AtomicU64,
}

impl Metrics {
    pub fn add(counter: &AtomicU64, n: usize) {
        counter.fetch_add(n as u64, Ordering::Relaxed);
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        for (name, help, value) in [
            (
                "tokentally_ingest_requests_total",
                "Ingest requests answered.",
                &self.ingest_requests,
            ),
            (
                "tokentally_events_accepted_total",
                "Usage events stored.",
                &self.events_accepted,
            ),
            (
                "tokentally_events_duplicate_total",
                "Usage events already stored, not added again.",
                &self.events_duplicate,
            ),
            (
                "tokentally_events_rejected_total",
                "Usage events refused as invalid.",
                &self.events_rejected,
            ),
        ] {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}",
                value.load(Ordering::Relaxed)
            );
        }
        out
    }
}

pub async fn get(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
}
