//! A closed month is closed: what is dated inside it is refused, reopening is an admin's
//! audited act that voids what was issued, an issued statement whose inputs changed is
//! marked and named by reconciliation, and late usage is one figure with one rounding.
//! Both databases.

use reqwest::StatusCode;
use rust_decimal_macros::dec;
use serde_json::{Value, json};

use crate::helpers::{TestApp, json_of, money};
use crate::storage_test;

/// gpt-4o-mini: 0.15 input per 1M tokens (the default catalog).
fn mini(id: &str, ts: &str, team: &str, input: u64) -> Value {
    json!({"id": id, "timestamp": ts, "provider": "openai", "model": "gpt-4o-mini",
           "input_tokens": input, "output_tokens": 0, "team": team})
}

async fn post(app: &TestApp, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
    json_of(app.post(path, token).json(&body).send().await.unwrap()).await
}

async fn get(app: &TestApp, path: &str, token: &str) -> Value {
    let (s, b) = json_of(app.get(path, token).send().await.unwrap()).await;
    assert_eq!(s, StatusCode::OK, "{path}: {b}");
    b
}

/// March with search and support, then search's statement issued (which closes March).
async fn closed_march(app: &TestApp) {
    let events = json!([
        mini("a", "2026-03-05T10:00:00Z", "search", 1_000_000),
        mini("b", "2026-03-06T10:00:00Z", "support", 2_000_000),
    ]);
    assert_eq!(app.post_events(&events).await.0, 200);
    let (s, b) = post(
        app,
        "/api/v1/statements/search/2026-03/issue",
        &app.finance_token,
        json!({}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
}

storage_test!(what_is_dated_inside_a_closed_month_is_refused, |app| {
    closed_march(&app).await;
    let support_before = get(
        &app,
        "/api/v1/statements/support/2026-03",
        &app.finance_token,
    )
    .await;
    let refused = [
        (
            "/api/v1/overheads",
            json!({"month": "2026-03", "category": "retrieval", "amount": "10"}),
            "2026-03 is closed",
        ),
        (
            "/api/v1/commitments",
            json!({"month": "2026-03", "provider": "openai", "model": "gpt-4o-mini", "fee": "50", "capacity_tokens": 1000}),
            "Record it in 2026-04 instead",
        ),
        (
            "/api/v1/discounts",
            json!({"provider": "openai", "percent": "10", "effective_from": "2026-03-15"}),
            "date it from 2026-04-01 or later",
        ),
        (
            "/api/v1/key-mappings",
            json!({"api_key": "k-x", "team": "search", "valid_from": "2026-02-01"}),
            "would change 2026-03, which is closed",
        ),
    ];
    for (path, body, says) in refused {
        let (s, b) = post(&app, path, &app.admin_token, body).await;
        assert_eq!(s, StatusCode::CONFLICT, "{path}: {b}");
        assert!(b.to_string().contains(says), "{path}: {b}");
    }
    let file = json!({"gpt-4o-mini": {"litellm_provider": "openai", "mode": "chat",
        "input_cost_per_token": 3e-07, "output_cost_per_token": 1.2e-06}});
    let r = app
        .post(
            "/api/v1/prices/import?effective_from=2026-03-01",
            &app.admin_token,
        )
        .json(&file)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    // Nothing was stored: no overhead, the drafts unchanged.
    let overheads = get(&app, "/api/v1/overheads?month=2026-03", &app.finance_token).await;
    assert!(!overheads.to_string().contains("retrieval"), "{overheads}");
    let support_after = get(
        &app,
        "/api/v1/statements/support/2026-03",
        &app.finance_token,
    )
    .await;
    assert_eq!(support_after["total"], support_before["total"]);
    assert_eq!(money(&support_after["total"]), dec!(0.30));
    // The same dated in the first open month is accepted.
    for (path, body) in [
        (
            "/api/v1/overheads",
            json!({"month": "2026-04", "category": "retrieval", "amount": "10"}),
        ),
        (
            "/api/v1/discounts",
            json!({"provider": "openai", "percent": "10", "effective_from": "2026-04-01"}),
        ),
        (
            "/api/v1/key-mappings",
            json!({"api_key": "k-x", "team": "search", "valid_from": "2026-04-01"}),
        ),
    ] {
        let (s, b) = post(&app, path, &app.admin_token, body).await;
        assert_eq!(s, StatusCode::CREATED, "{path}: {b}");
    }
    // A model priced for the first time by an import is priced from after the closed month,
    // so March's statements stand.
    let file = json!({"brand-new-model": {"litellm_provider": "openai", "mode": "chat",
        "input_cost_per_token": 1e-06, "output_cost_per_token": 2e-06}});
    let r = app
        .post(
            "/api/v1/prices/import?effective_from=2026-04-02",
            &app.admin_token,
        )
        .json(&file)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    let prices = get(&app, "/api/v1/prices", &app.admin_token).await;
    let card = prices
        .as_array()
        .or_else(|| prices["cards"].as_array())
        .unwrap()
        .iter()
        .find(|c| c["model"] == "brand-new-model")
        .unwrap_or_else(|| panic!("{prices}"))
        .clone();
    assert_eq!(card["effective_from"], "2026-04-01", "{card}");
});

storage_test!(
    reopening_is_an_admins_audited_act_that_voids_what_was_issued,
    |app| {
        closed_march(&app).await;
        let path = "/api/v1/months/2026-03/reopen";
        let (s, _) = post(&app, path, &app.finance_token, json!({"reason": "fix"})).await;
        assert_eq!(
            s,
            StatusCode::FORBIDDEN,
            "finance closes but does not reopen"
        );
        let (s, b) = post(&app, path, &app.admin_token, json!({"reason": "  "})).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        assert_eq!(
            get(
                &app,
                "/api/v1/statements/search/2026-03",
                &app.finance_token
            )
            .await["status"],
            "issued",
            "a refused reopen changes nothing"
        );
        let (s, b) = post(
            &app,
            path,
            &app.admin_token,
            json!({"reason": "retrieval overhead was missed"}),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        assert_eq!(b["voided"], json!(["search"]));
        let search = get(
            &app,
            "/api/v1/statements/search/2026-03",
            &app.finance_token,
        )
        .await;
        assert_eq!(search["status"], "draft");
        // Open again: the overhead is accepted and the draft takes it in.
        let (s, b) = post(
        &app,
        "/api/v1/overheads",
        &app.finance_token,
        json!({"month": "2026-03", "category": "retrieval", "amount": "10", "allocation": "fixed", "shares": {"search": "1"}}),
    )
    .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        let search = get(
            &app,
            "/api/v1/statements/search/2026-03",
            &app.finance_token,
        )
        .await;
        assert_eq!(money(&search["total"]), dec!(10.15));
        let (s, _) = post(&app, path, &app.admin_token, json!({"reason": "again"})).await;
        assert_eq!(s, StatusCode::CONFLICT, "an open month is not reopened");
        let audit: Vec<(String, String)> =
            sqlx::query_as("SELECT action, subject FROM audit_log WHERE action = 'month.reopen'")
                .fetch_all(app.store.pool())
                .await
                .unwrap();
        assert_eq!(
            audit,
            vec![("month.reopen".to_owned(), "month:2026-03".to_owned())]
        );
        let void: Vec<String> = sqlx::query_scalar(
            "SELECT void_reason FROM statements WHERE team = 'search' AND month = '2026-03'",
        )
        .fetch_all(app.store.pool())
        .await
        .unwrap();
        assert_eq!(void, vec!["month reopened: retrieval overhead was missed"]);
    }
);

storage_test!(
    an_issued_statement_whose_inputs_changed_is_marked_and_named,
    |app| {
        // An unowned call in March, then search issued: the call is Unallocated.
        let events = json!([
            mini("a", "2026-03-05T10:00:00Z", "search", 1_000_000),
            {"id": "u", "timestamp": "2026-03-07T10:00:00Z", "provider": "openai",
             "model": "gpt-4o-mini", "input_tokens": 2_000_000, "output_tokens": 0, "api_key": "k-orphan"},
        ]);
        assert_eq!(app.post_events(&events).await.0, 200);
        let (s, b) = post(
            &app,
            "/api/v1/statements/search/2026-03/issue",
            &app.finance_token,
            json!({}),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        let rec = get(
            &app,
            "/api/v1/reconciliation?month=2026-03",
            &app.finance_token,
        )
        .await;
        assert_eq!(rec["balanced"], true, "{rec}");
        assert_eq!(rec["breaks"], json!([]));
        let issued = get(
            &app,
            "/api/v1/statements/search/2026-03",
            &app.finance_token,
        )
        .await;
        assert_eq!(issued["changed_since_issue"], false);
        // A rule has no date: it reaches the closed month and moves the orphan call to search.
        let (s, b) = app
            .admin_post(
                "/api/v1/rules",
                &json!({"key_prefix": "k-orphan", "team": "search"}),
            )
            .await;
        assert_eq!(s, 201, "{b}");
        let list = get(&app, "/api/v1/statements?month=2026-03", &app.finance_token).await;
        let row = list
            .as_array()
            .or_else(|| list["statements"].as_array())
            .unwrap()
            .iter()
            .find(|s| s["team"] == "search")
            .unwrap_or_else(|| panic!("{list}"))
            .clone();
        assert_eq!(row["changed_since_issue"], true, "{row}");
        assert_eq!(money(&row["total_now"]), dec!(0.45));
        assert_eq!(money(&row["total"]), dec!(0.15), "the issued figure stands");
        let rec = get(
            &app,
            "/api/v1/reconciliation?month=2026-03",
            &app.finance_token,
        )
        .await;
        assert_eq!(rec["balanced"], false, "{rec}");
        let breaks = rec["breaks"].as_array().unwrap();
        assert_eq!(breaks.len(), 1, "{rec}");
        let line = breaks[0].as_str().unwrap();
        assert!(
            line.starts_with("search: issued for 0.15 USD, its inputs now give 0.45 USD"),
            "{line}"
        );
    }
);

storage_test!(late_usage_is_one_figure_with_one_rounding, |app| {
    // search: 1,030,000 tokens = 0.1545; support 1M = 0.15. Then each gets 30,000 late
    // tokens (0.0045 exact, 0.00 on a statement line).
    let events = json!([
        mini("a", "2026-03-05T10:00:00Z", "search", 1_030_000),
        mini("b", "2026-03-06T10:00:00Z", "support", 1_000_000),
    ]);
    assert_eq!(app.post_events(&events).await.0, 200);
    let (s, b) = post(
        &app,
        "/api/v1/months/2026-03/close",
        &app.finance_token,
        json!({}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let late = json!([
        mini("l1", "2026-03-20T10:00:00Z", "search", 30_000),
        mini("l2", "2026-03-21T10:00:00Z", "support", 30_000),
        mini("april", "2026-04-02T10:00:00Z", "support", 1_000_000),
    ]);
    assert_eq!(app.post_events(&late).await.0, 200);
    let march = get(
        &app,
        "/api/v1/reconciliation?month=2026-03",
        &app.finance_token,
    )
    .await;
    let april = get(
        &app,
        "/api/v1/reconciliation?month=2026-04",
        &app.finance_token,
    )
    .await;
    // The statements print each team's adjustment rounded: 0.00 + 0.00.
    assert_eq!(money(&april["adjustments"]), dec!(0));
    assert_eq!(
        money(&march["carried_forward"]),
        money(&april["adjustments"]),
        "March's carried forward is April's adjustments: {march} {april}"
    );
    assert_eq!(march["balanced"], true, "{march}");
    assert_eq!(april["balanced"], true, "{april}");
});
