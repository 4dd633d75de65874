//! OTLP/HTTP traces: export requests built with `opentelemetry-proto`'s own types, sent as
//! protobuf and as JSON, priced into showback; replays, refusals and failures as the OTLP
//! specification asks.

use std::io::Write;

use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::any_value::Value as Any;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span, Status};
use prost::Message;
use reqwest::StatusCode;
use rust_decimal_macros::dec;
use serde_json::{Value, json};

use crate::helpers::{TestApp, money, team};
use crate::storage_test;

const PROTOBUF: &str = "application/x-protobuf";

fn kv(key: &str, value: Any) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue { value: Some(value) }),
        ..Default::default()
    }
}

fn s(v: &str) -> Any {
    Any::StringValue(v.into())
}

fn i(v: i64) -> Any {
    Any::IntValue(v)
}

/// 2026-03-05T10:00:00Z plus `secs`, in nanoseconds.
fn at(secs: u64) -> u64 {
    (1_772_704_800 + secs) * 1_000_000_000
}

fn span(n: u8, attributes: Vec<KeyValue>, code: i32) -> Span {
    Span {
        trace_id: vec![0xab; 16],
        span_id: vec![n; 8],
        name: "chat".into(),
        kind: 3,
        start_time_unix_nano: at(u64::from(n)),
        end_time_unix_nano: at(u64::from(n) + 2),
        attributes,
        status: Some(Status {
            code,
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// Three GenAI spans and one ordinary HTTP span from the `checkout` service.
///
/// Hand-computed with the shipped catalog (per 1M tokens):
/// - gpt-4o-2024-08-06 (2.50 / 1.25 cached / 10.00): 4,000 × 2.5 + 6,000 × 1.25 + 1,000 × 10
///   = 0.01 + 0.0075 + 0.01 = 0.0275
/// - o3-mini (1.10 / 0.55 / 4.40, reasoning at the output rate): 800 × 1.1 + 200 × 0.55
///   + 500 × 4.4 + 2,500 × 4.4 = 0.00088 + 0.00011 + 0.0022 + 0.011 = 0.01419
/// - claude-sonnet-4-20250514 (3 / 0.30 read / 3.75 write / 15): 2,000 × 3 + 40,000 × 0.3
///   + 8,000 × 3.75 + 700 × 15 = 0.006 + 0.012 + 0.03 + 0.0105 = 0.0585
///
/// Total 0.10019.
pub fn export_request() -> ExportTraceServiceRequest {
    let spans = vec![
        span(
            1,
            vec![
                kv("gen_ai.operation.name", s("chat")),
                kv("gen_ai.provider.name", s("openai")),
                kv("gen_ai.request.model", s("gpt-4o")),
                kv("gen_ai.response.model", s("gpt-4o-2024-08-06")),
                kv("gen_ai.usage.input_tokens", i(10_000)),
                kv("gen_ai.usage.cache_read.input_tokens", i(6_000)),
                kv("gen_ai.usage.output_tokens", i(1_000)),
                kv("gen_ai.conversation.id", s("conv-1")),
            ],
            1,
        ),
        span(
            2,
            vec![
                kv("gen_ai.system", s("openai")),
                kv("gen_ai.request.model", s("o3-mini")),
                kv("gen_ai.usage.input_tokens", i(1_000)),
                kv("gen_ai.usage.cache_read.input_tokens", i(200)),
                kv("gen_ai.usage.output_tokens", i(3_000)),
                kv("gen_ai.usage.reasoning.output_tokens", i(2_500)),
                kv("gen_ai.conversation.id", s("conv-1")),
            ],
            2,
        ),
        span(
            3,
            vec![
                kv("gen_ai.provider.name", s("anthropic")),
                kv("gen_ai.request.model", s("claude-sonnet-4-20250514")),
                kv("gen_ai.usage.input_tokens", i(50_000)),
                kv("gen_ai.usage.cache_read.input_tokens", i(40_000)),
                kv("gen_ai.usage.cache_creation.input_tokens", i(8_000)),
                kv("gen_ai.usage.output_tokens", i(700)),
            ],
            0,
        ),
        span(
            4,
            vec![
                kv("http.request.method", s("POST")),
                kv("http.route", s("/checkout")),
            ],
            0,
        ),
    ];
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource {
                attributes: vec![
                    kv("service.name", s("checkout")),
                    kv("deployment.environment", s("prod")),
                ],
                ..Default::default()
            }),
            scope_spans: vec![ScopeSpans {
                spans,
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

pub async fn post_otlp(
    app: &TestApp,
    token: &str,
    content_type: &str,
    body: Vec<u8>,
    gzip: bool,
) -> reqwest::Response {
    let mut r = app
        .post("/v1/traces", token)
        .header("content-type", content_type);
    let body = if gzip {
        r = r.header("content-encoding", "gzip");
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(&body).unwrap();
        enc.finish().unwrap()
    } else {
        body
    };
    r.body(body).send().await.expect("request")
}

fn header(r: &reqwest::Response, name: &str) -> u64 {
    r.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no {name} header"))
}

async fn map_service_to_team(app: &TestApp, service: &str, team: &str) {
    let (status, body) = app
        .admin_post(
            "/api/v1/rules",
            &json!({"tag": "service.name", "tag_value": service, "team": team}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
}

async fn assert_checkout_showback(app: &TestApp) -> Value {
    let sb = app.showback("2026-03").await;
    let checkout = team(&sb, "checkout");
    assert_eq!(money(&checkout["token_cost_exact"]), dec!(0.10019));
    assert_eq!(checkout["requests"], 3);
    assert_eq!(
        checkout["tokens"],
        json!({"input": 61000, "cached_input": 46200, "cache_write": 8000, "output": 4700, "reasoning": 2500})
    );
    sb
}

storage_test!(ingest_otlp_protobuf_spans_are_priced_into_showback, |app| {
    map_service_to_team(&app, "checkout", "checkout").await;
    let body = export_request().encode_to_vec();
    let r = post_otlp(&app, &app.ingest_token, PROTOBUF, body.clone(), false).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], PROTOBUF);
    assert_eq!(
        (
            header(&r, "x-tokentally-accepted"),
            header(&r, "x-tokentally-ignored")
        ),
        (3, 1)
    );
    let answer = ExportTraceServiceResponse::decode(r.bytes().await.unwrap()).unwrap();
    assert_eq!(answer.partial_success, None);
    let before = assert_checkout_showback(&app).await;

    // The same batch again, gzip-compressed as exporters send it: nothing counts twice.
    let r = post_otlp(&app, &app.ingest_token, PROTOBUF, body, true).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        (
            header(&r, "x-tokentally-accepted"),
            header(&r, "x-tokentally-duplicates")
        ),
        (0, 3)
    );
    assert_eq!(app.count_events().await, 3);
    assert_eq!(app.showback("2026-03").await, before);
});

storage_test!(ingest_otlp_json_spans_are_priced_into_showback, |app| {
    map_service_to_team(&app, "checkout", "checkout").await;
    // serde with opentelemetry-proto's proto3 JSON mapping: hex ids, 64-bit ints as strings.
    let body = serde_json::to_vec(&export_request()).unwrap();
    let text = String::from_utf8(body.clone()).unwrap();
    assert!(text.contains(&"ab".repeat(16)) && text.contains("\"intValue\":\"10000\""));
    let r = post_otlp(&app, &app.ingest_token, "application/json", body, false).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "application/json");
    let answer: Value = r.json().await.unwrap();
    assert!(
        answer.get("partialSuccess").is_none_or(Value::is_null),
        "{answer}"
    );
    assert_checkout_showback(&app).await;
});

storage_test!(ingest_otlp_json_fixture_as_an_sdk_writes_it, |app| {
    map_service_to_team(&app, "support-bot", "support").await;
    let body = std::fs::read("tests/fixtures/otlp_traces.json").unwrap();
    let r = post_otlp(&app, &app.ingest_token, "application/json", body, false).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(header(&r, "x-tokentally-ignored"), 1);
    let sb = app.showback("2026-03").await;
    let support = team(&sb, "support");
    // gpt-4o-mini-2024-07-18 (0.15 / 0.075 / 0.60): 80,000 × 0.15 + 40,000 × 0.075 + 5,000 × 0.6
    // = 0.012 + 0.003 + 0.003 = 0.018; o3-mini: 2,000 × 1.1 + 1,000 × 4.4 + 3,000 × 4.4 = 0.0198.
    assert_eq!(money(&support["token_cost_exact"]), dec!(0.0378));
    assert_eq!(support["requests"], 2);
    // Both calls share a conversation (a workflow) whose last call ended in an error: no
    // successful outcome, and that call (0.0198) is waste, shown to the cent.
    assert_eq!(support["successful_outcomes"], 0);
    assert_eq!(money(&support["waste"]), dec!(0.02));
});

storage_test!(ingest_otlp_refusals_and_failures_follow_the_spec, |app| {
    // A usage span without a model is refused; the rest of the batch is kept.
    let mut request = export_request();
    request.resource_spans[0].scope_spans[0].spans.push(span(
        9,
        vec![kv("gen_ai.usage.input_tokens", i(5))],
        0,
    ));
    let r = post_otlp(
        &app,
        &app.ingest_token,
        PROTOBUF,
        request.encode_to_vec(),
        false,
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let answer = ExportTraceServiceResponse::decode(r.bytes().await.unwrap()).unwrap();
    let partial = answer.partial_success.expect("partial success");
    assert_eq!(partial.rejected_spans, 1);
    assert!(
        partial.error_message.contains("gen_ai.response.model"),
        "{}",
        partial.error_message
    );
    assert_eq!(app.count_events().await, 3);

    // Failures answer a google.rpc.Status in the request's encoding.
    let r = post_otlp(&app, &app.ingest_token, PROTOBUF, vec![0xff; 7], false).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let status =
        tokentally_server::http::ingest::otlp::RpcStatus::decode(r.bytes().await.unwrap()).unwrap();
    assert_eq!(status.code, 3);
    assert!(status.message.contains("protobuf"), "{}", status.message);
    let r = post_otlp(
        &app,
        &app.ingest_token,
        "application/json",
        b"{\"resourceSpans\": 7}".to_vec(),
        false,
    )
    .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let body: Value = r.json().await.unwrap();
    assert!(
        body["message"].as_str().unwrap().contains("OTLP/JSON"),
        "{body}"
    );
    let r = post_otlp(&app, &app.ingest_token, "text/plain", b"x".to_vec(), false).await;
    assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let r = post_otlp(&app, "not-a-token", PROTOBUF, vec![], false).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = post_otlp(&app, &app.finance_token, PROTOBUF, vec![], false).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = app
        .post("/v1/traces", &app.ingest_token)
        .header("content-type", PROTOBUF)
        .header("content-encoding", "gzip")
        .body("not gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(app.count_events().await, 3);
});

/// A length-delimited protobuf field, to nest bytes that are not a valid message.
fn field(tag: u32, bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    prost::encoding::encode_key(tag, prost::encoding::WireType::LengthDelimited, &mut out);
    prost::encoding::encode_varint(bytes.len() as u64, &mut out);
    out.extend_from_slice(bytes);
    out
}

/// [`export_request`] as protobuf, its second span (o3-mini) made malformed: a `name` (field
/// 5) that is not UTF-8.
fn protobuf_with_a_bad_span() -> Vec<u8> {
    let request = export_request();
    let rs = &request.resource_spans[0];
    let mut scope = Vec::new();
    for (k, span) in rs.scope_spans[0].spans.iter().enumerate() {
        let mut bytes = span.encode_to_vec();
        if k == 1 {
            bytes.extend_from_slice(&[0x2a, 0x02, 0xff, 0xfe]);
        }
        scope.extend(field(2, &bytes));
    }
    let mut resource_spans = field(1, &rs.resource.as_ref().unwrap().encode_to_vec());
    resource_spans.extend(field(2, &scope));
    field(1, &resource_spans)
}

const BAD_SPAN_ID: &str = "abababababababababababababababab0202020202020202";

storage_test!(
    one_malformed_span_is_refused_alone_in_either_encoding,
    |app| {
        // Protobuf: the export as a whole does not decode; the good spans are stored and the bad
        // one is reported in partial_success, with a 200 (exporters do not retry a 400).
        let body = protobuf_with_a_bad_span();
        assert!(ExportTraceServiceRequest::decode(body.as_slice()).is_err());
        let r = post_otlp(&app, &app.ingest_token, PROTOBUF, body, false).await;
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(header(&r, "x-tokentally-accepted"), 2);
        assert_eq!(header(&r, "x-tokentally-rejected"), 1);
        assert_eq!(header(&r, "x-tokentally-ignored"), 1);
        let answer = ExportTraceServiceResponse::decode(r.bytes().await.unwrap()).unwrap();
        let partial = answer.partial_success.expect("partial success");
        assert_eq!(partial.rejected_spans, 1);
        assert!(
            partial.error_message.contains(BAD_SPAN_ID),
            "{}",
            partial.error_message
        );
        assert!(
            partial.error_message.contains("not valid OTLP protobuf"),
            "{}",
            partial.error_message
        );
        assert_eq!(app.count_events().await, 2);

        // JSON: the same span with a start time that is not a number.
        let mut request = serde_json::to_value(export_request()).unwrap();
        let spans = &mut request["resourceSpans"][0]["scopeSpans"][0]["spans"];
        spans[1]["startTimeUnixNano"] = json!({"not": "a time"});
        // Other span ids, so that the good spans are not duplicates of the protobuf ones.
        for span in spans.as_array_mut().unwrap() {
            span["traceId"] = json!("cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd");
        }
        let body = serde_json::to_vec(&request).unwrap();
        let r = post_otlp(&app, &app.ingest_token, "application/json", body, false).await;
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(header(&r, "x-tokentally-accepted"), 2);
        let answer: Value = serde_json::from_slice(&r.bytes().await.unwrap()).unwrap();
        let partial = &answer["partialSuccess"];
        assert_eq!(
            partial["rejectedSpans"].to_string().trim_matches('"'),
            "1",
            "{answer}"
        );
        let message = partial["errorMessage"].as_str().unwrap();
        assert!(message.contains("not valid OTLP/JSON"), "{message}");
        assert!(
            message.contains("cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd0202020202020202"),
            "{message}"
        );
        assert_eq!(app.count_events().await, 4);
    }
);
