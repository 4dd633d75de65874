//! `kill -9` in the middle of a provider pull: the real binary pulls a connection from a local
//! HTTPS fake of OpenAI's usage and costs APIs that serves each page slowly, is killed while
//! the pull is half way, and restarts; pulled again, the month completes and nothing is
//! counted twice (DECISIONS.md, "Pull connections": a stretch of days is stored in one
//! transaction, and the cursor moves only past stored stretches).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use chrono::{Datelike, NaiveDate, Utc};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls;

use crate::server::{Database, Server};

/// Requests per million input tokens a day: every day's bucket says the same.
const REQUESTS_A_DAY: i64 = 10;
const INPUT_A_DAY: i64 = 1_000_000;

struct Fake {
    requests: AtomicUsize,
}

fn unix(d: NaiveDate) -> i64 {
    d.and_hms_opt(0, 0, 0).unwrap().and_utc().timestamp()
}

fn day_of_unix(s: &str) -> NaiveDate {
    chrono::DateTime::from_timestamp(s.parse().unwrap(), 0)
        .unwrap()
        .date_naive()
}

/// One page (two days a page) of usage or costs, as OpenAI's organisation APIs answer.
fn page(path_and_query: &str) -> Value {
    let (path, query) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    let q: std::collections::HashMap<String, String> =
        url::form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
    let (from, to) = (day_of_unix(&q["start_time"]), day_of_unix(&q["end_time"]));
    let today = Utc::now().date_naive();
    let days: Vec<NaiveDate> = from
        .iter_days()
        .take_while(|d| *d < to && *d <= today)
        .collect();
    let n: usize = q
        .get("page")
        .map(|p| p.trim_start_matches('p').parse().unwrap())
        .unwrap_or(0);
    let has_more = days.len() > (n + 1) * 2;
    let cost = path.contains("costs");
    let data: Vec<Value> = days
        .iter()
        .skip(n * 2)
        .take(2)
        .map(|d| {
            let result = if cost {
                json!({"object": "organization.costs.result", "amount": {"value": 0.25, "currency": "usd"},
                       "line_item": "gpt-4o-mini-2024-07-18, input", "project_id": "proj_1"})
            } else {
                json!({"object": "organization.usage.completions.result", "input_tokens": INPUT_A_DAY,
                       "output_tokens": 100_000, "input_cached_tokens": 0, "num_model_requests": REQUESTS_A_DAY,
                       "project_id": "proj_1", "user_id": null, "api_key_id": "key_abc",
                       "model": "gpt-4o-mini-2024-07-18", "batch": false})
            };
            json!({"object": "bucket", "start_time": unix(*d), "end_time": unix(*d + chrono::Duration::days(1)),
                   "results": [result]})
        })
        .collect();
    json!({"object": "page", "data": data, "has_more": has_more,
           "next_page": if has_more { Value::from(format!("p{}", n + 1)) } else { Value::Null }})
}

/// The fake over HTTPS on 127.0.0.1 (HTTP/1.1 by hand, one request a connection); answers its
/// base URL and the CA's PEM, which only the server under test is told to trust.
async fn slow_openai(fake: Arc<Fake>, delay: Duration) -> (String, String) {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["127.0.0.1".to_owned()])
        .unwrap()
        .signed_by(&leaf_key, &ca, &ca_key)
        .unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(
        vec![leaf.der().clone()],
        rustls::pki_types::PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into()),
    )
    .unwrap();
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let (acceptor, fake) = (acceptor.clone(), fake.clone());
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut head = Vec::new();
                let mut buf = [0u8; 4096];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&head);
                let target = head.split_whitespace().nth(1).unwrap_or("/").to_owned();
                fake.requests.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(delay).await;
                let body = page(&target).to_string();
                let answer = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = tls.write_all(answer.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    (format!("https://127.0.0.1:{port}"), ca.pem())
}

struct Pulled {
    events: i64,
    days: i64,
    requests: i64,
    rollup_events: i64,
    rollup_requests: i64,
    cursor: String,
}

async fn pulled(s: &Server) -> Pulled {
    let store = s.store().await;
    let one = |sql: &'static str| {
        let pool = store.pool().clone();
        async move {
            sqlx::query_scalar::<_, i64>(sql)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    let p = Pulled {
        events: one("SELECT CAST(COUNT(*) AS BIGINT) FROM events WHERE source LIKE 'pull:%'").await,
        days: one("SELECT CAST(COUNT(DISTINCT day) AS BIGINT) FROM events WHERE source LIKE 'pull:%'").await,
        requests: one("SELECT CAST(COALESCE(SUM(requests), 0) AS BIGINT) FROM events WHERE source LIKE 'pull:%'")
            .await,
        rollup_events: one("SELECT CAST(COALESCE(SUM(events), 0) AS BIGINT) FROM usage_rollups").await,
        rollup_requests: one("SELECT CAST(COALESCE(SUM(requests), 0) AS BIGINT) FROM usage_rollups").await,
        cursor: sqlx::query_scalar("SELECT cursor_day FROM connections")
            .fetch_one(store.pool())
            .await
            .unwrap(),
    };
    store.close().await;
    p
}

async fn kill9_mid_pull(db: Database) {
    let fake = Arc::new(Fake {
        requests: AtomicUsize::new(0),
    });
    let (base, ca_pem) = slow_openai(fake.clone(), Duration::from_millis(150)).await;
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, ca_pem).unwrap();
    let env = [
        ("TOKENTALLY_SECRET_KEY", "a fault-test server secret"),
        ("TOKENTALLY_CA_FILE", ca_file.to_str().unwrap()),
    ];
    let mut s = Server::start(&db, &env).await;
    let admin = s.token("admin");
    let client = reqwest::Client::new();
    let today = Utc::now().date_naive();
    // Last month, whole, and this month to date: stretches of 7 days, 8 slow pages each.
    let start = {
        let first_of_this = today.with_day0(0).unwrap();
        (first_of_this - chrono::Duration::days(1))
            .with_day0(0)
            .unwrap()
    };
    let r = client
        .post(format!("{}/api/v1/connections", s.base))
        .bearer_auth(&admin)
        .json(
            &json!({"provider": "openai", "name": "org", "admin_key": "sk-admin-fault",
                      "start_day": start.to_string(), "base_url": base}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let id = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let sync = format!("{}/api/v1/connections/{id}/sync", s.base);

    // Pull, and kill the server once two stretches are in and the third is being read.
    let pulling = tokio::spawn({
        let (client, sync, admin) = (client.clone(), sync.clone(), admin.clone());
        async move { client.post(&sync).bearer_auth(&admin).send().await }
    });
    while fake.requests.load(Ordering::SeqCst) < 19 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    s.kill9();
    assert!(pulling.await.unwrap().is_err(), "the pull never answered");
    let half = pulled(&s).await;
    assert!(
        half.events > 0,
        "some stretches were stored before the kill"
    );
    assert!(
        half.cursor < today.to_string(),
        "the pull was cut short: {}",
        half.cursor
    );
    assert_eq!(half.events, half.days, "one bucket a day, each stored once");
    assert_eq!(
        half.rollup_events, half.events,
        "the rollups agree with the raw events"
    );

    s.restart(&db).await;
    // Nobody renews the dead server's claim, so it lapses within a minute (and "pull now"
    // would wait for that); the test moves it to the past rather than wait.
    let store = s.store().await;
    sqlx::query("UPDATE connections SET lease_until_ms = 0")
        .execute(store.pool())
        .await
        .unwrap();
    store.close().await;
    let r = client.post(&sync).bearer_auth(&admin).send().await.unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let report: Value = r.json().await.unwrap();
    assert!(report["error"].is_null(), "{report}");

    let days = (today - start).num_days() + 1;
    let done = pulled(&s).await;
    assert_eq!(done.days, days, "every day from the start day to today");
    assert_eq!(done.events, days, "one event a day: nothing doubled");
    assert_eq!(done.requests, days * REQUESTS_A_DAY);
    assert_eq!(done.rollup_events, done.events);
    assert_eq!(done.rollup_requests, done.requests);
    assert_eq!(done.cursor, today.to_string());

    // Pulled again: the same, to the request.
    let r = client.post(&sync).bearer_auth(&admin).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let again = pulled(&s).await;
    assert_eq!(
        (again.events, again.requests, again.rollup_requests),
        (done.events, done.requests, done.rollup_requests)
    );
    s.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_kill9_mid_pull_then_restart_completes_the_month_once() {
    kill9_mid_pull(Database::sqlite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_kill9_mid_pull_then_restart_completes_the_month_once() {
    let Some(db) = Database::postgres().await else {
        return;
    };
    kill9_mid_pull(db).await;
}
