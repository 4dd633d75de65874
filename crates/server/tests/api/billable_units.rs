//! Issue 23: every billed class and unit priced at the shipped registry's rates, through the
//! whole path (native events → rollups → showback → statement → FOCUS), hand-computed to the
//! cent, on SQLite and PostgreSQL.

use std::collections::BTreeMap;

use reqwest::StatusCode;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde_json::{Value, json};

use crate::helpers::{TestApp, json_of, money, team};
use crate::storage_test;

fn call(id: &str, provider: &str, model: &str, usage: Value) -> Value {
    let mut e = json!({"id": id, "timestamp": "2026-03-05T10:00:00Z", "provider": provider,
        "model": model, "team": "search", "outcome": "success"});
    for (k, v) in usage.as_object().unwrap() {
        e[k] = v.clone();
    }
    e
}

/// The month: rates from assets/litellm-model-prices.json (per 1M tokens, per search).
fn month() -> Value {
    json!([
        // The row. claude-sonnet-4-20250514: 3 input, 15 output, 0.30 read,
        // 3.75 5-minute write, no 1-hour key (→ 2 × input = 6), $0.01 a search.
        // 1M × 3 + 1M × 6 + 1,000 × 0.01 = 3 + 6 + 10 = 19.00
        call(
            "a1",
            "anthropic",
            "claude-sonnet-4-20250514",
            json!({
            "input_tokens": 2_000_000, "cache_write_tokens": 1_000_000,
            "cache_write_1h_tokens": 1_000_000, "units": {"web_search": 1000}})
        ),
        // 500k input = 100k plain + 200k read + 150k 5-minute + 50k 1-hour writes; 20k output;
        // 10 searches: 0.3 + 0.06 + 0.5625 + 0.3 + 0.3 + 0.1 = 1.6225
        call(
            "a2",
            "anthropic",
            "claude-sonnet-4-20250514",
            json!({
            "input_tokens": 500_000, "cached_input_tokens": 200_000,
            "cache_write_tokens": 200_000, "cache_write_1h_tokens": 50_000,
            "output_tokens": 20_000, "units": {"web_search": 10}})
        ),
        // gpt-4o-audio-preview-2024-12-17: 2.5 text / 40 audio in, 10 text / 80 audio out.
        // 100k × 2.5 + 100k × 40 + 20k × 10 + 30k × 80 = 0.25 + 4 + 0.2 + 2.4 = 6.85
        call(
            "o1",
            "openai",
            "gpt-4o-audio-preview-2024-12-17",
            json!({
            "input_tokens": 200_000, "audio_input_tokens": 100_000,
            "output_tokens": 50_000, "audio_output_tokens": 30_000})
        ),
        // gpt-4o-mini-realtime-preview: 0.6 text / 0.3 cached text / 10 audio / 0.3 cached
        // audio in, 2.4 text / 20 audio out. 1M input = 300k plain + 300k cached text + 300k
        // audio + 100k cached audio; 100k output = 50k text + 50k audio.
        // 0.18 + 0.09 + 3 + 0.03 + 0.12 + 1 = 4.42
        call(
            "o2",
            "openai",
            "gpt-4o-mini-realtime-preview",
            json!({
            "input_tokens": 1_000_000, "cached_input_tokens": 400_000,
            "audio_input_tokens": 400_000, "cached_audio_input_tokens": 100_000,
            "output_tokens": 100_000, "audio_output_tokens": 50_000})
        ),
        // gpt-4o has no image rates: image tokens at its text rates (2.5 in, 10 out).
        // 50k × 2.5 + 100k × 2.5 + 5k × 10 + 5k × 10 = 0.125 + 0.25 + 0.05 + 0.05 = 0.475
        call(
            "o3",
            "openai",
            "gpt-4o",
            json!({
            "input_tokens": 150_000, "image_input_tokens": 100_000,
            "output_tokens": 10_000, "image_output_tokens": 5_000})
        ),
        // gpt-4o-search-preview: $0.035 a search (medium context). 10k × 2.5 + 1k × 10 +
        // 200 × 0.035 = 0.025 + 0.01 + 7 = 7.035
        call(
            "o4",
            "openai",
            "gpt-4o-search-preview",
            json!({
            "input_tokens": 10_000, "output_tokens": 1_000, "units": {"web_search": 200}})
        ),
        // File searches and code interpreter sessions gpt-4o's card has no rate for: Unpriced,
        // never $0. Tokens: 1,000 × 2.5 + 100 × 10 = 0.0035
        call(
            "o5",
            "openai",
            "gpt-4o",
            json!({
            "input_tokens": 1_000, "output_tokens": 100,
            "units": {"file_search": 50, "code_interpreter": 2}})
        ),
    ])
}

async fn text(app: &TestApp, path: &str) -> (StatusCode, String) {
    let r = app.get(path, &app.finance_token).send().await.unwrap();
    (r.status(), r.text().await.unwrap())
}

storage_test!(
    a_month_of_every_class_and_unit_is_priced_to_the_cent,
    |app| {
        let (status, body) = app.post_events(&month()).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["accepted"], 7, "{body}");
        let sb = app.showback("2026-03").await;
        let search = team(&sb, "search");
        // 19 + 1.6225 + 6.85 + 4.42 + 0.475 + 7.035 + 0.0035 = 39.406
        assert_eq!(money(&search["token_cost_exact"]), dec!(39.406));
        assert_eq!(money(&sb["org_total"]), dec!(39.41));
        let unpriced: Vec<&Value> = sb["unpriced"].as_array().unwrap().iter().collect();
        assert_eq!(unpriced.len(), 1, "{unpriced:?}");
        assert_eq!(unpriced[0]["model"], "gpt-4o");
        assert_eq!(unpriced[0]["tokens"]["file_search"], 50);
        assert_eq!(unpriced[0]["tokens"]["code_interpreter"], 2);
        // The tokens of that call are priced; only its units are not.
        assert_eq!(unpriced[0]["tokens"]["input"], 0);

        let (status, st) = json_of(
            app.get("/api/v1/statements/search/2026-03", &app.finance_token)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{st}");
        let mut by_model: BTreeMap<String, Decimal> = BTreeMap::new();
        let mut lines: BTreeMap<(String, String), (u64, Decimal, String)> = BTreeMap::new();
        for l in st["statement"]["lines"].as_array().unwrap() {
            if l["kind"] != "usage" {
                continue;
            }
            let model = l["model"].as_str().unwrap().to_owned();
            *by_model.entry(model.clone()).or_default() += money(&l["exact_amount"]);
            let prev = lines.insert(
                (model, l["token_class"].as_str().unwrap().to_owned()),
                (
                    l["quantity"].as_u64().unwrap(),
                    money(&l["exact_amount"]),
                    l["rate_key"].as_str().unwrap().to_owned(),
                ),
            );
            assert!(prev.is_none(), "one line per model and class: {l}");
        }
        assert_eq!(
            by_model,
            BTreeMap::from([
                ("claude-sonnet-4-20250514".to_owned(), dec!(20.6225)),
                ("gpt-4o".to_owned(), dec!(0.4785)),
                ("gpt-4o-audio-preview-2024-12-17".to_owned(), dec!(6.85)),
                ("gpt-4o-mini-realtime-preview".to_owned(), dec!(4.42)),
                ("gpt-4o-search-preview".to_owned(), dec!(7.035)),
            ])
        );
        let line = |model: &str, class: &str| lines[&(model.to_owned(), class.to_owned())].clone();
        let sonnet = "claude-sonnet-4-20250514";
        assert_eq!(
            line(sonnet, "cache_write_1h"),
            (1_050_000, dec!(6.3), "2 × input_cost_per_token".to_owned())
        );
        assert_eq!(
            line(sonnet, "cache_write"),
            (
                150_000,
                dec!(0.5625),
                "cache_creation_input_token_cost".to_owned()
            )
        );
        assert_eq!(
            line(sonnet, "web_search"),
            (
                1_010,
                dec!(10.1),
                "search_context_cost_per_query".to_owned()
            )
        );
        let realtime = "gpt-4o-mini-realtime-preview";
        assert_eq!(
            line(realtime, "cached_audio_input"),
            (
                100_000,
                dec!(0.03),
                "cache_read_input_audio_token_cost".to_owned()
            )
        );
        assert_eq!(line(realtime, "audio_input").1, dec!(3));
        assert_eq!(line(realtime, "cached_input").1, dec!(0.09));
        assert_eq!(
            line("gpt-4o-audio-preview-2024-12-17", "audio_output"),
            (30_000, dec!(2.4), "output_cost_per_audio_token".to_owned())
        );
        assert_eq!(
            line("gpt-4o", "image_input"),
            (100_000, dec!(0.25), "input_cost_per_token".to_owned())
        );
        assert_eq!(line("gpt-4o-search-preview", "web_search").1, dec!(7));
        assert!(!lines.contains_key(&("gpt-4o".to_owned(), "file_search".to_owned())));
        assert_eq!(money(&st["total"]), dec!(39.41));

        // FOCUS: units are their own SKU, consumed and priced per query.
        let (status, csv) = text(&app, "/api/v1/export/focus?month=2026-03").await;
        assert_eq!(status, StatusCode::OK);
        let mut reader = csv::Reader::from_reader(csv.as_bytes());
        let header = reader.headers().unwrap().clone();
        let col = |name: &str| header.iter().position(|h| h == name).unwrap();
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        let billed: Decimal = rows
            .iter()
            .map(|r| r[col("BilledCost")].parse::<Decimal>().unwrap())
            .sum();
        assert_eq!(billed, dec!(39.41));
        let searches = rows
            .iter()
            .find(|r| r[col("SkuId")] == *"anthropic/claude-sonnet-4-20250514/web_search")
            .expect("a web search row");
        assert_eq!(&searches[col("ConsumedQuantity")], "1010");
        assert_eq!(&searches[col("ConsumedUnit")], "Queries");
        assert_eq!(&searches[col("PricingUnit")], "Queries");
        assert_eq!(&searches[col("ListUnitPrice")], "0.01");
        assert_eq!(&searches[col("BilledCost")], "10.10");
        assert_eq!(&searches[col("x_RateKey")], "search_context_cost_per_query");
    }
);

storage_test!(bad_classes_and_units_are_refused_per_event, |app| {
    let bad = json!([
        call(
            "b1",
            "anthropic",
            "claude-sonnet-4-20250514",
            json!({
            "input_tokens": 1000, "cache_write_tokens": 100, "cache_write_1h_tokens": 200})
        ),
        call(
            "b2",
            "anthropic",
            "claude-sonnet-4-20250514",
            json!({
            "input_tokens": 1000, "units": {"web_search": -1}})
        ),
        call(
            "b3",
            "anthropic",
            "claude-sonnet-4-20250514",
            json!({
            "input_tokens": 1000, "units": {"image_generation": 3}})
        ),
        call(
            "b4",
            "openai",
            "gpt-4o",
            json!({
            "input_tokens": 1000, "output_tokens": 10, "audio_output_tokens": 11})
        ),
        call(
            "ok",
            "anthropic",
            "claude-sonnet-4-20250514",
            json!({
            "input_tokens": 1000, "units": {"web_search": 1}})
        ),
    ]);
    let (status, body) = app.post_events(&bad).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["accepted"], 1);
    let errors: Vec<&str> = body["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["error"].as_str().unwrap())
        .collect();
    assert_eq!(
        errors,
        [
            "cache_write_1h_tokens (200) exceeds cache_write_tokens (100)",
            "`units.web_search` must be an integer ≥ 0, got -1",
            "unknown unit `image_generation` in `units`; expected one of web_search, file_search, code_interpreter",
            "reasoning_tokens + audio_output_tokens + image_output_tokens (11) exceeds output_tokens (10)",
        ]
    );
});
