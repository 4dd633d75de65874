//! Timed ingest through `POST /api/v1/events`: the request bodies stream from disk through a
//! reader thread to `clients` tasks, each sending the next body in turn.

use std::io::BufRead;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use reqwest::{Client, StatusCode};
use serde_json::Value;

/// One ingest run.
pub struct IngestRun {
    pub events: usize,
    pub elapsed: Duration,
    /// Time per request (one batch), sorted.
    pub latencies: Vec<Duration>,
}

impl IngestRun {
    pub fn per_second(&self) -> f64 {
        self.events as f64 / self.elapsed.as_secs_f64()
    }
}

/// Sends every line of `bodies` (one JSON array per line) to `url` with `clients` tasks;
/// checks that `events` events were accepted and none refused.
pub async fn ingest(
    bodies: &Path,
    url: &str,
    token: &str,
    clients: usize,
    events: usize,
) -> anyhow::Result<IngestRun> {
    let file =
        std::fs::File::open(bodies).with_context(|| format!("opening {}", bodies.display()))?;
    let (tx, rx) = tokio::sync::mpsc::channel::<Vec<u8>>(clients * 2);
    let rx = Arc::new(tokio::sync::Mutex::new(rx));
    let client = Client::new();
    let started = Instant::now();
    let reader = std::thread::spawn(move || -> anyhow::Result<()> {
        let mut lines = std::io::BufReader::with_capacity(1 << 20, file);
        loop {
            let mut line = Vec::with_capacity(512 * 1024);
            if lines.read_until(b'\n', &mut line)? == 0 {
                return Ok(());
            }
            if line.last() == Some(&b'\n') {
                line.pop();
            }
            if tx.blocking_send(line).is_err() {
                return Ok(()); // a client failed; its error is reported
            }
        }
    });
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            let (rx, client) = (rx.clone(), client.clone());
            let (url, token) = (url.to_owned(), token.to_owned());
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut accepted = 0;
                loop {
                    let body = rx.lock().await.recv().await;
                    let Some(body) = body else { break };
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
    let mut failure = None;
    for task in tasks {
        match task.await? {
            Ok((l, a)) => {
                latencies.extend(l);
                accepted += a;
            }
            Err(e) => {
                // Unblock the reader, then report.
                rx.lock().await.close();
                failure.get_or_insert(e);
            }
        }
    }
    let elapsed = started.elapsed();
    reader
        .join()
        .map_err(|_| anyhow::anyhow!("the body reader panicked"))??;
    if let Some(e) = failure {
        return Err(e);
    }
    ensure!(accepted == events, "{accepted} of {events} events accepted");
    latencies.sort();
    Ok(IngestRun {
        events,
        elapsed,
        latencies,
    })
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
