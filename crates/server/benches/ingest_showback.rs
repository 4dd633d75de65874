//! Ingest throughput and showback latency of the real server, over HTTP, on SQLite and
//! PostgreSQL.
//!
//! ```sh
//! cargo bench -p tokentally-server --bench ingest_showback -- [--events N] [--db sqlite|postgres|both]
//!     [--clients 1,4] [--reads 30] [--users 500]
//! ```
//!
//! For each database and each client count, a fresh database and an in-process server on
//! 127.0.0.1:0 (started as the API tests start it) receive N deterministic events for March 2026
//! through `POST /api/v1/events`, in batches of 1,000 as JSON arrays serialized before the clock
//! starts. After the last ingest run, the month's showback and one team's drill-down are timed.
//! PostgreSQL runs when `TOKENTALLY_BENCH_POSTGRES_URL` (or `TOKENTALLY_TEST_POSTGRES_URL`)
//! names a server where databases may be created; each run creates a uniquely named database
//! and drops it after. Results are printed as markdown tables. See docs/BENCHMARKS.md.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use chrono::{DateTime, NaiveDate, SecondsFormat};
use reqwest::{Client, StatusCode};
use serde_json::{Map, Value};
use sqlx::Connection;
use tokentally_domain::attribution::KeyMapping;
use tokentally_server::auth::Role;
use tokentally_server::config::Config;
use tokentally_server::startup::{Application, ensure_default_catalog};
use tokentally_server::storage::Store;

/// Events per request body.
const BATCH: usize = 1_000;
/// The month the events fall in, and that showback reads.
const MONTH: &str = "2026-03";
/// Untimed requests before each read measurement.
const WARM_UP: usize = 3;
/// The team whose drill-down is timed.
const DRILLDOWN_TEAM: &str = "search";

const TEAMS: [&str; 8] = [
    "search", "support", "growth", "platform", "data", "sales", "legal", "research",
];
const FEATURES: [&str; 20] = [
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
const MODELS: [(&str, &str); 4] = [
    ("openai", "gpt-4o"),
    ("openai", "gpt-4o-mini"),
    ("anthropic", "claude-3-5-sonnet-20241022"),
    ("anthropic", "claude-3-5-haiku-20241022"),
];
const KEYS: u64 = 30;
/// Keys below this are mapped to their team (attribution by key mapping) and send no team tag.
const MAPPED_KEYS: u64 = 10;
/// Keys from this one on send no team at all (Unallocated).
const UNOWNED_KEYS_FROM: u64 = 27;

// ---------------------------------------------------------------------------------------------
// Options

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Db {
    Sqlite,
    Postgres,
}

impl Db {
    fn name(self) -> &'static str {
        match self {
            Db::Sqlite => "SQLite",
            Db::Postgres => "PostgreSQL",
        }
    }
}

/// What to run, from the command line and the environment.
#[derive(Debug)]
struct Options {
    events: usize,
    /// Distinct `user` values the events carry (0: none).
    users: u64,
    databases: Vec<Db>,
    clients: Vec<usize>,
    reads: usize,
    postgres_url: Option<String>,
}

impl Options {
    /// Reads `--events N`, `--db sqlite|postgres|both`, `--clients 1,4`, `--reads N` and
    /// `--users N`; ignores the `--bench` flag cargo passes.
    fn parse() -> anyhow::Result<Self> {
        let postgres_url = [
            "TOKENTALLY_BENCH_POSTGRES_URL",
            "TOKENTALLY_TEST_POSTGRES_URL",
        ]
        .into_iter()
        .find_map(|v| std::env::var(v).ok().filter(|u| !u.is_empty()));
        let mut o = Options {
            events: 1_000_000,
            users: 500,
            databases: match postgres_url {
                Some(_) => vec![Db::Sqlite, Db::Postgres],
                None => vec![Db::Sqlite],
            },
            clients: vec![1, 4],
            reads: 30,
            postgres_url,
        };
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            let mut value = || args.next().with_context(|| format!("{arg} needs a value"));
            match arg.as_str() {
                "--bench" => {}
                "--events" => o.events = parse_count(&value()?)?,
                "--reads" => o.reads = parse_count(&value()?)?,
                "--users" => o.users = value()?.parse().context("--users takes a number")?,
                "--clients" => {
                    o.clients = value()?
                        .split(',')
                        .map(parse_count)
                        .collect::<anyhow::Result<_>>()?
                }
                "--db" => {
                    o.databases = match value()?.as_str() {
                        "sqlite" => vec![Db::Sqlite],
                        "postgres" => vec![Db::Postgres],
                        "both" => vec![Db::Sqlite, Db::Postgres],
                        other => bail!("--db {other}: expected sqlite, postgres or both"),
                    }
                }
                other => bail!(
                    "unknown argument `{other}`; expected --events N, --db sqlite|postgres|both, --clients 1,4, --reads N, --users N"
                ),
            }
        }
        ensure!(
            o.postgres_url.is_some() || !o.databases.contains(&Db::Postgres),
            "PostgreSQL needs TOKENTALLY_BENCH_POSTGRES_URL (or TOKENTALLY_TEST_POSTGRES_URL)"
        );
        Ok(o)
    }
}

/// A positive integer; `_` separators allowed (`1_000_000`).
fn parse_count(s: &str) -> anyhow::Result<usize> {
    let n: usize = s
        .replace('_', "")
        .parse()
        .with_context(|| format!("`{s}` is not a count"))?;
    ensure!(n > 0, "`{s}` must be at least 1");
    Ok(n)
}

// ---------------------------------------------------------------------------------------------
// Deterministic events

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
fn key_name(key: u64) -> String {
    format!("key-{key:02}")
}

fn team_of(key: u64) -> &'static str {
    TEAMS[(key % TEAMS.len() as u64) as usize]
}

/// What the events look like: how many, over which month, with how many users.
struct Workload {
    events: usize,
    users: u64,
    start_ms: i64,
    month_ms: i64,
}

impl Workload {
    fn new(events: usize, users: u64) -> Self {
        let start_ms = day("2026-03-01").and_hms_opt(0, 0, 0).unwrap();
        let end_ms = day("2026-04-01").and_hms_opt(0, 0, 0).unwrap();
        let start_ms = start_ms.and_utc().timestamp_millis();
        Workload {
            events,
            users,
            start_ms,
            month_ms: end_ms.and_utc().timestamp_millis() - start_ms,
        }
    }

    /// The request bodies: the events as JSON arrays of [`BATCH`], serialized up front.
    fn request_bodies(&self) -> Vec<Vec<u8>> {
        let n = self.events;
        (0..n)
            .step_by(BATCH)
            .map(|first| {
                let batch: Vec<Value> = (first..(first + BATCH).min(n))
                    .map(|i| self.event(i))
                    .collect();
                serde_json::to_vec(&batch).expect("events serialize")
            })
            .collect()
    }

    /// Event `i`, spread evenly over the month in order (as a gateway would send them).
    ///
    /// Cardinality: 30 keys × 3 features × 2 models × 4 outcomes (+ a few batch-tier and
    /// long-context calls) per day, so the month's rollups stay in the tens of thousands
    /// however many events there are. One block of ten consecutive calls in five is an agent
    /// run (one workflow, one key). Each call's user is drawn from one pool shared by all keys.
    fn event(&self, i: usize) -> Value {
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

fn day(s: &str) -> NaiveDate {
    s.parse().expect("a valid date")
}

// ---------------------------------------------------------------------------------------------
// The application under test

/// The server on a random port with a fresh database, and the tokens to call it.
struct Bench {
    address: String,
    store: Store,
    client: Client,
    ingest_token: String,
    finance_token: String,
    server: tokio::task::JoinHandle<anyhow::Result<()>>,
    database: Database,
}

/// Where the fresh database lives; dropped (directory removed, database dropped) at the end.
enum Database {
    Sqlite(tempfile::TempDir),
    // Held only to be dropped with the bench.
    Postgres(#[allow(dead_code)] PgDatabase),
}

/// A uniquely named PostgreSQL database, dropped when this is dropped.
struct PgDatabase {
    admin_url: String,
    name: String,
}

impl PgDatabase {
    async fn create(admin_url: &str) -> anyhow::Result<(Self, String)> {
        let name = format!("tt_bench_{}_{}", std::process::id(), nanos());
        let mut conn = sqlx::PgConnection::connect(admin_url)
            .await
            .context("connecting to the PostgreSQL server")?;
        sqlx::query(&format!("CREATE DATABASE \"{name}\""))
            .execute(&mut conn)
            .await
            .context("creating the bench database")?;
        let mut url = url::Url::parse(admin_url).context("the PostgreSQL URL")?;
        url.set_path(&name);
        let db = PgDatabase {
            admin_url: admin_url.to_owned(),
            name,
        };
        Ok((db, url.into()))
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        // Drop runs outside async: a short-lived runtime on its own thread drops the database.
        let dropped = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime");
            rt.block_on(async move {
                let mut conn = sqlx::PgConnection::connect(&admin_url).await?;
                sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                    .execute(&mut conn)
                    .await?;
                Ok::<_, sqlx::Error>(())
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("warning: could not drop the bench database {}", self.name);
        }
    }
}

fn nanos() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}

impl Bench {
    /// A migrated, empty database with the shipped catalog and the key mappings, and the
    /// server on 127.0.0.1:0.
    async fn start(db: Db, postgres_url: Option<&str>) -> anyhow::Result<Self> {
        let (url, database) = match db {
            Db::Sqlite => {
                let dir = tempfile::tempdir()?;
                let url = format!("sqlite://{}", dir.path().join("bench.db").display());
                (url, Database::Sqlite(dir))
            }
            Db::Postgres => {
                let admin = postgres_url.context("no PostgreSQL URL")?;
                let (pg, url) = PgDatabase::create(admin).await?;
                (url, Database::Postgres(pg))
            }
        };
        let store = Store::connect(&url).await?;
        ensure_default_catalog(&store).await?;
        map_keys(&store).await?;
        let config = Config::new("unused://", SocketAddr::from(([127, 0, 0, 1], 0)));
        let app = Application::with_store(store.clone(), config).await?;
        let address = format!("http://127.0.0.1:{}", app.port());
        let server = tokio::spawn(app.run_until_stopped());
        let token = |name, role| tokentally_server::cli::create_token(&store, name, role, &[]);
        Ok(Bench {
            address,
            client: Client::new(),
            ingest_token: token("bench-ingest", Role::Ingest).await?,
            finance_token: token("bench-finance", Role::Finance).await?,
            store,
            server,
            database,
        })
    }

    /// Stops the server and closes the pool; the database goes when `self` is dropped.
    async fn stop(self) {
        self.server.abort();
        let _ = self.server.await;
        self.store.close().await;
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// `SELECT COUNT(*)` of a table.
    async fn count(&self, table: &str) -> anyhow::Result<i64> {
        let sql = format!("SELECT CAST(COUNT(*) AS BIGINT) FROM {table}");
        Ok(sqlx::query_scalar(&sql)
            .fetch_one(self.store.pool())
            .await?)
    }

    /// The database's size on disk (SQLite: file and WAL; PostgreSQL: `pg_database_size`).
    async fn size_bytes(&self) -> anyhow::Result<i64> {
        match &self.database {
            Database::Sqlite(dir) => Ok(["bench.db", "bench.db-wal"]
                .iter()
                .filter_map(|f| std::fs::metadata(dir.path().join(f)).ok())
                .map(|m| m.len() as i64)
                .sum()),
            Database::Postgres(_) => Ok(sqlx::query_scalar(
                "SELECT CAST(pg_database_size(current_database()) AS BIGINT)",
            )
            .fetch_one(self.store.pool())
            .await?),
        }
    }
}

/// Maps the first [`MAPPED_KEYS`] keys to their teams from before the month, as an admin
/// would, so that showback exercises key-mapping attribution as well as tags.
async fn map_keys(store: &Store) -> anyhow::Result<()> {
    for key in 0..MAPPED_KEYS {
        let mapping = KeyMapping {
            api_key: key_name(key),
            team: team_of(key).to_owned(),
            feature: None,
            environment: None,
            valid_from: day("2026-01-01"),
        };
        store.set_key_mapping(&mapping, "bench").await?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Measurements

/// One ingest run: all bodies sent by `clients` concurrent tasks.
struct IngestResult {
    db: Db,
    clients: usize,
    events: usize,
    elapsed: Duration,
    /// Time per request (one batch), sorted.
    latencies: Vec<Duration>,
}

/// Sends every body to `POST /api/v1/events` from `clients` tasks that take the next body
/// in turn; checks that every event was accepted.
async fn ingest(
    bench: &Bench,
    bodies: Vec<Vec<u8>>,
    events: usize,
    clients: usize,
) -> anyhow::Result<IngestResult> {
    let bodies = Arc::new(
        bodies
            .into_iter()
            .map(std::sync::Mutex::new)
            .collect::<Vec<_>>(),
    );
    let next = Arc::new(AtomicUsize::new(0));
    let url = bench.url("/api/v1/events");
    let started = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            let (bodies, next) = (bodies.clone(), next.clone());
            let (client, url, token) = (
                bench.client.clone(),
                url.clone(),
                bench.ingest_token.clone(),
            );
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut accepted = 0;
                while let Some(body) = bodies.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let body = std::mem::take(&mut *body.lock().expect("unpoisoned"));
                    let sent = Instant::now();
                    accepted += post_events(&client, &url, &token, body).await?;
                    latencies.push(sent.elapsed());
                }
                Ok::<_, anyhow::Error>((latencies, accepted))
            })
        })
        .collect();
    let mut latencies = Vec::new();
    let mut accepted = 0;
    for task in tasks {
        let (l, a) = task.await??;
        latencies.extend(l);
        accepted += a;
    }
    let elapsed = started.elapsed();
    ensure!(accepted == events, "{accepted} of {events} events accepted");
    latencies.sort();
    Ok(IngestResult {
        db: bench_db(bench),
        clients,
        events,
        elapsed,
        latencies,
    })
}

fn bench_db(bench: &Bench) -> Db {
    match bench.database {
        Database::Sqlite(_) => Db::Sqlite,
        Database::Postgres(_) => Db::Postgres,
    }
}

/// One `POST /api/v1/events`; answers how many events were accepted.
async fn post_events(
    client: &Client,
    url: &str,
    token: &str,
    body: Vec<u8>,
) -> anyhow::Result<usize> {
    let response = client
        .post(url)
        .bearer_auth(token)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(body)
        .send()
        .await?;
    let status = response.status();
    let answer: Value = response.json().await?;
    ensure!(
        status == StatusCode::OK,
        "ingest answered {status}: {answer}"
    );
    ensure!(
        answer["rejected"].as_array().is_some_and(Vec::is_empty),
        "events rejected: {answer}"
    );
    Ok(answer["accepted"].as_u64().unwrap_or(0) as usize)
}

/// Latencies of one read endpoint.
struct ReadResult {
    endpoint: String,
    /// Sorted.
    latencies: Vec<Duration>,
    response_bytes: usize,
}

/// Times `reads` GETs of `path` after [`WARM_UP`] untimed ones.
async fn time_reads(bench: &Bench, path: &str, reads: usize) -> anyhow::Result<ReadResult> {
    let mut latencies = Vec::with_capacity(reads);
    let mut response_bytes = 0;
    for i in 0..WARM_UP + reads {
        let started = Instant::now();
        let response = bench
            .client
            .get(bench.url(path))
            .bearer_auth(&bench.finance_token)
            .send()
            .await?;
        let status = response.status();
        let body = response.bytes().await?;
        let elapsed = started.elapsed();
        ensure!(status == StatusCode::OK, "GET {path} answered {status}");
        if i >= WARM_UP {
            latencies.push(elapsed);
        }
        response_bytes = body.len();
    }
    latencies.sort();
    Ok(ReadResult {
        endpoint: format!("GET {path}"),
        latencies,
        response_bytes,
    })
}

/// What the database holds after the last ingest run, and how fast it is read.
struct ReadReport {
    db: Db,
    events: i64,
    rollups: i64,
    workflows: i64,
    /// Rows of `usage_users` (user × day × owner dimensions), which showback also reads.
    user_days: i64,
    size_bytes: i64,
    reads: Vec<ReadResult>,
}

/// Counts rows and times showback and a team's drill-down.
async fn read_report(bench: &Bench, reads: usize) -> anyhow::Result<ReadReport> {
    let showback = time_reads(bench, &format!("/api/v1/showback?month={MONTH}"), reads).await?;
    let team = format!("/api/v1/teams/{DRILLDOWN_TEAM}?month={MONTH}");
    let drilldown = time_reads(bench, &team, reads).await?;
    Ok(ReadReport {
        db: bench_db(bench),
        events: bench.count("events").await?,
        rollups: bench.count("usage_rollups").await?,
        workflows: bench.count("workflows").await?,
        user_days: bench.count("usage_users").await?,
        size_bytes: bench.size_bytes().await?,
        reads: vec![showback, drilldown],
    })
}

/// Every ingest run on one database, then the reads after the last one.
async fn run_database(
    db: Db,
    options: &Options,
) -> anyhow::Result<(Vec<IngestResult>, ReadReport)> {
    let mut runs = Vec::new();
    let mut last = None;
    for &clients in &options.clients {
        let bench = Bench::start(db, options.postgres_url.as_deref()).await?;
        let bodies = Workload::new(options.events, options.users).request_bodies();
        eprintln!(
            "{}: ingesting {} events with {clients} client task(s)…",
            db.name(),
            options.events
        );
        let run = ingest(&bench, bodies, options.events, clients).await?;
        eprintln!("  {:.0} events/s", per_second(run.events, run.elapsed));
        runs.push(run);
        if let Some(previous) = last.replace(bench) {
            previous.stop().await;
        }
    }
    let bench = last.context("no client count given")?;
    eprintln!("{}: timing reads…", db.name());
    let report = read_report(&bench, options.reads).await;
    bench.stop().await;
    Ok((runs, report?))
}

// ---------------------------------------------------------------------------------------------
// Output

fn per_second(n: usize, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64()
}

/// The value at quantile `q` of sorted durations, in milliseconds.
fn quantile_ms(sorted: &[Duration], q: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted.get(i).map_or(f64::NAN, |d| d.as_secs_f64() * 1e3)
}

fn print_ingest(runs: &[IngestResult]) {
    println!(
        "| database | client tasks | events | requests | seconds | events/s | batch p50 ms | batch p95 ms |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    for r in runs {
        println!(
            "| {} | {} | {} | {} | {:.1} | {:.0} | {:.1} | {:.1} |",
            r.db.name(),
            r.clients,
            r.events,
            r.latencies.len(),
            r.elapsed.as_secs_f64(),
            per_second(r.events, r.elapsed),
            quantile_ms(&r.latencies, 0.5),
            quantile_ms(&r.latencies, 0.95),
        );
    }
}

fn print_reads(reports: &[ReadReport]) {
    println!(
        "| database | events | rollup rows | workflows | user-day rows | size MB | request | n | min ms | median ms | p95 ms | response KB |"
    );
    println!("|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|");
    for r in reports {
        for read in &r.reads {
            println!(
                "| {} | {} | {} | {} | {} | {:.0} | `{}` | {} | {:.1} | {:.1} | {:.1} | {:.1} |",
                r.db.name(),
                r.events,
                r.rollups,
                r.workflows,
                r.user_days,
                r.size_bytes as f64 / 1e6,
                read.endpoint,
                read.latencies.len(),
                quantile_ms(&read.latencies, 0.0),
                quantile_ms(&read.latencies, 0.5),
                quantile_ms(&read.latencies, 0.95),
                read.response_bytes as f64 / 1024.0,
            );
        }
    }
}

fn main() -> anyhow::Result<()> {
    let options = Options::parse()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let mut ingest_runs = Vec::new();
    let mut read_reports = Vec::new();
    for &db in &options.databases {
        let (runs, report) = runtime.block_on(run_database(db, &options))?;
        ingest_runs.extend(runs);
        read_reports.push(report);
    }
    println!(
        "\nIngest: POST /api/v1/events, JSON arrays of {BATCH} events, {} events of {MONTH} from {} users per run, fresh database per run\n",
        options.events, options.users
    );
    print_ingest(&ingest_runs);
    println!(
        "\nReads after the last run ({WARM_UP} warm-up requests, then {} timed, one at a time)\n",
        options.reads
    );
    print_reads(&read_reports);
    Ok(())
}
