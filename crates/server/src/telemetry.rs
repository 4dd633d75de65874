//! Logs and counters: the tracing subscriber and the ingest counters `GET /metrics` reports.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug, Default)]
pub struct Metrics {
    pub events_accepted: AtomicU64,
    pub events_duplicate: AtomicU64,
    pub events_rejected: AtomicU64,
    pub ingest_requests: AtomicU64,
    /// Ingest requests answered 503 because the batches already being stored did not leave
    /// a turn in time (see `http::ingest::backpressure`).
    pub ingest_busy: AtomicU64,
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
            (
                "tokentally_ingest_busy_total",
                "Ingest requests answered 503 (retry later) because ingest was behind.",
                &self.ingest_busy,
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

/// Logs go to stderr, filtered by `RUST_LOG` (default `info`; tests stay quiet unless
/// `TEST_LOG` is set).
pub fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
