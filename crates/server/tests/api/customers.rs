//! Customers and users as dimensions: the per-customer and per-user rollups equal sums over
//! the raw events, on SQLite and PostgreSQL, whether their rows are still in the party log,
//! folded, or both; `GET /api/v1/customers` prices them per customer, and
//! `GET /api/v1/teams/{team}/features/{feature}/users` a feature's heaviest users.

use std::collections::BTreeMap;

use reqwest::StatusCode;
use rust_decimal_macros::dec;
use serde_json::{Value, json};
use tokentally_domain::month::Month;
use tokentally_server::auth::Role;

use crate::helpers::{TestApp, json_of, money};
use crate::storage_test;

/// Events over 25 Feb .. 6 Mar across three teams, five customers (every fourth event names
/// none) and seven users (every sixth names none), with workflows and failures.
fn events(n: usize, salt: usize) -> Value {
    let teams = ["search", "support", "growth"];
    Value::Array(
        (0..n)
            .map(|i| {
                let j = i * 7 + salt;
                let day = chrono::NaiveDate::from_ymd_opt(2026, 2, 25).unwrap()
                    + chrono::Days::new((j % 10) as u64);
                let customer = if j % 4 == 3 { Value::Null } else { json!(format!("cust-{}", j % 5)) };
                let user = if i % 6 == 5 { Value::Null } else { json!(format!("user-{}", i % 7)) };
                let model = ["gpt-4o", "gpt-4o-mini"][j % 2];
                let feature = ["chat", "rerank"][j % 2];
                let outcome = ["success", "failure"][j % 2];
                json!({"id": format!("c-{salt}-{i}"), "timestamp": format!("{day}T{:02}:00:00Z", j % 24),
                    "provider": "openai", "model": model,
                    "team": teams[j % 3], "feature": feature,
                    "customer": customer, "user": user,
                    "input_tokens": 1000 + j, "output_tokens": 10 + j % 3, "requests": 1 + j % 2,
                    "outcome": outcome,
                    "workflow_id": if j.is_multiple_of(5) { Value::from(format!("w{}", j % 9)) } else { Value::Null }})
            })
            .collect(),
    )
}

type Sums = BTreeMap<String, (i64, i64, i64, i64)>;

/// (events, requests, input, output) per customer (`column` = `customer`) or user
/// (`user_id`) of `month`, from the raw events.
async fn from_events(app: &TestApp, column: &str, month: Month) -> Sums {
    let rows: Vec<(String, i64, i64, i64, i64)> = sqlx::query_as(&format!(
        "SELECT {column}, CAST(COUNT(*) AS BIGINT), CAST(SUM(requests) AS BIGINT), \
         CAST(SUM(input_tokens) AS BIGINT), CAST(SUM(output_tokens) AS BIGINT) \
         FROM events WHERE {column} <> '' AND day >= $1 AND day < $2 GROUP BY {column}"
    ))
    .bind(month.first_day().to_string())
    .bind(month.end_exclusive().to_string())
    .fetch_all(app.store.pool())
    .await
    .unwrap();
    rows.into_iter()
        .map(|(c, e, r, i, o)| (c, (e, r, i, o)))
        .collect()
}

/// The same, from a party rollup's rows.
fn sums(rows: Vec<tokentally_domain::customer::CustomerRow>) -> Sums {
    let mut out = Sums::new();
    for r in rows {
        let t = &r.row.totals;
        let s = out.entry(r.customer).or_default();
        s.0 += t.events as i64;
        s.1 += t.requests as i64;
        s.2 += t.tokens.input as i64;
        s.3 += t.tokens.output as i64;
    }
    out
}

/// Both party rollups of February and March against the raw events.
async fn assert_parties_equal_events(app: &TestApp, when: &str) {
    for m in ["2026-02", "2026-03"] {
        let month: Month = m.parse().unwrap();
        let customers = from_events(app, "customer", month).await;
        assert!(customers.len() >= 4, "{m}: customers in {customers:?}");
        let rolled = sums(app.store.list_customer_rollups(month).await.unwrap());
        assert_eq!(rolled, customers, "{m} customers, {when}");
        let users = from_events(app, "user_id", month).await;
        assert!(users.len() >= 6, "{m}: users in {users:?}");
        let rolled = sums(app.store.list_user_rollups(month, None).await.unwrap());
        assert_eq!(rolled, users, "{m} users, {when}");
    }
}

storage_test!(party_rollups_equal_sums_over_the_raw_events, |app| {
    assert_eq!(app.post_events(&events(150, 0)).await.0, 200);
    assert_parties_equal_events(&app, "in the log").await;
    assert!(app.store.compact_party_log().await.unwrap() > 0);
    assert_parties_equal_events(&app, "folded").await;
    for salt in 1..3 {
        assert_eq!(app.post_events(&events(150, salt)).await.0, 200);
    }
    // A replay adds nothing.
    let (status, body) = app.post_events(&events(150, 1)).await;
    assert_eq!(status, 200);
    assert_eq!(body["duplicates"], 150);
    assert_parties_equal_events(&app, "folded and in the log").await;
    assert!(app.store.compact_party_log().await.unwrap() > 0);
    assert_eq!(app.store.compact_party_log().await.unwrap(), 0);
    assert_parties_equal_events(&app, "folded twice").await;
});

storage_test!(
    a_pulled_day_fetched_again_leaves_the_party_rollups_exact,
    |app| {
        let day = chrono::NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
        let pulled = |n: usize, input: u64| -> Vec<tokentally_domain::event::UsageEvent> {
            (0..n)
                .map(|i| {
                    tokentally_domain::event::UsageEvent::from_json(
                        &json!({"id": format!("p{i}"), "timestamp": "2026-03-02T10:00:00Z",
                        "provider": "openai", "model": "gpt-4o", "team": "search",
                        "customer": format!("cust-{}", i % 2), "user": format!("user-{}", i % 3),
                        "input_tokens": input, "output_tokens": 10}),
                        chrono::Utc::now(),
                    )
                    .map(|mut e| {
                        e.source = "pull".into();
                        e
                    })
                    .unwrap()
                })
                .collect()
        };
        let month: Month = "2026-03".parse().unwrap();
        app.store
            .replace_source_days("pull", day, day, pulled(6, 100))
            .await
            .unwrap();
        app.store.compact_party_log().await.unwrap();
        // Fetched again: fewer calls, other counts. The first fetch must leave the rollups.
        app.store
            .replace_source_days("pull", day, day, pulled(4, 7))
            .await
            .unwrap();
        for compacted in [false, true] {
            if compacted {
                app.store.compact_party_log().await.unwrap();
            }
            let customers = sums(app.store.list_customer_rollups(month).await.unwrap());
            assert_eq!(customers, from_events(&app, "customer", month).await);
            assert_eq!(customers["cust-0"], (2, 2, 14, 20));
            let users = sums(app.store.list_user_rollups(month, None).await.unwrap());
            assert_eq!(users, from_events(&app, "user_id", month).await);
            assert_eq!(users["user-0"], (2, 2, 14, 20));
        }
    }
);

storage_test!(customers_are_priced_per_month_team_and_feature, |app| {
    // gpt-4o-mini, 1,000,000 input + 100,000 output tokens: 0.21 a call.
    let call = |id: &str, team: &str, feature: &str, customer: Option<&str>| {
        json!({"id": id, "timestamp": "2026-03-05T10:00:00Z", "provider": "openai",
               "model": "gpt-4o-mini", "team": team, "feature": feature, "customer": customer,
               "input_tokens": 1_000_000, "output_tokens": 100_000})
    };
    let events = json!([
        call("1", "search", "chat", Some("acme")),
        call("2", "search", "chat", Some("acme")),
        call("3", "search", "rerank", Some("acme")),
        call("4", "search", "chat", Some("globex")),
        call("5", "support", "triage", Some("globex")),
        call("6", "support", "triage", None),
    ]);
    assert_eq!(app.post_events(&events).await.0, 200);
    let get = |q: &'static str, token: String| {
        let app = &app;
        async move {
            json_of(
                app.get(&format!("/api/v1/customers?month=2026-03{q}"), &token)
                    .send()
                    .await
                    .unwrap(),
            )
            .await
        }
    };
    let admin = app.admin_token.clone();
    let (status, all) = get("", admin.clone()).await;
    assert_eq!(status, StatusCode::OK, "{all}");
    // acme 3 × 0.21; globex 2 × 0.21; the event without a customer is nobody's.
    assert_eq!(all["customers_total"], 2);
    assert_eq!(all["customers"][0]["customer"], "acme");
    assert_eq!(money(&all["customers"][0]["token_cost"]), dec!(0.63));
    assert_eq!(money(&all["customers"][1]["token_cost"]), dec!(0.42));
    assert_eq!(money(&all["token_cost"]), dec!(1.05));
    // search's top customers, and its chat feature's.
    let (_, search) = get("&team=search", admin.clone()).await;
    assert_eq!(money(&search["customers"][0]["token_cost"]), dec!(0.63));
    assert_eq!(money(&search["customers"][1]["token_cost"]), dec!(0.21));
    let (_, chat) = get("&team=search&feature=chat", admin.clone()).await;
    assert_eq!(money(&chat["customers"][0]["token_cost"]), dec!(0.42));
    let (_, one) = get("&limit=1", admin.clone()).await;
    assert_eq!(one["customers"].as_array().unwrap().len(), 1);
    assert_eq!(one["customers_total"], 2);
    // A lead sees their teams' usage only, and not another team's list.
    let lead = app.token_for(Role::Lead, &["support"]).await;
    let (_, mine) = get("", lead.clone()).await;
    assert_eq!(mine["customers_total"], 1);
    assert_eq!(mine["customers"][0]["customer"], "globex");
    assert_eq!(money(&mine["customers"][0]["token_cost"]), dec!(0.21));
    let (status, _) = get("&team=search", lead).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // CSV: a header and a line per customer.
    let r = app
        .get("/api/v1/customers?month=2026-03&format=csv", &admin)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let csv = r.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 3, "{csv}");
    assert!(lines[1].starts_with("2026-03,acme,0.63,3,3,"), "{csv}");
    for bad in ["&limit=0", "&format=xml"] {
        let (status, _) = get(bad, admin.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
    }
});

storage_test!(a_features_heaviest_users_are_priced_and_shared, |app| {
    // gpt-4o-mini, 1,000,000 input + 100,000 output tokens: 0.21 a call.
    let call = |id: &str, team: &str, feature: &str, user: Option<&str>| {
        json!({"id": id, "timestamp": "2026-03-05T10:00:00Z", "provider": "openai",
               "model": "gpt-4o-mini", "team": team, "feature": feature, "user": user,
               "input_tokens": 1_000_000, "output_tokens": 100_000})
    };
    let events = json!([
        call("1", "search", "chat", Some("alice")),
        call("2", "search", "chat", Some("alice")),
        call("3", "search", "chat", Some("alice")),
        call("4", "search", "chat", Some("bob")),
        call("5", "search", "chat", None),
        call("6", "search", "rerank", Some("bob")),
        call("7", "support", "chat", Some("carol")),
    ]);
    assert_eq!(app.post_events(&events).await.0, 200);
    let path = "/api/v1/teams/search/features/chat/users?month=2026-03";
    let get = |q: &'static str, token: String| {
        let app = &app;
        async move { json_of(app.get(&format!("{path}{q}"), &token).send().await.unwrap()).await }
    };
    let admin = app.admin_token.clone();
    let (status, chat) = get("", admin.clone()).await;
    assert_eq!(status, StatusCode::OK, "{chat}");
    // The feature: 5 calls, 1.05; alice 3 calls (0.63, 60%), bob 1 (0.21, 20%); the call
    // without a user is in the feature's cost and nobody's.
    assert_eq!(money(&chat["feature_token_cost"]), dec!(1.05));
    assert_eq!(chat["users_total"], 2);
    assert_eq!(money(&chat["users_token_cost"]), dec!(0.84));
    let alice = &chat["users"][0];
    assert_eq!(alice["user"], "alice");
    assert_eq!(money(&alice["token_cost"]), dec!(0.63));
    assert_eq!(alice["requests"], 3);
    assert_eq!(alice["tokens"]["input"], 3_000_000);
    assert_eq!(money(&alice["share_of_feature_cost"]), dec!(60));
    let bob = &chat["users"][1];
    assert_eq!(
        (bob["user"].as_str(), bob["requests"].as_u64()),
        (Some("bob"), Some(1))
    );
    assert_eq!(money(&bob["token_cost"]), dec!(0.21));
    assert_eq!(money(&bob["share_of_feature_cost"]), dec!(20));
    // Folding the log changes nothing.
    app.store.compact_party_log().await.unwrap();
    let (_, again) = get("", admin.clone()).await;
    assert_eq!(again, chat);
    let (_, one) = get("&limit=1", admin.clone()).await;
    assert_eq!(one["users"].as_array().unwrap().len(), 1);
    assert_eq!(one["users_total"], 2);
    // A lead reads their own teams' features only.
    let own = app.token_for(Role::Lead, &["search"]).await;
    assert_eq!(get("", own).await.0, StatusCode::OK);
    let other = app.token_for(Role::Lead, &["support"]).await;
    let (status, body) = get("", other).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    // CSV: a header and every user.
    let r = app
        .get(&format!("{path}&format=csv"), &admin)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let csv = r.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 3, "{csv}");
    assert!(
        lines[1].starts_with("2026-03,search,chat,alice,0.63,60,3,3,3000000,"),
        "{csv}"
    );
    for bad in ["&limit=0", "&format=xml", "&month=2026-13"] {
        let (status, _) = get(bad, admin.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
    }
});

storage_test!(
    the_feature_page_lists_its_top_twenty_users_and_the_csv_all,
    |app| {
        // 25 users; user-k makes k + 1 calls, so user-24 is the heaviest.
        let mut events = Vec::new();
        for k in 0..25 {
            for c in 0..=k {
                events.push(json!({"id": format!("{k}-{c}"), "timestamp": "2026-03-05T10:00:00Z",
                "provider": "openai", "model": "gpt-4o-mini", "team": "search", "feature": "chat",
                "user": format!("user-{k:02}"), "input_tokens": 1_000_000, "output_tokens": 100_000}));
            }
        }
        assert_eq!(app.post_events(&Value::Array(events)).await.0, 200);
        let mut finance =
            crate::browser_session::Browser::signed_in(&app, Role::Finance, &[]).await;
        let page = finance
            .get("/teams/search/features/chat?month=2026-03")
            .await
            .body;
        assert!(page.contains("Heaviest users (the top 20 of 25"), "{page}");
        // user-24: 25 calls of 0.21, and 25 of the feature's 325 calls.
        let row = page
            .split("<tr")
            .find(|r| r.contains(">user-24<"))
            .expect("the heaviest user is listed");
        assert!(row.contains("5.25") && row.contains("7.7%"), "{row}");
        assert!(page.contains(">user-05<"), "the 20th is listed");
        assert!(!page.contains(">user-04<"), "the 21st is not");
        let csv = finance
            .get("/teams/search/features/chat/export.csv?month=2026-03&table=users")
            .await
            .body;
        assert_eq!(csv.lines().count(), 26, "{csv}");
        assert!(
            csv.lines().nth(1).unwrap().starts_with("2026-03,user-24,"),
            "{csv}"
        );
        // A lead of another team is refused the page and its CSV.
        let mut lead =
            crate::browser_session::Browser::signed_in(&app, Role::Lead, &["support"]).await;
        let refused = lead
            .get("/teams/search/features/chat/export.csv?month=2026-03&table=users")
            .await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
    }
);
