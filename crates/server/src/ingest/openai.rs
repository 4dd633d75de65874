//! OpenAI, two shapes.
//!
//! - One call: a Chat Completions or Responses answer's `usage` with the caller's owner fields
//!   (`{"id", "timestamp" | "created" | "created_at", "model", "usage": {...}, "team", ...}`).
//!   OpenAI counts cached tokens inside `prompt_tokens` / `input_tokens` and reasoning inside
//!   `completion_tokens` / `output_tokens`: the native convention, so counts map one to one.
//! - The organization Usage API export (`/v1/organization/usage/completions` pages): each
//!   result row is a pre-aggregated event whose id derives from the bucket and the row's
//!   grouping fields, so re-sending a page stores nothing twice.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::ParsedBatch;
use super::common::{
    self, BodyError, Collector, Extra, Native, Tokens, caller_fields, count, json_items, object,
    text,
};

pub const CALL_SOURCE: &str = "openai";
pub const USAGE_SOURCE: &str = "openai-usage";

/// Single calls: a JSON array, `{"events": [...]}`, one object, or JSON lines.
pub fn parse_calls(body: &[u8], now: DateTime<Utc>) -> Result<ParsedBatch, BodyError> {
    let mut c = Collector::new(now);
    for item in json_items(body)? {
        match item {
            Ok(raw) => {
                let mapped = object(&raw).and_then(|obj| call(&obj, &raw));
                let id = item_id(&raw);
                c.row(id, mapped.map(Some));
            }
            Err(e) => c.reject(None, e),
        }
    }
    Ok(c.finish())
}

fn item_id(raw: &RawValue) -> Option<String> {
    object(raw).ok().and_then(|o| text(o.get("id")))
}

fn call(obj: &Map<String, Value>, raw: &RawValue) -> Result<Native, String> {
    let id = text(obj.get("id")).ok_or("`id` is required (the response's id works)")?;
    let source = text(obj.get("source")).unwrap_or_else(|| CALL_SOURCE.into());
    let mut n = Native::new(id, &source);
    let when = ["timestamp", "created", "created_at"]
        .iter()
        .find_map(|f| obj.get(*f).filter(|v| !v.is_null()).map(|v| (*f, v)));
    let (field, when) = when.ok_or("`timestamp` is required (or the response's `created`)")?;
    n.text("timestamp", common::timestamp(Some(when), field)?);
    n.text(
        "provider",
        Some(text(obj.get("provider")).unwrap_or_else(|| "openai".into())),
    );
    n.text("model", text(obj.get("model")));
    caller_fields(obj, raw, &mut n)?;
    if let Some(t) = text(obj.get("service_tier")) {
        n.text("service_tier", Some(common::tier(&t)));
    }
    if n.get("outcome").is_none() {
        // The Responses API says how the call ended.
        let outcome = match obj.get("status").and_then(Value::as_str) {
            Some("completed") => Some("success"),
            Some("failed") => Some("failure"),
            _ => None,
        };
        n.text("outcome", outcome);
    }
    let usage = match obj.get("usage") {
        Some(Value::Object(u)) => u,
        _ => return Err("`usage` is required: the answer's usage object".into()),
    };
    let tokens = usage_tokens(usage)?;
    let extra = Extra {
        web_search: tool_calls(obj, "web_search_call"),
        file_search: tool_calls(obj, "file_search_call"),
        code_interpreter: code_interpreter_sessions(obj),
        ..tokens.extra
    };
    n.tokens(tokens.with(extra));
    Ok(n)
}

/// The Responses API's `output` items of a type (`web_search_call`, ...): each is billed.
fn tool_calls(obj: &Map<String, Value>, kind: &str) -> u64 {
    output_items(obj)
        .filter(|item| item.get("type").and_then(Value::as_str) == Some(kind))
        .count() as u64
}

/// Code interpreter is billed per container session: the distinct `container_id`s of the
/// `code_interpreter_call` items (a call without one is a session of its own).
fn code_interpreter_sessions(obj: &Map<String, Value>) -> u64 {
    let mut containers = std::collections::BTreeSet::new();
    let mut without = 0;
    for item in output_items(obj)
        .filter(|item| item.get("type").and_then(Value::as_str) == Some("code_interpreter_call"))
    {
        match item.get("container_id").and_then(Value::as_str) {
            Some(id) => {
                containers.insert(id);
            }
            None => without += 1,
        }
    }
    containers.len() as u64 + without
}

fn output_items(obj: &Map<String, Value>) -> impl Iterator<Item = &Value> {
    obj.get("output")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

/// Chat Completions (`prompt_tokens`, `completion_tokens`, `*_tokens_details`) or Responses
/// (`input_tokens`, `output_tokens`, `*_tokens_details`) usage.
fn usage_tokens(u: &Map<String, Value>) -> Result<Tokens, String> {
    let chat = u.contains_key("prompt_tokens") || u.contains_key("completion_tokens");
    let (input, output, input_details, output_details) = if chat {
        (
            "prompt_tokens",
            "completion_tokens",
            "prompt_tokens_details",
            "completion_tokens_details",
        )
    } else {
        (
            "input_tokens",
            "output_tokens",
            "input_tokens_details",
            "output_tokens_details",
        )
    };
    // The Realtime API names its details `input_token_details` / `output_token_details`.
    let (input_details, output_details) = match (u.get("input_token_details"), chat) {
        (Some(Value::Object(_)), false) => ("input_token_details", "output_token_details"),
        _ => (input_details, output_details),
    };
    let detail = |parent: &str, field: &str| -> Result<u64, String> {
        match u.get(parent) {
            Some(Value::Object(d)) => {
                Ok(count(d.get(field), &format!("usage.{parent}.{field}"))?.unwrap_or(0))
            }
            _ => Ok(0),
        }
    };
    let cached_audio = match u
        .get(input_details)
        .and_then(|d| d.get("cached_tokens_details"))
    {
        Some(Value::Object(d)) => count(
            d.get("audio_tokens"),
            &format!("usage.{input_details}.cached_tokens_details.audio_tokens"),
        )?
        .unwrap_or(0),
        _ => 0,
    };
    Ok(Tokens {
        input: count(u.get(input), &format!("usage.{input}"))?.unwrap_or(0),
        cached: detail(input_details, "cached_tokens")?,
        cache_write: 0,
        output: count(u.get(output), &format!("usage.{output}"))?.unwrap_or(0),
        reasoning: detail(output_details, "reasoning_tokens")?,
        extra: Extra {
            audio_input: detail(input_details, "audio_tokens")?,
            cached_audio_input: cached_audio,
            image_input: detail(input_details, "image_tokens")?,
            audio_output: detail(output_details, "audio_tokens")?,
            image_output: detail(output_details, "image_tokens")?,
            ..Extra::default()
        },
    })
}

/// Usage API pages: one page, an array of pages, or pages as JSON lines.
pub fn parse_usage_pages(body: &[u8], now: DateTime<Utc>) -> Result<ParsedBatch, BodyError> {
    common::usage_pages(
        body,
        now,
        "expected a Usage API page: {\"object\": \"page\", \"data\": [buckets]}",
        "a bucket needs `start_time` and a `results` array",
        usage_row,
    )
}

/// The token and request counts of a usage row; every other field is a grouping dimension.
const MEASURES: [&str; 8] = [
    "input_tokens",
    "output_tokens",
    "input_cached_tokens",
    "input_audio_tokens",
    "output_audio_tokens",
    "num_model_requests",
    "input_uncached_tokens",
    "input_cache_write_tokens",
];

fn usage_row(bucket: &Value, row: &Map<String, Value>) -> Result<Option<Native>, String> {
    let start = common::timestamp(bucket.get("start_time"), "start_time")?
        .ok_or("a bucket needs `start_time`")?;
    let end = bucket
        .get("end_time")
        .map(Value::to_string)
        .unwrap_or_default();
    let requests = count(row.get("num_model_requests"), "num_model_requests")?.unwrap_or(0);
    let tokens = Tokens {
        input: count(row.get("input_tokens"), "input_tokens")?.unwrap_or(0),
        cached: count(row.get("input_cached_tokens"), "input_cached_tokens")?.unwrap_or(0),
        cache_write: 0,
        output: count(row.get("output_tokens"), "output_tokens")?.unwrap_or(0),
        reasoning: 0,
        extra: Extra {
            audio_input: count(row.get("input_audio_tokens"), "input_audio_tokens")?.unwrap_or(0),
            audio_output: count(row.get("output_audio_tokens"), "output_audio_tokens")?
                .unwrap_or(0),
            ..Extra::default()
        },
    };
    if requests == 0 {
        return if tokens.is_zero() {
            Ok(None)
        } else {
            Err("`num_model_requests` is 0 but the row has tokens".into())
        };
    }
    let model = text(row.get("model"))
        .ok_or("this row has no `model`: export with group_by=model so that it can be priced")?;
    // Grouping fields, in a fixed order, identify the row within its bucket.
    let dims: BTreeMap<&str, String> = row
        .iter()
        .filter(|(k, _)| !MEASURES.contains(&k.as_str()) && k.as_str() != "object")
        .map(|(k, v)| (k.as_str(), v.to_string()))
        .collect();
    let mut parts = vec![start.as_str(), end.as_str()];
    let joined: Vec<String> = dims.iter().map(|(k, v)| format!("{k}={v}")).collect();
    parts.extend(joined.iter().map(String::as_str));
    let mut n = Native::new(common::stable_id(USAGE_SOURCE, &parts), USAGE_SOURCE);
    n.text("timestamp", Some(start.clone()))
        .text("provider", Some("openai"))
        .text("model", Some(model))
        .text("api_key", text(row.get("api_key_id")))
        .text("user", text(row.get("user_id")))
        .tag("project_id", text(row.get("project_id")))
        .count("requests", requests)
        .tokens(tokens);
    let tier = if row.get("batch") == Some(&Value::Bool(true)) {
        Some("batch".to_owned())
    } else {
        text(row.get("service_tier")).map(|t| common::tier(&t))
    };
    n.text("service_tier", tier);
    Ok(Some(n))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokentally_domain::event::{Outcome, ServiceTier};

    fn now() -> DateTime<Utc> {
        "2026-03-10T00:00:00Z".parse().unwrap()
    }

    #[test]
    fn chat_and_responses_usage_keep_cached_inside_input() {
        let body = r#"[
          {"id": "chatcmpl-1", "created": 1772359200, "model": "gpt-4o", "team": "search",
           "usage": {"prompt_tokens": 1000, "completion_tokens": 300, "total_tokens": 1300,
                     "prompt_tokens_details": {"cached_tokens": 400},
                     "completion_tokens_details": {"reasoning_tokens": 100}}},
          {"id": "resp_1", "created_at": 1772359200, "model": "o3-mini", "status": "completed",
           "service_tier": "default", "reported_cost": 2.85e-05,
           "usage": {"input_tokens": 50, "input_tokens_details": {"cached_tokens": 10},
                     "output_tokens": 70, "output_tokens_details": {"reasoning_tokens": 60}}}
        ]"#;
        let b = parse_calls(body.as_bytes(), now()).unwrap();
        assert!(b.rejected.is_empty(), "{:?}", b.rejected);
        let (chat, resp) = (&b.events[0], &b.events[1]);
        assert_eq!(
            (
                chat.tokens.input,
                chat.tokens.cached_input,
                chat.tokens.output,
                chat.tokens.reasoning
            ),
            (1000, 400, 300, 100)
        );
        assert_eq!(chat.team.as_deref(), Some("search"));
        assert_eq!(chat.source, "openai");
        assert_eq!(resp.outcome, Outcome::Success);
        assert_eq!(resp.service_tier, ServiceTier::Standard);
        assert_eq!(resp.reported_cost.unwrap().to_string(), "0.0000285");
        assert_eq!((resp.tokens.input, resp.tokens.cached_input), (50, 10));
    }

    #[test]
    fn audio_image_and_tool_calls_are_read_from_every_shape() {
        let body = r#"[
          {"id": "chatcmpl-a", "created": 1772359200, "model": "gpt-4o-audio-preview",
           "usage": {"prompt_tokens": 1000, "completion_tokens": 300,
                     "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 600, "image_tokens": 100},
                     "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 200}}},
          {"id": "rt-1", "created": 1772359200, "model": "gpt-4o-mini-realtime-preview",
           "usage": {"input_tokens": 900, "output_tokens": 100,
                     "input_token_details": {"cached_tokens": 300, "audio_tokens": 500,
                                             "cached_tokens_details": {"text_tokens": 200, "audio_tokens": 100}},
                     "output_token_details": {"text_tokens": 40, "audio_tokens": 60}}},
          {"id": "resp-t", "created_at": 1772359200, "model": "gpt-4.1", "status": "completed",
           "output": [{"type": "web_search_call"}, {"type": "web_search_call"}, {"type": "message"},
                      {"type": "file_search_call"},
                      {"type": "code_interpreter_call", "container_id": "cntr_1"},
                      {"type": "code_interpreter_call", "container_id": "cntr_1"},
                      {"type": "code_interpreter_call", "container_id": "cntr_2"}],
           "usage": {"input_tokens": 50, "output_tokens": 70}}
        ]"#;
        let b = parse_calls(body.as_bytes(), now()).unwrap();
        assert!(b.rejected.is_empty(), "{:?}", b.rejected);
        let t = b.events[0].tokens;
        assert_eq!(
            (t.audio_input, t.image_input, t.audio_output),
            (600, 100, 200)
        );
        let t = b.events[1].tokens;
        assert_eq!(
            (
                t.cached_input,
                t.audio_input,
                t.cached_audio_input,
                t.audio_output
            ),
            (300, 500, 100, 60)
        );
        let t = b.events[2].tokens;
        assert_eq!((t.web_search, t.file_search, t.code_interpreter), (2, 1, 2));
    }

    #[test]
    fn usage_pages_become_aggregates_with_stable_ids() {
        let page = r#"{"object": "page", "data": [{"object": "bucket", "start_time": 1772323200, "end_time": 1772409600,
            "results": [
              {"object": "organization.usage.completions.result", "input_tokens": 1000, "output_tokens": 500,
               "input_cached_tokens": 800, "input_audio_tokens": 100, "output_audio_tokens": 50,
               "num_model_requests": 5, "project_id": "proj_1", "user_id": null,
               "api_key_id": "key_1", "model": "gpt-4o-mini-2024-07-18", "batch": true},
              {"object": "organization.usage.completions.result", "input_tokens": 0, "output_tokens": 0,
               "num_model_requests": 0, "model": "gpt-4o"},
              {"object": "organization.usage.completions.result", "input_tokens": 10, "output_tokens": 5,
               "num_model_requests": 1, "model": null}
            ]}], "has_more": false, "next_page": null}"#;
        let a = parse_usage_pages(page.as_bytes(), now()).unwrap();
        let b = parse_usage_pages(page.as_bytes(), now()).unwrap();
        assert_eq!(a.events.len(), 1);
        assert_eq!(a.ignored, Some(1));
        assert_eq!(a.rejected.len(), 1);
        assert!(a.rejected[0].error.contains("group_by=model"));
        let e = &a.events[0];
        assert_eq!(e.id, b.events[0].id);
        assert_eq!(e.requests, 5);
        assert_eq!((e.tokens.audio_input, e.tokens.audio_output), (100, 50));
        assert_eq!(e.service_tier, ServiceTier::Batch);
        assert_eq!(e.api_key.as_deref(), Some("key_1"));
        assert_eq!(e.tags.get("project_id").map(String::as_str), Some("proj_1"));
        assert_eq!(e.timestamp.to_rfc3339(), "2026-03-01T00:00:00+00:00");
    }

    #[test]
    fn calls_without_usage_or_time_are_refused_with_a_reason() {
        let b = parse_calls(
            br#"[{"id": "a", "created": 1772359200, "model": "gpt-4o"}, {"id": "b", "model": "gpt-4o", "usage": {}}]"#,
            now(),
        )
        .unwrap();
        assert!(b.rejected[0].error.contains("`usage` is required"));
        assert!(b.rejected[1].error.contains("`timestamp` is required"));
        assert_eq!(b.rejected[1].id.as_deref(), Some("b"));
    }
}
