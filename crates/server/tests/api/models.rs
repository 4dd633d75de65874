//! The models and providers page and `GET /api/v1/models`: figures per model and provider,
//! who uses each model, a lead's part only, CSV. Both databases.

use reqwest::StatusCode;
use rust_decimal_macros::dec;
use serde_json::{Value, json};
use tokentally_server::auth::Role;

use crate::browser_session::Browser;
use crate::helpers::{TestApp, json_of, money};
use crate::storage_test;

async fn seed(app: &TestApp) {
    // gpt-4o-mini 0.15 / 0.60 per 1M; claude-3-5-haiku 0.80 / 4.00 per 1M (the default catalog).
    let events = json!([
        {"id": "1", "timestamp": "2026-03-02T10:00:00Z", "provider": "openai", "model": "gpt-4o-mini",
         "input_tokens": 2_000_000, "output_tokens": 0, "team": "search", "outcome": "success"},
        {"id": "2", "timestamp": "2026-03-02T11:00:00Z", "provider": "openai", "model": "gpt-4o-mini",
         "input_tokens": 1_000_000, "output_tokens": 0, "team": "support", "outcome": "failure"},
        {"id": "3", "timestamp": "2026-03-03T10:00:00Z", "provider": "anthropic", "model": "claude-3-5-haiku-20241022",
         "input_tokens": 1_000_000, "output_tokens": 1_000_000, "team": "support", "outcome": "success"},
    ]);
    let (s, b) = app.post_events(&events).await;
    assert_eq!(s, 200, "{b}");
}

fn model<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["models"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == name)
        .unwrap_or_else(|| panic!("{name} in {report}"))
}

storage_test!(models_and_providers_with_their_teams, |app| {
    seed(&app).await;
    let (s, r) = json_of(
        app.get("/api/v1/models?month=2026-03", &app.finance_token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let mini = model(&r, "gpt-4o-mini");
    assert_eq!(money(&mini["token_cost"]), dec!(0.45));
    assert_eq!(mini["requests"], 2);
    assert_eq!(mini["successful_outcomes"], 1);
    assert_eq!(money(&mini["success_rate"]), dec!(0.5));
    assert_eq!(money(&mini["cost_per_successful_outcome"]), dec!(0.45));
    assert_eq!(mini["teams"], json!(["search", "support"]));
    assert_eq!(mini["providers"], json!(["openai"]));
    let haiku = model(&r, "claude-3-5-haiku-20241022");
    assert_eq!(money(&haiku["token_cost"]), dec!(4.80));
    assert_eq!(haiku["teams"], json!(["support"]));
    // Costliest first; providers too.
    assert_eq!(r["models"][0]["name"], "claude-3-5-haiku-20241022");
    assert_eq!(r["providers"][0]["name"], "anthropic");
    assert_eq!(money(&r["providers"][1]["token_cost"]), dec!(0.45));

    // A lead sees their teams' part only.
    let lead = app.token_for(Role::Lead, &["search"]).await;
    let (_, r) = json_of(
        app.get("/api/v1/models?month=2026-03", &lead)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(r["models"].as_array().unwrap().len(), 1, "{r}");
    let mini = model(&r, "gpt-4o-mini");
    assert_eq!(money(&mini["token_cost"]), dec!(0.30));
    assert_eq!(mini["teams"], json!(["search"]));
    // A bad month is a 400.
    let (s, _) = json_of(
        app.get("/api/v1/models?month=2026-13", &app.finance_token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);

    // The page, in the navigation, and its CSV.
    let mut finance = Browser::signed_in(&app, Role::Finance, &[]).await;
    let page = finance.get("/models?month=2026-03").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains(r#"href="/models" aria-current="page""#),
        "{}",
        page.body
    );
    assert!(page.body.contains("Who uses each model"));
    assert!(page.body.contains("search, support"));
    let csv = finance
        .get("/models/export.csv?month=2026-03&table=usage")
        .await
        .body;
    assert!(
        csv.contains("2026-03,gpt-4o-mini,openai,\"search, support\",2,1,50.0%"),
        "{csv}"
    );
    let csv = finance
        .get("/models/export.csv?month=2026-03&table=providers")
        .await
        .body;
    assert!(
        csv.lines().any(|l| l.starts_with("2026-03,openai,0.45,2,")),
        "{csv}"
    );
});
