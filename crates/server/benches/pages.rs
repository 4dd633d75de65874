//! Server render time of the pages a reader opens, on the seeded demo.
//!
//! `cargo bench -p tokentally-server --bench pages [-- --events-per-month N]`
//! Seeds the demo organisation (default 30,000 events a month, six months) into a fresh
//! SQLite file, signs in, and times each page over HTTP on loopback: the time a browser
//! waits for the complete HTML (queries, attribution, pricing, rendering, charts). Each page
//! is timed twice: as served (kept answers, after the first request) and computed anew
//! (`Cache-Control: no-cache`, as after new data).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokentally_server::auth::Role;
use tokentally_server::config::Config;
use tokentally_server::demo::{generate::DemoSpec, seed};
use tokentally_server::startup::{Application, ensure_default_catalog};
use tokentally_server::storage::Store;

const RUNS: usize = 30;

fn events_per_month() -> u32 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == "--events-per-month")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(30_000)
}

fn percentile(sorted: &[Duration], p: usize) -> Duration {
    sorted[(sorted.len() * p / 100).min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1000.0)
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("pages.db").display());
    let store = Store::connect(&url).await.unwrap();
    ensure_default_catalog(&store).await.unwrap();
    let mut spec = DemoSpec::ending("2026-11-20T12:00:00Z".parse().unwrap());
    spec.events_per_month = events_per_month();
    let started = Instant::now();
    let n = seed(&store, &spec).await.unwrap();
    eprintln!(
        "seeded {n} events in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    tokentally_server::app::accounts::add_user(
        &store,
        "bench@example.test",
        "bench password",
        Role::Finance,
        &[],
    )
    .await
    .unwrap();
    let mut counts = Vec::new();
    for table in ["usage_rollups", "usage_user_words", "workflows"] {
        let sql = format!("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM {table}");
        let rows: i64 = sqlx::Row::get(
            &sqlx::query(&sql).fetch_one(store.pool()).await.unwrap(),
            "n",
        );
        counts.push(format!("{rows} rows in {table}"));
    }

    let app = Application::with_store(
        store,
        Config::new(url, SocketAddr::from(([127, 0, 0, 1], 0))),
    )
    .await
    .unwrap();
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let login = client
        .post(format!("{base}/login"))
        .form(&[
            ("email", "bench@example.test"),
            ("password", "bench password"),
        ])
        .send()
        .await
        .unwrap();
    let cookie = login.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();

    println!(
        "| page | path | min ms | median ms | p95 ms | anew median ms | anew p95 ms | HTML KB |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for (name, path) in [
        ("showback", "/?month=2026-10"),
        ("team", "/teams/support?month=2026-10"),
        (
            "feature",
            "/teams/support/features/ticket-triage?month=2026-10",
        ),
        ("key", "/keys/key-support-prod-02?month=2026-10"),
        ("models", "/models?month=2026-10"),
        ("costs", "/costs?month=2026-10"),
        ("budgets", "/budgets?month=2026-10"),
        ("recommendations", "/recommendations?month=2026-10"),
        ("statements", "/statements?month=2026-10"),
    ] {
        let time = |fresh: bool| {
            let (client, cookie, base) = (&client, &cookie, &base);
            async move {
                let mut times = Vec::with_capacity(RUNS);
                let mut size = 0;
                for i in 0..RUNS + 3 {
                    let t = Instant::now();
                    let mut request = client.get(format!("{base}{path}")).header("cookie", cookie);
                    if fresh {
                        request = request.header("cache-control", "no-cache");
                    }
                    let r = request.send().await.unwrap();
                    assert_eq!(r.status(), 200, "{path}");
                    size = r.bytes().await.unwrap().len();
                    if i >= 3 {
                        times.push(t.elapsed());
                    }
                }
                times.sort();
                (times, size)
            }
        };
        let (kept, size) = time(false).await;
        let (anew, _) = time(true).await;
        println!(
            "| {name} | `{path}` | {} | {} | {} | {} | {} | {} |",
            ms(kept[0]),
            ms(percentile(&kept, 50)),
            ms(percentile(&kept, 95)),
            ms(percentile(&anew, 50)),
            ms(percentile(&anew, 95)),
            size / 1024
        );
    }
    println!();
    println!("{n} events over six months; {}.", counts.join(", "));
}
