//! Faults a production service meets, against the real `tokentally` binary:
//!
//! - `kill -9` during sustained ingest, then a restart: every acknowledged event is stored,
//!   none twice, and resending the unacknowledged batches completes the set exactly;
//! - two server processes on one PostgreSQL ingesting overlapping batches at once;
//! - PostgreSQL gone under load (a proxy in front of it is cut): ingest answers 503 with
//!   Retry-After, pages an error page, and the server recovers by itself;
//! - oversized, slow and malformed requests do not take the server down;
//! - `kill -9` in the middle of a provider pull, then a restart: the month completes once.
//!
//! The PostgreSQL cases run when `TOKENTALLY_TEST_POSTGRES_URL` is set (CI sets it).

mod proxy;
mod pull_crash;
mod server;

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use server::{Database, Server};

/// Batch `b` of `per` events; ids are stable so a batch can be sent again.
fn batch(b: usize, per: usize) -> Value {
    Value::Array(
        (0..per)
            .map(|i| {
                json!({"id": format!("b{b}-e{i}"), "timestamp": "2026-03-10T12:00:00Z",
                       "provider": "openai", "model": "gpt-4o-mini", "team": format!("t{}", i % 5),
                       "input_tokens": 1000 + i, "output_tokens": 10})
            })
            .collect(),
    )
}

async fn post_batch(client: &reqwest::Client, s: &Server, b: usize, per: usize) -> Option<Value> {
    let r = client
        .post(format!("{}/api/v1/events", s.base))
        .bearer_auth(&s.ingest_token)
        .json(&batch(b, per))
        .timeout(Duration::from_secs(20))
        .send()
        .await
        .ok()?;
    if r.status().is_success() {
        r.json().await.ok()
    } else {
        None
    }
}

/// Sends batches one after another until the server dies; answers the acknowledged ones.
async fn ingest_until_killed(s: &Server, kill_after: Duration, per: usize) -> (Vec<usize>, usize) {
    let client = reqwest::Client::new();
    let started = Instant::now();
    let mut acked = Vec::new();
    let mut b = 0;
    let mut killed = false;
    loop {
        if !killed && started.elapsed() > kill_after {
            // Mid-flight: the next batch is on the wire when the process dies.
            let pending = post_batch(&client, s, b, per);
            let kill = async {
                tokio::time::sleep(Duration::from_millis(15)).await;
                s.kill9();
            };
            let (answer, ()) = tokio::join!(pending, kill);
            if answer.is_some() {
                acked.push(b);
            }
            b += 1;
            killed = true;
            continue;
        }
        if killed {
            return (acked, b);
        }
        if post_batch(&client, s, b, per).await.is_some() {
            acked.push(b);
        }
        b += 1;
    }
}

async fn kill9_then_restart(db: Database) {
    let per = 500;
    let mut s = Server::start(&db, &[]).await;
    let (acked, sent) = ingest_until_killed(&s, Duration::from_millis(1500), per).await;
    assert!(
        acked.len() >= 3,
        "some batches were acknowledged: {acked:?}"
    );
    s.restart(&db).await;

    // Every acknowledged event is there, and nothing is there twice (the rollups agree).
    let counts = s.counts().await;
    for b in &acked {
        assert!(
            s.has_event(&format!("b{b}-e{}", per - 1)).await,
            "batch {b} was acknowledged"
        );
    }
    assert!(counts.events >= (acked.len() * per) as i64);
    assert_eq!(
        counts.events, counts.rollup_events,
        "rollups hold each stored event once"
    );
    assert_eq!(
        counts.events % per as i64,
        0,
        "a batch is stored whole or not at all"
    );

    // Resending what was not acknowledged completes the set exactly.
    let client = reqwest::Client::new();
    for b in (0..sent).filter(|b| !acked.contains(b)) {
        post_batch(&client, &s, b, per)
            .await
            .expect("the restarted server takes the batch");
    }
    let counts = s.counts().await;
    assert_eq!(counts.events, (sent * per) as i64);
    assert_eq!(counts.rollup_events, counts.events);
    s.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_kill9_during_ingest_loses_no_acknowledged_event() {
    kill9_then_restart(Database::sqlite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_kill9_during_ingest_loses_no_acknowledged_event() {
    let Some(db) = Database::postgres().await else {
        return;
    };
    kill9_then_restart(db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_on_one_postgres_count_overlapping_batches_exactly() {
    let Some(db) = Database::postgres().await else {
        return;
    };
    let a = Server::start(&db, &[]).await;
    let b = Server::start(&db, &[]).await;
    let per = 400;
    // Both servers get batches 0..20; each also gets 10 of its own.
    let send = |s: &Server, own: std::ops::Range<usize>| {
        let base = s.base.clone();
        let token = s.ingest_token.clone();
        async move {
            let client = reqwest::Client::new();
            let mut duplicates = 0u64;
            for i in (0..20).chain(own) {
                let r: Value = client
                    .post(format!("{base}/api/v1/events"))
                    .bearer_auth(&token)
                    .json(&batch(i, per))
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                duplicates += r["duplicates"].as_u64().unwrap();
            }
            duplicates
        }
    };
    let (da, db_) = tokio::join!(send(&a, 100..110), send(&b, 200..210));
    let counts = a.counts().await;
    assert_eq!(
        counts.events,
        (40 * per) as i64,
        "20 shared + 2 × 10 own batches"
    );
    assert_eq!(counts.rollup_events, counts.events);
    assert_eq!(
        da + db_,
        (20 * per) as u64,
        "each shared event is a duplicate once"
    );
    a.stop();
    b.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_gone_under_load_gives_503_and_the_server_recovers() {
    let Some(db) = Database::postgres().await else {
        return;
    };
    let proxy = proxy::Proxy::start(db.postgres_port()).await;
    let through = db.via_port(proxy.port);
    let s = Server::start(&through, &[]).await;
    let client = reqwest::Client::new();
    assert!(post_batch(&client, &s, 0, 100).await.is_some());

    proxy.cut().await;
    let r = client
        .post(format!("{}/api/v1/events", s.base))
        .bearer_auth(&s.ingest_token)
        .json(&batch(1, 100))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 503, "{}", r.text().await.unwrap_or_default());
    let r = client
        .post(format!("{}/api/v1/events", s.base))
        .bearer_auth(&s.ingest_token)
        .json(&batch(1, 100))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 503);
    assert!(r.headers().contains_key("retry-after"), "{:?}", r.headers());
    let page = client
        .get(format!("{}/login", s.base))
        .send()
        .await
        .unwrap();
    assert!(page.status().is_success() || page.status() == 503);
    let page = client
        .get(format!("{}/?month=2026-03", s.base))
        .header("cookie", "tt_session=whatever")
        .send()
        .await
        .unwrap();
    let status = page.status();
    let body = page.text().await.unwrap();
    assert!(status == 503 || status == 303, "{status}: {body}");
    if status == 503 {
        assert!(body.contains("database is unavailable"), "{body}");
    }

    proxy.restore().await;
    let mut recovered = false;
    for _ in 0..50 {
        if post_batch(&client, &s, 1, 100).await.is_some() {
            recovered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(recovered, "ingest works again once the database is back");
    assert_eq!(s.counts().await.events, 200);
    s.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_slow_and_malformed_requests_do_not_take_the_server_down() {
    let db = Database::sqlite();
    let s = Server::start(&db, &[("TOKENTALLY_REQUEST_TIMEOUT_SECS", "2")]).await;
    let client = reqwest::Client::new();
    let events = format!("{}/api/v1/events", s.base);

    // Oversized: 17 MiB against the 16 MiB limit.
    let big = vec![b' '; 17 * 1024 * 1024];
    // A client of its own: the server answers 413 without reading the rest and closes the
    // connection, which a pooled client might otherwise try to reuse.
    let r = reqwest::Client::new()
        .post(&events)
        .bearer_auth(&s.ingest_token)
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    // Malformed, in several ways.
    for body in ["{", "[1,2", "\u{0}\u{1}", "{\"events\": 7}"] {
        let r = client
            .post(&events)
            .bearer_auth(&s.ingest_token)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_client_error(), "{body:?}: {}", r.status());
    }
    // Slow: 100 connections that send half a request and stall, and one upload that
    // trickles its body; the upload is cut off after the request timeout.
    let mut stalled = Vec::new();
    for _ in 0..100 {
        let mut c = tokio::net::TcpStream::connect(s.addr).await.unwrap();
        use tokio::io::AsyncWriteExt;
        c.write_all(b"POST /api/v1/events HTTP/1.1\r\nHost: x\r\n")
            .await
            .unwrap();
        stalled.push(c);
    }
    let trickle = {
        let addr = s.addr;
        let token = s.ingest_token.clone();
        tokio::spawn(async move {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            let mut c = tokio::net::TcpStream::connect(addr).await.unwrap();
            let head = format!(
                "POST /api/v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n["
            );
            c.write_all(head.as_bytes()).await.unwrap();
            let started = Instant::now();
            let mut answer = vec![0u8; 1024];
            loop {
                tokio::select! {
                    n = c.read(&mut answer) => {
                        let n = n.unwrap_or(0);
                        return (started.elapsed(), String::from_utf8_lossy(&answer[..n]).into_owned());
                    }
                    () = tokio::time::sleep(Duration::from_millis(300)) => {
                        let _ = c.write_all(b" ").await;
                    }
                }
                if started.elapsed() > Duration::from_secs(20) {
                    return (started.elapsed(), String::new());
                }
            }
        })
    };
    // Meanwhile the server answers others at once.
    let t = Instant::now();
    let r = client
        .get(format!("{}/healthz", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // Generous bounds: CI runs the other fault tests on the same two cores meanwhile.
    assert!(t.elapsed() < Duration::from_secs(10), "{:?}", t.elapsed());
    assert!(post_batch(&client, &s, 0, 10).await.is_some());
    let (took, answer) = trickle.await.unwrap();
    assert!(
        answer.starts_with("HTTP/1.1 408"),
        "after {took:?}: {answer:?}"
    );
    assert!(took < Duration::from_secs(12), "{took:?}");
    drop(stalled);
    assert!(s.is_running(), "the process is still up");
    s.stop();
}
