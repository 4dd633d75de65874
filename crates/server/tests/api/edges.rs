//! Absurd input never breaks a month: every amount, rate and count is bounded at the edge
//! with a 4xx that names the bound; what is stored out of bounds is left out of the reads
//! instead of failing them; token totals cannot pass what a 64-bit sum holds; and the native
//! and OTLP endpoints refuse a bad item alone.

use std::io::Write;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, json_of, money, team};
use crate::storage_test;

const MONTH: &str = "2026-03";

fn event(id: &str) -> Value {
    json!({"id": id, "timestamp": "2026-03-02T10:00:00Z", "provider": "openai", "model": "gpt-4o",
           "api_key": "k-search", "team": "search", "input_tokens": 1000, "output_tokens": 100})
}

/// Every read of the month answers 200: showback, a team, statements, FOCUS, the scorecard,
/// reconciliation, budgets and alerts.
pub async fn month_reads_answer(app: &TestApp, month: &str) {
    for path in [
        format!("/api/v1/showback?month={month}"),
        format!("/api/v1/teams/search?month={month}"),
        format!("/api/v1/statements?month={month}"),
        format!("/api/v1/statements/search/{month}"),
        format!("/api/v1/export/focus?month={month}"),
        format!("/api/v1/scorecard?month={month}"),
        format!("/api/v1/reconciliation?month={month}"),
        format!("/api/v1/recommendations?month={month}"),
        format!("/api/v1/budgets?month={month}"),
    ] {
        let r = app.get(&path, &app.admin_token).send().await.unwrap();
        let status = r.status();
        let text = r.text().await.unwrap();
        assert!(
            status == StatusCode::OK || status == StatusCode::NOT_FOUND,
            "{path} answered {status}: {text}"
        );
        if path.contains("showback") || path.contains("focus") || path.contains("scorecard") {
            assert_eq!(status, StatusCode::OK, "{path}: {text}");
        }
    }
}

async fn refused(app: &TestApp, path: &str, body: Value, says: &str) {
    let (status, answer) = app.admin_post(path, &body).await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{path} {body}: {answer}"
    );
    let error = answer["error"].as_str().unwrap_or_default();
    assert!(
        error.contains(says),
        "{path}: {error:?} should say {says:?}"
    );
}

storage_test!(
    absurd_amounts_rates_and_counts_are_refused_naming_their_bound,
    |app| {
        assert_eq!(
            app.post_events(&json!([event("a")])).await.0,
            StatusCode::OK
        );
        let huge = "10000000000000000000000000000";
        refused(
            &app,
            "/api/v1/overheads",
            json!({"month": MONTH, "category": "retrieval", "amount": huge}),
            "1000000000000",
        )
        .await;
        refused(
        &app,
        "/api/v1/overheads",
        json!({"month": MONTH, "category": "r", "amount": "10", "allocation": "fixed", "shares": {"search": "100000000000000000000"}}),
        "a share may be at most",
    )
    .await;
        refused(
        &app,
        "/api/v1/commitments",
        json!({"month": MONTH, "provider": "openai", "model": "gpt-4o", "fee": "1e20", "capacity_tokens": 1000}),
        "1000000000000",
    )
    .await;
        refused(
        &app,
        "/api/v1/commitments",
        json!({"month": MONTH, "provider": "openai", "model": "gpt-4o", "fee": "10", "capacity_tokens": 18_000_000_000_000_000_000_u64}),
        "`capacity_tokens` may be at most",
    )
    .await;
        refused(
            &app,
            "/api/v1/budgets",
            json!({"month": MONTH, "team": "search", "amount": "1e20"}),
            "1000000000000",
        )
        .await;
        refused(
        &app,
        "/api/v1/transactions",
        json!({"month": MONTH, "team": "search", "name": "tickets", "count": 18_000_000_000_000_000_000_u64}),
        "`count` may be at most",
    )
    .await;
        refused(
            &app,
            "/api/v1/unit-targets",
            json!({"team": "search", "feature": "f", "target": "1e20"}),
            "1000000000000",
        )
        .await;
        refused(
            &app,
            "/api/v1/invoices",
            json!({"month": MONTH, "provider": "openai", "amount": "1e20"}),
            "1000000000000",
        )
        .await;
        // A price file with an absurd rate imports nothing for that model, and says why.
        let r = app
            .post("/api/v1/prices/import", &app.admin_token)
            .json(
                &json!({"gpt-absurd": {"litellm_provider": "openai", "mode": "chat",
            "input_cost_per_token": 1e14, "output_cost_per_token": 1e14}}),
            )
            .send()
            .await
            .unwrap();
        let (status, body) = json_of(r).await;
        assert!(
            status.is_success() || status.is_client_error(),
            "{status} {body}"
        );
        assert!(body.to_string().contains("per million tokens"), "{body}");
        let (_, prices) = json_of(
            app.get("/api/v1/prices", &app.admin_token)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert!(!prices.to_string().contains("gpt-absurd"), "{prices}");
        // Nothing refused reached the month.
        let sb = app.showback(MONTH).await;
        assert_eq!(
            money(&team(&sb, "search")["overhead"]),
            rust_decimal::Decimal::ZERO
        );
        month_reads_answer(&app, MONTH).await;
    }
);

storage_test!(
    a_stored_out_of_bounds_card_or_overhead_never_fails_a_read,
    |app| {
        use tokentally_domain::allocation::{Allocation, Overhead};
        use tokentally_domain::price_card::{PriceCard, Rates};
        // Stored before the bounds existed: straight into the store, past the edge's checks.
        let absurd = rust_decimal::Decimal::from_scientific("1e20").unwrap();
        app.store
            .add_price_cards(&[PriceCard {
                provider: "openai".into(),
                model: "gpt-absurd".into(),
                effective_from: "2026-01-01".parse().unwrap(),
                rates: Rates {
                    input: Some(absurd),
                    output: Some(absurd),
                    ..Rates::default()
                },
                tiers: Default::default(),
                long_context: Vec::new(),
                origin: "manual".into(),
            }])
            .await
            .unwrap();
        app.store
            .set_overhead(&Overhead {
                month: MONTH.parse().unwrap(),
                category: "absurd".into(),
                amount: rust_decimal::Decimal::from_scientific("1e28").unwrap(),
                allocation: Allocation::Proportional,
            })
            .await
            .unwrap();
        let mut absurd_use = event("absurd-1");
        absurd_use["model"] = json!("gpt-absurd");
        absurd_use["input_tokens"] = json!(1_000_000_000_000_u64);
        let (status, body) = app.post_events(&json!([event("a"), absurd_use])).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["accepted"], 2);
        month_reads_answer(&app, MONTH).await;
        month_reads_answer(&app, "2026-04").await;
        let sb = app.showback(MONTH).await;
        // The absurd card is left out: its model's tokens are unpriced, and the overhead is not
        // shared out until a valid one replaces it.
        assert_eq!(
            money(&team(&sb, "search")["overhead"]),
            rust_decimal::Decimal::ZERO
        );
        assert!(
            sb.to_string().contains("gpt-absurd"),
            "the unpriced model is named: {sb}"
        );
        // Replacing the overhead with a valid amount corrects the month.
        let (status, body) = app
            .admin_post(
                "/api/v1/overheads",
                &json!({"month": MONTH, "category": "absurd", "amount": "12.00"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let sb = app.showback(MONTH).await;
        assert_eq!(
            money(&team(&sb, "search")["overhead"]),
            rust_decimal_macros::dec!(12.00)
        );
        // A valid card for the same day takes the absurd card's place: the model is priced.
        let fixed = PriceCard {
            provider: "openai".into(),
            model: "gpt-absurd".into(),
            effective_from: "2026-01-01".parse().unwrap(),
            rates: Rates {
                input: Some(rust_decimal_macros::dec!(2)),
                output: Some(rust_decimal_macros::dec!(8)),
                ..Rates::default()
            },
            tiers: Default::default(),
            long_context: Vec::new(),
            origin: "manual".into(),
        };
        assert!(
            tokentally_server::app::prices::add_card(&app.store, "admin", &fixed)
                .await
                .unwrap(),
            "the correction is stored"
        );
        // Straight to the store, so no request moved the data version: ask past the cache.
        let (_, sb) = json_of(
            app.get(
                &format!("/api/v1/showback?month={MONTH}"),
                &app.finance_token,
            )
            .header("cache-control", "no-cache")
            .send()
            .await
            .unwrap(),
        )
        .await;
        assert!(!sb["unpriced"].to_string().contains("gpt-absurd"), "{sb}");
        month_reads_answer(&app, MONTH).await;
    }
);

storage_test!(
    a_month_refuses_the_event_that_would_take_its_tokens_past_the_bound,
    |app| {
        use tokentally_domain::bounds::MAX_MONTH_TOKENS;
        use tokentally_domain::tokens::MAX_TOKENS_PER_EVENT;
        let per_event = MAX_TOKENS_PER_EVENT;
        let fit = MAX_MONTH_TOKENS / per_event;
        let events: Vec<Value> = (0..=fit)
            .map(|i| {
                let mut e = event(&format!("big-{i}"));
                e["input_tokens"] = json!(per_event);
                e
            })
            .collect();
        let (status, body) = app.post_events(&json!(events)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["accepted"], fit, "{}", body["rejected"]);
        assert_eq!(body["rejected"][0]["index"], fit);
        let error = body["rejected"][0]["error"].as_str().unwrap();
        assert!(error.contains("past the bound"), "{error}");
        // A later batch is refused too; another month is not.
        let mut more = event("more");
        more["input_tokens"] = json!(1);
        let mut april = event("april");
        april["timestamp"] = json!("2026-04-02T10:00:00Z");
        let (status, body) = app.post_events(&json!([more, april])).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["accepted"], 1);
        assert_eq!(body["rejected"][0]["id"], "more");
        let sb = app.showback(MONTH).await;
        assert_eq!(
            team(&sb, "search")["tokens"]["input"].as_u64(),
            Some(MAX_MONTH_TOKENS),
            "{sb}"
        );
        month_reads_answer(&app, MONTH).await;
    }
);

storage_test!(
    values_past_a_column_and_times_before_1970_are_refused_not_clamped,
    |app| {
        let mut slow = event("slow");
        slow["latency_ms"] = json!(9_223_372_036_854_775_808_u64);
        let mut old = event("old");
        old["timestamp"] = json!("1969-12-31T23:59:59Z");
        let mut costly = event("costly");
        costly["reported_cost"] = json!("1e20");
        let (status, body) = app
            .post_events(&json!([slow, old, costly, event("fine")]))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["accepted"], 1);
        let errors: Vec<&str> = body["rejected"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["error"].as_str().unwrap())
            .collect();
        assert!(
            errors[0].contains("`latency_ms` may be at most 9223372036854775807"),
            "{errors:?}"
        );
        assert!(errors[1].contains("before 1970"), "{errors:?}");
        assert!(errors[2].contains("reported_cost"), "{errors:?}");
        assert_eq!(app.count_events().await, 1);
    }
);

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

storage_test!(
    the_events_endpoint_reads_gzip_a_bom_any_bearer_case_and_bad_lines_alone,
    |app| {
        let line = |id: &str| event(id).to_string();
        // One line that is not UTF-8 among good ones: refused alone.
        let mut ndjson = format!("{}\n", line("n1")).into_bytes();
        ndjson.extend_from_slice(&[0xff, 0xfe, 0x7b, b'\n']);
        ndjson.extend_from_slice(line("n2").as_bytes());
        let r = app
            .post("/api/v1/events", &app.ingest_token)
            .header("content-type", "application/x-ndjson")
            .body(ndjson)
            .send()
            .await
            .unwrap();
        let (status, body) = json_of(r).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["accepted"], 2);
        assert_eq!(body["rejected"][0]["index"], 1);
        assert_eq!(body["rejected"][0]["error"], "the line is not UTF-8");
        // Gzip, said or not.
        let gz = gzip(json!([event("g1")]).to_string().as_bytes());
        let r = app
            .post("/api/v1/events", &app.ingest_token)
            .header("content-type", "application/json")
            .header("content-encoding", "gzip")
            .body(gz)
            .send()
            .await
            .unwrap();
        let (status, body) = json_of(r).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["accepted"], 1);
        // A leading byte-order mark.
        let r = app
            .post("/api/v1/events", &app.ingest_token)
            .header("content-type", "application/json")
            .body(format!("\u{feff}{}", json!([event("bom")])))
            .send()
            .await
            .unwrap();
        let (status, body) = json_of(r).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["accepted"], 1);
        // The scheme in any case.
        for scheme in ["bearer", "BEARER", "BeArEr"] {
            let r = app
                .client
                .post(app.url("/api/v1/events"))
                .header("authorization", format!("{scheme} {}", app.ingest_token))
                .json(&json!([event(&format!("case-{scheme}"))]))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::OK, "{scheme}");
        }
        assert_eq!(app.count_events().await, 7);
    }
);

storage_test!(one_malformed_otlp_json_span_is_refused_alone, |app| {
    let span = |span_id: &str, input: Value| {
        json!({"traceId": "0102030405060708090a0b0c0d0e0f10", "spanId": span_id, "name": "chat",
               "startTimeUnixNano": "1772445600000000000", "endTimeUnixNano": "1772445601000000000",
               "attributes": [
                   {"key": "gen_ai.provider.name", "value": {"stringValue": "openai"}},
                   {"key": "gen_ai.request.model", "value": {"stringValue": "gpt-4o"}},
                   {"key": "gen_ai.usage.input_tokens", "value": {"intValue": input}}]})
    };
    let export = json!({"resourceSpans": [{"scopeSpans": [{"spans": [
        span("0000000000000001", json!("10")),
        span("0000000000000002", json!({"not": "a number"})),
        span("0000000000000003", json!("30")),
    ]}]}]});
    let r = app
        .post("/v1/traces", &app.ingest_token)
        .header("content-type", "application/json")
        .body(export.to_string())
        .send()
        .await
        .unwrap();
    let status = r.status();
    let accepted = r.headers()["x-tokentally-accepted"]
        .to_str()
        .unwrap()
        .to_owned();
    let (_, body) = json_of(r).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(accepted, "2");
    assert_eq!(body["partialSuccess"]["rejectedSpans"], 1, "{body}");
    assert_eq!(app.count_events().await, 2);
});
