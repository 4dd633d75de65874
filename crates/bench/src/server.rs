//! The real `tokentally` binary as a child process on a fresh database: its CLI for tokens and
//! users, `serve` on a free port, and its peak RSS from `/proc/<pid>/status`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use sqlx::Connection;

/// Which database engine a run uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

impl Db {
    pub fn name(self) -> &'static str {
        match self {
            Db::Sqlite => "SQLite",
            Db::Postgres => "PostgreSQL",
        }
    }
}

/// A fresh, empty database: a file in a temporary directory, or a uniquely named PostgreSQL
/// database. Removed or dropped when this is dropped.
pub enum FreshDb {
    Sqlite {
        dir: tempfile::TempDir,
        url: String,
    },
    Postgres {
        admin_url: String,
        name: String,
        url: String,
    },
}

impl FreshDb {
    /// A new database of `db`'s kind: SQLite files go under `work_dir`.
    pub async fn create(db: Db, work_dir: &Path, postgres_url: &str) -> anyhow::Result<Self> {
        match db {
            Db::Sqlite => {
                std::fs::create_dir_all(work_dir)?;
                let dir = tempfile::Builder::new()
                    .prefix("sqlite-")
                    .tempdir_in(work_dir)?;
                let url = format!("sqlite://{}", dir.path().join("bench.db").display());
                Ok(FreshDb::Sqlite { dir, url })
            }
            Db::Postgres => {
                let name = format!("tt_bench_{}_{}", std::process::id(), nanos());
                let mut conn = sqlx::PgConnection::connect(postgres_url)
                    .await
                    .with_context(|| format!("connecting to PostgreSQL at {postgres_url}"))?;
                sqlx::query(&format!("CREATE DATABASE \"{name}\""))
                    .execute(&mut conn)
                    .await
                    .context("creating the bench database")?;
                let mut url = url::Url::parse(postgres_url).context("the PostgreSQL URL")?;
                url.set_path(&name);
                Ok(FreshDb::Postgres {
                    admin_url: postgres_url.to_owned(),
                    name,
                    url: url.into(),
                })
            }
        }
    }

    pub fn url(&self) -> &str {
        match self {
            FreshDb::Sqlite { url, .. } | FreshDb::Postgres { url, .. } => url,
        }
    }

    /// The SQLite file, for the `sqlite3` CLI.
    pub fn sqlite_file(&self) -> Option<PathBuf> {
        match self {
            FreshDb::Sqlite { dir, .. } => Some(dir.path().join("bench.db")),
            FreshDb::Postgres { .. } => None,
        }
    }

    /// Leaves the database as a running PostgreSQL would after a bulk load: `VACUUM ANALYZE`.
    /// Ingest upserts rollup rows, and every update leaves a dead row version behind; in
    /// production autovacuum clears them and gathers the planner's statistics within a
    /// minute or so of a load, but this machine's PostgreSQL runs with `autovacuum = off`
    /// (CI's configuration), so without this the reads would scan tens of times the live
    /// rows. docs/OPERATIONS.md asks the same of an operator after a bulk import. SQLite is
    /// left as the server leaves it (its reads name their index where the planner would
    /// guess wrong: `dialect::use_index`).
    pub async fn vacuum_analyze(&self) -> anyhow::Result<Option<Duration>> {
        match self {
            FreshDb::Sqlite { .. } => Ok(None),
            FreshDb::Postgres { url, .. } => {
                let started = Instant::now();
                let mut conn = sqlx::PgConnection::connect(url).await?;
                sqlx::query("VACUUM ANALYZE").execute(&mut conn).await?;
                Ok(Some(started.elapsed()))
            }
        }
    }

    /// Bytes on disk: the SQLite file and its WAL, or `pg_database_size`.
    pub async fn size_bytes(&self) -> anyhow::Result<u64> {
        match self {
            FreshDb::Sqlite { dir, .. } => Ok(["bench.db", "bench.db-wal"]
                .iter()
                .filter_map(|f| std::fs::metadata(dir.path().join(f)).ok())
                .map(|m| m.len())
                .sum()),
            FreshDb::Postgres { url, .. } => {
                let mut conn = sqlx::PgConnection::connect(url).await?;
                let n: i64 = sqlx::query_scalar(
                    "SELECT CAST(pg_database_size(current_database()) AS BIGINT)",
                )
                .fetch_one(&mut conn)
                .await?;
                Ok(u64::try_from(n).unwrap_or(0))
            }
        }
    }
}

impl Drop for FreshDb {
    fn drop(&mut self) {
        let FreshDb::Postgres {
            admin_url, name, ..
        } = self
        else {
            return;
        };
        let (admin_url, name) = (admin_url.clone(), name.clone());
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
            eprintln!(
                "warning: could not drop the bench database {}",
                self_name(self)
            );
        }
    }
}

fn self_name(db: &FreshDb) -> &str {
    match db {
        FreshDb::Postgres { name, .. } => name,
        FreshDb::Sqlite { url, .. } => url,
    }
}

fn nanos() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}

/// The `tokentally` binary: `--server PATH`, else `target/release/tokentally` of this
/// workspace (or of `CARGO_TARGET_DIR`).
pub fn locate_binary(given: Option<&Path>) -> anyhow::Result<PathBuf> {
    let path = match given {
        Some(p) => p.to_owned(),
        None => target_dir().join("release").join("tokentally"),
    };
    ensure!(
        path.is_file(),
        "no server binary at {}: run `cargo build --release -p tokentally-server` first, or pass --server PATH",
        path.display()
    );
    Ok(path)
}

/// The workspace's `target/` (or `CARGO_TARGET_DIR`).
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(d) => PathBuf::from(d),
        None => {
            let t = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target");
            t.canonicalize().unwrap_or(t)
        }
    }
}

/// Runs `tokentally ARGS` on `db_url` and answers its stdout; fails on a non-zero exit.
pub fn cli(
    binary: &Path,
    db_url: &str,
    args: &[&str],
    env: &[(&str, &str)],
) -> anyhow::Result<String> {
    let out = Command::new(binary)
        .args(args)
        .env("TOKENTALLY_DATABASE_URL", db_url)
        .env("RUST_LOG", "warn")
        .envs(env.iter().copied())
        .output()
        .with_context(|| format!("running {}", binary.display()))?;
    if !out.status.success() {
        bail!(
            "`tokentally {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// `tokentally token create`: the token, printed alone on the last line.
pub fn create_token(binary: &Path, db_url: &str, name: &str, role: &str) -> anyhow::Result<String> {
    let out = cli(
        binary,
        db_url,
        &["token", "create", "--name", name, "--role", role],
        &[],
    )?;
    out.lines()
        .last()
        .map(|l| l.trim().to_owned())
        .filter(|t| !t.is_empty())
        .context("`token create` printed no token")
}

/// `tokentally serve` as a child process.
pub struct Server {
    child: Child,
    pub base: String,
}

impl Server {
    /// Starts `serve --bind 127.0.0.1:<free port>` and waits for `/healthz`.
    /// Its log (warnings and errors, `RUST_LOG=warn`) goes to `log`.
    pub async fn start(binary: &Path, db_url: &str, log: &Path) -> anyhow::Result<Server> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let bind = format!("127.0.0.1:{port}");
        let child = Command::new(binary)
            .args(["serve", "--bind", &bind])
            .env("TOKENTALLY_DATABASE_URL", db_url)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::from(
                std::fs::File::create(log)
                    .with_context(|| format!("creating {}", log.display()))?,
            ))
            .spawn()
            .with_context(|| format!("starting {}", binary.display()))?;
        let mut server = Server {
            child,
            base: format!("http://{bind}"),
        };
        let client = reqwest::Client::new();
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(30) {
            if let Ok(r) = client.get(server.url("/healthz")).send().await
                && r.status().is_success()
            {
                return Ok(server);
            }
            if let Some(status) = server.child.try_wait()? {
                bail!("the server exited before it was ready: {status}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        server.stop();
        bail!("the server did not answer /healthz on {bind} within 30 s")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The process's peak resident set (`VmHWM`), in bytes.
    pub fn peak_rss_bytes(&self) -> anyhow::Result<u64> {
        proc_status_kib(self.pid(), "VmHWM:").map(|k| k * 1024)
    }

    /// The process's resident set now (`VmRSS`), in bytes.
    pub fn rss_bytes(&self) -> anyhow::Result<u64> {
        proc_status_kib(self.pid(), "VmRSS:").map(|k| k * 1024)
    }

    /// SIGTERM, then SIGKILL if it has not exited within 10 s.
    pub fn stop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status();
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(10) {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            self.stop();
        }
    }
}

/// A `kB` line of `/proc/<pid>/status`.
fn proc_status_kib(pid: u32, field: &str) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .with_context(|| format!("reading /proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .with_context(|| format!("no {field} in /proc/{pid}/status"))
}
