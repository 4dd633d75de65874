//! `tokentally-bench`: the benchmark command of issue 9.
//!
//! ```sh
//! cargo build --release -p tokentally-server
//! cargo run --release -p tokentally-bench -- [--events 1000000,10000000] [--db sqlite,postgres]
//!     [--clients 4] [--quick] [--customers 100000]
//! ```
//!
//! `--customers N` names one of N customers on every event, so the per-customer rollup is
//! folded at ingest too: run once without and once with it and compare the ingest rows.
//!
//! For each size N it generates N deterministic events to disk once (request bodies and the
//! `events` table's rows as CSV), times DuckDB's GROUP BY over the CSV, and for each database
//! runs the real `target/release/tokentally` binary as a child process on a fresh database:
//! ingest through the API, showback latency, wrk on the showback API and page, every other
//! read a reader opens (drill-downs, workflows, statements, reconciliation, scorecard:
//! computed anew, as kept, and its page under wrk), the server's peak RSS; then the engine's own bulk load of the same CSV into a fresh schema. It prints
//! one markdown table with the issue's targets and writes it to `target/bench-report.md`.

use std::path::PathBuf;

use anyhow::{Context, bail, ensure};
use sqlx::Connection;
use tokentally_bench::generate::{MONTH, Workload};
use tokentally_bench::profile::Profile;
use tokentally_bench::reads::{self, Auth};
use tokentally_bench::report::{self, DbResult, SizeResult};
use tokentally_bench::server::{self, Db, FreshDb, Server};
use tokentally_bench::{bulk, duckdb, ingest, wrk};

/// Distinct users the events name (as `benches/ingest_showback.rs` by default).
const USERS: u64 = 500;
const WARM_UP: usize = 3;
const FINANCE_EMAIL: &str = "bench-finance@example.com";
const FINANCE_PASSWORD: &str = "bench-password-1";

struct Options {
    events: Vec<usize>,
    databases: Vec<Db>,
    clients: usize,
    reads: usize,
    duck_runs: usize,
    connections: u32,
    wrk_seconds: u32,
    server: Option<PathBuf>,
    postgres_url: String,
    perf: bool,
    /// Distinct customers, one on every event; 0 for none.
    customers: u64,
}

const USAGE: &str = "usage: tokentally-bench [--events 1000000,10000000] [--db sqlite,postgres] \
[--clients 4] [--quick] [--reads 20] [--connections 32] [--wrk-seconds 10] [--server PATH] \
[--postgres-url URL] [--perf] [--customers N]";

impl Options {
    fn parse() -> anyhow::Result<Self> {
        let mut o = Options {
            events: vec![1_000_000, 10_000_000],
            databases: vec![Db::Sqlite, Db::Postgres],
            clients: 4,
            reads: 20,
            duck_runs: 7,
            connections: 32,
            wrk_seconds: 10,
            server: None,
            postgres_url: std::env::var("TOKENTALLY_BENCH_POSTGRES_URL")
                .ok()
                .filter(|u| !u.is_empty())
                .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/postgres".into()),
            perf: false,
            customers: 0,
        };
        let mut events_given = false;
        let mut quick = false;
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            let mut value = || args.next().with_context(|| format!("{arg} needs a value"));
            match arg.as_str() {
                "--events" => {
                    o.events = value()?
                        .split(',')
                        .map(parse_count)
                        .collect::<anyhow::Result<_>>()?;
                    events_given = true;
                }
                "--db" => {
                    o.databases = value()?
                        .split(',')
                        .map(|d| match d {
                            "sqlite" => Ok(Db::Sqlite),
                            "postgres" => Ok(Db::Postgres),
                            other => bail!("--db {other}: expected sqlite or postgres"),
                        })
                        .collect::<anyhow::Result<_>>()?
                }
                "--clients" => o.clients = parse_count(&value()?)?,
                "--reads" => o.reads = parse_count(&value()?)?,
                "--connections" => o.connections = parse_count(&value()?)? as u32,
                "--wrk-seconds" => o.wrk_seconds = parse_count(&value()?)? as u32,
                "--server" => o.server = Some(PathBuf::from(value()?)),
                "--postgres-url" => o.postgres_url = value()?,
                "--quick" => quick = true,
                "--perf" => o.perf = true,
                "--customers" => o.customers = parse_count(&value()?)? as u64,
                "-h" | "--help" => {
                    println!("{USAGE}");
                    std::process::exit(0);
                }
                other => bail!("unknown argument `{other}`\n{USAGE}"),
            }
        }
        if quick {
            if !events_given {
                o.events = vec![100_000];
            }
            o.reads = o.reads.min(5);
            o.duck_runs = 3;
            o.wrk_seconds = o.wrk_seconds.min(3);
        }
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

/// What every run needs: the binary, the directories, the DuckDB python.
struct Setup {
    binary: PathBuf,
    data_dir: PathBuf,
    python: Result<PathBuf, String>,
    wrk: Result<(), String>,
}

fn main() -> anyhow::Result<()> {
    let options = Options::parse()?;
    let target = server::target_dir();
    let setup = Setup {
        binary: server::locate_binary(options.server.as_deref())?,
        data_dir: target.join("bench-data"),
        python: duckdb::ensure_venv(&target).map_err(|e| format!("{e:#}")),
        wrk: wrk::ensure_wrk(),
    };
    if let Err(e) = &setup.python {
        eprintln!("note: no DuckDB comparison: {e}");
    }
    if let Err(e) = &setup.wrk {
        eprintln!("note: no wrk runs: {e}");
    }
    eprintln!("server binary: {}", setup.binary.display());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .thread_name("bench-client")
        .enable_all()
        .build()?;
    let postgres_version = if options.databases.contains(&Db::Postgres) {
        Some(runtime.block_on(postgres_version(&options.postgres_url))?)
    } else {
        None
    };
    let mut sizes = Vec::new();
    for &n in &options.events {
        sizes.push(runtime.block_on(run_size(n, &options, &setup))?);
    }
    let duck_version = sizes
        .iter()
        .find_map(|s| s.duck.as_ref().ok().map(|d| d.version.clone()));
    let mut out = String::new();
    out.push_str(&format!(
        "### tokentally-bench: {} events of {MONTH}, {} users, {}{} ingest tasks\n\n",
        options
            .events
            .iter()
            .map(|&n| report::count(n as u64))
            .collect::<Vec<_>>()
            .join(" and "),
        USERS,
        if options.customers > 0 {
            format!("a customer (of {}) on every event, ", options.customers)
        } else {
            String::new()
        },
        options.clients
    ));
    out.push_str(&report::table(
        &sizes,
        options.connections,
        options.wrk_seconds,
    ));
    for r in sizes.iter().flat_map(|s| &s.dbs) {
        out.push_str(&tokentally_bench::pages::table(
            r.db.name(),
            r.events,
            &r.reads,
            options.connections,
        ));
    }
    out.push('\n');
    out.push_str(&report::machine(
        postgres_version.as_deref(),
        duck_version.as_deref(),
    ));
    for r in sizes.iter().flat_map(|s| &s.dbs) {
        for p in &r.profiles {
            out.push('\n');
            out.push_str(p);
        }
    }
    println!("\n{out}");
    let path = target.join("bench-report.md");
    std::fs::write(&path, &out).with_context(|| format!("writing {}", path.display()))?;
    eprintln!("written to {}", path.display());
    Ok(())
}

async fn postgres_version(url: &str) -> anyhow::Result<String> {
    let mut conn = sqlx::PgConnection::connect(url)
        .await
        .with_context(|| format!("connecting to PostgreSQL at {url} (set --postgres-url or TOKENTALLY_BENCH_POSTGRES_URL, or pass --db sqlite)"))?;
    let v: String = sqlx::query_scalar("SHOW server_version")
        .fetch_one(&mut conn)
        .await?;
    Ok(v)
}

/// Everything at one size: the files, DuckDB, then each database.
async fn run_size(n: usize, options: &Options, setup: &Setup) -> anyhow::Result<SizeResult> {
    let dir = if options.customers > 0 {
        setup
            .data_dir
            .join(format!("events-{n}-customers-{}", options.customers))
    } else {
        setup.data_dir.join(format!("events-{n}"))
    };
    eprintln!(
        "{n} events: writing request bodies and CSV to {} (once per size)…",
        dir.display()
    );
    let workload = Workload::new(n, USERS).with_customers(options.customers);
    let files = tokio::task::block_in_place(|| workload.write_files(&dir))?;
    let duck = match &setup.python {
        Ok(python) => {
            eprintln!("{n} events: DuckDB…");
            tokio::task::block_in_place(|| {
                duckdb::showback_group_by(python, &dir, &files.csv, options.duck_runs)
            })
            .map_err(|e| format!("{e:#}"))
        }
        Err(e) => Err(e.clone()),
    };
    if let Ok(d) = &duck {
        eprintln!(
            "  loaded {} rows in {:.1} s; GROUP BY median {:.1} ms",
            d.rows,
            d.load_s,
            d.median_ms()
        );
    }
    let mut dbs = Vec::new();
    for &db in &options.databases {
        dbs.push(run_database(db, n, &files, options, setup).await?);
    }
    Ok(SizeResult {
        events: n,
        duck,
        dbs,
    })
}

/// One database at one size: the server on a fresh database, then the bulk load.
async fn run_database(
    db: Db,
    n: usize,
    files: &tokentally_bench::generate::EventFiles,
    options: &Options,
    setup: &Setup,
) -> anyhow::Result<DbResult> {
    let binary = setup.binary.as_path();
    let fresh = FreshDb::create(db, &setup.data_dir, &options.postgres_url).await?;
    let url = fresh.url().to_owned();
    let ingest_token = server::create_token(binary, &url, "bench-ingest", "ingest")?;
    let finance_token = server::create_token(binary, &url, "bench-finance", "finance")?;
    let admin_token = server::create_token(binary, &url, "bench-admin", "admin")?;
    server::cli(
        binary,
        &url,
        &["user", "add", "--email", FINANCE_EMAIL, "--role", "finance"],
        &[("TOKENTALLY_PASSWORD", FINANCE_PASSWORD)],
    )?;
    let log = setup.data_dir.join(format!("server-{}-{n}.log", db.name()));
    let mut srv = Server::start(binary, &url, &log).await?;
    reads::map_keys(&srv.base, &admin_token).await?;

    eprintln!(
        "{} {n}: ingesting with {} tasks (server pid {})…",
        db.name(),
        options.clients,
        srv.pid()
    );
    let perf_dir = setup.data_dir.join("perf");
    let perf_file = |phase: &str| perf_dir.join(format!("{}-{n}-{phase}.data", db.name()));
    let mut profiles = Vec::new();
    let profile = options
        .perf
        .then(|| Profile::start(&perf_file("ingest")))
        .flatten();
    let run = ingest::ingest(
        &files.bodies,
        &srv.url("/api/v1/events"),
        &ingest_token,
        options.clients,
        n,
    )
    .await?;
    eprintln!(
        "  {:.0} events/s in {:.1} s",
        run.per_second(),
        run.elapsed.as_secs_f64()
    );
    if let Some(p) = profile {
        let title = format!("{} ingest of {n} events", db.name());
        profiles.push(p.finish(&title, srv.pid(), db == Db::Postgres));
    }
    let rss_after_ingest = srv.peak_rss_bytes()?;
    let vacuum = fresh.vacuum_analyze().await?;
    if let Some(took) = vacuum {
        eprintln!("  VACUUM ANALYZE in {:.1} s", took.as_secs_f64());
    }

    let api = format!("/api/v1/showback?month={MONTH}");
    let page = format!("/?month={MONTH}");
    let bearer = Auth::Bearer(finance_token);
    eprintln!("{} {n}: showback latency…", db.name());
    let showback = reads::time_gets(&srv.url(&api), &bearer, true, WARM_UP, options.reads).await?;
    let showback_kept =
        reads::time_gets(&srv.url(&api), &bearer, false, WARM_UP, options.reads).await?;
    let cookie = Auth::Cookie(reads::login(&srv.base, FINANCE_EMAIL, FINANCE_PASSWORD).await?);
    let page_timed =
        reads::time_gets(&srv.url(&page), &cookie, false, WARM_UP, options.reads).await?;
    eprintln!(
        "  API median {:.1} ms computed, {:.1} ms kept; page median {:.1} ms",
        showback.quantile_ms(0.5),
        showback_kept.quantile_ms(0.5),
        page_timed.quantile_ms(0.5)
    );
    let wrk_run = |path: &str, auth: &Auth| match &setup.wrk {
        Ok(()) => {
            eprintln!("{} {n}: wrk {path}…", db.name());
            let url = srv.url(path);
            tokio::task::block_in_place(|| {
                wrk::run(
                    &url,
                    &auth.header(),
                    options.connections,
                    options.wrk_seconds,
                )
            })
            .map_err(|e| format!("{e:#}"))
        }
        Err(e) => Err(e.clone()),
    };
    let profile = (options.perf && setup.wrk.is_ok())
        .then(|| Profile::start(&perf_file("wrk")))
        .flatten();
    let wrk_api = wrk_run(&api, &bearer);
    let wrk_page = wrk_run(&page, &cookie);
    if let Some(p) = profile {
        let title = format!(
            "{} wrk on the showback API, then the page, at {n} events",
            db.name()
        );
        profiles.push(p.finish(&title, srv.pid(), db == Db::Postgres));
    }
    eprintln!("{} {n}: every other read…", db.name());
    let other_reads = tokentally_bench::pages::measure(
        &srv.base,
        &bearer,
        &cookie,
        WARM_UP,
        options.reads,
        wrk_run,
    )
    .await;
    let peak_rss = srv.peak_rss_bytes()?;
    eprintln!("  peak RSS {:.0} MB", peak_rss as f64 / 1e6);
    srv.stop();
    let db_bytes = fresh.size_bytes().await.unwrap_or(0);
    drop(fresh);

    eprintln!("{} {n}: engine bulk load…", db.name());
    let bulk = bulk::bulk_load(
        db,
        binary,
        &setup.data_dir,
        &options.postgres_url,
        &files.csv,
    )
    .await
    .map_err(|e| format!("{e:#}"));
    match &bulk {
        Ok(b) => eprintln!(
            "  {} rows in {:.1} s: {:.0} rows/s",
            b.rows,
            b.elapsed.as_secs_f64(),
            b.per_second()
        ),
        Err(e) => eprintln!("  bulk load failed: {e}"),
    }
    Ok(DbResult {
        db,
        events: n,
        clients: options.clients,
        ingest: run,
        bulk,
        showback,
        showback_kept,
        page: page_timed,
        wrk_api,
        wrk_page,
        rss_after_ingest,
        vacuum,
        peak_rss,
        db_bytes,
        profiles,
        reads: other_reads,
    })
}
