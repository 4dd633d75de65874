//! Every parser, fed arbitrary bytes and arbitrary JSON in its own shape, answers Ok or Err
//! and never panics; what it accepts always satisfies the domain's invariants.

use chrono::{DateTime, Utc};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value as Any;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue};
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span, Status};
use proptest::prelude::*;
use prost::Message;
use serde_json::{Map, Value, json};

use super::common::{self, BodyError};
use super::{ParsedBatch, anthropic, bedrock, csv, litellm, native, openai, otlp};

fn now() -> DateTime<Utc> {
    "2026-03-10T00:00:00Z".parse().unwrap()
}

type Parser = fn(&[u8], DateTime<Utc>) -> Result<ParsedBatch, BodyError>;

fn parsers() -> Vec<(&'static str, Parser)> {
    vec![
        ("openai calls", openai::parse_calls),
        ("openai usage", openai::parse_usage_pages),
        ("anthropic calls", anthropic::parse_calls),
        ("anthropic usage", anthropic::parse_usage_report),
        ("litellm json", litellm::parse_json),
        ("litellm csv", litellm::parse_csv),
        ("bedrock", bedrock::parse),
        ("otlp protobuf", |b, n| {
            otlp::parse(b, otlp::Encoding::Protobuf, n)
        }),
        ("otlp json", |b, n| otlp::parse(b, otlp::Encoding::Json, n)),
        ("otlp json file", otlp::parse_json_file),
        ("csv", |b, n| csv::parse_body(b, &Default::default(), n)),
        ("native", |b, n| {
            native::parse(b, native::BodyFormat::NdJson, n)
                .map_err(|e| BodyError::Malformed(e.to_string()))
        }),
    ]
}

/// Accepted events keep the native invariants, and the batch accounts for what it read.
fn check(batch: &ParsedBatch) {
    for e in &batch.events {
        let t = e.tokens;
        assert!(t.cached_input + t.cache_write <= t.input, "{e:?}");
        assert!(t.reasoning <= t.output, "{e:?}");
        assert!(e.requests >= 1 && !e.id.is_empty() && e.id.len() <= 128);
    }
}

/// Arbitrary JSON, biased towards the values adapters read (numbers as text, big and
/// negative numbers, times).
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        "[0-9]{0,25}".prop_map(Value::from),
        "-?[0-9]{1,4}(\\.[0-9]{1,4})?(e-?[0-9]{1,3})?".prop_map(Value::from),
        "2026-0[1-9]-[0-3][0-9]([ T][0-2][0-9]:[0-5][0-9]:[0-5][0-9](\\.[0-9]{1,9})?Z?)?"
            .prop_map(Value::from),
        ".{0,20}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(".{0,8}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

const KEYS: [&str; 40] = [
    "id",
    "timestamp",
    "created",
    "created_at",
    "model",
    "provider",
    "usage",
    "prompt_tokens",
    "completion_tokens",
    "input_tokens",
    "output_tokens",
    "cache_read_input_tokens",
    "cache_creation_input_tokens",
    "cache_creation",
    "prompt_tokens_details",
    "completion_tokens_details",
    "input_tokens_details",
    "output_tokens_details",
    "cached_tokens",
    "reasoning_tokens",
    "service_tier",
    "status",
    "reported_cost",
    "tags",
    "team",
    "data",
    "results",
    "start_time",
    "starting_at",
    "num_model_requests",
    "input_cached_tokens",
    "uncached_input_tokens",
    "batch",
    "request_id",
    "startTime",
    "endTime",
    "metadata",
    "response_cost",
    "request_tags",
    "custom_llm_provider",
];

/// An object whose keys are the ones adapters read, at two levels, with arbitrary values.
fn shaped_object() -> impl Strategy<Value = Value> {
    let field = || (prop::sample::select(KEYS.to_vec()), json_value());
    let inner = prop::collection::vec(field(), 0..8).prop_map(|fs| {
        Value::Object(
            fs.into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect::<Map<_, _>>(),
        )
    });
    (
        prop::collection::vec(field(), 0..10),
        prop::collection::vec((prop::sample::select(KEYS.to_vec()), inner), 0..4),
    )
        .prop_map(|(flat, nested)| {
            let mut m: Map<String, Value> =
                flat.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
            for (k, v) in nested {
                m.insert(k.to_owned(), v);
            }
            Value::Object(m)
        })
}

fn any_value() -> impl Strategy<Value = Any> {
    prop_oneof![
        any::<i64>().prop_map(Any::IntValue),
        any::<f64>().prop_map(Any::DoubleValue),
        ".{0,12}".prop_map(Any::StringValue),
        "[0-9]{0,22}".prop_map(Any::StringValue),
        any::<bool>().prop_map(Any::BoolValue),
    ]
}

const SPAN_KEYS: [&str; 10] = [
    "gen_ai.usage.input_tokens",
    "gen_ai.usage.output_tokens",
    "gen_ai.usage.cache_read.input_tokens",
    "gen_ai.usage.cache_creation.input_tokens",
    "gen_ai.usage.reasoning.output_tokens",
    "gen_ai.request.model",
    "gen_ai.provider.name",
    "gen_ai.conversation.id",
    "tokentally.team",
    "tokentally.api_key",
];

fn otlp_request() -> impl Strategy<Value = ExportTraceServiceRequest> {
    let kv = (prop::sample::select(SPAN_KEYS.to_vec()), any_value()).prop_map(|(k, v)| KeyValue {
        key: k.into(),
        value: Some(AnyValue { value: Some(v) }),
        ..Default::default()
    });
    let span = (
        prop::collection::vec(any::<u8>(), 0..17),
        prop::collection::vec(any::<u8>(), 0..9),
        any::<u64>(),
        any::<u64>(),
        any::<i32>(),
        prop::collection::vec(kv, 0..10),
    )
        .prop_map(|(trace_id, span_id, start, end, code, attributes)| Span {
            trace_id,
            span_id,
            start_time_unix_nano: start,
            end_time_unix_nano: end,
            status: Some(Status {
                code,
                ..Default::default()
            }),
            attributes,
            ..Default::default()
        });
    prop::collection::vec(span, 0..6).prop_map(|spans| ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            scope_spans: vec![ScopeSpans {
                spans,
                ..Default::default()
            }],
            ..Default::default()
        }],
    })
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic_any_parser(body in prop::collection::vec(any::<u8>(), 0..512)) {
        for (_, parse) in parsers() {
            if let Ok(b) = parse(&body, now()) {
                check(&b);
            }
        }
        let _ = common::gunzip(&body, 1 << 16);
    }

    #[test]
    fn arbitrary_text_never_panics_any_parser(body in ".{0,300}") {
        for (_, parse) in parsers() {
            if let Ok(b) = parse(body.as_bytes(), now()) {
                check(&b);
            }
        }
    }

    #[test]
    fn shaped_json_never_panics_and_accepts_only_valid_events(
        items in prop::collection::vec(shaped_object(), 0..4),
        wrap in 0..3u8,
    ) {
        let body = match wrap {
            0 => Value::Array(items).to_string(),
            1 => json!({"data": [{"start_time": 1772323200, "starting_at": "2026-03-01T00:00:00Z", "results": items}]}).to_string(),
            _ => items.iter().map(Value::to_string).collect::<Vec<_>>().join("\n"),
        };
        for (_, parse) in parsers() {
            if let Ok(b) = parse(body.as_bytes(), now()) {
                check(&b);
            }
        }
    }

    #[test]
    fn arbitrary_export_requests_never_panic(request in otlp_request()) {
        let proto = request.encode_to_vec();
        check(&otlp::parse(&proto, otlp::Encoding::Protobuf, now()).unwrap());
        if let Ok(json) = serde_json::to_vec(&request)
            && let Ok(b) = otlp::parse(&json, otlp::Encoding::Json, now())
        {
            check(&b);
        }
    }

    #[test]
    fn arbitrary_csv_cells_never_panic(
        rows in prop::collection::vec(prop::collection::vec("[-0-9a-z.:, \"]{0,12}", 0..8), 0..6),
    ) {
        let mut text = "timestamp,provider,model,input_tokens,cached_input_tokens,output_tokens,requests,reported_cost\n".to_owned();
        for row in rows {
            text.push_str(&row.join(","));
            text.push('\n');
        }
        if let Ok(b) = csv::parse_body(text.as_bytes(), &Default::default(), now()) {
            check(&b);
        }
        let _ = litellm::parse_csv(text.replace("timestamp", "request_id").as_bytes(), now());
    }
}
