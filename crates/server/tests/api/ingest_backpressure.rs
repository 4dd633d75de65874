//! Ingest under load: a request past the server's turns is answered 503 with `Retry-After`
//! and stores nothing; four senders of the same 100,000 events store each one once.

use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::TestApp;
use crate::{storage_test, storage_test_with};

fn one_turn(config: &mut tokentally_server::config::Config) {
    config.ingest_concurrency = 1;
    config.ingest_wait = Duration::from_millis(300);
}

/// Starts `POST /api/v1/events` on a raw connection and sends all of the body but its last
/// byte, so the request holds its turn until [`finish`] sends the rest.
async fn start_slow_post(app: &TestApp, body: &[u8]) -> tokio::net::TcpStream {
    let address = app.address.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let head = format!(
        "POST /api/v1/events HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        app.ingest_token,
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&body[..body.len() - 1]).await.unwrap();
    stream
}

async fn finish(mut stream: tokio::net::TcpStream, body: &[u8]) -> String {
    stream.write_all(&body[body.len() - 1..]).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    answer
}

fn event(id: &str) -> Value {
    json!({"id": id, "timestamp": "2026-03-02T10:00:00Z", "provider": "openai",
           "model": "gpt-4o-mini", "team": "search", "input_tokens": 1000, "output_tokens": 10})
}

storage_test_with!(
    a_request_past_the_turns_is_answered_503_and_stores_nothing,
    one_turn,
    |app| {
        let slow_body = serde_json::to_vec(&json!([event("slow")])).unwrap();
        let slow = start_slow_post(&app, &slow_body).await;
        // The slow request holds the server's one turn while its body is still arriving.
        for _ in 0..200 {
            if app.state.ingest_turns.available_permits() == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(app.state.ingest_turns.available_permits(), 0);

        let refused = app
            .post("/api/v1/events", &app.ingest_token)
            .json(&json!([event("waiting")]))
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), 503);
        assert_eq!(refused.headers()["retry-after"], "2");
        let body: Value = refused.json().await.unwrap();
        assert!(
            body["error"].as_str().unwrap().contains("ingest is behind"),
            "{body}"
        );
        assert_eq!(
            app.count_events().await,
            0,
            "a refused request stores nothing"
        );
        assert_eq!(
            app.state
                .metrics
                .ingest_busy
                .load(std::sync::atomic::Ordering::Relaxed),
            1
        );

        // The slow request completes in its turn; the refused one, sent again, is stored.
        let answer = finish(slow, &slow_body).await;
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        let (status, report) = app.post_events(&json!([event("waiting")])).await;
        assert_eq!((status.as_u16(), &report["accepted"]), (200, &json!(1)));
        assert_eq!(app.count_events().await, 2);
        assert_eq!(app.state.ingest_turns.available_permits(), 1);
    }
);

/// 100,000 events of March, in 100 batches of 1,000, with users and customers.
fn batches() -> Vec<Value> {
    (0..100)
        .map(|b| {
            let events: Vec<Value> = (0..1000)
                .map(|j| {
                    let i = b * 1000 + j;
                    let model = ["gpt-4o", "gpt-4o-mini", "o3-mini"][i % 3];
                    let team = ["search", "support", "growth", "research"][i % 4];
                    let outcome = ["success", "failure", "success", "retry"][i % 4];
                    json!({
                        "id": format!("load-{i:06}"),
                        "timestamp": format!("2026-03-{:02}T{:02}:{:02}:00Z", 1 + i % 28, i % 24, i % 60),
                        "provider": "openai",
                        "model": model,
                        "api_key": format!("key-{}", i % 11),
                        "team": team,
                        "feature": format!("f{}", i % 5),
                        "user": format!("u{}", i % 97),
                        "customer": format!("c{}", i % 389),
                        "input_tokens": 500 + i % 1000,
                        "cached_input_tokens": i % 300,
                        "output_tokens": 50 + i % 200,
                        "outcome": outcome,
                        "workflow_id": if i % 9 == 0 { Value::from(format!("wf-{}", i % 700)) } else { Value::Null },
                    })
                })
                .collect();
            Value::Array(events)
        })
        .collect()
}

/// Per team: events, requests, input and output tokens, as one table sums them.
async fn sums(app: &TestApp, table: &str) -> Vec<(String, i64, i64, i64, i64)> {
    let count = if table == "events" {
        "COUNT(*)"
    } else {
        "SUM(events)"
    };
    let sql = format!(
        "SELECT team, CAST({count} AS BIGINT), CAST(SUM(requests) AS BIGINT), \
         CAST(SUM(input_tokens) AS BIGINT), CAST(SUM(output_tokens) AS BIGINT) \
         FROM {table} GROUP BY team ORDER BY team"
    );
    sqlx::query_as(sql.as_str())
        .fetch_all(app.store.pool())
        .await
        .unwrap()
}

storage_test!(
    four_senders_of_the_same_100k_events_store_each_once,
    |app| {
        let batches = std::sync::Arc::new(batches());
        let mut senders = tokio::task::JoinSet::new();
        for sender in 0..4 {
            let batches = batches.clone();
            let client = reqwest::Client::new();
            let url = app.url("/api/v1/events");
            let token = app.ingest_token.clone();
            senders.spawn(async move {
                let (mut accepted, mut duplicates) = (0, 0);
                // Each sender starts a quarter further on, so every batch is sent by four senders
                // at different moments, and some at the same moment.
                for k in 0..batches.len() {
                    let batch = &batches[(k + sender * 25) % batches.len()];
                    let report: Value = loop {
                        let r = client
                            .post(&url)
                            .bearer_auth(&token)
                            .json(batch)
                            .send()
                            .await
                            .unwrap();
                        match r.status().as_u16() {
                            200 => break r.json().await.unwrap(),
                            503 => tokio::time::sleep(Duration::from_millis(100)).await,
                            other => panic!("{other}: {}", r.text().await.unwrap()),
                        }
                    };
                    accepted += report["accepted"].as_u64().unwrap();
                    duplicates += report["duplicates"].as_u64().unwrap();
                }
                (accepted, duplicates)
            });
        }
        let (mut accepted, mut duplicates) = (0, 0);
        while let Some(done) = senders.join_next().await {
            let (a, d) = done.unwrap();
            accepted += a;
            duplicates += d;
        }
        assert_eq!((accepted, duplicates), (100_000, 300_000));
        assert_eq!(app.count_events().await, 100_000);

        let raw = sums(&app, "events").await;
        assert_eq!(raw.len(), 4);
        assert_eq!(raw.iter().map(|r| r.1).sum::<i64>(), 100_000);
        assert_eq!(sums(&app, "usage_rollups").await, raw, "daily rollups");
        assert_eq!(
            sums(&app, "usage_rollups_monthly").await,
            raw,
            "monthly rollups"
        );
        let showback = app.showback("2026-03").await;
        assert_eq!(showback["requests"], 100_000);
    }
);
