//! Planning through the API, on SQLite and PostgreSQL: a feature's scenarios priced on the
//! real card with its observed mix, and commitment sizing over the last 90 days. Every figure
//! is worked by hand from gpt-4o-mini's card ($0.15 per 1M input, $0.60 per 1M output).

use chrono::{Duration, Utc};
use reqwest::StatusCode;
use rust_decimal_macros::dec;
use serde_json::{Value, json};
use tokentally_server::auth::Role;

use crate::browser_session::Browser;
use crate::helpers::{TestApp, json_of, money};
use crate::storage_test;

fn call(id: &str, at: String, team: &str, input: u64, output: u64) -> Value {
    json!({"id": id, "timestamp": at, "provider": "openai", "model": "gpt-4o-mini",
        "team": team, "feature": "chat", "input_tokens": input, "output_tokens": output})
}

/// search/chat's one call of today: 1M input and 100k output tokens, 10 to 1.
async fn chat_today(app: &TestApp) {
    let today = Utc::now().date_naive();
    let events = json!([call(
        "s1",
        format!("{today}T00:00:01Z"),
        "search",
        1_000_000,
        100_000
    )]);
    assert_eq!(app.post_events(&events).await.0, 200);
}

async fn get(app: &TestApp, path: &str, token: &str) -> (StatusCode, Value) {
    json_of(app.get(path, token).send().await.unwrap()).await
}

// search/chat used gpt-4o-mini today with 10 input tokens to 1 output. A plan of 100,000
// interactions of 1,100 tokens is 110M tokens a month, split 100M input and 10M output:
// 100 × 0.15 + 10 × 0.60 = 21.00 token cost, 25.20 blended at 1.2, 0.000252 an
// interaction. At ±25%: 75,000 (15.75 → 18.90) and 125,000 (26.25 → 31.50).
storage_test!(
    scenarios_are_priced_on_the_card_with_the_features_mix,
    |app| {
        chat_today(&app).await;
        let q = "/api/v1/planning/scenarios?team=search&feature=chat&model=openai/gpt-4o-mini\
             &volume=100000&tokens_per_interaction=1100&overhead_multiplier=1.2";
        let (s, v) = get(&app, q, &app.finance_token).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let sc = v["scenarios"].as_array().unwrap();
        let expected = &sc[1];
        assert_eq!(expected["name"], "expected");
        assert_eq!(expected["tokens"]["input"], 100_000_000);
        assert_eq!(expected["tokens"]["output"], 10_000_000);
        assert_eq!(money(&expected["token_cost"]), dec!(21.00));
        assert_eq!(money(&expected["blended_cost"]), dec!(25.20));
        assert_eq!(money(&expected["cost_per_interaction"]), dec!(0.000252));
        assert_eq!(
            (sc[0]["volume"].as_u64(), money(&sc[0]["blended_cost"])),
            (Some(75_000), dec!(18.90))
        );
        assert_eq!(
            (sc[2]["volume"].as_u64(), money(&sc[2]["blended_cost"])),
            (Some(125_000), dec!(31.50))
        );
        assert_eq!(v["mix"]["input"], 1_000_000);

        // A lead plans for their own teams only.
        let lead = app.token_for(Role::Lead, &["agents"]).await;
        let (s, _) = get(&app, q, &lead).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        // Bad plans are refused with the field named.
        let base = "/api/v1/planning/scenarios?team=search&feature=chat&model=openai/gpt-4o-mini";
        for (bad, field) in [
            ("volume=0&tokens_per_interaction=10", "volume"),
            ("volume=lots&tokens_per_interaction=10", "volume"),
            (
                "volume=1&tokens_per_interaction=10&overhead_multiplier=0.5",
                "overhead_multiplier",
            ),
            (
                "volume=1&tokens_per_interaction=10&spread_pct=300",
                "spread_pct",
            ),
            ("volume=1&tokens_per_interaction=10&tier=cheap", "tier"),
            ("volume=1", "tokens_per_interaction"),
        ] {
            let (s, v) = get(&app, &format!("{base}&{bad}"), &app.finance_token).await;
            assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}: {v}");
            assert!(v.to_string().contains(field), "{bad}: {v}");
        }
        let (s, v) = get(
            &app,
            &q.replace("gpt-4o-mini", "no-such-model"),
            &app.finance_token,
        )
        .await;
        assert!(s.is_client_error(), "{v}");
    }
);

// gpt-4o-mini over the last 90 days: 1M input tokens on each of the 10 days before today,
// and 2M more on the 5th day back: 12M tokens costing 1.80 on demand (0.15 per 1M).
// At 0.01 per 1M of daily capacity: none costs 1.80; 1M a day costs 0.01 × 90 = 0.90 plus
// the 2M overflow at 1.80 ÷ 12M each = 0.30, so 1.20; 3M a day costs 2.70. So 1M a day,
// saving 0.60, with 10M of the 90M bought used (11.1%).
storage_test!(commitment_sizing_finds_the_cheapest_capacity, |app| {
    let today = Utc::now().date_naive();
    let mut events = Vec::new();
    for back in 1..=10 {
        let day = today - Duration::days(back);
        events.push(call(
            &format!("d{back}"),
            format!("{day}T12:00:00Z"),
            "search",
            1_000_000,
            0,
        ));
    }
    let peak = today - Duration::days(5);
    events.push(call(
        "peak",
        format!("{peak}T13:00:00Z"),
        "search",
        2_000_000,
        0,
    ));
    assert_eq!(app.post_events(&Value::Array(events)).await.0, 200);

    let q = "/api/v1/planning/commitment-sizing?model=openai/gpt-4o-mini";
    let (s, v) = get(
        &app,
        &format!("{q}&fee_per_million=0.01"),
        &app.finance_token,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["days"], 90);
    assert_eq!(v["tokens"], 12_000_000);
    assert_eq!(money(&v["on_demand_cost"]), dec!(1.80));
    assert_eq!(v["daily_capacity"], 1_000_000);
    assert_eq!(money(&v["fee"]), dec!(0.90));
    assert_eq!(money(&v["overflow_cost"]), dec!(0.30));
    assert_eq!(money(&v["saving"]), dec!(0.60));
    assert_eq!(money(&v["utilisation_pct"]), dec!(11.1));
    assert_eq!(v["steady"], false);
    assert_eq!(v["fee_source"], "entered");

    // Without a price: none to read, then the month's commitment's (9.00 for 900M: 0.01).
    let (s, v) = get(&app, q, &app.finance_token).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let month = tokentally_domain::month::Month::of(today);
    let (s, b) = app
        .admin_post(
            "/api/v1/commitments",
            &json!({"month": month, "provider": "openai", "model": "gpt-4o-mini",
                    "fee": "9.00", "capacity_tokens": 900_000_000}),
        )
        .await;
    assert!(s.is_success(), "{b}");
    let (s, v) = get(&app, q, &app.finance_token).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(money(&v["fee_per_million"]), dec!(0.01));
    assert_eq!(v["fee_source"], format!("the {month} commitment"));
    assert_eq!(money(&v["saving"]), dec!(0.60));

    // The whole organisation's traffic: not for a lead. Bad prices are refused.
    let lead = app.token_for(Role::Lead, &["search"]).await;
    assert_eq!(get(&app, q, &lead).await.0, StatusCode::FORBIDDEN);
    for bad in [
        "fee_per_million=abc",
        "fee_per_million=-1",
        "fee_per_million=0",
    ] {
        let (s, v) = get(&app, &format!("{q}&{bad}"), &app.finance_token).await;
        assert!(s.is_client_error(), "{bad}: {s} {v}");
    }
});

// The planning page prices a plan from a GET form and shows a refused field beside it.
storage_test!(the_planning_page_prices_a_plan, |app| {
    chat_today(&app).await;
    let q = "/planning?form=scenario&team=search&feature=chat&model=openai%2Fgpt-4o-mini\
             &volume=100000&tokens_per_interaction=1100&overhead_multiplier=1.2&spread_pct=25";
    let mut finance = Browser::signed_in(&app, Role::Finance, &[]).await;
    let page = finance.get(q).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("$25.20"), "{}", page.body);
    assert!(page.body.contains("$31.50") && page.body.contains("$18.90"));
    assert!(
        page.body
            .contains(r#"href="/planning" aria-current="page""#)
    );
    let page = finance.get(&q.replace("volume=100000", "volume=0")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("field-error") && page.body.contains("`volume` must be between"),
        "{}",
        page.body
    );
    // A lead sees no sizing form (the organisation's traffic).
    let mut lead = Browser::signed_in(&app, Role::Lead, &["search"]).await;
    let page = lead.get("/planning").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("Commitment sizing"));
});
