//! `wrk -t2 -c32 -d10s --latency` against an endpoint, and the parse of its output.

use std::process::Command;

use anyhow::{Context, bail};

/// What wrk reported.
#[derive(Debug, Clone, PartialEq)]
pub struct WrkRun {
    pub requests: u64,
    pub requests_per_s: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// Answers that were not 2xx or 3xx.
    pub non_2xx: u64,
    /// Requests that got no answer within wrk's `--timeout` (and so are not in the latencies).
    pub timeouts: u64,
}

/// Whether `wrk` can run: installed, or installed now with apt-get when running as root.
/// `Err` holds why not.
pub fn ensure_wrk() -> Result<(), String> {
    let present = || {
        Command::new("wrk")
            .arg("--version")
            .output()
            .is_ok_and(|o| !o.stdout.is_empty() || !o.stderr.is_empty())
    };
    if present() {
        return Ok(());
    }
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    if !root {
        return Err("wrk is not installed and this is not root: `apt-get install wrk`".into());
    }
    eprintln!("installing wrk with apt-get…");
    let installed = Command::new("apt-get")
        .args(["install", "-y", "-q", "wrk"])
        .output()
        .is_ok_and(|o| o.status.success());
    if installed && present() {
        Ok(())
    } else {
        Err("`apt-get install -y wrk` failed".into())
    }
}

/// Runs wrk with `connections` connections for `seconds` on `url`, sending `header`.
/// The timeout is 60 s so that slow answers count in the percentiles instead of vanishing
/// into wrk's timeout count (its default is 2 s).
pub fn run(url: &str, header: &str, connections: u32, seconds: u32) -> anyhow::Result<WrkRun> {
    let out = Command::new("wrk")
        .args(["-t2", &format!("-c{connections}"), &format!("-d{seconds}s")])
        .args(["--latency", "--timeout", "60s", "-H", header, url])
        .output()
        .context("running wrk")?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        bail!(
            "wrk failed: {stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    parse(&stdout).with_context(|| format!("reading wrk's output:\n{stdout}"))
}

/// Reads requests, requests/s, the 50 % and 99 % latencies and the error counts.
pub fn parse(output: &str) -> anyhow::Result<WrkRun> {
    let mut run = WrkRun {
        requests: 0,
        requests_per_s: f64::NAN,
        p50_ms: f64::NAN,
        p99_ms: f64::NAN,
        non_2xx: 0,
        timeouts: 0,
    };
    for line in output.lines().map(str::trim) {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["50%", v] | ["50.000%", v] => run.p50_ms = duration_ms(v)?,
            ["99%", v] | ["99.000%", v] => run.p99_ms = duration_ms(v)?,
            ["Requests/sec:", v] => run.requests_per_s = v.parse()?,
            [n, "requests", "in", ..] => run.requests = n.parse()?,
            ["Non-2xx", "or", "3xx", "responses:", n] => run.non_2xx = n.parse()?,
            ["Socket", "errors:", ..] => {
                if let Some(t) = line.split("timeout ").nth(1) {
                    run.timeouts = t.trim().parse()?;
                }
            }
            _ => {}
        }
    }
    if run.requests_per_s.is_nan() || run.p99_ms.is_nan() {
        bail!("no Requests/sec or no latency distribution (was --latency given?)");
    }
    Ok(run)
}

/// `635.91us`, `12.40ms`, `1.02s`, `1.50m` in milliseconds.
fn duration_ms(s: &str) -> anyhow::Result<f64> {
    let (number, scale) = if let Some(n) = s.strip_suffix("us") {
        (n, 1e-3)
    } else if let Some(n) = s.strip_suffix("ms") {
        (n, 1.0)
    } else if let Some(n) = s.strip_suffix('s') {
        (n, 1e3)
    } else if let Some(n) = s.strip_suffix('m') {
        (n, 60e3)
    } else if let Some(n) = s.strip_suffix('h') {
        (n, 3600e3)
    } else {
        bail!("`{s}` is not a wrk duration")
    };
    Ok(number.parse::<f64>().with_context(|| format!("`{s}`"))? * scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    const OUTPUT: &str = "Running 10s test @ http://127.0.0.1:3000/api/v1/showback?month=2026-03
  2 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    45.23ms   12.45ms  234.56ms   85.23%
    Req/Sec   166.67     45.23    250.00     78.45%
  Latency Distribution
     50%  635.91us
     75%   56.78ms
     90%   78.90ms
     99%    1.02s
  3340 requests in 10.01s, 12.34MB read
  Socket errors: connect 0, read 0, write 0, timeout 7
  Non-2xx or 3xx responses: 3
Requests/sec:    333.67
Transfer/sec:    420.80KB
";

    #[test]
    fn reads_wrk_latency_output() {
        let r = parse(OUTPUT).unwrap();
        assert_eq!(r.requests, 3340);
        assert!((r.requests_per_s - 333.67).abs() < 1e-9);
        assert!((r.p50_ms - 0.63591).abs() < 1e-9);
        assert!((r.p99_ms - 1020.0).abs() < 1e-9);
        assert_eq!((r.non_2xx, r.timeouts), (3, 7));
    }

    #[test]
    fn refuses_output_without_latencies() {
        assert!(parse("Requests/sec: 1.0").is_err());
    }
}
