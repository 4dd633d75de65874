//! Customers as a dimension: the per-customer rollup equals sums over the raw events, on
//! SQLite and PostgreSQL, and `GET /api/v1/customers` prices it per customer.

use std::collections::BTreeMap;

use reqwest::StatusCode;
use rust_decimal_macros::dec;
use serde_json::{Value, json};
use tokentally_domain::month::Month;
use tokentally_server::auth::Role;

use crate::helpers::{TestApp, json_of, money};
use crate::storage_test;

/// Events over 25 Feb .. 6 Mar across three teams and five customers (every fourth event
/// names none), with workflows and failures.
fn events(n: usize, salt: usize) -> Value {
    let teams = ["search", "support", "growth"];
    Value::Array(
        (0..n)
            .map(|i| {
                let j = i * 7 + salt;
                let day = chrono::NaiveDate::from_ymd_opt(2026, 2, 25).unwrap()
                    + chrono::Days::new((j % 10) as u64);
                let customer = if j % 4 == 3 { Value::Null } else { json!(format!("cust-{}", j % 5)) };
                let model = ["gpt-4o", "gpt-4o-mini"][j % 2];
                let feature = ["chat", "rerank"][j % 2];
                let outcome = ["success", "failure"][j % 2];
                json!({"id": format!("c-{salt}-{i}"), "timestamp": format!("{day}T{:02}:00:00Z", j % 24),
                    "provider": "openai", "model": model,
                    "team": teams[j % 3], "feature": feature,
                    "customer": customer,
                    "input_tokens": 1000 + j, "output_tokens": 10 + j % 3, "requests": 1 + j % 2,
                    "outcome": outcome,
                    "workflow_id": if j.is_multiple_of(5) { Value::from(format!("w{}", j % 9)) } else { Value::Null }})
            })
            .collect(),
    )
}

type Sums = BTreeMap<String, (i64, i64, i64, i64)>;

/// (events, requests, input, output) per customer of `month`, from the raw events.
async fn from_events(app: &TestApp, month: Month) -> Sums {
    let rows: Vec<(String, i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT customer, CAST(COUNT(*) AS BIGINT), CAST(SUM(requests) AS BIGINT), \
         CAST(SUM(input_tokens) AS BIGINT), CAST(SUM(output_tokens) AS BIGINT) \
         FROM events WHERE customer <> '' AND day >= $1 AND day < $2 GROUP BY customer",
    )
    .bind(month.first_day().to_string())
    .bind(month.end_exclusive().to_string())
    .fetch_all(app.store.pool())
    .await
    .unwrap();
    rows.into_iter()
        .map(|(c, e, r, i, o)| (c, (e, r, i, o)))
        .collect()
}

/// The same, from the per-customer rollup.
async fn from_rollup(app: &TestApp, month: Month) -> Sums {
    let mut out = Sums::new();
    for r in app.store.list_customer_rollups(month).await.unwrap() {
        let t = &r.row.totals;
        let s = out.entry(r.customer).or_default();
        s.0 += t.events as i64;
        s.1 += t.requests as i64;
        s.2 += t.tokens.input as i64;
        s.3 += t.tokens.output as i64;
    }
    out
}

storage_test!(customer_rollups_equal_sums_over_the_raw_events, |app| {
    for salt in 0..3 {
        assert_eq!(app.post_events(&events(150, salt)).await.0, 200);
    }
    // A replay adds nothing.
    let (status, body) = app.post_events(&events(150, 1)).await;
    assert_eq!(status, 200);
    assert_eq!(body["duplicates"], 150);
    for m in ["2026-02", "2026-03"] {
        let month: Month = m.parse().unwrap();
        let raw = from_events(&app, month).await;
        assert!(raw.len() >= 4, "{m}: customers in {raw:?}");
        assert_eq!(from_rollup(&app, month).await, raw, "{m}");
    }
});

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
