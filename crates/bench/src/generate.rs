//! The deterministic events: a fixed SplitMix64 seed per event, so every run and every machine
//! sends the same events. Shared by `tokentally-bench` and `benches/ingest_showback.rs`.
//!
//! For the benchmark command the events are written once per size to disk, as request bodies
//! (one JSON array of [`BATCH`] events per line) and as a CSV file with the `events` table's
//! columns holding the rows the server stores for them, so that no run holds 10M events in
//! memory and the client spends no CPU generating while the server is timed.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use serde_json::{Map, Value};
use tokentally_domain::event::UsageEvent;

/// Events per request body.
pub const BATCH: usize = 1_000;
/// The month the events fall in, and that showback reads.
pub const MONTH: &str = "2026-03";
/// The month's first day and the first day after it.
pub const MONTH_FIRST: &str = "2026-03-01";
pub const MONTH_END: &str = "2026-04-01";

pub const TEAMS: [&str; 8] = [
    "search", "support", "growth", "platform", "data", "sales", "legal", "research",
];
pub const FEATURES: [&str; 20] = [
    "chat",
    "summarize",
    "classify",
    "extract",
    "translate",
    "rerank",
    "autocomplete",
    "triage",
    "draft-reply",
    "sql-assist",
    "code-review",
    "contract-scan",
    "lead-score",
    "faq",
    "onboarding",
    "digest",
    "moderation",
    "tagging",
    "agent",
    "eval",
];
/// (provider, model), all in the shipped catalog.
pub const MODELS: [(&str, &str); 4] = [
    ("openai", "gpt-4o"),
    ("openai", "gpt-4o-mini"),
    ("anthropic", "claude-3-5-sonnet-20241022"),
    ("anthropic", "claude-3-5-haiku-20241022"),
];
pub const KEYS: u64 = 30;
/// Keys below this are mapped to their team (attribution by key mapping) and send no team tag.
pub const MAPPED_KEYS: u64 = 10;
/// Keys from this one on send no team at all (Unallocated).
pub const UNOWNED_KEYS_FROM: u64 = 27;
/// The day the key mappings hold from (before the month, so showback has one stretch).
pub const MAPPED_FROM: &str = "2026-01-01";

/// SplitMix64: small, fast, and the same sequence on every machine.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n`.
    fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// Uniform in `lo..=hi`.
    fn between(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    /// True `per_mille` times in a thousand.
    fn chance(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }
}

/// The key's name; its team, environment, features and models follow from its number.
pub fn key_name(key: u64) -> String {
    format!("key-{key:02}")
}

pub fn team_of(key: u64) -> &'static str {
    TEAMS[(key % TEAMS.len() as u64) as usize]
}

pub fn day(s: &str) -> NaiveDate {
    s.parse().expect("a valid date")
}

/// What the events look like: how many, over which month, with how many users.
pub struct Workload {
    events: usize,
    users: u64,
    /// Distinct customers the events name, one on every event; 0 for none (the default).
    customers: u64,
    start_ms: i64,
    month_ms: i64,
}

impl Workload {
    pub fn new(events: usize, users: u64) -> Self {
        let start = day(MONTH_FIRST).and_hms_opt(0, 0, 0).expect("midnight");
        let end = day(MONTH_END).and_hms_opt(0, 0, 0).expect("midnight");
        let start_ms = start.and_utc().timestamp_millis();
        Workload {
            events,
            users,
            customers: 0,
            start_ms,
            month_ms: end.and_utc().timestamp_millis() - start_ms,
        }
    }

    /// The same events, each naming one of `customers` customers (drawn apart from every
    /// other field, so the rest of each event is unchanged): what the per-customer rollup
    /// costs at ingest.
    pub fn with_customers(mut self, customers: u64) -> Self {
        self.customers = customers;
        self
    }

    pub fn events(&self) -> usize {
        self.events
    }

    /// The request bodies: the events as JSON arrays of [`BATCH`], all in memory.
    pub fn request_bodies(&self) -> Vec<Vec<u8>> {
        (0..self.events)
            .step_by(BATCH)
            .map(|first| self.body(first))
            .collect()
    }

    /// The JSON array of the batch that starts at event `first`.
    pub fn body(&self, first: usize) -> Vec<u8> {
        let batch: Vec<Value> = (first..(first + BATCH).min(self.events))
            .map(|i| self.event(i))
            .collect();
        serde_json::to_vec(&batch).expect("events serialize")
    }

    /// Event `i`, spread evenly over the month in order (as a gateway would send them).
    ///
    /// Cardinality: 30 keys × 3 features × 2 models × 4 outcomes (+ a few batch-tier and
    /// long-context calls) per day, so the month's rollups stay in the tens of thousands
    /// however many events there are. One block of ten consecutive calls in five is an agent
    /// run (one workflow, one key). Each call's user is drawn from one pool shared by all keys.
    pub fn event(&self, i: usize) -> Value {
        let mut rng = Rng(0x7045_11E7_A11E ^ (i as u64).wrapping_mul(0x2545_F491_4F6C_DD1D));
        let block = (i / 10) as u64;
        let mut block_rng = Rng(block.wrapping_mul(0x9E37_79B9));
        let workflow = block_rng.chance(200);
        let key = if workflow {
            block_rng.below(KEYS)
        } else {
            rng.below(KEYS)
        };
        let (provider, model) = MODELS[((key + u64::from(rng.chance(300))) % 4) as usize];
        let feature = FEATURES[((key + 7 * rng.below(3)) % FEATURES.len() as u64) as usize];
        let offset = (i as i64) * self.month_ms / self.events as i64 + rng.below(60_000) as i64;
        let ts = self.start_ms + offset.min(self.month_ms - 1);

        let mut e = Map::new();
        e.insert("id".into(), format!("bench-{i:09}").into());
        e.insert("timestamp".into(), rfc3339(ts).into());
        e.insert("provider".into(), provider.into());
        e.insert("model".into(), model.into());
        e.insert("api_key".into(), key_name(key).into());
        if (MAPPED_KEYS..UNOWNED_KEYS_FROM).contains(&key) {
            e.insert("team".into(), team_of(key).into());
        }
        e.insert("feature".into(), feature.into());
        let env = if key % 5 == 0 {
            "staging"
        } else {
            "production"
        };
        e.insert("environment".into(), env.into());
        let user = rng.below(self.users.max(1));
        if self.users > 0 {
            e.insert("user".into(), format!("user-{user}").into());
        }
        if self.customers > 0 {
            let mut crng = Rng(0xC057_0E55 ^ (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
            let customer = crng.below(self.customers);
            e.insert("customer".into(), format!("customer-{customer}").into());
        }
        insert_tokens(&mut e, &mut rng);
        if rng.chance(50) {
            e.insert("service_tier".into(), "batch".into());
        }
        e.insert("outcome".into(), outcome(&mut rng).into());
        if workflow {
            e.insert("workflow_id".into(), format!("wf-{block:08}").into());
        }
        e.insert("latency_ms".into(), rng.between(200, 20_000).into());
        Value::Object(e)
    }

    /// Writes the request bodies and the CSV into `dir` unless both are there already (the
    /// events are the same every time); answers their paths.
    pub fn write_files(&self, dir: &Path) -> anyhow::Result<EventFiles> {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let files = EventFiles {
            bodies: dir.join("bodies.jsonl"),
            csv: dir.join("events.csv"),
        };
        let done = dir.join("complete");
        if done.exists() && files.bodies.exists() && files.csv.exists() {
            return Ok(files);
        }
        let mut bodies = BufWriter::with_capacity(1 << 20, File::create(&files.bodies)?);
        let mut csv = BufWriter::with_capacity(1 << 20, File::create(&files.csv)?);
        writeln!(csv, "{}", EVENT_COLUMNS.join(","))?;
        let now = Utc::now();
        let mut line = String::with_capacity(512);
        for first in (0..self.events).step_by(BATCH) {
            let batch: Vec<Value> = (first..(first + BATCH).min(self.events))
                .map(|i| self.event(i))
                .collect();
            serde_json::to_writer(&mut bodies, &batch)?;
            bodies.write_all(b"\n")?;
            for value in &batch {
                let event = UsageEvent::from_json(value, now)
                    .map_err(|e| anyhow::anyhow!("generated an invalid event: {e}"))?;
                line.clear();
                csv_row(&event, &mut line);
                csv.write_all(line.as_bytes())?;
            }
        }
        bodies.flush()?;
        csv.flush()?;
        File::create(done)?;
        Ok(files)
    }
}

/// Where one size's events are on disk.
#[derive(Debug, Clone)]
pub struct EventFiles {
    /// One JSON array of [`BATCH`] events per line: the bodies of `POST /api/v1/events`.
    pub bodies: PathBuf,
    /// The `events` table's rows with a header line.
    pub csv: PathBuf,
}

/// The `events` table's columns, in the order of `migrations/*/0001_init.sql`.
pub const EVENT_COLUMNS: [&str; 34] = [
    "source",
    "event_id",
    "ts_ms",
    "day",
    "provider",
    "model",
    "api_key",
    "team",
    "feature",
    "environment",
    "user_id",
    "customer",
    "tags",
    "input_tokens",
    "cached_input_tokens",
    "cache_write_tokens",
    "output_tokens",
    "reasoning_tokens",
    "requests",
    "service_tier",
    "outcome",
    "workflow_id",
    "latency_ms",
    "reported_cost",
    "received_ms",
    // The billable classes of migration 0016, appended to the table in this order.
    "cache_write_1h_tokens",
    "audio_input_tokens",
    "cached_audio_input_tokens",
    "image_input_tokens",
    "audio_output_tokens",
    "image_output_tokens",
    "web_search_queries",
    "file_search_calls",
    "code_interpreter_sessions",
];

/// `received_ms` of the CSV rows: fixed, so the file is the same on every run.
const RECEIVED_MS: i64 = 1_775_001_600_000; // 2026-04-01T00:00:00Z

/// The row the server's `insert_events` stores for `e`, as CSV. Text is always quoted (so an
/// empty text is `""`, which PostgreSQL reads as '' and not as NULL); NULL is an empty field.
fn csv_row(e: &UsageEvent, out: &mut String) {
    use std::fmt::Write as _;
    let text = |out: &mut String, s: &str| {
        out.push('"');
        out.push_str(&s.replace('"', "\"\""));
        out.push_str("\",");
    };
    let opt = |o: &Option<String>| o.clone().unwrap_or_default();
    let tags = if e.tags.is_empty() {
        String::new()
    } else {
        serde_json::to_string(&e.tags).unwrap_or_default()
    };
    text(out, &e.source);
    text(out, &e.id);
    let _ = write!(out, "{},", e.timestamp.timestamp_millis());
    text(out, &e.timestamp.date_naive().to_string());
    text(out, &e.provider);
    text(out, &e.model);
    for o in [
        &e.api_key,
        &e.team,
        &e.feature,
        &e.environment,
        &e.user,
        &e.customer,
    ] {
        text(out, &opt(o));
    }
    text(out, &tags);
    let t = &e.tokens;
    let _ = write!(
        out,
        "{},{},{},{},{},{},",
        t.input, t.cached_input, t.cache_write, t.output, t.reasoning, e.requests
    );
    text(out, e.service_tier.as_str());
    text(out, e.outcome.as_str());
    text(out, &opt(&e.workflow_id));
    if let Some(l) = e.latency_ms {
        let _ = write!(out, "{l}");
    }
    out.push(',');
    if let Some(c) = e.reported_cost {
        let _ = write!(out, "\"{c}\"");
    }
    let _ = write!(out, ",{RECEIVED_MS}");
    for n in [
        t.cache_write_1h,
        t.audio_input,
        t.cached_audio_input,
        t.image_input,
        t.audio_output,
        t.image_output,
        t.web_search,
        t.file_search,
        t.code_interpreter,
    ] {
        let _ = write!(out, ",{n}");
    }
    out.push('\n');
}

/// Input, cached input and output tokens; two calls in a thousand exceed 128k input.
fn insert_tokens(e: &mut Map<String, Value>, rng: &mut Rng) {
    let input = if rng.chance(2) {
        rng.between(130_000, 190_000)
    } else {
        rng.between(200, 8_000)
    };
    let cached = if rng.chance(400) {
        rng.below(input / 2)
    } else {
        0
    };
    e.insert("input_tokens".into(), input.into());
    e.insert("cached_input_tokens".into(), cached.into());
    e.insert("output_tokens".into(), rng.between(20, 1_500).into());
}

/// 85 % success, 7 % failure, 5 % retry, 3 % unknown.
fn outcome(rng: &mut Rng) -> &'static str {
    match rng.below(100) {
        0..85 => "success",
        85..92 => "failure",
        92..97 => "retry",
        _ => "unknown",
    }
}

fn rfc3339(ms: i64) -> String {
    DateTime::from_timestamp_millis(ms)
        .expect("a time in range")
        .to_rfc3339_opts(SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_events_every_time() {
        let w = Workload::new(1_000, 500);
        assert_eq!(w.event(17), w.event(17));
        assert_eq!(w.body(0).len(), Workload::new(1_000, 500).body(0).len());
    }

    #[test]
    fn csv_rows_have_every_column() {
        let w = Workload::new(100, 500);
        let e = UsageEvent::from_json(&w.event(3), Utc::now()).unwrap();
        let mut row = String::new();
        csv_row(&e, &mut row);
        assert_eq!(row.trim_end().split(',').count(), EVENT_COLUMNS.len());
        assert!(row.starts_with("\"api\",\"bench-000000003\","));
    }
}
