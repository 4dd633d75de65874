//! The results as one markdown table with the targets of issue 9, and the machine they ran on.

use std::fmt::Write as _;
use std::process::Command;

use crate::bulk::BulkRun;
use crate::duckdb::DuckRun;
use crate::ingest::IngestRun;
use crate::reads::Timed;
use crate::server::Db;
use crate::wrk::WrkRun;

/// Everything measured on one database at one size.
pub struct DbResult {
    pub db: Db,
    pub events: usize,
    pub clients: usize,
    pub ingest: IngestRun,
    pub bulk: Result<BulkRun, String>,
    /// Computed anew for each request (`Cache-Control: no-cache`).
    pub showback: Timed,
    /// As kept between requests until the data changes.
    pub showback_kept: Timed,
    pub page: Timed,
    pub wrk_api: Result<WrkRun, String>,
    pub wrk_page: Result<WrkRun, String>,
    /// `VmHWM` after the ingest, and at the end (after every read and wrk).
    pub rss_after_ingest: u64,
    /// PostgreSQL: how long `VACUUM ANALYZE` took after the ingest, before the reads.
    pub vacuum: Option<std::time::Duration>,
    pub peak_rss: u64,
    pub db_bytes: u64,
    /// `--perf` summaries, markdown.
    pub profiles: Vec<String>,
    /// Every other read a reader opens (issue 24).
    pub reads: Vec<crate::pages::ReadResult>,
}

/// Everything measured at one size.
pub struct SizeResult {
    pub events: usize,
    pub duck: Result<DuckRun, String>,
    pub dbs: Vec<DbResult>,
}

/// The targets.
pub const SQLITE_INGEST_TARGET: f64 = 100_000.0;
pub const POSTGRES_INGEST_TARGET: f64 = 50_000.0;
pub const BULK_RATIO_TARGET: f64 = 0.3;
pub const SHOWBACK_TARGET_MS: f64 = 50.0;
pub const PAGE_P99_TARGET_MS: f64 = 100.0;
pub const RSS_TARGET_BYTES: u64 = 200 * 1_000_000;
/// The size the showback and RSS targets are set for.
pub const TARGET_EVENTS: usize = 10_000_000;

/// "met", or by how much it is missed, for a value that must be at least `target`.
fn at_least(value: f64, target: f64) -> String {
    if value >= target {
        "met".into()
    } else {
        format!("**missed**: {:.1}× short", target / value)
    }
}

/// "met", or by how much it is missed, for a value that must stay below `target`.
fn below(value: f64, target: f64) -> String {
    if value < target {
        "met".into()
    } else {
        format!("**missed**: {:.1}× over", value / target)
    }
}

/// A verdict on a target set for 10M events, measured at fewer.
fn at_size(verdict: String, events: usize) -> String {
    if events < TARGET_EVENTS {
        format!("{verdict} (at {}; target is for 10M)", count(events as u64))
    } else {
        verdict
    }
}

/// `1234567` as `1,234,567`.
pub fn count(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && i % 3 == s.len() % 3 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn mb(bytes: u64) -> String {
    format!("{:.0} MB", bytes as f64 / 1e6)
}

fn wrk_cell(w: &WrkRun, connections: u32) -> String {
    if w.requests == 0 {
        return "no request completed within the run".into();
    }
    let mut s = format!(
        "{:.1} req/s, p50 {:.1} ms, p99 {:.1} ms",
        w.requests_per_s, w.p50_ms, w.p99_ms
    );
    if w.non_2xx > 0 || w.timeouts > 0 {
        let _ = write!(s, " ({} non-2xx, {} timeouts)", w.non_2xx, w.timeouts);
    }
    if w.requests < u64::from(connections) {
        let _ = write!(
            s,
            " (only {} completed, fewer than the connections: the percentiles are a lower bound)",
            w.requests
        );
    }
    s
}

/// The page's p99 against its target; no completed request misses it.
fn wrk_verdict(w: &WrkRun, seconds: u32) -> String {
    if w.requests == 0 {
        format!(
            "**missed**: > {}× over",
            f64::from(seconds) * 1e3 / PAGE_P99_TARGET_MS
        )
    } else {
        below(w.p99_ms, PAGE_P99_TARGET_MS)
    }
}

/// The table: one row per measurement, with its target and whether it is met.
pub fn table(sizes: &[SizeResult], connections: u32, wrk_seconds: u32) -> String {
    let mut t = String::new();
    t.push_str("| measurement | database | events | result | target | verdict |\n");
    t.push_str("|---|---|---:|---|---|---|\n");
    let mut row = |m: &str, db: &str, n: usize, result: String, target: &str, verdict: String| {
        let _ = writeln!(
            t,
            "| {m} | {db} | {} | {result} | {target} | {verdict} |",
            count(n as u64)
        );
    };
    for size in sizes {
        let n = size.events;
        match &size.duck {
            Ok(d) => row(
                "DuckDB raw GROUP BY, median",
                "DuckDB",
                n,
                format!(
                    "{:.1} ms ({} runs; {} groups, {} workflows)",
                    d.median_ms(),
                    d.times_ms.len(),
                    count(d.groups),
                    count(d.workflows)
                ),
                "—",
                String::new(),
            ),
            Err(e) => row(
                "DuckDB raw GROUP BY",
                "DuckDB",
                n,
                format!("not measured: {e}"),
                "—",
                String::new(),
            ),
        }
        for r in &size.dbs {
            let db = r.db.name();
            let ingest = r.ingest.per_second();
            let ingest_target = match r.db {
                Db::Sqlite => SQLITE_INGEST_TARGET,
                Db::Postgres => POSTGRES_INGEST_TARGET,
            };
            row(
                &format!("ingest, `POST /api/v1/events` ×1,000, {} tasks", r.clients),
                db,
                n,
                format!(
                    "{} events/s ({:.1} s; batch p50 {:.0} ms, p95 {:.0} ms)",
                    count(ingest as u64),
                    r.ingest.elapsed.as_secs_f64(),
                    crate::reads::quantile_ms(&r.ingest.latencies, 0.5),
                    crate::reads::quantile_ms(&r.ingest.latencies, 0.95),
                ),
                &format!("≥ {} events/s", count(ingest_target as u64)),
                at_least(ingest, ingest_target),
            );
            match &r.bulk {
                Ok(b) => {
                    row(
                        &format!("engine bulk load (`{}`)", b.method),
                        db,
                        n,
                        format!(
                            "{} rows/s ({:.1} s)",
                            count(b.per_second() as u64),
                            b.elapsed.as_secs_f64()
                        ),
                        "—",
                        String::new(),
                    );
                    let ratio = ingest / b.per_second();
                    row(
                        "ingest ÷ bulk load",
                        db,
                        n,
                        format!("{ratio:.2}×"),
                        &format!("≥ {BULK_RATIO_TARGET}×"),
                        at_least(ratio, BULK_RATIO_TARGET),
                    );
                }
                Err(e) => row(
                    "engine bulk load",
                    db,
                    n,
                    format!("not measured: {e}"),
                    "—",
                    String::new(),
                ),
            }
            if let Some(v) = r.vacuum {
                row(
                    "`VACUUM ANALYZE` after the ingest, before the reads",
                    db,
                    n,
                    format!("{:.1} s", v.as_secs_f64()),
                    "—",
                    String::new(),
                );
            }
            let median = r.showback.quantile_ms(0.5);
            row(
                "showback `GET /api/v1/showback` computed anew (`no-cache`), median / p95",
                db,
                n,
                format!("{median:.1} / {:.1} ms", r.showback.quantile_ms(0.95)),
                "< 50 ms at 10M",
                at_size(below(median, SHOWBACK_TARGET_MS), n),
            );
            row(
                "showback `GET /api/v1/showback` as kept, median / p95",
                db,
                n,
                format!(
                    "{:.1} / {:.1} ms",
                    r.showback_kept.quantile_ms(0.5),
                    r.showback_kept.quantile_ms(0.95)
                ),
                "—",
                String::new(),
            );
            if let Ok(d) = &size.duck {
                let ratio = median / d.median_ms();
                row(
                    "showback ÷ DuckDB raw GROUP BY",
                    db,
                    n,
                    format!("{ratio:.2}×"),
                    "≤ 1×",
                    if ratio <= 1.0 {
                        "met".into()
                    } else {
                        format!("**missed**: {ratio:.1}× slower")
                    },
                );
            }
            row(
                "showback page `GET /`, median / p95 (one at a time)",
                db,
                n,
                format!(
                    "{:.1} / {:.1} ms",
                    r.page.quantile_ms(0.5),
                    r.page.quantile_ms(0.95)
                ),
                "—",
                String::new(),
            );
            let wrk_title =
                |what: &str| format!("wrk {what}, {connections} connections, {wrk_seconds} s");
            match &r.wrk_api {
                Ok(w) => row(
                    &wrk_title("showback API"),
                    db,
                    n,
                    wrk_cell(w, connections),
                    "—",
                    String::new(),
                ),
                Err(e) => row(
                    &wrk_title("showback API"),
                    db,
                    n,
                    format!("not measured: {e}"),
                    "—",
                    String::new(),
                ),
            }
            match &r.wrk_page {
                Ok(w) => row(
                    &wrk_title("showback page"),
                    db,
                    n,
                    wrk_cell(w, connections),
                    "p99 < 100 ms",
                    wrk_verdict(w, wrk_seconds),
                ),
                Err(e) => row(
                    &wrk_title("showback page"),
                    db,
                    n,
                    format!("not measured: {e}"),
                    "p99 < 100 ms",
                    String::new(),
                ),
            }
            row(
                "server peak RSS (`VmHWM`)",
                db,
                n,
                format!(
                    "{} ({} after ingest; database {})",
                    mb(r.peak_rss),
                    mb(r.rss_after_ingest),
                    mb(r.db_bytes)
                ),
                "< 200 MB with 10M stored",
                at_size(below(r.peak_rss as f64, RSS_TARGET_BYTES as f64), n),
            );
        }
    }
    t
}

/// The machine and the software versions, as a markdown list.
pub fn machine(postgres_version: Option<&str>, duck_version: Option<&str>) -> String {
    let sh = |cmd: &str| {
        Command::new("sh")
            .args(["-c", cmd])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
            .unwrap_or_default()
    };
    let mut m = String::new();
    let _ = writeln!(m, "- date: {}", sh("date -u '+%Y-%m-%d %H:%M UTC'"));
    let _ = writeln!(
        m,
        "- commit: `{}`",
        sh("git rev-parse --short HEAD 2>/dev/null")
    );
    let _ = writeln!(
        m,
        "- CPU: {} × {}",
        sh("nproc"),
        sh("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'")
    );
    let _ = writeln!(m, "- RAM: {}", sh("free -h | awk '/^Mem:/ {print $2}'"));
    let _ = writeln!(
        m,
        "- load average at the end: {}",
        sh("cut -d' ' -f1-3 /proc/loadavg")
    );
    let _ = writeln!(
        m,
        "- sqlite3 CLI: {}",
        sh("sqlite3 --version | cut -d' ' -f1")
    );
    let _ = writeln!(
        m,
        "- PostgreSQL: {}",
        postgres_version.unwrap_or("not used")
    );
    let _ = writeln!(
        m,
        "- DuckDB (Python): {}",
        duck_version.unwrap_or("not used")
    );
    let _ = writeln!(m, "- wrk: {}", sh("wrk -v 2>&1 | head -1"));
    m
}
