//! The scorecard page on the demo data in headless Chromium, with a screenshot in
//! `target/screenshots/scorecard.png`. Runs like `tests/browser/` (see there): skipped
//! without chromedriver unless `TOKENTALLY_REQUIRE_BROWSER=1`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use fantoccini::{ClientBuilder, Locator};
use serde_json::{Value, json};
use tokentally_server::auth::Role;
use tokentally_server::config::Config;
use tokentally_server::demo::{generate::DemoSpec, seed};
use tokentally_server::startup::{Application, ensure_default_catalog};
use tokentally_server::storage::Store;

const PASSWORD: &str = "browser test password";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_scorecard_page_shows_stages_and_next_steps_on_the_demo() {
    let required = std::env::var("TOKENTALLY_REQUIRE_BROWSER").is_ok_and(|v| v == "1");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut driver = match Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
    {
        Ok(c) => c,
        Err(e) if !required => {
            eprintln!("note: browser test skipped: chromedriver does not start ({e})");
            return;
        }
        Err(e) => panic!("TOKENTALLY_REQUIRE_BROWSER=1 but chromedriver does not start: {e}"),
    };
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("scorecard.db").display());
    let store = Store::connect(&url).await.unwrap();
    ensure_default_catalog(&store).await.unwrap();
    let mut spec = DemoSpec::ending("2026-11-20T12:00:00Z".parse().unwrap());
    spec.events_per_month = 1_500;
    seed(&store, &spec).await.unwrap();
    tokentally_server::app::accounts::add_user(
        &store,
        "finance@example.test",
        PASSWORD,
        Role::Finance,
        &[],
    )
    .await
    .unwrap();
    let app = Application::with_store(
        store.clone(),
        Config::new(url, SocketAddr::from(([127, 0, 0, 1], 0))),
    )
    .await
    .unwrap();
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());

    let profile = tempfile::tempdir().unwrap();
    let args = vec![
        "--headless".to_owned(),
        "--no-sandbox".into(),
        "--disable-gpu".into(),
        "--disable-dev-shm-usage".into(),
        "--no-first-run".into(),
        "--disable-background-networking".into(),
        "--disable-component-update".into(),
        "--disable-sync".into(),
        "--window-size=1400,1000".into(),
        format!("--user-data-dir={}", profile.path().display()),
    ];
    let caps: serde_json::Map<String, Value> = serde_json::from_value(
        json!({"browserName": "chrome", "goog:chromeOptions": {"binary": "/usr/bin/chromium", "args": args}}),
    )
    .unwrap();
    let c = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .expect("chromedriver starts chromium");

    c.goto(&format!("{base}/login?next=/scorecard%3Fmonth%3D2026-10"))
        .await
        .unwrap();
    let wait = |l: Locator<'static>| {
        let c = c.clone();
        async move {
            c.wait()
                .at_most(Duration::from_secs(10))
                .for_element(l)
                .await
                .unwrap()
        }
    };
    wait(Locator::Id("email"))
        .await
        .send_keys("finance@example.test")
        .await
        .unwrap();
    wait(Locator::Id("password"))
        .await
        .send_keys(PASSWORD)
        .await
        .unwrap();
    wait(Locator::Css("button[type=submit]"))
        .await
        .click()
        .await
        .unwrap();
    for _ in 0..100 {
        if c.current_url().await.unwrap().path() == "/" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    c.goto(&format!("{base}/scorecard?month=2026-10"))
        .await
        .unwrap();
    let org = wait(Locator::Id("card-org")).await.text().await.unwrap();
    assert!(org.contains("Stage"), "{org}");
    assert!(
        org.contains("unpriced tokens") && org.contains("teams with spend that have a budget"),
        "{org}"
    );
    let history = wait(Locator::Id("history")).await.text().await.unwrap();
    assert!(
        history.contains("2026-10") && history.contains("2025-11"),
        "{history}"
    );
    // The budgets the demo seeds are set: no team lacks one in October.
    let budgets = wait(Locator::Css("#card-org tr[data-criterion=budgets_set]"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        budgets.contains("0 without") && budgets.contains("pass"),
        "{budgets}"
    );

    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    let height = c
        .execute("return document.body.scrollHeight", vec![])
        .await
        .ok()
        .and_then(|v| v.as_i64())
        .unwrap_or(1000);
    let _ = c
        .set_window_size(1400, height.clamp(800, 4000) as u32)
        .await;
    std::fs::write(dir.join("scorecard.png"), c.screenshot().await.unwrap()).unwrap();
    c.close().await.unwrap();
    let _ = driver.kill();
    let _ = driver.wait();
}
