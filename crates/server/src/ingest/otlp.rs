//! OpenTelemetry traces (OTLP/HTTP, protobuf or JSON): spans that carry GenAI usage become
//! usage events; every other span is ignored and counted.
//!
//! A span is usage when it has token counts under the names instrumentations emit: the
//! semantic conventions' `gen_ai.usage.*` (and their older `prompt_tokens` /
//! `completion_tokens`), OpenLLMetry's `llm.usage.*`, OpenInference's `llm.token_count.*`.
//! Input includes cached input, as the conventions say. The event id is the trace id and the
//! span id in hex, so a re-sent batch stores nothing twice.
//!
//! Only attributes useful for attribution become tags, because tags are rollup dimensions
//! (capped at 2 kB an event) and span attributes may hold whole prompts: the resource's
//! `service.name`, `service.namespace` and `deployment.environment[.name]` (also the event's
//! environment), the span's `gen_ai.operation.name`, `gen_ai.agent.name` and `server.address`,
//! and any `tokentally.*` attribute (`tokentally.team`, `tokentally.feature`,
//! `tokentally.api_key`, ... set the event's own fields; other names become tags).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::KeyValue;
use opentelemetry_proto::tonic::common::v1::any_value::Value as Any;
use opentelemetry_proto::tonic::trace::v1::Span;
use opentelemetry_proto::tonic::trace::v1::status::StatusCode;
use prost::Message;

use super::ParsedBatch;
use super::common::{BodyError, Collector, Extra, Native, Tokens, clip, rfc3339};

pub const SOURCE: &str = "otlp";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Protobuf,
    Json,
}

impl Encoding {
    /// Reads the encoding from a Content-Type header value.
    pub fn from_content_type(ct: &str) -> Option<Self> {
        let essence = ct
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        match essence.as_str() {
            "application/x-protobuf" | "application/protobuf" => Some(Self::Protobuf),
            "application/json" => Some(Self::Json),
            _ => None,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Protobuf => "application/x-protobuf",
            Self::Json => "application/json",
        }
    }
}

pub fn decode(body: &[u8], encoding: Encoding) -> Result<ExportTraceServiceRequest, BodyError> {
    match encoding {
        Encoding::Protobuf => ExportTraceServiceRequest::decode(body).map_err(|e| {
            BodyError::Malformed(format!(
                "not an OTLP protobuf ExportTraceServiceRequest ({e})"
            ))
        }),
        Encoding::Json => serde_json::from_slice(body).map_err(|e| {
            BodyError::Malformed(format!("not an OTLP/JSON ExportTraceServiceRequest ({e})"))
        }),
    }
}

pub fn parse(
    body: &[u8],
    encoding: Encoding,
    now: DateTime<Utc>,
) -> Result<ParsedBatch, BodyError> {
    match decode(body, encoding) {
        Ok(request) => Ok(map(&request, now)),
        // One malformed span must not cost the good ones: exporters do not retry a 400.
        Err(whole) => match encoding {
            Encoding::Json => span_by_span(body, now),
            Encoding::Protobuf => protobuf_span_by_span(body, now),
        }
        .ok_or(whole),
    }
}

/// `ExportTraceServiceRequest` with each `ResourceSpans` left as bytes (field 1).
#[derive(Clone, PartialEq, prost::Message)]
struct LooseProtoRequest {
    #[prost(bytes = "vec", repeated, tag = "1")]
    resource_spans: Vec<Vec<u8>>,
}

/// `ResourceSpans` with its resource (field 1) and each `ScopeSpans` (field 2) as bytes.
#[derive(Clone, PartialEq, prost::Message)]
struct LooseProtoResourceSpans {
    #[prost(bytes = "vec", optional, tag = "1")]
    resource: Option<Vec<u8>>,
    #[prost(bytes = "vec", repeated, tag = "2")]
    scope_spans: Vec<Vec<u8>>,
}

/// `ScopeSpans` with each span (field 2) as bytes.
#[derive(Clone, PartialEq, prost::Message)]
struct LooseProtoScopeSpans {
    #[prost(bytes = "vec", repeated, tag = "2")]
    spans: Vec<Vec<u8>>,
}

/// A span's trace id (field 1) and span id (field 2) alone, to name a span that does not
/// decode (a string that is not UTF-8, a truncated attribute).
#[derive(Clone, PartialEq, prost::Message)]
struct LooseProtoSpanIds {
    #[prost(bytes = "vec", tag = "1")]
    trace_id: Vec<u8>,
    #[prost(bytes = "vec", tag = "2")]
    span_id: Vec<u8>,
}

/// An OTLP protobuf export whose spans are read one by one, as [`span_by_span`] does for
/// JSON: a span that does not decode (or whose resource does not) is refused alone, with its
/// ids where they can be read. A `ResourceSpans` or `ScopeSpans` that does not decode even
/// loosely is refused as one item, its spans uncountable. `None` when the body is not a
/// protobuf message of the export's shape at all.
fn protobuf_span_by_span(body: &[u8], now: DateTime<Utc>) -> Option<ParsedBatch> {
    use opentelemetry_proto::tonic::resource::v1::Resource;
    let loose = LooseProtoRequest::decode(body).ok()?;
    let mut c = Collector::new(now);
    for rs in &loose.resource_spans {
        let rs = match LooseProtoResourceSpans::decode(rs.as_slice()) {
            Ok(rs) => rs,
            Err(e) => {
                c.reject(
                    None,
                    format!("resource spans that are not valid OTLP protobuf ({e})"),
                );
                continue;
            }
        };
        let resource: Result<Resource, String> = match &rs.resource {
            None => Ok(Resource::default()),
            Some(raw) => Resource::decode(raw.as_slice())
                .map_err(|e| format!("the span's resource is not valid OTLP protobuf ({e})")),
        };
        let attrs = resource
            .as_ref()
            .map(|r| attributes(&r.attributes))
            .unwrap_or_default();
        for ss in &rs.scope_spans {
            let spans = match LooseProtoScopeSpans::decode(ss.as_slice()) {
                Ok(ss) => ss.spans,
                Err(e) => {
                    c.reject(
                        None,
                        format!("scope spans that are not valid OTLP protobuf ({e})"),
                    );
                    continue;
                }
            };
            for raw in &spans {
                let span: Result<Span, String> =
                    resource.as_ref().map_err(Clone::clone).and_then(|_| {
                        Span::decode(raw.as_slice())
                            .map_err(|e| format!("the span is not valid OTLP protobuf ({e})"))
                    });
                match span {
                    Ok(span) => c.row(span_id(&span), usage(&attrs, &span)),
                    Err(e) => c.reject(loose_proto_span_id(raw), e),
                }
            }
        }
    }
    Some(c.finish())
}

fn loose_proto_span_id(raw: &[u8]) -> Option<String> {
    let ids = LooseProtoSpanIds::decode(raw).ok()?;
    span_id(&Span {
        trace_id: ids.trace_id,
        span_id: ids.span_id,
        ..Span::default()
    })
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct LooseRequest {
    #[serde(default)]
    resource_spans: Vec<LooseResourceSpans>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct LooseResourceSpans {
    #[serde(default)]
    resource: Option<Box<serde_json::value::RawValue>>,
    #[serde(default)]
    scope_spans: Vec<LooseScopeSpans>,
}

#[derive(serde::Deserialize)]
struct LooseScopeSpans {
    #[serde(default)]
    spans: Vec<Box<serde_json::value::RawValue>>,
}

/// An OTLP/JSON export whose spans are read one by one: a span that does not decode (or
/// whose resource does not) is refused alone, with its ids where they can be read. `None`
/// when the body does not even have the export's shape.
fn span_by_span(body: &[u8], now: DateTime<Utc>) -> Option<ParsedBatch> {
    use opentelemetry_proto::tonic::resource::v1::Resource;
    let loose: LooseRequest = serde_json::from_slice(body).ok()?;
    let mut c = Collector::new(now);
    for rs in &loose.resource_spans {
        let resource: Result<Resource, String> = match &rs.resource {
            None => Ok(Resource::default()),
            Some(raw) => serde_json::from_str(&doubles_as_text(raw.get()))
                .map_err(|e| format!("the span's resource is not valid OTLP/JSON: {e}")),
        };
        let attrs = resource
            .as_ref()
            .map(|r| attributes(&r.attributes))
            .unwrap_or_default();
        for raw in rs.scope_spans.iter().flat_map(|ss| &ss.spans) {
            let span: Result<Span, String> =
                resource.as_ref().map_err(Clone::clone).and_then(|_| {
                    serde_json::from_str(&doubles_as_text(raw.get()))
                        .map_err(|e| format!("the span is not valid OTLP/JSON: {e}"))
                });
            match span {
                Ok(span) => c.row(span_id(&span), usage(&attrs, &span)),
                Err(e) => c.reject(loose_span_id(raw.get()), e),
            }
        }
    }
    Some(c.finish())
}

/// `{"doubleValue": 2.9}` as `{"stringValue": "2.9"}`, the number's literal kept. The build
/// reads JSON numbers exactly (serde_json's `arbitrary_precision`, for money), and with it
/// opentelemetry-proto's decoder refuses every JSON double ("expected f64"); attributes are
/// read as text anyway (a count from integral text, a cost as an exact decimal).
fn doubles_as_text(raw: &str) -> std::borrow::Cow<'_, str> {
    use serde_json::Value;
    fn walk(v: &mut Value) {
        match v {
            Value::Object(m) => {
                if let Some(Value::Number(n)) = m.get("doubleValue") {
                    let text = n.to_string();
                    m.remove("doubleValue");
                    m.insert("stringValue".into(), Value::String(text));
                }
                m.values_mut().for_each(walk);
            }
            Value::Array(a) => a.iter_mut().for_each(walk),
            _ => {}
        }
    }
    if !raw.contains("doubleValue") {
        return raw.into();
    }
    match serde_json::from_str::<Value>(raw) {
        Ok(mut v) => {
            walk(&mut v);
            v.to_string().into()
        }
        Err(_) => raw.into(),
    }
}

/// The trace and span ids of a span that did not decode, as written, when they are text.
fn loose_span_id(raw: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(raw).ok()?;
    let id = format!(
        "{}{}",
        v.get("traceId")?.as_str()?,
        v.get("spanId")?.as_str()?
    );
    Some(id.chars().take(128).collect())
}

/// An OTLP/JSON file: one export request, or one a line as the Collector's file exporter
/// writes them.
pub fn parse_json_file(body: &[u8], now: DateTime<Utc>) -> Result<ParsedBatch, BodyError> {
    let whole = decode(body, Encoding::Json);
    let text = std::str::from_utf8(body).map_err(|_| BodyError::NotUtf8)?;
    let request = match whole {
        Ok(r) => r,
        Err(_) if text.trim().contains('\n') => {
            let mut all = ExportTraceServiceRequest::default();
            for line in text.lines().filter(|l| !l.trim().is_empty()) {
                all.resource_spans
                    .extend(decode(line.as_bytes(), Encoding::Json)?.resource_spans);
            }
            all
        }
        Err(e) => return Err(e),
    };
    Ok(map(&request, now))
}

/// Maps every span of an export request; indexes count spans in request order.
pub fn map(request: &ExportTraceServiceRequest, now: DateTime<Utc>) -> ParsedBatch {
    let mut c = Collector::new(now);
    for rs in &request.resource_spans {
        let resource = rs
            .resource
            .as_ref()
            .map(|r| attributes(&r.attributes))
            .unwrap_or_default();
        for ss in &rs.scope_spans {
            for span in &ss.spans {
                let id = span_id(span);
                c.row(id, usage(&resource, span));
            }
        }
    }
    c.finish()
}

type Attrs<'a> = HashMap<&'a str, &'a Any>;

fn attributes(kvs: &[KeyValue]) -> Attrs<'_> {
    kvs.iter()
        .filter_map(|kv| Some((kv.key.as_str(), kv.value.as_ref()?.value.as_ref()?)))
        .collect()
}

const INPUT: [&str; 4] = [
    "gen_ai.usage.input_tokens",
    "gen_ai.usage.prompt_tokens",
    "llm.usage.prompt_tokens",
    "llm.token_count.prompt",
];
const OUTPUT: [&str; 4] = [
    "gen_ai.usage.output_tokens",
    "gen_ai.usage.completion_tokens",
    "llm.usage.completion_tokens",
    "llm.token_count.completion",
];
const CACHE_READ: [&str; 4] = [
    "gen_ai.usage.cache_read.input_tokens",
    "gen_ai.usage.cache_read_input_tokens",
    "llm.usage.cache_read_input_tokens",
    "llm.token_count.prompt_details.cache_read",
];
/// `gen_ai.usage.cache_write.input_tokens` is the current semantic conventions' name; the
/// others are older names and other instrumentations'. The first one present is read, so a
/// span that carries both the new and the old name counts its cache writes once.
const CACHE_WRITE: [&str; 5] = [
    "gen_ai.usage.cache_write.input_tokens",
    "gen_ai.usage.cache_creation.input_tokens",
    "gen_ai.usage.cache_creation_input_tokens",
    "llm.usage.cache_creation_input_tokens",
    "llm.token_count.prompt_details.cache_write",
];
const REASONING: [&str; 4] = [
    "gen_ai.usage.reasoning.output_tokens",
    "gen_ai.usage.reasoning_tokens",
    "llm.usage.reasoning_tokens",
    "llm.token_count.completion_details.reasoning",
];
/// The classes inside input and output with rates of their own, and units: OpenInference's
/// per-modality counts where it has them, and `tokentally.usage.*` / `tokentally.units.*`
/// (the native field names) for any instrumentation.
const CACHE_WRITE_1H: [&str; 1] = ["tokentally.usage.cache_write_1h_tokens"];
const AUDIO_INPUT: [&str; 2] = [
    "llm.token_count.prompt_details.audio",
    "tokentally.usage.audio_input_tokens",
];
const CACHED_AUDIO_INPUT: [&str; 1] = ["tokentally.usage.cached_audio_input_tokens"];
const IMAGE_INPUT: [&str; 2] = [
    "llm.token_count.prompt_details.image",
    "tokentally.usage.image_input_tokens",
];
const AUDIO_OUTPUT: [&str; 2] = [
    "llm.token_count.completion_details.audio",
    "tokentally.usage.audio_output_tokens",
];
const IMAGE_OUTPUT: [&str; 2] = [
    "llm.token_count.completion_details.image",
    "tokentally.usage.image_output_tokens",
];
const WEB_SEARCH: [&str; 1] = ["tokentally.units.web_search"];
const FILE_SEARCH: [&str; 1] = ["tokentally.units.file_search"];
const CODE_INTERPRETER: [&str; 1] = ["tokentally.units.code_interpreter"];

const MODEL: [&str; 5] = [
    "gen_ai.response.model",
    "gen_ai.request.model",
    "llm.response.model",
    "llm.request.model",
    "llm.model_name",
];
const PROVIDER: [&str; 4] = [
    "gen_ai.provider.name",
    "gen_ai.system",
    "llm.provider",
    "llm.system",
];
/// A cost the producer computed for the call, kept as the reported cost (never a price):
/// Langfuse's and several agent SDKs' `gen_ai.usage.cost`, OpenInference's `llm.cost.total`,
/// Pydantic AI's `operation.cost`, and `gen_ai.usage.cost_usd`.
const COST: [&str; 4] = [
    "gen_ai.usage.cost",
    "llm.cost.total",
    "operation.cost",
    "gen_ai.usage.cost_usd",
];
const RESOURCE_TAGS: [&str; 2] = ["service.name", "service.namespace"];
const ENVIRONMENT: [&str; 2] = ["deployment.environment.name", "deployment.environment"];
const SPAN_TAGS: [&str; 3] = [
    "gen_ai.operation.name",
    "gen_ai.agent.name",
    "server.address",
];

fn span_id(span: &Span) -> Option<String> {
    (!span.trace_id.is_empty() && !span.span_id.is_empty())
        .then(|| {
            format!(
                "{}{}",
                hex::encode(&span.trace_id),
                hex::encode(&span.span_id)
            )
        })
        .filter(|id| id.len() <= 128)
}

/// The span as a usage event, `None` when it carries no GenAI usage.
fn usage(resource: &Attrs<'_>, span: &Span) -> Result<Option<Native>, String> {
    let a = attributes(&span.attributes);
    let has_usage = [&INPUT[..], &OUTPUT, &CACHE_READ, &CACHE_WRITE, &REASONING]
        .iter()
        .copied()
        .flatten()
        .any(|k| a.contains_key(k));
    if !has_usage {
        return Ok(None);
    }
    let id = span_id(span).ok_or("the span has no valid trace id and span id")?;
    let mut n = Native::new(id, SOURCE);
    let model = first_text(&a, &MODEL)
        .ok_or("a span with GenAI usage needs `gen_ai.response.model` or `gen_ai.request.model`")?;
    let provider = first_text(&a, &PROVIDER)
        .or_else(|| tokentally_domain::catalog::split_model_prefix(&model).0)
        .ok_or("a span with GenAI usage needs `gen_ai.provider.name` (or `gen_ai.system`)")?;
    let start = nanos(span.start_time_unix_nano).or_else(|| nanos(span.end_time_unix_nano));
    let start = start.ok_or("the span has no start time")?;
    n.text("timestamp", Some(rfc3339(start)))
        .text("provider", Some(provider))
        .text("model", Some(model))
        .tokens(Tokens {
            input: first_count(&a, &INPUT)?,
            cached: first_count(&a, &CACHE_READ)?,
            cache_write: first_count(&a, &CACHE_WRITE)?,
            output: first_count(&a, &OUTPUT)?,
            reasoning: first_count(&a, &REASONING)?,
            extra: Extra {
                cache_write_1h: first_count(&a, &CACHE_WRITE_1H)?,
                audio_input: first_count(&a, &AUDIO_INPUT)?,
                cached_audio_input: first_count(&a, &CACHED_AUDIO_INPUT)?,
                image_input: first_count(&a, &IMAGE_INPUT)?,
                audio_output: first_count(&a, &AUDIO_OUTPUT)?,
                image_output: first_count(&a, &IMAGE_OUTPUT)?,
                web_search: first_count(&a, &WEB_SEARCH)?,
                file_search: first_count(&a, &FILE_SEARCH)?,
                code_interpreter: first_count(&a, &CODE_INTERPRETER)?,
            },
        })
        .text("workflow_id", first_text(&a, &["gen_ai.conversation.id"]))
        .text(
            "environment",
            first_text(&a, &ENVIRONMENT).or_else(|| first_text(resource, &ENVIRONMENT)),
        )
        .text("user", first_text(&a, &["user.id", "enduser.id"]));
    if let Some((key, cost)) = COST
        .iter()
        .find_map(|k| first_text(&a, &[k]).map(|c| (*k, c)))
    {
        n.text("reported_cost", super::common::amount(&cost, key)?);
    }
    let code = span.status.as_ref().map_or(0, |s| s.code);
    let outcome = match StatusCode::try_from(code) {
        Ok(StatusCode::Error) => "failure",
        Ok(StatusCode::Ok) => "success",
        _ => "unknown",
    };
    n.text("outcome", Some(outcome));
    if span.end_time_unix_nano >= span.start_time_unix_nano && span.start_time_unix_nano > 0 {
        n.count(
            "latency_ms",
            (span.end_time_unix_nano - span.start_time_unix_nano) / 1_000_000,
        );
    }
    for key in RESOURCE_TAGS {
        n.tag(key, first_text(resource, &[key]));
    }
    for key in SPAN_TAGS {
        n.tag(key, first_text(&a, &[key]));
    }
    let mut own: Vec<(&str, &Any)> = a
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix("tokentally.")?, *v)))
        .filter(|(k, _)| !k.starts_with("usage.") && !k.starts_with("units."))
        .collect();
    own.sort_by_key(|(k, _)| *k);
    for (key, value) in own {
        match key {
            "api_key" => n.text("api_key", text(value)),
            other => n.owner_or_tag(other, text(value)),
        };
    }
    Ok(Some(n))
}

fn nanos(ns: u64) -> Option<DateTime<Utc>> {
    (ns > 0).then(|| DateTime::from_timestamp_nanos(i64::try_from(ns).unwrap_or(i64::MAX)))
}

fn text(v: &Any) -> Option<String> {
    match v {
        Any::StringValue(s) => Some(s.clone()),
        Any::IntValue(i) => Some(i.to_string()),
        Any::BoolValue(b) => Some(b.to_string()),
        Any::DoubleValue(d) => Some(d.to_string()),
        _ => None,
    }
}

fn first_text(a: &Attrs<'_>, keys: &[&str]) -> Option<String> {
    keys.iter()
        .find_map(|k| a.get(k).and_then(|v| text(v)))
        .filter(|s| !s.trim().is_empty())
}

/// The first of `keys` present, as a count: an int, an integral double (JavaScript SDKs send
/// numbers as doubles) or a string of digits.
fn first_count(a: &Attrs<'_>, keys: &[&str]) -> Result<u64, String> {
    let Some((key, v)) = keys.iter().find_map(|k| a.get(k).map(|v| (*k, *v))) else {
        return Ok(0);
    };
    let bad = |got: String| format!("`{key}` must be a whole number ≥ 0, got {}", clip(&got));
    match v {
        Any::IntValue(i) => u64::try_from(*i).map_err(|_| bad(i.to_string())),
        Any::DoubleValue(d) if *d >= 0.0 && d.fract() == 0.0 && *d < 9.0e15 => Ok(*d as u64),
        Any::StringValue(s) => {
            let t = s.trim();
            t.parse()
                .or_else(|_| integral(t).ok_or(()))
                .map_err(|_| bad(s.clone()))
        }
        other => Err(bad(format!("{other:?}"))),
    }
}

/// `10.0` or `1e3` as a count: the text of an integral double (OTLP/JSON sends doubles).
fn integral(text: &str) -> Option<u64> {
    use rust_decimal::prelude::ToPrimitive;
    let d = if text.contains(['e', 'E']) {
        rust_decimal::Decimal::from_scientific(text).ok()?
    } else {
        text.parse::<rust_decimal::Decimal>().ok()?
    };
    (d.fract().is_zero() && !d.is_sign_negative()).then(|| d.to_u64())?
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry_proto::tonic::common::v1::AnyValue;
    use opentelemetry_proto::tonic::resource::v1::Resource;
    use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Status};
    use tokentally_domain::event::Outcome;

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

    fn request(spans: Vec<Span>) -> ExportTraceServiceRequest {
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

    fn now() -> DateTime<Utc> {
        "2026-03-10T00:00:00Z".parse().unwrap()
    }

    fn span(n: u8, attrs: Vec<KeyValue>) -> Span {
        Span {
            trace_id: vec![n; 16],
            span_id: vec![n; 8],
            name: "chat".into(),
            start_time_unix_nano: 1_772_359_200_000_000_000,
            end_time_unix_nano: 1_772_359_201_250_000_000,
            attributes: attrs,
            ..Default::default()
        }
    }

    #[test]
    fn a_spans_cost_attribute_is_kept_as_the_reported_cost() {
        let base = || {
            vec![
                kv("gen_ai.provider.name", s("openai")),
                kv("gen_ai.request.model", s("gpt-4o")),
                kv("gen_ai.usage.input_tokens", Any::IntValue(1000)),
            ]
        };
        let with = |k: &str, v: Any| {
            let mut a = base();
            a.push(kv(k, v));
            a
        };
        let req = request(vec![
            span(1, with("gen_ai.usage.cost", Any::DoubleValue(0.0025))),
            span(2, with("llm.cost.total", s("0.0031"))),
            span(3, with("operation.cost", Any::DoubleValue(2.85e-05))),
            span(4, base()),
            span(5, with("gen_ai.usage.cost", s("ten"))),
        ]);
        let b = map(&req, "2026-03-10T00:00:00Z".parse().unwrap());
        let costs: Vec<Option<String>> = b
            .events
            .iter()
            .map(|e| e.reported_cost.map(|c| c.to_string()))
            .collect();
        assert_eq!(
            costs,
            [
                Some("0.0025".to_owned()),
                Some("0.0031".to_owned()),
                Some("0.0000285".to_owned()),
                None
            ]
        );
        assert_eq!(b.rejected.len(), 1, "{:?}", b.rejected);
        assert!(b.rejected[0].error.contains("gen_ai.usage.cost"));
    }

    #[test]
    fn genai_spans_become_events_and_other_spans_are_ignored() {
        let mut error = span(
            2,
            vec![
                kv("gen_ai.system", s("Azure.AI.OpenAI")),
                kv("gen_ai.request.model", s("gpt-4o")),
                kv("gen_ai.usage.prompt_tokens", Any::DoubleValue(10.0)),
                kv(
                    "gen_ai.usage.completion_tokens",
                    Any::StringValue("4".into()),
                ),
            ],
        );
        error.status = Some(Status {
            code: 2,
            ..Default::default()
        });
        let req = request(vec![
            span(
                1,
                vec![
                    kv("gen_ai.provider.name", s("openai")),
                    kv("gen_ai.request.model", s("gpt-4o")),
                    kv("gen_ai.response.model", s("gpt-4o-2024-08-06")),
                    kv("gen_ai.usage.input_tokens", Any::IntValue(1000)),
                    kv("gen_ai.usage.cache_read.input_tokens", Any::IntValue(400)),
                    kv("gen_ai.usage.output_tokens", Any::IntValue(300)),
                    kv("gen_ai.usage.reasoning_tokens", Any::IntValue(100)),
                    kv("gen_ai.conversation.id", s("conv-1")),
                    kv(
                        "gen_ai.prompt.0.content",
                        s("a long prompt that never becomes a tag"),
                    ),
                    kv("tokentally.team", s("search")),
                    kv("tokentally.app", s("web")),
                ],
            ),
            error,
            span(3, vec![kv("http.route", s("/checkout"))]),
        ]);
        let b = map(&req, "2026-03-10T00:00:00Z".parse().unwrap());
        assert!(b.rejected.is_empty(), "{:?}", b.rejected);
        assert_eq!((b.events.len(), b.ignored), (2, Some(1)));
        let e = &b.events[0];
        assert_eq!(e.id, format!("{}{}", "01".repeat(16), "01".repeat(8)));
        assert_eq!(e.model, "gpt-4o-2024-08-06");
        assert_eq!(
            (
                e.tokens.input,
                e.tokens.cached_input,
                e.tokens.output,
                e.tokens.reasoning
            ),
            (1000, 400, 300, 100)
        );
        assert_eq!(e.workflow_id.as_deref(), Some("conv-1"));
        assert_eq!(e.environment.as_deref(), Some("prod"));
        assert_eq!(e.team.as_deref(), Some("search"));
        assert_eq!(
            e.tags.get("service.name").map(String::as_str),
            Some("checkout")
        );
        assert_eq!(e.tags.get("app").map(String::as_str), Some("web"));
        assert_eq!(e.tags.len(), 2, "{:?}", e.tags);
        assert_eq!(e.latency_ms, Some(1250));
        assert_eq!(e.outcome, Outcome::Unknown);
        assert_eq!(b.events[1].outcome, Outcome::Failure);
        assert_eq!(b.events[1].provider, "azure_openai");
        assert_eq!(
            (b.events[1].tokens.input, b.events[1].tokens.output),
            (10, 4)
        );
    }

    #[test]
    fn a_malformed_json_span_is_refused_alone() {
        let span = |span_id: &str, input: &str| {
            format!(
                r#"{{"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"{span_id}","name":"chat","startTimeUnixNano":"1772359200000000000","endTimeUnixNano":"1772359201000000000","attributes":[{{"key":"gen_ai.provider.name","value":{{"stringValue":"openai"}}}},{{"key":"gen_ai.request.model","value":{{"stringValue":"gpt-4o"}}}},{{"key":"gen_ai.usage.input_tokens","value":{{"intValue":{input}}}}}]}}"#
            )
        };
        let body = format!(
            r#"{{"resourceSpans":[{{"resource":{{"attributes":[{{"key":"service.name","value":{{"stringValue":"svc"}}}}]}},"scopeSpans":[{{"spans":[{},{},{}]}}]}}]}}"#,
            span("0000000000000001", "\"10\""),
            span("0000000000000002", "{\"nested\": true}"),
            span("0000000000000003", "\"30\""),
        );
        assert!(
            decode(body.as_bytes(), Encoding::Json).is_err(),
            "the whole export does not decode"
        );
        let b = parse(body.as_bytes(), Encoding::Json, now()).unwrap();
        assert_eq!(b.events.len(), 2, "{:?}", b.rejected);
        assert_eq!(b.rejected.len(), 1);
        assert_eq!(b.rejected[0].index, 1);
        assert_eq!(
            b.rejected[0].id.as_deref(),
            Some("0102030405060708090a0b0c0d0e0f100000000000000002")
        );
        assert!(
            b.rejected[0].error.contains("not valid OTLP/JSON"),
            "{:?}",
            b.rejected
        );
        assert_eq!(b.events[1].tokens.input, 30);
        assert_eq!(
            b.events[0].tags.get("service.name").map(String::as_str),
            Some("svc")
        );
        // A body without the export's shape is still refused whole.
        assert!(parse(b"[1, 2]", Encoding::Json, now()).is_err());
    }

    #[test]
    fn json_doubles_are_read_exactly_counts_and_costs() {
        let body = r#"{"resourceSpans":[{"resource":{"attributes":[{"key":"sampling","value":{"doubleValue":0.5}}]},"scopeSpans":[{"spans":[{"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"0000000000000001","name":"chat","startTimeUnixNano":"1772359200000000000","endTimeUnixNano":"1772359201000000000","attributes":[{"key":"gen_ai.provider.name","value":{"stringValue":"openai"}},{"key":"gen_ai.request.model","value":{"stringValue":"gpt-4o"}},{"key":"gen_ai.usage.input_tokens","value":{"doubleValue":1000.0}},{"key":"gen_ai.usage.output_tokens","value":{"doubleValue":1e2}},{"key":"gen_ai.usage.cost","value":{"doubleValue":2.85e-05}}]}]}]}]}"#;
        let b = parse(body.as_bytes(), Encoding::Json, now()).unwrap();
        assert!(b.rejected.is_empty(), "{:?}", b.rejected);
        let e = &b.events[0];
        assert_eq!((e.tokens.input, e.tokens.output), (1000, 100));
        assert_eq!(e.reported_cost.unwrap().to_string(), "0.0000285");
        let half = r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"0000000000000002","name":"chat","startTimeUnixNano":"1772359200000000000","attributes":[{"key":"gen_ai.provider.name","value":{"stringValue":"openai"}},{"key":"gen_ai.request.model","value":{"stringValue":"gpt-4o"}},{"key":"gen_ai.usage.input_tokens","value":{"doubleValue":10.5}}]}]}]}]}"#;
        let b = parse(half.as_bytes(), Encoding::Json, now()).unwrap();
        assert_eq!(b.rejected.len(), 1, "half a token is not a count");
    }

    #[test]
    fn cache_writes_under_the_new_and_the_old_name_count_once() {
        let req = request(vec![
            span(
                1,
                vec![
                    kv("gen_ai.provider.name", s("anthropic")),
                    kv("gen_ai.response.model", s("claude-sonnet-4-5")),
                    kv("gen_ai.usage.input_tokens", Any::IntValue(1000)),
                    kv("gen_ai.usage.output_tokens", Any::IntValue(50)),
                    kv("gen_ai.usage.cache_read.input_tokens", Any::IntValue(400)),
                    kv("gen_ai.usage.cache_write.input_tokens", Any::IntValue(100)),
                    kv(
                        "gen_ai.usage.cache_creation.input_tokens",
                        Any::IntValue(100),
                    ),
                ],
            ),
            // OpenInference: prompt counts include the cache's parts.
            span(
                2,
                vec![
                    kv("llm.provider", s("anthropic")),
                    kv("llm.model_name", s("claude-sonnet-4-5")),
                    kv("llm.token_count.prompt", Any::IntValue(1000)),
                    kv("llm.token_count.completion", Any::IntValue(50)),
                    kv(
                        "llm.token_count.prompt_details.cache_read",
                        Any::IntValue(400),
                    ),
                    kv(
                        "llm.token_count.prompt_details.cache_write",
                        Any::IntValue(100),
                    ),
                ],
            ),
        ]);
        let b = map(&req, "2026-03-10T00:00:00Z".parse().unwrap());
        assert!(b.rejected.is_empty(), "{:?}", b.rejected);
        assert_eq!(b.events.len(), 2);
        for e in &b.events {
            assert_eq!(
                (
                    e.tokens.input,
                    e.tokens.cached_input,
                    e.tokens.cache_write,
                    e.tokens.output
                ),
                (1000, 400, 100, 50)
            );
            assert_eq!(e.tokens.uncached_input(), 500);
        }
    }

    #[test]
    fn per_modality_counts_and_units_are_read_and_are_not_tags() {
        let req = request(vec![span(
            1,
            vec![
                kv("gen_ai.provider.name", s("openai")),
                kv("gen_ai.response.model", s("gpt-4o-audio-preview")),
                kv("gen_ai.usage.input_tokens", Any::IntValue(1000)),
                kv("gen_ai.usage.output_tokens", Any::IntValue(300)),
                kv("llm.token_count.prompt_details.audio", Any::IntValue(600)),
                kv(
                    "llm.token_count.completion_details.audio",
                    Any::IntValue(200),
                ),
                kv("tokentally.usage.image_input_tokens", Any::IntValue(100)),
                kv("tokentally.units.web_search", Any::IntValue(4)),
            ],
        )]);
        let b = map(&req, "2026-03-10T00:00:00Z".parse().unwrap());
        assert!(b.rejected.is_empty(), "{:?}", b.rejected);
        let e = &b.events[0];
        assert_eq!(
            (
                e.tokens.audio_input,
                e.tokens.audio_output,
                e.tokens.image_input,
                e.tokens.web_search
            ),
            (600, 200, 100, 4)
        );
        assert!(
            e.tags
                .keys()
                .all(|k| !k.starts_with("usage.") && !k.starts_with("units."))
        );
    }

    #[test]
    fn usage_spans_without_a_model_are_refused_with_a_reason() {
        let req = request(vec![span(
            1,
            vec![kv("gen_ai.usage.input_tokens", Any::IntValue(5))],
        )]);
        let b = map(&req, "2026-03-10T00:00:00Z".parse().unwrap());
        assert_eq!(b.rejected.len(), 1);
        assert!(b.rejected[0].error.contains("gen_ai.response.model"));
    }
}
