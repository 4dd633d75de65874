//! Garbage at every ingest endpoint: always a 4xx or a success, never a 5xx, and nothing that
//! was refused is stored.

use reqwest::StatusCode;

use crate::helpers::TestApp;
use crate::storage_test;

/// (path, content type) of every adapter endpoint.
const ENDPOINTS: [(&str, &str); 11] = [
    ("/v1/traces", "application/x-protobuf"),
    ("/v1/traces", "application/json"),
    ("/api/v1/ingest/openai", "application/json"),
    ("/api/v1/ingest/openai/usage", "application/json"),
    ("/api/v1/ingest/anthropic", "application/json"),
    ("/api/v1/ingest/anthropic/usage", "application/json"),
    ("/api/v1/ingest/litellm", "application/json"),
    ("/api/v1/ingest/litellm", "text/csv"),
    ("/api/v1/ingest/bedrock", "application/x-ndjson"),
    ("/api/v1/ingest/csv", "text/csv"),
    ("/api/v1/events", "application/json"),
];

/// Deterministic pseudo-random bytes (xorshift), so a failure can be replayed.
fn noise(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

fn shaped_garbage() -> Vec<Vec<u8>> {
    let mut bodies: Vec<Vec<u8>> = [
        "", "{", "[", "null", "42", "\"x\"", "[1,2]", "[{}]", "{}", "[[]]",
        "{\"data\": 5}", "{\"data\": [{\"results\": 7}]}", "{\"data\": [{\"start_time\": -1, \"results\": [{\"model\": 1}]}]}",
        "{\"events\": {}}", "{\"resourceSpans\": [{\"scopeSpans\": [{\"spans\": [{\"traceId\": \"zz\"}]}]}]}",
        "{\"resourceSpans\": [{\"scopeSpans\": [{\"spans\": [{\"traceId\": \"ab\", \"spanId\": \"cd\", \"attributes\": [{\"key\": \"gen_ai.usage.input_tokens\", \"value\": {\"intValue\": \"-9\"}}]}]}]}]}",
        "[{\"id\": \"a\", \"timestamp\": 1e308, \"model\": \"m\", \"usage\": {\"input_tokens\": 18446744073709551615, \"cache_read_input_tokens\": 18446744073709551615}}]",
        "[{\"id\": \"a\", \"created\": \"soon\", \"usage\": {\"prompt_tokens\": [1]}}]",
        "[{\"request_id\": \"r\", \"startTime\": \"2026-13-45\", \"spend\": \"1e99999\"}]",
        "[{\"id\": \"x\", \"startTime\": 1e30, \"response_cost\": \"NaN\", \"custom_llm_provider\": \"openai\"}]",
        "{\"requestId\": \"r\", \"timestamp\": \"2026-03-01T00:00:00Z\", \"modelId\": \"arn:\", \"input\": {\"inputTokenCount\": 1.5}}",
        "timestamp,provider,model,input_tokens\n2026-03-01,openai,gpt-4o,99999999999999999999999\n",
        "a,b\n\"unterminated\n",
        "\u{feff}",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect();
    bodies.push("[".repeat(5000).into_bytes());
    bodies.push(vec![0x1f, 0x8b, 0x08, 0x00, 0xde, 0xad]);
    bodies.push(vec![0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]);
    bodies.extend((0..24).map(|seed| noise(seed, (seed as usize * 97) % 2048 + 1)));
    bodies
}

async fn post(app: &TestApp, path: &str, ct: &str, body: Vec<u8>) -> StatusCode {
    app.post(path, &app.ingest_token)
        .header("content-type", ct)
        .body(body)
        .send()
        .await
        .expect("request")
        .status()
}

storage_test!(ingest_garbage_gets_a_4xx_or_a_success_never_a_5xx, |app| {
    for (path, ct) in ENDPOINTS {
        // Bytes that are no document of any kind: always refused.
        let status = post(&app, path, ct, b"\xff\xfe\x00 not a document".to_vec()).await;
        assert!(status.is_client_error(), "{path} {ct}: {status}");
        for (i, body) in shaped_garbage().into_iter().enumerate() {
            let status = post(&app, path, ct, body).await;
            assert!(
                status.is_client_error() || status.is_success(),
                "{path} {ct} garbage #{i}: {status}"
            );
        }
    }
    assert_eq!(app.count_events().await, 0, "no garbage became an event");
});

#[tokio::test]
async fn ingest_gzip_bombs_are_refused_by_their_inflated_size() {
    use std::io::Write;
    let app = crate::helpers::spawn_app_with(crate::helpers::Db::Sqlite, |c| c.body_limit = 4096)
        .await
        .unwrap();
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(&vec![b' '; 2 << 20]).unwrap();
    let bomb = enc.finish().unwrap();
    assert!(bomb.len() < 4096, "the compressed body passes the limit");
    for (path, ct) in ENDPOINTS.iter().filter(|(p, _)| *p != "/api/v1/events") {
        let r = app
            .post(path, &app.ingest_token)
            .header("content-type", *ct)
            .header("content-encoding", "gzip")
            .body(bomb.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE, "{path}");
    }
}
