//! Read-side setup and timing over HTTP: key mappings through the API, a browser session
//! through the login form, and showback latency one request at a time.

use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use reqwest::{Client, StatusCode, header};

use crate::generate::{MAPPED_FROM, MAPPED_KEYS, key_name, team_of};

/// Maps the first [`MAPPED_KEYS`] keys to their teams from before the month through
/// `POST /api/v1/key-mappings`, as an admin would, so showback attributes by mapping as well
/// as by tag.
pub async fn map_keys(base: &str, admin_token: &str) -> anyhow::Result<()> {
    let client = Client::new();
    for key in 0..MAPPED_KEYS {
        let body = serde_json::json!({
            "api_key": key_name(key),
            "team": team_of(key),
            "valid_from": MAPPED_FROM,
        });
        let r = client
            .post(format!("{base}/api/v1/key-mappings"))
            .bearer_auth(admin_token)
            .json(&body)
            .send()
            .await?;
        let status = r.status();
        ensure!(
            status.is_success(),
            "POST /api/v1/key-mappings answered {status}: {}",
            r.text().await.unwrap_or_default()
        );
    }
    Ok(())
}

/// Signs in through `POST /login` (with the Origin a browser sends) and answers the
/// `Cookie` header value of the session.
pub async fn login(base: &str, email: &str, password: &str) -> anyhow::Result<String> {
    let client = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let r = client
        .post(format!("{base}/login"))
        .header(header::ORIGIN, base)
        .form(&[("email", email), ("password", password), ("next", "/")])
        .send()
        .await?;
    let status = r.status();
    ensure!(
        status.is_redirection(),
        "POST /login answered {status}, not a redirect"
    );
    let cookie = r
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("tt_session="))
        .and_then(|v| v.split(';').next())
        .context("no tt_session cookie after login")?
        .to_owned();
    Ok(cookie)
}

/// How a request is authenticated.
#[derive(Debug, Clone)]
pub enum Auth {
    Bearer(String),
    Cookie(String),
}

impl Auth {
    /// The header wrk sends.
    pub fn header(&self) -> String {
        match self {
            Auth::Bearer(t) => format!("Authorization: Bearer {t}"),
            Auth::Cookie(c) => format!("Cookie: {c}"),
        }
    }
}

/// The latencies of one endpoint, sorted, and the size of its answer.
pub struct Timed {
    pub latencies: Vec<Duration>,
    pub response_bytes: usize,
}

impl Timed {
    pub fn quantile_ms(&self, q: f64) -> f64 {
        quantile_ms(&self.latencies, q)
    }
}

/// `warm_up` untimed GETs of `url`, then `reads` timed ones, one at a time; each must be 200.
/// `fresh` sends `Cache-Control: no-cache`, so the server computes each answer anew instead
/// of answering with the one it kept.
pub async fn time_gets(
    url: &str,
    auth: &Auth,
    fresh: bool,
    warm_up: usize,
    reads: usize,
) -> anyhow::Result<Timed> {
    let client = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let mut latencies = Vec::with_capacity(reads);
    let mut response_bytes = 0;
    for i in 0..warm_up + reads {
        let request = client.get(url);
        let request = match auth {
            Auth::Bearer(t) => request.bearer_auth(t),
            Auth::Cookie(c) => request.header(header::COOKIE, c),
        };
        let request = if fresh {
            request.header(header::CACHE_CONTROL, "no-cache")
        } else {
            request
        };
        let started = Instant::now();
        let response = request.send().await?;
        let status = response.status();
        let body = response.bytes().await?;
        let elapsed = started.elapsed();
        ensure!(status == StatusCode::OK, "GET {url} answered {status}");
        if i >= warm_up {
            latencies.push(elapsed);
        }
        response_bytes = body.len();
    }
    latencies.sort();
    Ok(Timed {
        latencies,
        response_bytes,
    })
}

/// The value at quantile `q` of sorted durations, in milliseconds (nearest rank).
pub fn quantile_ms(sorted: &[Duration], q: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted.get(i).map_or(f64::NAN, |d| d.as_secs_f64() * 1e3)
}
