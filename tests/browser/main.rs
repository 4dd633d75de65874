//! The pages in a real browser: headless Chromium driven over WebDriver (chromedriver).
//!
//! Runs when `chromedriver` and `chromium` are installed (`.ci/run` installs Debian's
//! packages and sets `TOKENTALLY_REQUIRE_BROWSER=1`, which turns a missing browser into a
//! failure). Screenshots land in `target/screenshots/`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use tokentally_server::auth::Role;
use tokentally_server::config::Config;
use tokentally_server::demo::{generate::DemoSpec, seed};
use tokentally_server::startup::{Application, ensure_default_catalog};
use tokentally_server::storage::Store;
use tokentally_web::format::money;

mod islands;

const MONTH: &str = "2026-10";
const PASSWORD: &str = "browser test password";

struct Chromedriver(Child, u16);

impl Drop for Chromedriver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts chromedriver, or says why the browser tests cannot run here.
async fn chromedriver() -> Option<Chromedriver> {
    let required = std::env::var("TOKENTALLY_REQUIRE_BROWSER").is_ok_and(|v| v == "1");
    let port = free_port();
    let child = match Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
    {
        Ok(c) => c,
        Err(e) if !required => {
            eprintln!(
                "note: browser tests skipped: chromedriver is not installed ({e}); .ci/run installs it"
            );
            return None;
        }
        Err(e) => panic!("TOKENTALLY_REQUIRE_BROWSER=1 but chromedriver does not start: {e}"),
    };
    let driver = Chromedriver(child, port);
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return Some(driver);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("chromedriver did not listen on {port}");
}

async fn browser(driver: &Chromedriver, javascript: bool) -> Client {
    let profile = tempfile::tempdir().unwrap().keep();
    let mut args = vec![
        "--headless".to_owned(),
        "--no-sandbox".into(),
        "--disable-gpu".into(),
        "--disable-dev-shm-usage".into(),
        "--no-first-run".into(),
        "--disable-background-networking".into(),
        "--disable-component-update".into(),
        "--disable-sync".into(),
        "--window-size=1400,1000".into(),
        format!("--user-data-dir={}", profile.display()),
    ];
    if !javascript {
        args.push("--blink-settings=scriptEnabled=false".into());
    }
    let mut options = json!({"binary": "/usr/bin/chromium", "args": args});
    if !javascript {
        options["prefs"] = json!({"profile.managed_default_content_settings.javascript": 2});
    }
    let caps: serde_json::Map<String, Value> =
        serde_json::from_value(json!({"browserName": "chrome", "goog:chromeOptions": options}))
            .unwrap();
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", driver.1))
        .await
        .expect("chromedriver starts chromium")
}

/// The client bundle `.ci/client` builds: `TOKENTALLY_CLIENT_DIR`, else `target/client` at the
/// workspace's root.
fn client_dir() -> PathBuf {
    std::env::var_os("TOKENTALLY_CLIENT_DIR").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/client"),
        PathBuf::from,
    )
}

struct App {
    base: String,
    store: Store,
    finance_token: String,
    _dir: tempfile::TempDir,
}

/// The demo organisation (smaller), with an admin and a finance user.
async fn app() -> App {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("browser.db").display());
    let store = Store::connect(&url).await.unwrap();
    ensure_default_catalog(&store).await.unwrap();
    let mut spec = DemoSpec::ending("2026-11-20T12:00:00Z".parse().unwrap());
    spec.events_per_month = 2_000;
    seed(&store, &spec).await.unwrap();
    for (email, role) in [
        ("admin@example.test", Role::Admin),
        ("finance@example.test", Role::Finance),
    ] {
        tokentally_server::app::accounts::add_user(&store, email, PASSWORD, role, &[])
            .await
            .unwrap();
    }
    let finance_token =
        tokentally_server::app::accounts::create_token(&store, "browser", Role::Finance, &[])
            .await
            .unwrap();
    let mut config = Config::new(url, SocketAddr::from(([127, 0, 0, 1], 0)));
    // The islands, where the client bundle has been built (the pages are static otherwise).
    config.client_dir = Some(client_dir());
    let application = Application::with_store(store.clone(), config)
        .await
        .unwrap();
    let base = format!("http://127.0.0.1:{}", application.port());
    tokio::spawn(application.run_until_stopped());
    App {
        base,
        store,
        finance_token,
        _dir: dir,
    }
}

impl App {
    async fn showback(&self) -> Value {
        reqwest::Client::new()
            .get(format!("{}/api/v1/showback?month={MONTH}", self.base))
            .bearer_auth(&self.finance_token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
}

fn team_blended(showback: &Value, team: &str) -> Decimal {
    let t = showback["teams"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["team"] == team)
        .unwrap();
    t["blended_cost"].as_str().unwrap().parse().unwrap()
}

async fn login(c: &Client, base: &str, email: &str) {
    c.goto(&format!("{base}/login")).await.unwrap();
    find(c, Locator::Id("email"))
        .await
        .send_keys(email)
        .await
        .unwrap();
    find(c, Locator::Id("password"))
        .await
        .send_keys(PASSWORD)
        .await
        .unwrap();
    find(c, Locator::Css("button[type=submit]"))
        .await
        .click()
        .await
        .unwrap();
    wait_for_url(c, |u| u.path() == "/").await;
}

/// Finds an element, waiting (up to 10 s) for the page to show it.
async fn find(c: &Client, locator: Locator<'_>) -> fantoccini::elements::Element {
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_element(locator)
        .await
        .unwrap()
}

/// Waits (up to 10 s) until the browser's URL satisfies `ok`, and answers it: a click starts
/// a navigation that may not have finished when the click returns.
async fn wait_for_url(c: &Client, ok: impl Fn(&url::Url) -> bool) -> url::Url {
    for _ in 0..100 {
        let url = c.current_url().await.unwrap();
        if ok(&url) {
            return url;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the browser stayed at {}", c.current_url().await.unwrap());
}

async fn screenshot(c: &Client, name: &str) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    // Tall enough for the whole page.
    let height: i64 = c
        .execute("return document.body.scrollHeight", vec![])
        .await
        .ok()
        .and_then(|v| v.as_i64())
        .unwrap_or(1000);
    let _ = c
        .set_window_size(1400, height.clamp(800, 4000) as u32)
        .await;
    let png = c.screenshot().await.unwrap();
    std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
}

/// The text of the blended-cost cell of `team`'s row in the showback table.
async fn row_blended(c: &Client, team: &str) -> String {
    let xpath = format!("//table[@id='teams']//tr[th/a[normalize-space()='{team}']]/td[1]");
    find(c, Locator::XPath(&xpath)).await.text().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_maps_an_unmapped_key_and_its_spend_leaves_unallocated() {
    let Some(driver) = chromedriver().await else {
        return;
    };
    let app = app().await;
    let c = browser(&driver, true).await;
    login(&c, &app.base, "admin@example.test").await;
    let before = app.showback().await;
    let unallocated_before = team_blended(&before, "Unallocated");

    c.goto(&format!("{}/admin/keys?month={MONTH}", app.base))
        .await
        .unwrap();
    find(&c, Locator::Id("team-key-hackathon-01"))
        .await
        .send_keys("growth")
        .await
        .unwrap();
    find(&c, Locator::Css("#map-key-hackathon-01 button"))
        .await
        .click()
        .await
        .unwrap();
    let notice = find(&c, Locator::Css("p.notice"))
        .await
        .text()
        .await
        .unwrap();
    assert!(notice.contains("Mapped key-hackathon-01"), "{notice}");
    screenshot(&c, "admin-keys").await;

    let after = app.showback().await;
    assert!(
        team_blended(&after, "Unallocated") < unallocated_before,
        "the key's spend left Unallocated"
    );
    assert_eq!(
        after["org_total"], before["org_total"],
        "re-attribution moves money, never makes it"
    );
    c.goto(&format!("{}/?month={MONTH}", app.base))
        .await
        .unwrap();
    assert_eq!(
        row_blended(&c, "Unallocated").await,
        money(team_blended(&after, "Unallocated"), "USD")
    );
    assert_eq!(
        row_blended(&c, "growth").await,
        money(team_blended(&after, "growth"), "USD")
    );

    c.goto(&format!("{}/keys/key-hackathon-01?month={MONTH}", app.base))
        .await
        .unwrap();
    let history = find(&c, Locator::Css("main")).await.text().await.unwrap();
    assert!(
        history.contains("growth") && history.contains("admin@example.test"),
        "{history}"
    );
    c.goto(&format!("{}/admin/audit", app.base)).await.unwrap();
    let audit = find(&c, Locator::Id("audit")).await.text().await.unwrap();
    assert!(
        audit.contains("key_mapping.set") && audit.contains("key:key-hackathon-01"),
        "{audit}"
    );
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finance_follows_showback_to_team_feature_and_key_and_downloads_the_csv() {
    let Some(driver) = chromedriver().await else {
        return;
    };
    let app = app().await;
    let c = browser(&driver, true).await;
    login(&c, &app.base, "finance@example.test").await;
    let api = app.showback().await;

    c.goto(&format!("{}/?month={MONTH}", app.base))
        .await
        .unwrap();
    assert_eq!(
        row_blended(&c, "support").await,
        money(team_blended(&api, "support"), "USD")
    );
    screenshot(&c, "showback").await;

    // The CSV, fetched with the browser's session, adds up to the page's total.
    let href = find(&c, Locator::Css("a.download"))
        .await
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    let session = c.get_named_cookie("tt_session").await.unwrap();
    let csv = reqwest::Client::new()
        .get(format!("{}{href}", app.base))
        .header("cookie", format!("tt_session={}", session.value()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csv_total: Decimal = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(2).unwrap().parse::<Decimal>().unwrap())
        .sum();
    let page_total = find(&c, Locator::Css("#teams tfoot td.strong"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(money(csv_total, "USD"), page_total);

    find(
        &c,
        Locator::XPath("//table[@id='teams']//a[normalize-space()='support']"),
    )
    .await
    .click()
    .await
    .unwrap();
    wait_for_url(&c, |u| u.path().starts_with("/teams/support")).await;
    screenshot(&c, "team").await;
    find(&c, Locator::Css("#features tbody a"))
        .await
        .click()
        .await
        .unwrap();
    wait_for_url(&c, |u| u.path().contains("/features/")).await;
    let heading = find(&c, Locator::Css("h1")).await.text().await.unwrap();
    assert!(heading.starts_with("Feature "), "{heading}");
    screenshot(&c, "feature").await;
    find(&c, Locator::Css("#keys tbody a"))
        .await
        .click()
        .await
        .unwrap();
    wait_for_url(&c, |u| u.path().starts_with("/keys/")).await;
    let owner = find(&c, Locator::Css("main")).await.text().await.unwrap();
    assert!(owner.contains("Owner history"), "{owner}");
    screenshot(&c, "key").await;
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pages_work_with_javascript_disabled() {
    let Some(driver) = chromedriver().await else {
        return;
    };
    let app = app().await;
    let c = browser(&driver, false).await;
    login(&c, &app.base, "admin@example.test").await;
    // Links, the month picker (a GET form) and a POST form, all without scripts.
    c.goto(&format!("{}/?month={MONTH}", app.base))
        .await
        .unwrap();
    find(
        &c,
        Locator::XPath("//table[@id='teams']//a[normalize-space()='search']"),
    )
    .await
    .click()
    .await
    .unwrap();
    wait_for_url(&c, |u| u.path().starts_with("/teams/search")).await;
    let picker = find(&c, Locator::Css("form.month-picker")).await;
    picker
        .find(Locator::Css("option[value='2026-09']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    picker
        .find(Locator::Css("button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_url(&c, |u| u.query().unwrap_or("").contains("month=2026-09")).await;
    c.goto(&format!("{}/admin/keys?month={MONTH}", app.base))
        .await
        .unwrap();
    find(&c, Locator::Id("team-key-mobile-dev-03"))
        .await
        .send_keys("mobile")
        .await
        .unwrap();
    find(&c, Locator::Css("#map-key-mobile-dev-03 button"))
        .await
        .click()
        .await
        .unwrap();
    let notice = find(&c, Locator::Css("p.notice"))
        .await
        .text()
        .await
        .unwrap();
    assert!(notice.contains("Mapped key-mobile-dev-03"), "{notice}");
    assert!(
        app.store
            .list_key_mappings()
            .await
            .unwrap()
            .iter()
            .any(|m| m.api_key == "key-mobile-dev-03" && m.team == "mobile")
    );
    screenshot(&c, "no-javascript-team").await;
    c.close().await.unwrap();
}

/// The text of a PDF, by poppler's `pdftotext`; `None` when it is not installed (outside CI).
fn pdf_text(pdf: &std::path::Path) -> Option<String> {
    let out = std::process::Command::new("pdftotext")
        .arg("-layout")
        .arg(pdf)
        .arg("-")
        .output()
        .ok()?;
    assert!(
        out.status.success(),
        "pdftotext failed on {}",
        pdf.display()
    );
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finance_issues_a_statement_and_prints_it_to_pdf() {
    let Some(driver) = chromedriver().await else {
        return;
    };
    let app = app().await;
    let c = browser(&driver, false).await;
    login(&c, &app.base, "finance@example.test").await;
    c.goto(&format!("{}/statements?month={MONTH}", app.base))
        .await
        .unwrap();
    // Issuing closes the open month: the box beside Issue confirms it (the browser refuses
    // to send the form without it, and so does the server).
    find(
        &c,
        Locator::Css(
            "form[action='/statements/support/2026-10/issue'] input[name='confirm_close']",
        ),
    )
    .await
    .click()
    .await
    .unwrap();
    find(
        &c,
        Locator::Css("form[action='/statements/support/2026-10/issue'] button"),
    )
    .await
    .click()
    .await
    .unwrap();
    wait_for_url(&c, |u| u.query().is_some_and(|q| q.contains("done=issued"))).await;
    c.goto(&format!("{}/statements/support/{MONTH}", app.base))
        .await
        .unwrap();
    let total = find(&c, Locator::Id("statement-total"))
        .await
        .text()
        .await
        .unwrap();
    let api: Value = reqwest::Client::new()
        .get(format!("{}/api/v1/statements/support/{MONTH}", app.base))
        .bearer_auth(&app.finance_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(api["status"], "issued");
    let expected =
        tokentally_web::format::money(api["total"].as_str().unwrap().parse().unwrap(), "USD");
    assert_eq!(total, expected);
    screenshot(&c, "statement").await;

    let pdf = c
        .print(fantoccini::wd::PrintConfiguration::default())
        .await
        .unwrap();
    assert!(pdf.starts_with(b"%PDF"), "a PDF");
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("statement.pdf");
    std::fs::write(&file, &pdf).unwrap();
    match pdf_text(&file) {
        Some(text) => {
            assert!(
                text.contains(&expected),
                "the PDF holds the total {expected}:\n{text}"
            );
            assert!(text.contains("support · 2026-10"), "{text}");
            assert!(
                !text.contains("Log out"),
                "printing leaves the navigation out"
            );
        }
        None if std::env::var_os("TOKENTALLY_REQUIRE_BROWSER").is_some() => {
            panic!("pdftotext (poppler-utils) is needed to read the printed statement")
        }
        None => eprintln!("pdftotext missing: the PDF's text was not checked"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finance_follows_the_largest_bar_of_why_the_bill_moved_to_the_team_and_its_trend() {
    let Some(driver) = chromedriver().await else {
        return;
    };
    let app = app().await;
    let c = browser(&driver, false).await;
    login(&c, &app.base, "finance@example.test").await;
    let api = app.showback().await;
    c.goto(&format!("{}/?month={MONTH}", app.base))
        .await
        .unwrap();
    let heading = find(&c, Locator::Id("movement-h"))
        .await
        .text()
        .await
        .unwrap();
    assert!(heading.starts_with("Why the bill moved"), "{heading}");
    screenshot(&c, "movement").await;

    // The waterfall's bars that lead to a team; the largest of them.
    let mut largest: Option<(Decimal, String)> = None;
    for bar in c.find_all(Locator::Css("#movement svg a")).await.unwrap() {
        let href = bar.attr("href").await.unwrap().unwrap_or_default();
        if !href.starts_with("/teams/") || href.contains("/features/") {
            continue;
        }
        let amount: Decimal = bar
            .attr("data-amount")
            .await
            .unwrap()
            .expect("a bar says its amount")
            .parse()
            .unwrap();
        if largest.as_ref().is_none_or(|(a, _)| amount.abs() > a.abs()) {
            largest = Some((amount, href));
        }
    }
    let (_, href) = largest.expect("a bar leads to a team");
    let team = href
        .trim_start_matches("/teams/")
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    // It is the team whose spend moved most against last month.
    let mover = api["teams"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| {
            let change: Decimal = t["mom_change"].as_str()?.parse().ok()?;
            Some((change.abs(), t["team"].as_str()?.to_owned()))
        })
        .max()
        .map(|(_, t)| t)
        .unwrap();
    assert_eq!(
        team, mover,
        "the largest bar leads to the team that moved most"
    );

    // The bar's name, inside its link: a small change beside a large total can make the bar
    // itself a pixel wide, too narrow to click.
    find(
        &c,
        Locator::Css(&format!("#movement svg a[href='{href}'] text")),
    )
    .await
    .click()
    .await
    .unwrap();
    wait_for_url(&c, |u| u.path() == format!("/teams/{team}")).await;
    let team_heading = find(&c, Locator::Id("movement-h"))
        .await
        .text()
        .await
        .unwrap();
    assert!(team_heading.starts_with("Why the bill moved"));

    // Then to its trend: the month's cost per success is the showback's.
    find(
        &c,
        Locator::XPath("//nav[@class='on-page no-print']//a[normalize-space()='Unit cost trend']"),
    )
    .await
    .click()
    .await
    .unwrap();
    wait_for_url(&c, |u| u.fragment() == Some("trend")).await;
    let row = find(
        &c,
        Locator::XPath(&format!(
            "//table[@id='trend-table']//tr[th[normalize-space()='{MONTH}']]"
        )),
    )
    .await
    .text()
    .await
    .unwrap();
    let expected = api["teams"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["team"] == team.as_str())
        .and_then(|t| t["cost_per_successful_outcome"].as_str())
        .map(|c| tokentally_web::format::unit_money(c.parse().unwrap(), "USD"))
        .unwrap();
    assert!(row.contains(&expected), "{expected} in {row}");
    screenshot(&c, "trend").await;
    c.close().await.unwrap();
}

/// Types `text` into the form field `name` (ids are `f-{name}`), replacing what it held.
async fn fill(c: &Client, name: &str, text: &str) {
    let field = find(c, Locator::Id(&format!("f-{name}"))).await;
    field.clear().await.unwrap();
    field.send_keys(text).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finance_enters_a_feature_value_and_sees_its_margin_on_the_team_page() {
    let Some(driver) = chromedriver().await else {
        return;
    };
    let app = app().await;
    let c = browser(&driver, false).await;
    login(&c, &app.base, "finance@example.test").await;
    c.goto(&format!("{}/transactions?month={MONTH}", app.base))
        .await
        .unwrap();
    fill(&c, "period", MONTH).await;
    fill(&c, "team", "support").await;
    fill(&c, "feature", "ticket-triage").await;
    fill(&c, "name", "tickets triaged").await;
    fill(&c, "count", "1000").await;
    fill(&c, "value", "5.00").await;
    find(
        &c,
        Locator::Css("form[method='post'][action='/transactions'] button[type=submit]"),
    )
    .await
    .click()
    .await
    .unwrap();
    wait_for_url(&c, |u| u.query().unwrap_or("").contains("saved=1")).await;

    // 1,000 tickets at 5.00: 5,000.00 against the feature's blended cost.
    let feature: Value = reqwest::Client::new()
        .get(format!(
            "{}/api/v1/teams/support/features/ticket-triage?month={MONTH}",
            app.base
        ))
        .bearer_auth(&app.finance_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let blended: Decimal = feature["total"]["blended_cost"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let value = Decimal::from(5000);
    c.goto(&format!("{}/teams/support?month={MONTH}", app.base))
        .await
        .unwrap();
    let row = "//table[@id='value']//tr[th[normalize-space()='ticket-triage']]";
    let cell = |i: usize| format!("{row}/td[{i}]");
    let shown_value = find(&c, Locator::XPath(&cell(1)))
        .await
        .text()
        .await
        .unwrap();
    let shown_cost = find(&c, Locator::XPath(&cell(2)))
        .await
        .text()
        .await
        .unwrap();
    let shown_margin = find(&c, Locator::XPath(&cell(3)))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(shown_value, money(value, "USD"));
    assert_eq!(shown_cost, money(blended, "USD"));
    assert_eq!(shown_margin, money(value - blended, "USD"));
    screenshot(&c, "team-value-margin").await;
    c.close().await.unwrap();
}

/// The month's items of a team, as the finance token reads them (largest saving first).
async fn team_recommendations(app: &App, team: &str) -> Vec<Value> {
    let list: Value = reqwest::Client::new()
        .get(format!(
            "{}/api/v1/recommendations?month={MONTH}&team={team}",
            app.base
        ))
        .bearer_auth(&app.finance_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    list["items"].as_array().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lead_opens_a_routing_recommendations_evidence_on_their_team_and_accepts_it() {
    let Some(driver) = chromedriver().await else {
        return;
    };
    let app = app().await;
    // A team whose page shows a counted routing recommendation among its top three (the team
    // page lists the three largest counted savings).
    let mut chosen: Option<(String, Value)> = None;
    for team in [
        "search",
        "support",
        "growth",
        "data-platform",
        "legal-ai",
        "mobile",
        "sales",
    ] {
        let top: Vec<Value> = team_recommendations(&app, team)
            .await
            .into_iter()
            .filter(|i| {
                i["basis"] != "untested"
                    && !i["monthly_saving"]
                        .as_str()
                        .and_then(|s| s.parse::<Decimal>().ok())
                        .unwrap_or_default()
                        .is_zero()
            })
            .take(3)
            .collect();
        if let Some(r) = top.into_iter().find(|i| i["lever"] == "routing") {
            chosen = Some((team.to_owned(), r));
            break;
        }
    }
    let (team, routing) = chosen.expect("a demo team with a routing recommendation on its page");
    let id = routing["id"].as_str().unwrap().to_owned();
    let lead = "lead@example.test";
    tokentally_server::app::accounts::add_user(
        &app.store,
        lead,
        PASSWORD,
        Role::Lead,
        std::slice::from_ref(&team),
    )
    .await
    .unwrap();

    let c = browser(&driver, false).await;
    login(&c, &app.base, lead).await;
    c.goto(&format!("{}/teams/{team}?month={MONTH}", app.base))
        .await
        .unwrap();
    // The team page's top recommendations name the lever and lead to its row.
    let link = find(
        &c,
        Locator::Css(&format!("table#recommendations a[href$='#r-{id}']")),
    )
    .await;
    assert_eq!(link.text().await.unwrap(), "Route to a cheaper model");
    screenshot(&c, "team-recommendations").await;
    link.click().await.unwrap();
    wait_for_url(&c, |u| {
        u.path() == "/recommendations" && u.fragment() == Some(&format!("r-{id}"))
    })
    .await;

    // Its evidence: closed until opened, then each figure with its source.
    let row = format!("tr#r-{id}");
    let evidence = find(&c, Locator::Css(&format!("{row} details.evidence"))).await;
    assert_eq!(evidence.attr("open").await.unwrap(), None);
    find(&c, Locator::Css(&format!("{row} details.evidence summary")))
        .await
        .click()
        .await
        .unwrap();
    assert!(evidence.attr("open").await.unwrap().is_some());
    let figures = find(&c, Locator::Css(&format!("{row} details.evidence ul")))
        .await
        .text()
        .await
        .unwrap();
    let first = &routing["evidence"][0];
    assert!(
        figures.contains(first["label"].as_str().unwrap()),
        "{first} in {figures}"
    );
    assert!(
        !figures.is_empty() && figures.contains("source"),
        "{figures}"
    );
    screenshot(&c, "recommendation-evidence").await;

    // Accept, with a note.
    find(
        &c,
        Locator::Css(&format!("{row} form[action$='/accept'] input[name=note]")),
    )
    .await
    .send_keys("moving to the cheaper model")
    .await
    .unwrap();
    find(
        &c,
        Locator::Css(&format!("{row} form[action$='/accept'] button")),
    )
    .await
    .click()
    .await
    .unwrap();
    wait_for_url(&c, |u| {
        u.query().is_some_and(|q| q.contains("saved=accepted"))
    })
    .await;
    let notice = find(&c, Locator::Css("p.notice"))
        .await
        .text()
        .await
        .unwrap();
    assert!(notice.starts_with("Accepted"), "{notice}");
    let shown = find(&c, Locator::Css(&row)).await.text().await.unwrap();
    assert!(
        shown.contains(&format!("accepted by {lead}"))
            && shown.contains("moving to the cheaper model"),
        "{shown}"
    );
    assert!(
        c.find(Locator::Css(&format!("{row} form[action$='/accept']")))
            .await
            .is_err(),
        "no second accept form"
    );
    screenshot(&c, "recommendation-accepted").await;

    // Stored, and the API says so.
    let decisions = app.store.list_recommendation_decisions().await.unwrap();
    let d = decisions.iter().find(|d| d.id == id).expect("stored");
    assert_eq!(
        (d.decision.as_str(), d.decided_by.as_str(), d.team.as_str()),
        ("accepted", lead, team.as_str())
    );
    assert_eq!(d.note, "moving to the cheaper model");
    let item = team_recommendations(&app, &team)
        .await
        .into_iter()
        .find(|i| i["id"] == id.as_str())
        .unwrap();
    assert_eq!(item["decision"]["decision"], "accepted", "{item}");
    c.close().await.unwrap();
}

/// A team with a long name, a budget and a reported value: the showback table at its widest
/// (budget, value and margin columns) and a long name in its first column.
const LONG_TEAM: &str = "platform-reliability-and-developer-experience";

async fn widest_tables(app: &App) {
    app.store.add_team(LONG_TEAM).await.unwrap();
    let admin =
        tokentally_server::app::accounts::create_token(&app.store, "layout", Role::Admin, &[])
            .await
            .unwrap();
    let http = reqwest::Client::new();
    let post = |path: &str, token: &str, body: Value| {
        http.post(format!("{}{path}", app.base))
            .bearer_auth(token)
            .json(&body)
            .send()
    };
    let r = post(
        "/api/v1/key-mappings",
        &admin,
        json!({"api_key": "key-hackathon-01", "team": LONG_TEAM, "valid_from": "2026-01-01"}),
    )
    .await
    .unwrap();
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    for (team, amount) in [("support", "12000"), ("search", "900"), (LONG_TEAM, "50")] {
        let r = post(
            "/api/v1/budgets",
            &app.finance_token,
            json!({"month": MONTH, "team": team, "amount": amount}),
        )
        .await
        .unwrap();
        assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    }
    let r = post(
        "/api/v1/transactions",
        &app.finance_token,
        json!({"month": MONTH, "team": "support", "feature": "ticket-triage", "name": "tickets triaged", "count": 1000, "value": "5.00"}),
    )
    .await
    .unwrap();
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());
}

/// The document's width against the window's: wider means the page scrolls sideways.
async fn page_width(c: &Client) -> (i64, i64) {
    let v = c
        .execute(
            "return [document.documentElement.scrollWidth, document.documentElement.clientWidth]",
            vec![],
        )
        .await
        .unwrap();
    (v[0].as_i64().unwrap(), v[1].as_i64().unwrap())
}

/// Each table's box: (table id, width of the table, width of its box).
async fn table_boxes(c: &Client) -> Vec<(String, i64, i64)> {
    let v = c
        .execute(
            "return [...document.querySelectorAll('.table-scroll')].map(b => \
             [(b.querySelector('table') || {}).id || '', b.scrollWidth, b.clientWidth])",
            vec![],
        )
        .await
        .unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b[0].as_str().unwrap_or_default().to_owned(),
                b[1].as_i64().unwrap(),
                b[2].as_i64().unwrap(),
            )
        })
        .collect()
}

async fn screenshot_at(c: &Client, name: &str, width: u32) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    let png = c.screenshot().await.unwrap();
    std::fs::write(dir.join(format!("{name}-{width}.png")), png).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tables_fit_at_1024_px_and_scroll_in_their_own_box_at_390_px() {
    let Some(driver) = chromedriver().await else {
        return;
    };
    let app = app().await;
    widest_tables(&app).await;
    let c = browser(&driver, false).await;
    login(&c, &app.base, "finance@example.test").await;
    let long_team = format!("/teams/{LONG_TEAM}?month={MONTH}");
    let pages = [
        ("showback", format!("/?month={MONTH}")),
        ("team", format!("/teams/support?month={MONTH}")),
        ("team-long-name", long_team),
        ("statements", format!("/statements?month={MONTH}")),
        ("statement", format!("/statements/support/{MONTH}")),
    ];
    for width in [1024_u32, 390] {
        c.set_window_size(width, 900).await.unwrap();
        for (name, path) in &pages {
            c.goto(&format!("{}{path}", app.base)).await.unwrap();
            find(&c, Locator::Css("main table")).await;
            screenshot_at(&c, name, width).await;
            let (scroll, client) = page_width(&c).await;
            assert!(
                client <= i64::from(width) && client > i64::from(width) - 40,
                "the window is {width} px wide, the page {client}"
            );
            assert!(
                scroll <= client,
                "{name} at {width} px scrolls sideways: {scroll} px of content in {client}"
            );
            let boxes = table_boxes(&c).await;
            if width == 1024 && *name != "statements" {
                // At 1024 px the tables fit whole: no box needs to scroll. (The statements list
                // carries forms in its rows and may scroll in its box.)
                for (id, table, space) in &boxes {
                    assert!(
                        table <= space,
                        "{name}: table #{id} is {table} px in {space} px"
                    );
                }
            }
        }
        if width == 390 {
            // On a phone the widest table scrolls inside its own box.
            c.goto(&format!("{}/?month={MONTH}", app.base))
                .await
                .unwrap();
            let boxes = table_boxes(&c).await;
            let teams = boxes
                .iter()
                .find(|b| b.0 == "teams")
                .expect("the team table");
            assert!(
                teams.1 > teams.2,
                "the team table scrolls in its box: {teams:?}"
            );
        }
    }
    let rows = c
        .find_all(Locator::XPath(&format!(
            "//table[@id='teams']//a[normalize-space()='{LONG_TEAM}']"
        )))
        .await
        .unwrap();
    assert_eq!(rows.len(), 1, "the long-named team has its row");
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_printed_team_page_keeps_its_last_column() {
    let Some(driver) = chromedriver().await else {
        return;
    };
    let app = app().await;
    widest_tables(&app).await;
    let c = browser(&driver, false).await;
    login(&c, &app.base, "finance@example.test").await;
    c.goto(&format!("{}/teams/support?month={MONTH}", app.base))
        .await
        .unwrap();
    // The last cell of every row of the team's tables, as the page shows it.
    let last_cells = c
        .execute(
            "return [...document.querySelectorAll('main table.data tbody tr')]\
             .map(r => r.lastElementChild.textContent.trim())\
             .filter(t => t && t !== '–')",
            vec![],
        )
        .await
        .unwrap();
    let last_cells: Vec<String> = last_cells
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    assert!(last_cells.len() > 5, "{last_cells:?}");
    // What a person gets from the print dialog: A4, the stylesheet's landscape, no scaling.
    let config = fantoccini::wd::PrintConfiguration::builder()
        .orientation(fantoccini::wd::PrintOrientation::Landscape)
        .shrink_to_fit(false)
        .build()
        .unwrap();
    let pdf = c.print(config).await.unwrap();
    assert!(pdf.starts_with(b"%PDF"), "a PDF");
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("team.pdf");
    std::fs::write(&file, &pdf).unwrap();
    match pdf_text(&file) {
        Some(text) => {
            let text = text.to_uppercase();
            assert!(
                text.contains("TOKENS PER"),
                "the last column's heading:\n{text}"
            );
            for cell in &last_cells {
                assert!(
                    text.contains(&cell.to_uppercase()),
                    "the last column's {cell} in the PDF:\n{text}"
                );
            }
            assert!(
                !text.contains("LOG OUT"),
                "printing leaves the navigation out"
            );
        }
        None if std::env::var_os("TOKENTALLY_REQUIRE_BROWSER").is_some() => {
            panic!("pdftotext (poppler-utils) is needed to read the printed team page")
        }
        None => eprintln!("pdftotext missing: the PDF's text was not checked"),
    }
    c.close().await.unwrap();
}
