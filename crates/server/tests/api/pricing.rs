//! Hand-computed amounts through the whole path: ingest → rollups → shipped catalog → showback.

use rust_decimal_macros::dec;
use serde_json::json;

use crate::helpers::{money, team};
use crate::storage_test;

fn call(id: &str, model: &str, provider: &str, extra: serde_json::Value) -> serde_json::Value {
    let mut e = json!({"id": id, "timestamp": "2026-03-05T10:00:00Z", "provider": provider, "model": model, "team": "search", "outcome": "success"});
    for (k, v) in extra.as_object().unwrap() {
        e[k] = v.clone();
    }
    e
}

storage_test!(amounts_match_hand_computed_prices, |app| {
    let events = json!([
        // gpt-4o (2.50 / 1.25 cached / 10.00 per 1M): 4,000 × 2.5 + 6,000 × 1.25 + 1,000 × 10 → 0.0275
        call(
            "a",
            "gpt-4o",
            "openai",
            json!({"input_tokens": 10000, "cached_input_tokens": 6000, "output_tokens": 1000})
        ),
        // claude-3-5-sonnet-20241022 (3 / 0.30 read / 3.75 write / 15): 2,000 × 3 + 40,000 × 0.3
        // + 8,000 × 3.75 + 700 × 15 → 0.006 + 0.012 + 0.03 + 0.0105 = 0.0585
        call(
            "b",
            "claude-3-5-sonnet-20241022",
            "anthropic",
            json!({"input_tokens": 50000, "cached_input_tokens": 40000, "cache_write_tokens": 8000, "output_tokens": 700})
        ),
        // gpt-4o batch (1.25 / 5.00): 1,000,000 × 1.25 + 100,000 × 5 → 1.75
        call(
            "c",
            "gpt-4o",
            "openai",
            json!({"input_tokens": 1000000, "output_tokens": 100000, "service_tier": "batch"})
        ),
        // gemini/gemini-2.5-pro above 200k (2.50 / 15.00): 250,000 × 2.5 + 1,000 × 15 → 0.64
        call(
            "d",
            "gemini-2.5-pro",
            "gemini",
            json!({"input_tokens": 250000, "output_tokens": 1000})
        ),
        // An unknown model: kept, counted, priced 0.
        call(
            "e",
            "acme-llm-7b",
            "internal",
            json!({"input_tokens": 5000, "output_tokens": 500})
        ),
    ]);
    let (status, body) = app.post_events(&events).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["accepted"], 5);
    let sb = app.showback("2026-03").await;
    let search = team(&sb, "search");
    // 0.0275 + 0.0585 + 1.75 + 0.64 = 2.476
    assert_eq!(money(&search["token_cost_exact"]), dec!(2.476));
    assert_eq!(money(&search["token_cost"]), dec!(2.48));
    assert_eq!(money(&sb["org_total"]), dec!(2.48));
    assert_eq!(search["requests"], 5);
    assert_eq!(sb["unpriced"][0]["model"], "acme-llm-7b");
    assert_eq!(sb["unpriced"][0]["tokens"]["input"], 5000);
    assert_eq!(search["successful_outcomes"], 5);
    assert_eq!(money(&search["cost_per_successful_outcome"]), dec!(0.496));
});

storage_test!(
    reasoning_tokens_are_priced_at_the_output_rate_when_the_card_has_none,
    |app| {
        // o3-mini: 1.10 input, 4.40 output per 1M, no reasoning rate of its own.
        // 1,000 input + 3,000 output (2,500 reasoning) → 0.0011 + 500 × 4.4 + 2,500 × 4.4 = 0.0143
        let events = json!([call(
            "r",
            "o3-mini",
            "openai",
            json!({"input_tokens": 1000, "output_tokens": 3000, "reasoning_tokens": 2500})
        )]);
        assert_eq!(app.post_events(&events).await.0, 200);
        let sb = app.showback("2026-03").await;
        assert_eq!(
            money(&team(&sb, "search")["token_cost_exact"]),
            dec!(0.0143)
        );
        assert_eq!(team(&sb, "search")["tokens"]["reasoning"], 2500);
    }
);

storage_test!(an_unknown_model_is_priced_once_a_card_exists, |app| {
    let events = json!([call(
        "u",
        "acme-llm-7b",
        "internal",
        json!({"input_tokens": 2000000, "output_tokens": 0})
    )]);
    assert_eq!(app.post_events(&events).await.0, 200);
    assert_eq!(money(&app.showback("2026-03").await["org_total"]), dec!(0));
    let file = json!({"acme-llm-7b": {"litellm_provider": "internal", "mode": "chat", "input_cost_per_token": 5e-07, "output_cost_per_token": 1e-06}});
    let r = app
        .post("/api/v1/prices/import", &app.admin_token)
        .body(file.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let sb = app.showback("2026-03").await;
    // 2,000,000 × 0.50 per 1M = 1.00, priced back to the first day since the model is new.
    assert_eq!(money(&team(&sb, "search")["token_cost"]), dec!(1.00));
    assert!(sb["unpriced"].as_array().unwrap().is_empty());
});
