//! Each adapter: a fixture of the source's real payload shape → events → showback amounts
//! equal to hand-computed ones (shipped catalog, per 1M tokens); exports re-sent count once.

use std::io::Write;

use reqwest::StatusCode;
use rust_decimal_macros::dec;
use serde_json::{Value, json};

use crate::helpers::{TestApp, json_of, money, team};
use crate::storage_test;

pub fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("tests/fixtures/{name}")).expect("fixture")
}

pub async fn post_body(
    app: &TestApp,
    path: &str,
    content_type: &str,
    body: Vec<u8>,
) -> (StatusCode, Value) {
    let r = app
        .post(path, &app.ingest_token)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("request");
    json_of(r).await
}

async fn map_key(app: &TestApp, key: &str, team: &str) {
    let (status, body) = app
        .admin_post(
            "/api/v1/key-mappings",
            &json!({"api_key": key, "team": team, "valid_from": "2026-01-01"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
}

fn counts(report: &Value) -> (u64, u64, usize) {
    (
        report["accepted"].as_u64().unwrap(),
        report["duplicates"].as_u64().unwrap(),
        report["rejected"].as_array().unwrap().len(),
    )
}

storage_test!(ingest_openai_chat_and_responses_usage, |app| {
    let (status, report) = post_body(
        &app,
        "/api/v1/ingest/openai",
        "application/json",
        fixture("openai_calls.json"),
    )
    .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(counts(&report), (2, 0, 0));
    let sb = app.showback("2026-03").await;
    let support = team(&sb, "support");
    // gpt-4o-2024-08-06: 976 × 2.5 + 1,024 × 1.25 + 500 × 10 = 0.00244 + 0.00128 + 0.005 = 0.00872
    // o3-mini: 2,000 × 1.1 + 1,000 × 0.55 + 500 × 4.4 + 1,500 × 4.4 = 0.0022 + 0.00055 + 0.0022
    // + 0.0066 = 0.01155
    assert_eq!(money(&support["token_cost_exact"]), dec!(0.02027));
    assert_eq!(
        support["tokens"],
        json!({"input": 5000, "cached_input": 2024, "cache_write": 0, "output": 2500, "reasoning": 1500})
    );
    // The chat call says success; the Responses call's `status: completed` is one too.
    assert_eq!(support["successful_outcomes"], 2);
});

storage_test!(ingest_openai_usage_export_counts_requests_once, |app| {
    map_key(&app, "key_abc", "platform").await;
    let page = fixture("openai_usage_completions.json");
    let (status, report) = post_body(
        &app,
        "/api/v1/ingest/openai/usage",
        "application/json",
        page.clone(),
    )
    .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(counts(&report), (3, 0, 0));
    assert_eq!(report["ignored"], 1, "the empty row carries no usage");
    let before = app.showback("2026-03").await;
    let platform = team(&before, "platform");
    // gpt-4o-mini: 1.5M × 0.15 + 0.5M × 0.075 + 0.3M × 0.60 = 0.4425;
    // gpt-4o-mini batch (0.075 / 0.30): 1M × 0.075 + 0.2M × 0.30 = 0.135;
    // gpt-4o: 80k × 2.5 + 20k × 1.25 + 10k × 10 = 0.325. Total 0.9025.
    assert_eq!(money(&platform["token_cost_exact"]), dec!(0.9025));
    assert_eq!(platform["requests"], 170, "num_model_requests, not rows");
    assert_eq!(platform["events"], 3);

    let (status, again) = post_body(
        &app,
        "/api/v1/ingest/openai/usage",
        "application/json",
        page,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(counts(&again), (0, 3, 0));
    assert_eq!(app.showback("2026-03").await, before);
});

storage_test!(ingest_anthropic_messages_add_cache_to_input, |app| {
    let (status, report) = post_body(
        &app,
        "/api/v1/ingest/anthropic",
        "application/json",
        fixture("anthropic_messages.json"),
    )
    .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(counts(&report), (2, 0, 0));
    let sb = app.showback("2026-03").await;
    let research = team(&sb, "research");
    // input_tokens 2,000 excludes 40,000 cache reads and 8,000 cache writes: native input 50,000.
    // claude-sonnet-4: 2,000 × 3 + 40,000 × 0.30 + 8,000 × 3.75 + 700 × 15 = 0.0585;
    // claude-3-5-haiku (0.80 / 4.00): 1,000 × 0.8 + 500 × 4 = 0.0028. Total 0.0613.
    assert_eq!(money(&research["token_cost_exact"]), dec!(0.0613));
    assert_eq!(
        research["tokens"],
        json!({"input": 51000, "cached_input": 40000, "cache_write": 8000, "output": 1200, "reasoning": 0})
    );
    assert_eq!(
        money(&research["token_cost_by_class"]["input"]),
        dec!(0.0068)
    );
});

storage_test!(ingest_anthropic_usage_report_counts_once, |app| {
    map_key(&app, "apikey_01Rj2N8SVvo6BePZj99NhmiT", "labs").await;
    let page = fixture("anthropic_usage_report.json");
    let (status, report) = post_body(
        &app,
        "/api/v1/ingest/anthropic/usage",
        "application/json",
        page.clone(),
    )
    .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(counts(&report), (2, 0, 0));
    let before = app.showback("2026-03").await;
    let labs = team(&before, "labs");
    // claude-sonnet-4: 1M × 3 + 2M × 0.30 + 0.4M × 3.75 + 0.1M × 15 = 3 + 0.6 + 1.5 + 1.5 = 6.6,
    // and its 10 web searches at $0.01 (issue 23: no longer dropped) = 0.1;
    // claude-3-5-haiku: 0.5M × 0.80 + 50k × 4 = 0.4 + 0.2 = 0.6. Total 7.3.
    assert_eq!(money(&labs["token_cost_exact"]), dec!(7.3));
    assert_eq!(labs["tokens"]["web_search"], 10);
    assert_eq!(labs["tokens"]["input"], 3_900_000);
    assert_eq!(labs["tokens"]["cached_input"], 2_000_000);
    assert_eq!(labs["tokens"]["cache_write"], 400_000);

    let (_, again) = post_body(
        &app,
        "/api/v1/ingest/anthropic/usage",
        "application/json",
        page,
    )
    .await;
    assert_eq!(counts(&again), (0, 2, 0));
    assert_eq!(app.showback("2026-03").await, before);
});

storage_test!(ingest_litellm_generic_api_payloads, |app| {
    let (status, report) = post_body(
        &app,
        "/api/v1/ingest/litellm",
        "application/json",
        fixture("litellm_generic_api.json"),
    )
    .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(counts(&report), (3, 0, 0));
    assert_eq!(
        report["ignored"], 1,
        "the proxy cache hit cost the provider nothing"
    );
    let sb = app.showback("2026-03").await;
    let growth = team(&sb, "growth");
    // claude-sonnet-4 via LiteLLM (prompt_tokens include the cache): 0.0585, although LiteLLM
    // reported 0.06; gpt-4o-mini: 10,000 × 0.15 + 2,000 × 0.60 = 0.0027; the failed call 0.
    assert_eq!(money(&growth["token_cost_exact"]), dec!(0.0612));
    assert_eq!(growth["requests"], 3);
    assert_eq!(growth["successful_outcomes"], 2);
    assert_eq!(
        growth["tokens"],
        json!({"input": 60000, "cached_input": 40000, "cache_write": 8000, "output": 2700, "reasoning": 0})
    );
    // NDJSON (the callback's `ndjson` log format) reads the same records: all duplicates now.
    let lines: Vec<String> =
        serde_json::from_slice::<Vec<Value>>(&fixture("litellm_generic_api.json"))
            .unwrap()
            .iter()
            .map(Value::to_string)
            .collect();
    let (status, again) = post_body(
        &app,
        "/api/v1/ingest/litellm",
        "application/x-ndjson",
        lines.join("\n").into_bytes(),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(counts(&again), (0, 3, 0));
});

storage_test!(ingest_litellm_spend_log_csv, |app| {
    let (status, report) = post_body(
        &app,
        "/api/v1/ingest/litellm",
        "text/csv",
        fixture("litellm_spend_logs.csv"),
    )
    .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(counts(&report), (2, 0, 0));
    assert_eq!(report["ignored"], 1);
    let sb = app.showback("2026-03").await;
    let ops = team(&sb, "ops");
    // gpt-4o: 10,000 × 2.5 + 10,000 × 1.25 + 1,000 × 10 = 0.0475;
    // gpt-4o-mini: 5,000 × 0.15 + 500 × 0.60 = 0.00105. Total 0.04855.
    assert_eq!(money(&ops["token_cost_exact"]), dec!(0.04855));
    assert_eq!(ops["tokens"]["cached_input"], 10000);
});

storage_test!(ingest_bedrock_invocation_logs_from_s3_gzip, |app| {
    // An S3 log object is gzip; it is read as it is, without a Content-Encoding header.
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(&fixture("bedrock_invocations.jsonl"))
        .unwrap();
    let (status, report) = post_body(
        &app,
        "/api/v1/ingest/bedrock",
        "application/octet-stream",
        enc.finish().unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(counts(&report), (2, 0, 0));
    let sb = app.showback("2026-03").await;
    let payments = team(&sb, "payments");
    // inputTokenCount excludes the cache: input = 2,000 + 40,000 + 8,000 = 50,000.
    // claude-3-5-sonnet-v2 on Bedrock (3 / 0.30 / 3.75 / 15): 2,000 × 3 + 40,000 × 0.3
    // + 8,000 × 3.75 + 700 × 15 = 0.0585; 1,000 × 3 + 100 × 15 = 0.0045. Total 0.063.
    assert_eq!(money(&payments["token_cost_exact"]), dec!(0.063));
    assert_eq!(payments["tokens"]["input"], 51000);
    let keys = app
        .get("/api/v1/keys", &app.admin_token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        keys.contains("arn:aws:sts::123456789012:assumed-role/payments-api\""),
        "the role, without its session, is the key: {keys}"
    );
});
