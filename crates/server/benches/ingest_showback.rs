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
//! The events come from `tokentally_bench::generate` (crates/bench), which the benchmark
//! command `tokentally-bench` also sends.
//! PostgreSQL runs when `TOKENTALLY_BENCH_POSTGRES_URL` (or `TOKENTALLY_TEST_POSTGRES_URL`)
//! names a server where databases may be created; each run creates a uniquely named database
//! and drops it after. Results are printed as markdown tables. See docs/BENCHMARKS.md.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use reqwest::{Client, StatusCode};
use serde_json::Value;
use sqlx::Connection;
use tokentally_bench::generate::{BATCH, MAPPED_KEYS, MONTH, Workload, day, key_name, team_of};
use tokentally_domain::attribution::KeyMapping;
use tokentally_server::auth::Role;
use tokentally_server::config::Config;
use tokentally_server::startup::{Application, ensure_default_catalog};
use tokentally_server::storage::Store;

/// Untimed requests before each read measurement.
const WARM_UP: usize = 3;
/// The team whose drill-down is timed.
const DRILLDOWN_TEAM: &str = "search";

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
        let token =
            |name, role| tokentally_server::app::accounts::create_token(&store, name, role, &[]);
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
    /// Rows of `usage_user_words` (63 users × day × owner dimensions), which drill-downs read.
    user_words: i64,
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
        user_words: bench.count("usage_user_words").await?,
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
        "| database | events | rollup rows | workflows | user-word rows | size MB | request | n | min ms | median ms | p95 ms | response KB |"
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
                r.user_words,
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
