//! A fuzz test of every money, rate and count input: random magnitudes (tiny, huge, negative,
//! past a decimal, past a u64, written as JSON numbers or strings) sent to each form of the
//! API. None may answer 5xx, and afterwards every read of the month still answers.

use proptest::prelude::{Just, Strategy, any, prop_oneof};
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::edges::month_reads_answer;
use crate::storage_test;

const MONTH: &str = "2026-03";

/// A number as a client might write it: JSON number or string, plain or scientific, of any
/// magnitude and sign.
fn number() -> impl Strategy<Value = Value> {
    let literal = prop_oneof![
        (any::<bool>(), 0u64..1_000_000, -40i32..40)
            .prop_map(|(neg, m, e)| format!("{}{m}e{e}", if neg { "-" } else { "" })),
        any::<u64>().prop_map(|n| n.to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        (0u64..100_000, 0u32..12)
            .prop_map(|(m, scale)| { rust_decimal::Decimal::new(m as i64, scale).to_string() }),
        Just("79228162514264337593543950335".to_owned()),
        Just("79228162514264337593543950336".to_owned()),
        Just("18446744073709551616".to_owned()),
        Just("9223372036854775808".to_owned()),
        Just("1000000000000".to_owned()),
        Just("1000000000000.01".to_owned()),
        Just("0".to_owned()),
        Just("-0".to_owned()),
        Just("NaN".to_owned()),
    ];
    (literal, any::<bool>()).prop_map(|(text, as_string)| {
        if as_string {
            Value::String(text)
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        }
    })
}

/// One request: a path and a body with `n` in one money, rate or count field.
fn request(field: usize, n: Value) -> (&'static str, Value) {
    let event = |name: &str| {
        let mut e = json!({"id": format!("fuzz-{}", rand_id()), "timestamp": "2026-03-02T10:00:00Z",
            "provider": "openai", "model": "gpt-4o", "api_key": "k", "team": "search",
            "input_tokens": 1000, "output_tokens": 10});
        e[name] = n.clone();
        json!([e])
    };
    match field {
        0 => (
            "/api/v1/overheads",
            json!({"month": MONTH, "category": "a", "amount": n}),
        ),
        1 => (
            "/api/v1/overheads",
            json!({"month": MONTH, "category": "b", "amount": "5", "allocation": "fixed", "shares": {"search": n}}),
        ),
        2 => (
            "/api/v1/commitments",
            json!({"month": MONTH, "provider": "openai", "model": "gpt-4o", "fee": n, "capacity_tokens": 1000}),
        ),
        3 => (
            "/api/v1/commitments",
            json!({"month": MONTH, "provider": "openai", "model": "gpt-4o", "fee": "10", "capacity_tokens": n}),
        ),
        4 => (
            "/api/v1/commitments",
            json!({"month": MONTH, "provider": "openai", "model": "gpt-4o", "fee": "10", "capacity_tokens": 1000, "utilisation_floor": n}),
        ),
        5 => (
            "/api/v1/budgets",
            json!({"month": MONTH, "team": "search", "amount": n}),
        ),
        6 => (
            "/api/v1/discounts",
            json!({"provider": "openai", "percent": n, "effective_from": "2026-03-01"}),
        ),
        7 => (
            "/api/v1/transactions",
            json!({"month": MONTH, "team": "search", "name": "tickets", "count": n}),
        ),
        8 => (
            "/api/v1/unit-targets",
            json!({"team": "search", "feature": "chat", "target": n}),
        ),
        9 => (
            "/api/v1/invoices",
            json!({"month": MONTH, "provider": "openai", "amount": n}),
        ),
        10 => (
            "/api/v1/prices/import",
            json!({"gpt-fuzz": {"litellm_provider": "openai", "mode": "chat", "input_cost_per_token": n, "output_cost_per_token": n}}),
        ),
        11 => ("/api/v1/events", event("input_tokens")),
        12 => ("/api/v1/events", event("output_tokens")),
        13 => ("/api/v1/events", event("requests")),
        14 => ("/api/v1/events", event("latency_ms")),
        _ => ("/api/v1/events", event("reported_cost")),
    }
}

fn rand_id() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

storage_test!(
    no_money_rate_or_count_input_gives_a_5xx_or_breaks_the_month,
    |app| {
        let mut runner = TestRunner::deterministic();
        let cases = (0usize..16, number());
        for _ in 0..160 {
            let (field, n) = cases.new_tree(&mut runner).unwrap().current();
            let (path, body) = request(field, n);
            let token = if path == "/api/v1/events" {
                &app.ingest_token
            } else {
                &app.admin_token
            };
            let r = app.post(path, token).json(&body).send().await.unwrap();
            let status = r.status();
            let text = r.text().await.unwrap();
            assert!(
                status.is_success() || status.is_client_error(),
                "{path} {body} answered {status}: {text}"
            );
            assert_ne!(status, StatusCode::INTERNAL_SERVER_ERROR);
        }
        month_reads_answer(&app, MONTH).await;
        month_reads_answer(&app, "2026-04").await;
    }
);
