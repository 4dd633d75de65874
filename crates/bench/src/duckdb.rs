//! DuckDB over the same raw events: the GROUP BY that showback stands for, from the `duckdb`
//! package of PyPI in a virtual environment the command creates (`target/bench-venv`).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};
use serde_json::Value;

use crate::generate::{MONTH_END, MONTH_FIRST};

/// The script, written next to the data before it runs.
const SCRIPT: &str = include_str!("duckdb_showback.py");

/// One DuckDB measurement.
pub struct DuckRun {
    pub version: String,
    pub threads: String,
    pub rows: u64,
    pub load_s: f64,
    /// Milliseconds of each run, sorted.
    pub times_ms: Vec<f64>,
    /// Rows of the rollup GROUP BY and of the workflow GROUP BY.
    pub groups: u64,
    pub workflows: u64,
}

impl DuckRun {
    pub fn median_ms(&self) -> f64 {
        self.times_ms
            .get(self.times_ms.len() / 2)
            .copied()
            .unwrap_or(f64::NAN)
    }
}

/// The venv's python, creating the venv and installing `duckdb` when missing.
pub fn ensure_venv(target: &Path) -> anyhow::Result<PathBuf> {
    let venv = target.join("bench-venv");
    let python = venv.join("bin").join("python");
    let has_duckdb = |python: &Path| {
        Command::new(python)
            .args(["-c", "import duckdb"])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if python.is_file() && has_duckdb(&python) {
        return Ok(python);
    }
    eprintln!("creating {} with duckdb from PyPI…", venv.display());
    run(Command::new("python3").arg("-m").arg("venv").arg(&venv))
        .context("python3 -m venv (Debian: apt-get install python3-venv)")?;
    run(Command::new(venv.join("bin").join("pip")).args(["install", "--quiet", "duckdb"]))
        .context("pip install duckdb")?;
    if !has_duckdb(&python) {
        bail!("duckdb is still not importable from {}", python.display());
    }
    Ok(python)
}

fn run(command: &mut Command) -> anyhow::Result<()> {
    let out = command.output()?;
    if !out.status.success() {
        bail!("{}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(())
}

/// Loads `csv` into DuckDB (untimed), then times the showback GROUP BY `runs` times.
pub fn showback_group_by(
    python: &Path,
    work_dir: &Path,
    csv: &Path,
    runs: usize,
) -> anyhow::Result<DuckRun> {
    let script = work_dir.join("duckdb_showback.py");
    std::fs::write(&script, SCRIPT)?;
    let out = Command::new(python)
        .arg(&script)
        .arg(csv)
        .args([MONTH_FIRST, MONTH_END])
        .arg(runs.to_string())
        .output()
        .context("running the DuckDB script")?;
    if !out.status.success() {
        bail!(
            "the DuckDB script failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let v: Value = serde_json::from_str(stdout.lines().last().unwrap_or(""))
        .with_context(|| format!("the DuckDB script printed {stdout}"))?;
    let mut times_ms: Vec<f64> = v["times_ms"]
        .as_array()
        .context("no times")?
        .iter()
        .filter_map(Value::as_f64)
        .collect();
    times_ms.sort_by(f64::total_cmp);
    Ok(DuckRun {
        version: v["version"].as_str().unwrap_or("?").to_owned(),
        threads: v["threads"].to_string(),
        rows: v["rows"].as_u64().unwrap_or(0),
        load_s: v["load_s"].as_f64().unwrap_or(f64::NAN),
        times_ms,
        groups: v["groups"].as_u64().unwrap_or(0),
        workflows: v["workflows"].as_u64().unwrap_or(0),
    })
}
