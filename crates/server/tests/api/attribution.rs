//! Mapping a key re-attributes its spend at once; a mapping from mid-month splits the month.

use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde_json::{Value, json};

use crate::helpers::{money, team};
use crate::storage_test;

/// One gpt-4o-mini call a day on `key` in March 2026, 1,000,000 input tokens each
/// (0.15 per 1M → 0.15 a day).
fn daily_calls(key: &str) -> Value {
    Value::Array(
        (1..=31)
            .map(|d| json!({"id": format!("{key}-{d}"), "timestamp": format!("2026-03-{d:02}T12:00:00Z"),
                "provider": "openai", "model": "gpt-4o-mini", "api_key": key, "input_tokens": 1_000_000}))
            .collect(),
    )
}

storage_test!(
    mapping_an_unmapped_key_moves_its_cost_out_of_unallocated,
    |app| {
        assert_eq!(app.post_events(&daily_calls("key-orphan")).await.0, 200);
        let before = app.showback("2026-03").await;
        assert_eq!(
            money(&team(&before, "Unallocated")["token_cost"]),
            dec!(4.65)
        );

        let (status, body) = app.admin_post("/api/v1/key-mappings", &json!({"api_key": "key-orphan", "team": "search", "feature": "rerank", "valid_from": "2026-01-01"})).await;
        assert_eq!(status, 201, "{body}");
        let after = app.showback("2026-03").await;
        assert_eq!(money(&team(&after, "search")["token_cost"]), dec!(4.65));
        assert_eq!(
            money(&team(&after, "Unallocated")["token_cost"]),
            Decimal::ZERO
        );
        assert_eq!(
            after["org_total"], before["org_total"],
            "re-attribution moves money, never creates it"
        );

        let (status, drill) = crate::helpers::json_of(
            app.get("/api/v1/teams/search?month=2026-03", &app.finance_token)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, 200, "{drill}");
        assert_eq!(drill["features"][0]["name"], "rerank");
        assert_eq!(drill["keys"][0]["name"], "key-orphan");
        assert_eq!(drill["days"].as_array().unwrap().len(), 31);
    }
);

storage_test!(a_mapping_from_mid_month_splits_the_key_at_that_day, |app| {
    assert_eq!(app.post_events(&daily_calls("key-late")).await.0, 200);
    let (status, _) = app
        .admin_post(
            "/api/v1/key-mappings",
            &json!({"api_key": "key-late", "team": "growth", "valid_from": "2026-03-11"}),
        )
        .await;
    assert_eq!(status, 201);
    let sb = app.showback("2026-03").await;
    // 1–10 March stay unallocated (10 × 0.15), 11–31 go to growth (21 × 0.15).
    assert_eq!(money(&team(&sb, "Unallocated")["token_cost"]), dec!(1.50));
    assert_eq!(money(&team(&sb, "growth")["token_cost"]), dec!(3.15));
});

storage_test!(
    the_key_beats_a_disagreeing_tag_and_rules_catch_the_untagged,
    |app| {
        let events = json!([
            {"id": "t1", "timestamp": "2026-03-02T00:00:00Z", "provider": "openai", "model": "gpt-4o-mini", "api_key": "key-a", "team": "support", "input_tokens": 1000000},
            {"id": "t2", "timestamp": "2026-03-02T00:00:00Z", "provider": "openai", "model": "gpt-4o-mini", "tags": {"app": "evals"}, "input_tokens": 2000000},
        ]);
        assert_eq!(app.post_events(&events).await.0, 200);
        app.admin_post(
            "/api/v1/key-mappings",
            &json!({"api_key": "key-a", "team": "search", "valid_from": "2026-01-01"}),
        )
        .await;
        let (status, body) = app.admin_post("/api/v1/rules", &json!({"tag": "app", "tag_value": "evals", "team": "data-platform", "feature": "offline-evals"})).await;
        assert_eq!(status, 201, "{body}");
        let sb = app.showback("2026-03").await;
        assert_eq!(money(&team(&sb, "search")["token_cost"]), dec!(0.15));
        assert_eq!(team(&sb, "search")["tag_conflicts"], 1);
        assert_eq!(money(&team(&sb, "data-platform")["token_cost"]), dec!(0.30));
    }
);

storage_test!(overheads_blend_into_team_costs_and_add_up, |app| {
    let events = json!([
        {"id": "o1", "timestamp": "2026-03-02T00:00:00Z", "provider": "openai", "model": "gpt-4o-mini", "team": "search", "input_tokens": 20000000},
        {"id": "o2", "timestamp": "2026-03-02T00:00:00Z", "provider": "openai", "model": "gpt-4o-mini", "team": "support", "input_tokens": 10000000},
        {"id": "o3", "timestamp": "2026-03-02T00:00:00Z", "provider": "openai", "model": "gpt-4o-mini", "input_tokens": 10000000},
    ]);
    assert_eq!(app.post_events(&events).await.0, 200);
    for body in [
        json!({"month": "2026-03", "category": "retrieval", "amount": "100.00"}),
        json!({"month": "2026-03", "category": "logging", "amount": "10.00", "allocation": "even"}),
        json!({"month": "2026-03", "category": "vector search", "amount": "9.99", "allocation": "fixed", "shares": {"search": "2", "support": "1"}}),
        json!({"month": "2026-03", "category": "human review", "amount": "50", "allocation": "direct", "team": "support"}),
    ] {
        let (status, b) = app.admin_post("/api/v1/overheads", &body).await;
        assert_eq!(status, 201, "{b}");
    }
    let sb = app.showback("2026-03").await;
    // Token cost: search 3.00, support 1.50, Unallocated 1.50 (total 6.00).
    // retrieval 100 proportional → 50 / 25 / 25; logging 10 even → 5 / 5 / 0;
    // vector search 9.99 fixed 2:1 → 6.66 / 3.33; human review 50 → support.
    let blended = |t: &str| money(&team(&sb, t)["blended_cost"]);
    assert_eq!(
        blended("search"),
        dec!(3.00) + dec!(50) + dec!(5) + dec!(6.66)
    );
    assert_eq!(
        blended("support"),
        dec!(1.50) + dec!(25) + dec!(5) + dec!(3.33) + dec!(50)
    );
    assert_eq!(blended("Unallocated"), dec!(1.50) + dec!(25));
    assert_eq!(money(&sb["org_total"]), dec!(6.00) + dec!(169.99));
    let sum: Decimal = sb["teams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| money(&t["blended_cost"]))
        .sum();
    assert_eq!(sum, money(&sb["org_total"]));
});

storage_test!(
    active_users_are_distinct_per_feature_and_follow_attribution,
    |app| {
        let e = |id: &str, user: &str, feature: &str, key: &str| {
            json!({"id": id, "timestamp": "2026-03-03T00:00:00Z", "provider": "openai", "model": "gpt-4o-mini", "api_key": key,
               "team": "search", "feature": feature, "user": user, "input_tokens": 1_000_000})
        };
        let events = json!([
            e("1", "u1", "chat", "k1"),
            e("2", "u1", "chat", "k1"),
            e("3", "u2", "chat", "k1"),
            e("4", "u3", "summaries", "k2")
        ]);
        assert_eq!(app.post_events(&events).await.0, 200);
        let (_, drill) = crate::helpers::json_of(
            app.get("/api/v1/teams/search?month=2026-03", &app.finance_token)
                .send()
                .await
                .unwrap(),
        )
        .await;
        let chat = drill["features"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == "chat")
            .unwrap();
        assert_eq!(chat["active_users"], 2);
        // 3 calls × 0.15 = 0.45 for 2 users.
        assert_eq!(chat["cost_per_active_user"], "0.225");
        let users_of = |drill: &serde_json::Value| -> u64 {
            drill["features"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["active_users"].as_u64().unwrap())
                .sum()
        };
        // Mapping k2 to another team moves its user with it.
        app.admin_post(
            "/api/v1/key-mappings",
            &json!({"api_key": "k2", "team": "growth", "valid_from": "2026-01-01"}),
        )
        .await;
        let drill = |t: &'static str| {
            let app = &app;
            async move {
                crate::helpers::json_of(
                    app.get(
                        &format!("/api/v1/teams/{t}?month=2026-03"),
                        &app.finance_token,
                    )
                    .send()
                    .await
                    .unwrap(),
                )
                .await
                .1
            }
        };
        assert_eq!(
            (
                users_of(&drill("search").await),
                users_of(&drill("growth").await)
            ),
            (2, 1)
        );
    }
);
