//! Budgets per feature, recurring budgets and "copy last month's budgets", on SQLite and
//! PostgreSQL.

use reqwest::StatusCode;
use rust_decimal_macros::dec;
use serde_json::{Value, json};
use tokentally_server::auth::Role;

use crate::helpers::{TestApp, json_of, money};
use crate::storage_test;

/// search/chat makes five gpt-4o-mini calls of 1M input and 1,000 output tokens in March
/// 2026 (0.1506 each: 0.753); search/summaries one (0.1506).
async fn seed(app: &TestApp) {
    let mut events = Vec::new();
    for d in 1..=5 {
        events.push(
            json!({"id": format!("c-{d}"), "timestamp": format!("2026-03-{d:02}T10:00:00Z"),
            "provider": "openai", "model": "gpt-4o-mini", "team": "search", "feature": "chat",
            "input_tokens": 1_000_000, "output_tokens": 1000}),
        );
    }
    events.push(json!({"id": "s-1", "timestamp": "2026-03-02T10:00:00Z",
        "provider": "openai", "model": "gpt-4o-mini", "team": "search", "feature": "summaries",
        "input_tokens": 1_000_000, "output_tokens": 1000}));
    let (status, body) = app.post_events(&json!(events)).await;
    assert_eq!(status, 200, "{body}");
}

async fn budgets(app: &TestApp, month: &str, token: &str) -> Vec<Value> {
    let (s, v) = json_of(
        app.get(&format!("/api/v1/budgets?month={month}"), token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v.as_array().unwrap().clone()
}

async fn set(app: &TestApp, body: Value) -> (StatusCode, Value) {
    app.admin_post("/api/v1/budgets", &body).await
}

storage_test!(a_feature_budget_limits_the_features_token_cost, |app| {
    seed(&app).await;
    let (s, b) = set(
        &app,
        json!({"month": "2026-03", "scope": "feature", "team": "search", "feature": "chat",
               "amount": "0.50"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let all = budgets(&app, "2026-03", &app.finance_token).await;
    let chat = all
        .iter()
        .find(|b| b["budget"]["scope"] == "feature")
        .unwrap();
    assert_eq!(chat["budget"]["feature"], "chat");
    assert_eq!(chat["team"], "search");
    // Only chat's calls count (not summaries'): 0.753, over its 0.50.
    assert_eq!(money(&chat["forecast"]["month_to_date"]), dec!(0.75));
    assert_eq!(chat["status"], "over");
    // A lead of search sees it; a lead of another team does not.
    let lead = app.token_for(Role::Lead, &["search"]).await;
    assert_eq!(budgets(&app, "2026-03", &lead).await.len(), 1);
    let other = app.token_for(Role::Lead, &["agents"]).await;
    assert!(budgets(&app, "2026-03", &other).await.is_empty());
    // A feature budget names its feature; only a feature budget does.
    for bad in [
        json!({"month": "2026-03", "scope": "feature", "team": "search", "amount": "1"}),
        json!({"month": "2026-03", "scope": "team", "team": "search", "feature": "chat", "amount": "1"}),
        json!({"month": "2026-03", "scope": "teams", "team": "search", "amount": "1"}),
    ] {
        let (s, v) = set(&app, bad.clone()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {v}");
    }
    assert_eq!(budgets(&app, "2026-03", &app.finance_token).await.len(), 1);
});

storage_test!(
    a_recurring_budget_holds_until_changed_and_copies_fill_the_gaps,
    |app| {
        seed(&app).await;
        // search: 5.00 every month from January; March alone gets 7.00.
        let (s, b) = set(
            &app,
            json!({"month": "2026-01", "scope": "team", "team": "search", "amount": "5",
               "recurring": true}),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        let (s, _) = set(
            &app,
            json!({"month": "2026-03", "scope": "team", "team": "search", "amount": "7"}),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED);
        let amount = |bs: &[Value]| {
            bs.iter()
                .map(|b| {
                    (
                        money(&b["budget"]["amount"]),
                        b["budget"]["carried_from"].clone(),
                    )
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(
            amount(&budgets(&app, "2025-12", &app.finance_token).await),
            vec![]
        );
        assert_eq!(
            amount(&budgets(&app, "2026-02", &app.finance_token).await),
            vec![(dec!(5), json!("2026-01"))]
        );
        assert_eq!(
            amount(&budgets(&app, "2026-03", &app.finance_token).await),
            vec![(dec!(7), Value::Null)]
        );
        // After March's one-month budget the recurring one holds again.
        assert_eq!(
            amount(&budgets(&app, "2026-09", &app.finance_token).await),
            vec![(dec!(5), json!("2026-01"))]
        );
        // A new recurring budget from June replaces it from June on.
        set(&app, json!({"month": "2026-06", "scope": "team", "team": "search", "amount": "6", "recurring": true})).await;
        assert_eq!(
            amount(&budgets(&app, "2026-05", &app.finance_token).await),
            vec![(dec!(5), json!("2026-01"))]
        );
        assert_eq!(
            amount(&budgets(&app, "2026-09", &app.finance_token).await),
            vec![(dec!(6), json!("2026-06"))]
        );

        // Copy March into April: the one-month feature budget is copied; search's team budget
        // is not (the recurring one holds in April).
        set(&app, json!({"month": "2026-03", "scope": "feature", "team": "search", "feature": "chat", "amount": "0.80"})).await;
        let (s, copied) = app
            .admin_post(
                "/api/v1/budgets/copy",
                &json!({"from": "2026-03", "to": "2026-04"}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{copied}");
        assert_eq!(copied.as_array().unwrap().len(), 1, "{copied}");
        let april = budgets(&app, "2026-04", &app.finance_token).await;
        let mut got: Vec<(String, rust_decimal::Decimal)> = april
            .iter()
            .map(|b| {
                let b = &b["budget"];
                (
                    format!(
                        "{}:{}",
                        b["scope"].as_str().unwrap(),
                        b["feature"].as_str().unwrap_or("")
                    ),
                    money(&b["amount"]),
                )
            })
            .collect();
        got.sort();
        assert_eq!(
            got,
            vec![
                ("feature:chat".to_owned(), dec!(0.80)),
                ("team:".to_owned(), dec!(5))
            ]
        );
        // Copying again copies nothing; a lead may not copy; a month onto itself is refused.
        let (_, again) = app
            .admin_post(
                "/api/v1/budgets/copy",
                &json!({"from": "2026-03", "to": "2026-04"}),
            )
            .await;
        assert_eq!(again, json!([]));
        let lead = app.token_for(Role::Lead, &["search"]).await;
        let r = app
            .post("/api/v1/budgets/copy", &lead)
            .json(&json!({"from": "2026-03", "to": "2026-05"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        let (s, _) = app
            .admin_post(
                "/api/v1/budgets/copy",
                &json!({"from": "2026-04", "to": "2026-04"}),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(budgets(&app, "2026-05", &app.finance_token).await.len(), 1);
    }
);
