//! The engine's own bulk load of the same rows, into a fresh database migrated by
//! `tokentally migrate` (so the `events` table has the server's indexes): `sqlite3 .import`
//! of the CSV, and PostgreSQL `COPY events FROM STDIN (FORMAT csv)`. Only the `events` table
//! is loaded: no rollups, workflows or user words, which the server maintains as it ingests.

use std::io::Read;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use sqlx::Connection;

use crate::server::{Db, FreshDb, cli};

/// One bulk load.
pub struct BulkRun {
    pub rows: u64,
    pub elapsed: Duration,
    /// What did the loading, for the report.
    pub method: &'static str,
}

impl BulkRun {
    pub fn per_second(&self) -> f64 {
        self.rows as f64 / self.elapsed.as_secs_f64()
    }
}

/// Migrates a fresh database of `db`'s kind with `binary`, then times the load of `csv`.
pub async fn bulk_load(
    db: Db,
    binary: &Path,
    work_dir: &Path,
    postgres_url: &str,
    csv: &Path,
) -> anyhow::Result<BulkRun> {
    let fresh = FreshDb::create(db, work_dir, postgres_url).await?;
    cli(binary, fresh.url(), &["migrate"], &[])?;
    match db {
        Db::Sqlite => sqlite_import(&fresh, csv),
        Db::Postgres => postgres_copy(&fresh, csv).await,
    }
}

/// `sqlite3 FILE ".import --csv --skip 1 CSV events"`, timed as a whole (start-up included,
/// which is milliseconds).
fn sqlite_import(fresh: &FreshDb, csv: &Path) -> anyhow::Result<BulkRun> {
    let file = fresh.sqlite_file().context("not a SQLite database")?;
    let import = format!(".import --csv --skip 1 '{}' events", csv.display());
    let started = Instant::now();
    let out = Command::new("sqlite3")
        .arg(&file)
        .arg(&import)
        .output()
        .context("running sqlite3 (is the sqlite3 CLI installed?)")?;
    let elapsed = started.elapsed();
    if !out.status.success() || !out.stderr.is_empty() {
        bail!(
            "sqlite3 .import failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let count = Command::new("sqlite3")
        .arg(&file)
        .arg("SELECT COUNT(*) FROM events")
        .output()?;
    let rows: u64 = String::from_utf8_lossy(&count.stdout)
        .trim()
        .parse()
        .context("counting the imported rows")?;
    Ok(BulkRun {
        rows,
        elapsed,
        method: "sqlite3 .import --csv",
    })
}

/// `COPY events FROM STDIN (FORMAT csv, HEADER true)` over one connection, the file sent in
/// 1 MiB chunks; timed from the statement to its completion.
async fn postgres_copy(fresh: &FreshDb, csv: &Path) -> anyhow::Result<BulkRun> {
    let mut conn = sqlx::PgConnection::connect(fresh.url()).await?;
    let mut file = std::fs::File::open(csv)?;
    let mut buf = vec![0u8; 1 << 20];
    let started = Instant::now();
    let mut copy = conn
        .copy_in_raw("COPY events FROM STDIN (FORMAT csv, HEADER true)")
        .await?;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        copy.send(&buf[..n]).await?;
    }
    let rows = copy.finish().await?;
    let elapsed = started.elapsed();
    ensure!(rows > 0, "COPY loaded no rows");
    Ok(BulkRun {
        rows,
        elapsed,
        method: "COPY FROM STDIN (csv)",
    })
}
