//! What AI spend earns: values reported with business transactions, and the margin and ROI
//! read from them, by JSON and CSV, on SQLite and PostgreSQL; bad values store nothing.

use reqwest::StatusCode;
use rust_decimal_macros::dec;
use serde_json::{Value, json};
use tokentally_server::auth::Role;

use crate::helpers::{TestApp, json_of, money, team};
use crate::storage_test;

/// A gpt-4o-mini call of 1,000,000 input and 100,000 output tokens: 0.15 + 0.06 = 0.21.
fn call(id: &str, team: &str, feature: &str) -> Value {
    json!({"id": id, "timestamp": "2026-03-05T10:00:00Z", "provider": "openai",
        "model": "gpt-4o-mini", "team": team, "feature": feature,
        "input_tokens": 1_000_000, "output_tokens": 100_000, "outcome": "success"})
}

async fn listed(app: &TestApp) -> Value {
    let (status, v) = json_of(
        app.get("/api/v1/transactions?month=2026-03", &app.admin_token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    v
}

async fn get(app: &TestApp, path: &str) -> Value {
    let (status, v) = json_of(app.get(path, &app.admin_token).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{path}: {v}");
    v
}

storage_test!(
    a_feature_value_gives_margin_and_roi_on_feature_team_and_showback,
    |app| {
        // agents/answers: 10 calls = 2.10 over 11,000,000 tokens; search/chat: 1 call = 0.21.
        let mut events: Vec<Value> = (0..10)
            .map(|i| call(&format!("a{i}"), "agents", "answers"))
            .collect();
        events.push(call("s0", "search", "chat"));
        assert_eq!(app.post_events(&Value::Array(events)).await.0, 200);
        let finance = app.token_for(Role::Finance, &[]).await;
        // 40 tickets worth 0.25 each: 10.00.
        let r = app
            .post("/api/v1/transactions", &finance)
            .json(
                &json!({"month": "2026-03", "team": "agents", "feature": "answers",
                          "name": "tickets", "count": 40, "value": "0.25"}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
        // A team-wide total for agents, given as a JSON number: 1.50.
        let r = app
            .post("/api/v1/transactions", &finance)
            .json(
                &json!({"month": "2026-03", "team": "agents", "name": "renewals",
                          "count": 3, "value": 1.5, "value_basis": "total", "currency": "usd"}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);

        let f = get(&app, "/api/v1/teams/agents/features/answers?month=2026-03").await;
        let m = &f["total"]["margin"];
        assert_eq!(money(&m["value"]), dec!(10));
        assert_eq!(money(&m["cost"]), dec!(2.1));
        // 10.00 − 2.10; 10 ÷ 2.10 = 4.7619 → 4.76; 2.10 ÷ 10 = 21 %; 10 ÷ 11 = 0.909091.
        assert_eq!(money(&m["margin"]), dec!(7.9));
        assert_eq!(money(&m["roi"]), dec!(4.76));
        assert_eq!(money(&m["cost_share_of_value"]), dec!(21));
        assert_eq!(money(&m["value_per_million_tokens"]), dec!(0.909091));
        assert_eq!(m["earns_less_than_it_burns"], false);

        let t = get(&app, "/api/v1/teams/agents?month=2026-03").await;
        // The team: 10.00 + 1.50 against 2.10.
        assert_eq!(money(&t["total"]["margin"]["value"]), dec!(11.5));
        assert_eq!(money(&t["total"]["margin"]["margin"]), dec!(9.4));

        let sb = app.showback("2026-03").await;
        assert_eq!(money(&team(&sb, "agents")["margin"]["value"]), dec!(11.5));
        assert_eq!(team(&sb, "search")["margin"], Value::Null);
        // The organisation: 11.50 against 2.10 + 0.21.
        assert_eq!(money(&sb["margin"]["value"]), dec!(11.5));
        assert_eq!(money(&sb["margin"]["margin"]), dec!(9.19));

        // Worth 0.10 in all, search/chat earns less than its 0.21.
        let r = app
            .post("/api/v1/transactions", &finance)
            .json(
                &json!({"month": "2026-03", "team": "search", "feature": "chat",
                          "name": "chats", "count": 1, "value": "0.10"}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
        let c = get(&app, "/api/v1/teams/search/features/chat?month=2026-03").await;
        assert_eq!(c["total"]["margin"]["earns_less_than_it_burns"], true);
        assert_eq!(money(&c["total"]["margin"]["margin"]), dec!(-0.11));
    }
);

storage_test!(
    bad_values_and_other_teams_are_refused_and_nothing_is_stored,
    |app| {
        assert_eq!(
            app.post_events(&json!([call("a0", "agents", "answers")]))
                .await
                .0,
            200
        );
        let lead = app.token_for(Role::Lead, &["agents"]).await;
        let good = json!({"month": "2026-03", "team": "agents", "feature": "answers",
                          "name": "tickets", "count": 4, "value": "2.00"});
        let r = app
            .post("/api/v1/transactions", &lead)
            .json(&good)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
        let before = listed(&app).await;
        for (bad, want) in [
            (json!({"value": "-1"}), "negative"),
            (json!({"value": "ten"}), "not a decimal"),
            (json!({"value": true}), "not a decimal"),
            (
                json!({"value": "1", "currency": "EUR"}),
                "unknown currency `EUR`",
            ),
            (json!({"value": "1", "value_basis": "each"}), "value basis"),
            (
                json!({"value": null, "currency": "USD"}),
                "give the value too",
            ),
        ] {
            let mut body = good.clone();
            for (k, v) in bad.as_object().unwrap() {
                body[k] = v.clone();
            }
            let r = app
                .post("/api/v1/transactions", &lead)
                .json(&body)
                .send()
                .await
                .unwrap();
            let status = r.status();
            let text = r.text().await.unwrap();
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {text}");
            assert!(text.contains(want), "{body}: {text}");
        }
        // A lead entering a value for another team.
        let r = app
            .post("/api/v1/transactions", &lead)
            .json(&json!({"month": "2026-03", "team": "search", "name": "x",
                          "count": 1, "value": "5"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);

        // CSV: one bad line (a negative value) refuses the whole file.
        let csv = "period,team,feature,name,count,value,value_basis,currency\n\
                   2026-03,agents,answers,tickets,9,3.00,per_transaction,USD\n\
                   2026-03,agents,answers,refunds,1,-3,total,USD\n";
        let r = app
            .post("/api/v1/transactions/csv", &lead)
            .header("content-type", "text/csv")
            .body(csv)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().await.unwrap().contains("CSV line 3"));
        // A line for another team: 403, and the good line before it is not stored either.
        let csv = "period,team,name,count,value\n\
                   2026-03,agents,tickets,9,3.00\n\
                   2026-03,search,chats,1,1\n";
        let r = app
            .post("/api/v1/transactions/csv", &lead)
            .body(csv)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        assert_eq!(listed(&app).await, before, "nothing stored");
        assert_eq!(before.as_array().unwrap().len(), 1);
        assert_eq!(money(&before[0]["value"]["amount"]), dec!(2));

        // A good file: both lines, one replacing the JSON report.
        let csv = "month,team,feature,name,count,value,value_basis\n\
                   2026-03,agents,answers,tickets,9,3.00,per_transaction\n\
                   2026-03-05,agents,,renewals,2,10,total\n";
        let (status, v) = json_of(
            app.post("/api/v1/transactions/csv", &lead)
                .body(csv)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{v}");
        assert_eq!(v["stored"], 2);
        let t = get(&app, "/api/v1/teams/agents?month=2026-03").await;
        // 9 × 3.00 + 10 = 37.00 against 0.21.
        assert_eq!(money(&t["total"]["margin"]["value"]), dec!(37));
    }
);
