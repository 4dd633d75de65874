//! Pull connections against local HTTPS fakes of the OpenAI and Anthropic admin APIs: a
//! month pulled matches the fake's data to the cent, a second pull adds nothing, 429 with
//! Retry-After is honoured, a pull cut off mid-way resumes without doubling, a malformed page
//! is a recorded error, and the admin key shows nowhere.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use chrono::{Duration, NaiveDate, Utc};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde_json::{Value, json};
use sqlx::Row;
use tokentally_domain::month::Month;
use tokentally_server::auth::Role;
use tokentally_server::config::{Config, SecretKey};

use crate::browser_session::Browser;
use crate::helpers::{TestApp, json_of, money, team};
use crate::https_fake::{CA, serve_https};
use crate::{storage_test, storage_test_with};

const OPENAI_KEY: &str = "sk-admin-OPENAI-clear-key-0123456789";
const ANTHROPIC_KEY: &str = "sk-ant-admin01-ANTHROPIC-clear-key-987";

fn configure(c: &mut Config) {
    c.secret_key = Some(SecretKey::from_text("a test server secret, long enough").unwrap());
    c.ca_pem = Some(CA.ca_pem.clone().into_bytes());
    c.pull_backoff = std::time::Duration::from_millis(5);
}

/// A provider's admin API with one row a day, in pages of two buckets.
#[derive(Default)]
struct Fake {
    anthropic: bool,
    requests: AtomicUsize,
    /// Answer the next request 429 with `Retry-After: 1`.
    rate_limit_next: AtomicBool,
    rate_limited: AtomicUsize,
    /// From this request on, answer 500 (0: never).
    fail_from: AtomicUsize,
    /// Answer usage pages with HTML.
    malformed: AtomicBool,
    /// Wait this many milliseconds before each answer (0: none).
    delay_ms: AtomicU64,
}

fn day_of_unix(s: &str) -> NaiveDate {
    chrono::DateTime::from_timestamp(s.parse().unwrap(), 0)
        .unwrap()
        .date_naive()
}

fn day_of_rfc3339(s: &str) -> NaiveDate {
    s.parse::<chrono::DateTime<Utc>>().unwrap().date_naive()
}

fn unix(d: NaiveDate) -> i64 {
    d.and_hms_opt(0, 0, 0).unwrap().and_utc().timestamp()
}

async fn fake_api(State(f): State<Arc<Fake>>, uri: Uri, headers: HeaderMap) -> Response {
    let n = f.requests.fetch_add(1, Ordering::SeqCst) + 1;
    let delay = f.delay_ms.load(Ordering::SeqCst);
    if delay > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(delay)).await;
    }
    let authorized = if f.anthropic {
        headers.get("x-api-key").and_then(|v| v.to_str().ok()) == Some(ANTHROPIC_KEY)
            && headers.get("anthropic-version").is_some()
    } else {
        let expected = format!("Bearer {OPENAI_KEY}");
        headers.get("authorization").and_then(|v| v.to_str().ok()) == Some(expected.as_str())
    };
    if !authorized {
        return (StatusCode::UNAUTHORIZED, "bad key").into_response();
    }
    if f.rate_limit_next.swap(false, Ordering::SeqCst) {
        f.rate_limited.fetch_add(1, Ordering::SeqCst);
        return (
            StatusCode::TOO_MANY_REQUESTS,
            [("retry-after", "1")],
            "slow down",
        )
            .into_response();
    }
    let fail_from = f.fail_from.load(Ordering::SeqCst);
    if fail_from > 0 && n >= fail_from {
        return (StatusCode::INTERNAL_SERVER_ERROR, "upstream broke").into_response();
    }
    let q: HashMap<String, String> =
        url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
            .into_owned()
            .collect();
    let (from, to) = if f.anthropic {
        (
            day_of_rfc3339(&q["starting_at"]),
            day_of_rfc3339(&q["ending_at"]),
        )
    } else {
        (day_of_unix(&q["start_time"]), day_of_unix(&q["end_time"]))
    };
    let cost = uri.path().contains("cost");
    if !cost && f.malformed.load(Ordering::SeqCst) {
        return (StatusCode::OK, "<html>maintenance</html>").into_response();
    }
    let today = Utc::now().date_naive();
    let days: Vec<NaiveDate> = from
        .iter_days()
        .take_while(|d| *d < to && *d <= today)
        .collect();
    let page: usize = q
        .get("page")
        .map(|p| p.trim_start_matches('p').parse().unwrap())
        .unwrap_or(0);
    let slice: Vec<NaiveDate> = days.iter().copied().skip(page * 2).take(2).collect();
    let has_more = days.len() > (page + 1) * 2;
    let buckets: Vec<Value> = slice
        .iter()
        .map(|d| bucket(f.anthropic, cost, *d))
        .collect();
    axum::Json(json!({
        "object": "page",
        "data": buckets,
        "has_more": has_more,
        "next_page": if has_more { Value::from(format!("p{}", page + 1)) } else { Value::Null },
    }))
    .into_response()
}

fn bucket(anthropic: bool, cost: bool, d: NaiveDate) -> Value {
    let next = d + Duration::days(1);
    match (anthropic, cost) {
        (false, false) => {
            json!({"object": "bucket", "start_time": unix(d), "end_time": unix(next), "results": [
            {"object": "organization.usage.completions.result", "input_tokens": 1_000_000, "output_tokens": 100_000,
             "input_cached_tokens": 0, "num_model_requests": 10, "project_id": "proj_1", "user_id": null,
             "api_key_id": "key_abc", "model": "gpt-4o-mini-2024-07-18", "batch": false}]})
        }
        (false, true) => {
            json!({"object": "bucket", "start_time": unix(d), "end_time": unix(next), "results": [
            {"object": "organization.costs.result", "amount": {"value": 0.25, "currency": "usd"},
             "line_item": "gpt-4o-mini-2024-07-18, input", "project_id": "proj_1"}]})
        }
        (true, false) => {
            json!({"starting_at": format!("{d}T00:00:00Z"), "ending_at": format!("{next}T00:00:00Z"), "results": [
            {"uncached_input_tokens": 500_000, "cache_creation": {"ephemeral_1h_input_tokens": 0, "ephemeral_5m_input_tokens": 0},
             "cache_read_input_tokens": 0, "output_tokens": 50_000, "server_tool_use": {"web_search_requests": 0},
             "api_key_id": "apikey_1", "workspace_id": "wrkspc_1", "model": "claude-3-5-haiku-20241022",
             "service_tier": "standard", "context_window": "0-200k"}]})
        }
        (true, true) => {
            json!({"starting_at": format!("{d}T00:00:00Z"), "ending_at": format!("{next}T00:00:00Z"), "results": [
            {"currency": "USD", "amount": "61.5", "model": "claude-3-5-haiku-20241022", "cost_type": "tokens",
             "description": "Claude Haiku 3.5 usage"}]})
        }
    }
}

async fn fake(anthropic: bool) -> (Arc<Fake>, String) {
    let f = Arc::new(Fake {
        anthropic,
        ..Fake::default()
    });
    let app = Router::new().fallback(fake_api).with_state(f.clone());
    (f, serve_https(app).await)
}

/// The month before this one: complete, so every one of its days is pulled.
fn last_month() -> Month {
    Month::of(Utc::now().date_naive()).previous()
}

fn days_in(m: Month) -> i64 {
    (m.last_day() - m.first_day()).num_days() + 1
}

async fn map_key(app: &TestApp, key: &str, team: &str) {
    let (status, body) = app
        .admin_post(
            "/api/v1/key-mappings",
            &json!({"api_key": key, "team": team, "valid_from": "2020-01-01"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
}

async fn connect(app: &TestApp, provider: &str, key: &str, base: &str) -> i64 {
    let (status, body) = app
        .admin_post(
            "/api/v1/connections",
            &json!({"provider": provider, "name": format!("{provider} org"), "admin_key": key,
                    "start_day": last_month().first_day().to_string(), "base_url": base}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert!(!body.to_string().contains(key));
    body["id"].as_i64().unwrap()
}

async fn sync(app: &TestApp, id: i64) -> Value {
    let (status, body) = app
        .admin_post(&format!("/api/v1/connections/{id}/sync"), &json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn listed(app: &TestApp) -> Value {
    let (status, body) = json_of(
        app.get("/api/v1/connections", &app.admin_token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body
}

/// Every text of every row of the tables that could hold a key.
async fn stored_text(app: &TestApp) -> String {
    let mut out = String::new();
    for table in ["connections", "audit_log", "provider_costs", "events"] {
        let rows = sqlx::query(&format!("SELECT * FROM {table}"))
            .fetch_all(app.store.pool())
            .await
            .unwrap();
        for r in rows {
            for i in 0..r.len() {
                if let Ok(Some(s)) = r.try_get::<Option<String>, _>(i) {
                    out.push_str(&s);
                    out.push('\n');
                }
            }
        }
    }
    out
}

async fn token_cost(app: &TestApp, team_name: &str) -> Decimal {
    let sb = app.showback(&last_month().to_string()).await;
    money(&team(&sb, team_name)["token_cost_exact"])
}

storage_test!(no_server_secret_means_no_key_is_stored, |app| {
    let (status, body) = app
        .admin_post(
            "/api/v1/connections",
            &json!({"provider": "openai", "name": "org", "admin_key": OPENAI_KEY, "start_day": "2026-01-01"}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(body.to_string().contains("TOKENTALLY_SECRET_KEY"), "{body}");
    assert_eq!(listed(&app).await, json!([]));
    assert!(!stored_text(&app).await.contains(OPENAI_KEY));
});

storage_test_with!(connections_are_admin_only_and_checked, configure, |app| {
    let finance = app.token_for(Role::Finance, &[]).await;
    let r = app
        .post("/api/v1/connections", &finance)
        .json(&json!({"provider": "openai", "name": "x", "admin_key": "k", "start_day": "2026-01-01"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = app
        .get("/api/v1/connections", &finance)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    for (body, says) in [
        (
            json!({"provider": "azure", "name": "x", "admin_key": "k", "start_day": "2026-01-01"}),
            "provider",
        ),
        (
            json!({"provider": "openai", "name": "", "admin_key": "k", "start_day": "2026-01-01"}),
            "name",
        ),
        (
            json!({"provider": "openai", "name": "x", "admin_key": "", "start_day": "2026-01-01"}),
            "admin_key",
        ),
        (
            json!({"provider": "openai", "name": "x", "admin_key": "k", "start_day": "March"}),
            "start_day",
        ),
        (
            json!({"provider": "openai", "name": "x", "admin_key": "k", "start_day": "2026-01-01", "base_url": "http://api.example.com"}),
            "https",
        ),
    ] {
        let (status, answer) = app.admin_post("/api/v1/connections", &body).await;
        assert_eq!(status, 422, "{body} → {answer}");
        assert!(answer.to_string().contains(says), "{answer}");
    }
    let (status, _) = app
        .admin_post("/api/v1/connections/999/sync", &json!({}))
        .await;
    assert_eq!(status, 404);
});

storage_test_with!(
    an_openai_month_is_pulled_to_the_cent_once,
    configure,
    |app| {
        let (fake, base) = fake(false).await;
        map_key(&app, "key_abc", "platform").await;
        let id = connect(&app, "openai", OPENAI_KEY, &base).await;
        let report = sync(&app, id).await;
        assert_eq!(report["error"], Value::Null, "{report}");
        let days = days_in(last_month());
        // gpt-4o-mini a day: 1M input × 0.15/M + 100k output × 0.60/M = 0.21.
        assert_eq!(
            token_cost(&app, "platform").await,
            dec!(0.21) * Decimal::from(days)
        );
        let events = app.count_events().await;
        let today = Utc::now().date_naive();
        let expected_rows = (today - last_month().first_day()).num_days() + 1;
        assert_eq!(events, expected_rows, "one row a day, today included");
        let before = app.showback(&last_month().to_string()).await;

        let again = sync(&app, id).await;
        assert_eq!(again["error"], Value::Null, "{again}");
        assert_eq!(
            app.count_events().await,
            events,
            "a second pull adds nothing"
        );
        assert_eq!(app.showback(&last_month().to_string()).await, before);
        let list = listed(&app).await;
        assert_eq!(list[0]["rows_pulled"], events);
        assert_eq!(list[0]["cursor_day"], today.to_string());
        assert!(list[0]["last_sync"].is_string() && list[0]["next_run"].is_string());

        // The provider's own cost is kept beside ours: 0.25 a day.
        let costs = app
            .store
            .list_provider_costs(last_month().first_day(), last_month().last_day())
            .await
            .unwrap();
        assert_eq!(costs.len() as i64, days);
        assert_eq!(
            costs.iter().map(|c| c.amount).sum::<Decimal>(),
            dec!(0.25) * Decimal::from(days)
        );
        let (status, lines) = json_of(
            app.get(
                &format!(
                    "/api/v1/reconciliation/provider-costs?month={}",
                    last_month()
                ),
                &app.finance_token,
            )
            .send()
            .await
            .unwrap(),
        )
        .await;
        assert_eq!(status, 200, "{lines}");
        let lines = lines.as_array().unwrap();
        assert_eq!(lines.len() as i64, days);
        for l in lines {
            assert_eq!(
                (
                    money(&l["computed"]),
                    money(&l["reported"]),
                    money(&l["difference"])
                ),
                (dec!(0.21), dec!(0.25), dec!(0.04)),
                "{l}"
            );
            assert_eq!(l["flagged"], true, "4 cents, 16%: {l}");
        }
        assert!(
            costs
                .iter()
                .all(|c| c.model == "gpt-4o-mini-2024-07-18" && c.currency == "USD")
        );

        // The key in clear: nowhere stored, answered or shown.
        assert!(!stored_text(&app).await.contains(OPENAI_KEY));
        assert!(!list.to_string().contains(OPENAI_KEY));
        let mut b = Browser::signed_in(&app, Role::Admin, &[]).await;
        let page = b.get("/admin/connections").await;
        assert_eq!(page.status, 200);
        assert!(page.body.contains("openai org"));
        assert!(!page.body.contains(OPENAI_KEY));
        let rec = b
            .get(&format!("/reconciliation?month={}", last_month()))
            .await;
        assert_eq!(rec.status, 200);
        assert!(
            rec.body.contains(r#"id="reported-costs""#),
            "the section shows"
        );
        assert!(
            rec.body.contains("gpt-4o-mini-2024-07-18") && rec.body.contains("over the threshold")
        );
        assert!(fake.requests.load(Ordering::SeqCst) > 0);
    }
);

storage_test_with!(
    an_anthropic_month_is_pulled_to_the_cent_once,
    configure,
    |app| {
        let (_fake, base) = fake(true).await;
        map_key(&app, "apikey_1", "labs").await;
        let id = connect(&app, "anthropic", ANTHROPIC_KEY, &base).await;
        let report = sync(&app, id).await;
        assert_eq!(report["error"], Value::Null, "{report}");
        let days = days_in(last_month());
        // claude-3-5-haiku a day: 500k input × 0.80/M + 50k output × 4/M = 0.6.
        assert_eq!(
            token_cost(&app, "labs").await,
            dec!(0.6) * Decimal::from(days)
        );
        let events = app.count_events().await;
        sync(&app, id).await;
        assert_eq!(app.count_events().await, events);
        assert_eq!(
            token_cost(&app, "labs").await,
            dec!(0.6) * Decimal::from(days)
        );
        // 61.5 cents a day in the cost report.
        let costs = app
            .store
            .list_provider_costs(last_month().first_day(), last_month().last_day())
            .await
            .unwrap();
        assert_eq!(
            costs.iter().map(|c| c.amount).sum::<Decimal>(),
            dec!(0.615) * Decimal::from(days)
        );
        assert!(!stored_text(&app).await.contains(ANTHROPIC_KEY));
    }
);

storage_test_with!(
    rate_limits_wait_and_a_cut_off_pull_resumes_without_doubling,
    configure,
    |app| {
        let (fake, base) = fake(false).await;
        map_key(&app, "key_abc", "platform").await;
        let id = connect(&app, "openai", OPENAI_KEY, &base).await;
        // 429 first (Retry-After: 1), then the provider breaks after its 9th answer: the first
        // stretch (4 usage pages and 4 cost pages) is stored, the second is not.
        fake.rate_limit_next.store(true, Ordering::SeqCst);
        fake.fail_from.store(11, Ordering::SeqCst);
        let started = std::time::Instant::now();
        let report = sync(&app, id).await;
        assert!(
            started.elapsed() >= std::time::Duration::from_secs(1),
            "Retry-After waited"
        );
        assert_eq!(fake.rate_limited.load(Ordering::SeqCst), 1);
        let error = report["error"]
            .as_str()
            .expect("an error recorded")
            .to_owned();
        assert!(error.contains("500"), "{error}");
        let list = listed(&app).await;
        assert_eq!(list[0]["last_error"], error);
        let first = last_month().first_day();
        assert_eq!(
            list[0]["cursor_day"],
            (first + Duration::days(7)).to_string()
        );
        assert_eq!(app.count_events().await, 7, "the first stretch only");
        assert_eq!(token_cost(&app, "platform").await, dec!(1.47));

        fake.fail_from.store(0, Ordering::SeqCst);
        let report = sync(&app, id).await;
        assert_eq!(report["error"], Value::Null, "{report}");
        let days = days_in(last_month());
        assert_eq!(
            token_cost(&app, "platform").await,
            dec!(0.21) * Decimal::from(days)
        );
        let today = Utc::now().date_naive();
        assert_eq!(app.count_events().await, (today - first).num_days() + 1);
        assert_eq!(listed(&app).await[0]["last_error"], Value::Null);
    }
);

storage_test_with!(
    a_malformed_page_is_a_recorded_error_and_stores_nothing,
    configure,
    |app| {
        let (fake, base) = fake(false).await;
        let id = connect(&app, "openai", OPENAI_KEY, &base).await;
        fake.malformed.store(true, Ordering::SeqCst);
        let report = sync(&app, id).await;
        assert!(
            report["error"].as_str().unwrap().contains("malformed"),
            "{report}"
        );
        assert_eq!(app.count_events().await, 0);
        assert_eq!(
            listed(&app).await[0]["cursor_day"],
            last_month().first_day().to_string()
        );
    }
);

/// A Slack incoming webhook over HTTPS: keeps each body.
pub async fn slack_receiver() -> (String, Arc<std::sync::Mutex<Vec<Value>>>) {
    let seen: Arc<std::sync::Mutex<Vec<Value>>> = Arc::default();
    async fn hook(
        State(seen): State<Arc<std::sync::Mutex<Vec<Value>>>>,
        body: String,
    ) -> &'static str {
        seen.lock()
            .unwrap()
            .push(serde_json::from_str(&body).unwrap());
        "ok"
    }
    let app = Router::new()
        .route("/services/T000/B000/XXXX", axum::routing::post(hook))
        .with_state(seen.clone());
    (
        format!("{}/services/T000/B000/XXXX", serve_https(app).await),
        seen,
    )
}

fn configure_hooks(c: &mut Config) {
    configure(c);
    c.allow_private_webhooks = true;
}

storage_test_with!(
    a_budget_alert_reaches_the_teams_slack_channel_over_https,
    configure_hooks,
    |app| {
        let (slack, seen) = slack_receiver().await;
        let (status, body) = app
        .post_events(&json!([{"id": "c1", "timestamp": "2026-03-05T10:00:00Z", "provider": "openai",
            "model": "gpt-4o-mini", "team": "search", "input_tokens": 1_000_000, "output_tokens": 1_000_000}]))
        .await;
        assert_eq!(status, 200, "{body}");
        let (status, body) = app
            .admin_post(
                "/api/v1/webhook",
                &json!({"url": "", "teams": {"search": {"url": slack, "format": "slack"}}}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["teams"]["search"]["format"], "slack");
        let (status, body) = app
            .admin_post(
                "/api/v1/budgets",
                &json!({"month": "2026-03", "team": "search", "amount": "0.50"}),
            )
            .await;
        assert!(status.is_success(), "{body}");
        let (status, e) = app
            .admin_post("/api/v1/alerts/evaluate?as_of=2026-03-20", &json!({}))
            .await;
        assert_eq!(status, 200, "{e}");
        // 0.75 spent of 0.50: 50%, 80% and 100% crossed at once (one crossing, at 100%) and
        // the forecast over, each delivered.
        assert_eq!(e["new_alerts"], 2, "{e}");
        assert_eq!(e["delivered"], 2, "{e}");
        let bodies = seen.lock().unwrap().clone();
        assert_eq!(bodies.len(), 2);
        for b in &bodies {
            let text = b["text"].as_str().expect("Slack's text field");
            assert!(text.contains("team search"), "{text}");
        }
        assert!(bodies.iter().any(|b| {
            b["text"]
                .as_str()
                .unwrap()
                .contains("100% of the 2026-03 budget reached: $0.75 spent of $0.50")
        }));
        let (status, body) = app
            .admin_post(
                "/api/v1/webhook",
                &json!({"url": "", "teams": {"search": {"url": "ftp://x"}}}),
            )
            .await;
        assert_eq!(status, 422, "{body}");
    }
);

// Issue 23: the provider's cost per unit billed. The OpenAI fake bills 0.25 of `input` a day;
// tokentally computes 0.15 of input and 0.06 of output, which the report bills under no unit
// of its own. So the day's 0.04 difference splits into input +0.10 and output −0.06: it
// points at the units it comes from.
storage_test_with!(
    provider_costs_are_compared_per_unit_billed,
    configure,
    |app| {
        let (_fake, base) = fake(false).await;
        map_key(&app, "key_abc", "platform").await;
        let id = connect(&app, "openai", OPENAI_KEY, &base).await;
        let report = sync(&app, id).await;
        assert_eq!(report["error"], Value::Null, "{report}");
        let path = format!(
            "/api/v1/reconciliation/provider-costs/units?month={}",
            last_month()
        );
        let (status, lines) =
            json_of(app.get(&path, &app.finance_token).send().await.unwrap()).await;
        assert_eq!(status, 200, "{lines}");
        let lines = lines.as_array().unwrap();
        let days = days_in(last_month());
        assert_eq!(lines.len() as i64, 2 * days, "{lines:?}");
        for l in lines {
            let figures = (
                money(&l["computed"]),
                money(&l["reported"]),
                money(&l["difference"]),
            );
            match l["unit"].as_str().unwrap() {
                "input" => assert_eq!(figures, (dec!(0.15), dec!(0.25), dec!(0.10)), "{l}"),
                "output" => assert_eq!(figures, (dec!(0.06), dec!(0), dec!(-0.06)), "{l}"),
                other => panic!("unit {other}: {l}"),
            }
            assert_eq!(l["priced"], true);
        }
        // Finance and admin only; the page sums the month per unit.
        let lead = app.token_for(Role::Lead, &["platform"]).await;
        let r = app.get(&path, &lead).send().await.unwrap();
        assert_eq!(r.status(), 403);
        let mut b = Browser::signed_in(&app, Role::Finance, &[]).await;
        let rec = b
            .get(&format!("/reconciliation?month={}", last_month()))
            .await;
        assert_eq!(rec.status, 200);
        assert!(rec.body.contains(r#"id="reported-units""#), "{}", rec.body);
        let input_total = (dec!(0.10) * Decimal::from(days)).to_string();
        assert!(
            rec.body.contains(&format!("${input_total}")),
            "the month's input difference, {input_total}"
        );
    }
);

/// Per-call events of `day` (10:00) sent with the fake's model: `(id, key, input, output)`,
/// one request each, all for team search.
fn per_call(day: NaiveDate, calls: &[(&str, &str, u64, u64)]) -> Value {
    Value::Array(
        calls
            .iter()
            .map(|(id, key, input, output)| {
                json!({"id": id, "timestamp": format!("{day}T10:00:00Z"), "provider": "openai",
                       "model": "gpt-4o-mini-2024-07-18", "api_key": key, "team": "search",
                       "input_tokens": input, "output_tokens": output})
            })
            .collect(),
    )
}

/// The pulled rows of `day`: (input tokens, output tokens, requests) each.
async fn pulled_on(app: &TestApp, day: NaiveDate) -> Vec<(i64, i64, i64)> {
    sqlx::query_as(
        "SELECT input_tokens, output_tokens, requests FROM events \
         WHERE source LIKE 'pull:%' AND day = $1 ORDER BY event_id",
    )
    .bind(day.to_string())
    .fetch_all(app.store.pool())
    .await
    .unwrap()
}

/// Input, output, requests and events of the month: raw events, daily and monthly rollups.
async fn month_sums(app: &TestApp, m: Month) -> [(i64, i64, i64, i64); 3] {
    let sums = "CAST(SUM(input_tokens) AS BIGINT), CAST(SUM(output_tokens) AS BIGINT), \
                CAST(SUM(requests) AS BIGINT)";
    let (first, last) = (m.first_day().to_string(), m.last_day().to_string());
    let raw = sqlx::query_as(&format!(
        "SELECT {sums}, CAST(COUNT(*) AS BIGINT) FROM events WHERE day >= $1 AND day <= $2"
    ))
    .bind(first.clone())
    .bind(last.clone())
    .fetch_one(app.store.pool())
    .await
    .unwrap();
    let daily = sqlx::query_as(&format!(
        "SELECT {sums}, CAST(SUM(events) AS BIGINT) FROM usage_rollups WHERE day >= $1 AND day <= $2"
    ))
    .bind(first)
    .bind(last)
    .fetch_one(app.store.pool())
    .await
    .unwrap();
    let monthly = sqlx::query_as(&format!(
        "SELECT {sums}, CAST(SUM(events) AS BIGINT) FROM usage_rollups_monthly WHERE month = $1"
    ))
    .bind(m.to_string())
    .fetch_one(app.store.pool())
    .await
    .unwrap();
    [raw, daily, monthly]
}

/// Every team's exact token cost of the month, summed.
async fn month_token_cost(app: &TestApp) -> Decimal {
    let sb = app.showback(&last_month().to_string()).await;
    sb["teams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| money(&t["token_cost_exact"]))
        .sum()
}

// Per-call events that arrive weeks after their day was pulled (the day lies before the
// cursor less the 2 days each pull fetches again) come out of the pulled bucket at ingest:
// same key first, then a gateway's own key from what is left of the same model and day;
// what exceeds the bucket stays. Showback is the provider's figure to the cent, raw events
// and rollups agree, and sending the events again changes nothing.
storage_test_with!(
    late_per_call_events_come_out_of_the_pulled_bucket,
    configure,
    |app| {
        let (_fake, base) = fake(false).await;
        map_key(&app, "key_abc", "platform").await;
        let id = connect(&app, "openai", OPENAI_KEY, &base).await;
        let report = sync(&app, id).await;
        assert_eq!(report["error"], Value::Null, "{report}");
        let days = Decimal::from(days_in(last_month()));
        assert_eq!(month_token_cost(&app).await, dec!(0.21) * days);

        let first = last_month().first_day();
        let (day, over) = (first + Duration::days(3), first + Duration::days(4));
        let late = {
            let mut calls = per_call(
                day,
                &[
                    ("late-1", "key_abc", 200_000, 20_000),
                    ("late-2", "key_abc", 200_000, 20_000),
                    ("late-3", "gateway-7", 100_000, 10_000),
                ],
            );
            // More than the day's bucket: the bucket goes, the event stays whole.
            let more = per_call(over, &[("late-4", "key_abc", 1_500_000, 150_000)]);
            calls
                .as_array_mut()
                .unwrap()
                .extend(more.as_array().unwrap().clone());
            calls
        };
        let (status, body) = app.post_events(&late).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            pulled_on(&app, day).await,
            vec![(500_000, 50_000, 7)],
            "1M − 400k of key_abc − 100k of the gateway; 10 requests − 3"
        );
        assert_eq!(pulled_on(&app, over).await, vec![], "taken whole");
        // The provider's figure, plus what the event over the bucket sent beyond it:
        // 500k input × 0.15/M + 50k output × 0.60/M = 0.105.
        let expected = dec!(0.21) * days + dec!(0.105);
        assert_eq!(month_token_cost(&app).await, expected);
        let sb = app.showback(&last_month().to_string()).await;
        // key_abc belongs to platform (its mapping wins over the event's team), so search
        // has only the gateway's call, 0.021; platform the rest.
        assert_eq!(money(&team(&sb, "search")["token_cost_exact"]), dec!(0.021));
        assert_eq!(
            money(&team(&sb, "platform")["token_cost_exact"]),
            expected - dec!(0.021)
        );
        let sums = month_sums(&app, last_month()).await;
        assert_eq!(sums[0], sums[1], "raw events and daily rollups agree");
        assert_eq!(sums[0], sums[2], "raw events and monthly rollups agree");

        // Sent again: duplicates, nothing moves.
        let events = app.count_events().await;
        let (status, body) = app.post_events(&late).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["duplicates"], 4, "{body}");
        assert_eq!(app.count_events().await, events);
        assert_eq!(pulled_on(&app, day).await, vec![(500_000, 50_000, 7)]);
        assert_eq!(month_token_cost(&app).await, expected);
        assert_eq!(month_sums(&app, last_month()).await, sums);
        assert_eq!(
            listed(&app).await[0]["rows_pulled"],
            app.store.count_events().await.map(|n| n - 4).unwrap(),
            "the emptied row is no longer counted as pulled"
        );

        // A day the next pull fetches again is left to it: the pull takes the events out.
        let recent = Utc::now().date_naive() - Duration::days(1);
        let (status, body) = app
            .post_events(&per_call(recent, &[("recent-1", "key_abc", 300_000, 0)]))
            .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            pulled_on(&app, recent).await,
            vec![(1_000_000, 100_000, 10)]
        );
        let report = sync(&app, id).await;
        assert_eq!(report["error"], Value::Null, "{report}");
        assert_eq!(pulled_on(&app, recent).await, vec![(700_000, 100_000, 9)]);
        assert_eq!(
            month_token_cost(&app).await,
            expected,
            "the pull left the month"
        );

        // A closed month's statements do not move: late usage there is carried forward whole,
        // and the bucket stays as it was closed.
        let (status, body) = json_of(
            app.post(
                &format!("/api/v1/months/{}/close", last_month()),
                &app.finance_token,
            )
            .send()
            .await
            .unwrap(),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let closed_day = first + Duration::days(10);
        let (status, body) = app
            .post_events(&per_call(
                closed_day,
                &[("closed-1", "key_abc", 100_000, 0)],
            ))
            .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            pulled_on(&app, closed_day).await,
            vec![(1_000_000, 100_000, 10)]
        );
        let late_notes: i64 = sqlx::query_scalar(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM late_events WHERE event_id = 'closed-1'",
        )
        .fetch_one(app.store.pool())
        .await
        .unwrap();
        assert_eq!(late_notes, 1, "carried forward");
    }
);

fn configure_short_lease(c: &mut Config) {
    configure(c);
    c.pull_lease = std::time::Duration::from_millis(900);
}

// A server that dies mid-pull leaves a claim that nobody renews: it lapses within the lease,
// and "pull now" takes the connection within its wait (a 10-minute claim made it answer 409
// after waiting 2 minutes).
storage_test_with!(
    a_dead_servers_claim_lapses_and_pull_now_takes_it,
    configure_short_lease,
    |app| {
        let (fake, base) = fake(false).await;
        let id = connect(&app, "openai", OPENAI_KEY, &base).await;
        fake.delay_ms.store(50, Ordering::SeqCst);
        // The scheduler of a second server (the same database) claims the connection and
        // pulls; the server dies half way through its first stretch.
        let other = app.state.clone();
        let dying =
            tokio::spawn(async move { tokentally_server::app::connections::run_due(&other).await });
        while fake.requests.load(Ordering::SeqCst) < 3 {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        dying.abort();
        assert!(dying.await.is_err(), "it died mid-pull");
        let c = app.store.get_connection(id).await.unwrap().unwrap();
        assert!(
            c.lease_until_ms > tokentally_server::storage::now_ms_pub(),
            "its claim holds"
        );
        assert_eq!(c.last_sync_ms, None);

        fake.delay_ms.store(0, Ordering::SeqCst);
        let started = std::time::Instant::now();
        let report = sync(&app, id).await;
        assert_eq!(report["error"], Value::Null, "{report}");
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "taken once the claim lapsed: {:?}",
            started.elapsed()
        );
        let today = Utc::now().date_naive();
        assert_eq!(
            app.count_events().await,
            (today - last_month().first_day()).num_days() + 1
        );
        let c = app.store.get_connection(id).await.unwrap().unwrap();
        assert_eq!(c.lease_until_ms, 0, "released");
    }
);

// A live pull renews its claim: it lasts several leases and no other server takes it meanwhile.
storage_test_with!(
    a_live_pulls_claim_is_renewed_and_never_taken,
    configure_short_lease,
    |app| {
        let (fake, base) = fake(false).await;
        let id = connect(&app, "openai", OPENAI_KEY, &base).await;
        // A stretch (8 pages) takes longer than a lease: only the heartbeat keeps the claim.
        fake.delay_ms.store(150, Ordering::SeqCst);
        let done = AtomicBool::new(false);
        let started = std::time::Instant::now();
        let pulling = async {
            let report = sync(&app, id).await;
            done.store(true, Ordering::SeqCst);
            report
        };
        let other_server = async {
            let mut refused = 0;
            let mut leases = std::collections::BTreeSet::new();
            while !done.load(Ordering::SeqCst) {
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                let until = tokentally_server::storage::now_ms_pub() + 900;
                if app.store.claim_connection(id, until, false).await.unwrap() {
                    let c = app.store.get_connection(id).await.unwrap().unwrap();
                    assert!(
                        c.last_sync_ms.is_some(),
                        "the claim was taken while the pull ran"
                    );
                    break;
                }
                refused += 1;
                let c = app.store.get_connection(id).await.unwrap().unwrap();
                leases.insert(c.lease_until_ms);
            }
            (refused, leases.len())
        };
        let (report, (refused, leases)) = tokio::join!(pulling, other_server);
        assert_eq!(report["error"], Value::Null, "{report}");
        assert!(
            started.elapsed() >= std::time::Duration::from_millis(2700),
            "the pull outlasted three leases: {:?}",
            started.elapsed()
        );
        assert!(refused >= 20, "{refused}");
        assert!(leases >= 4, "renewed {leases} times");
        let today = Utc::now().date_naive();
        assert_eq!(
            app.count_events().await,
            (today - last_month().first_day()).num_days() + 1
        );
    }
);
