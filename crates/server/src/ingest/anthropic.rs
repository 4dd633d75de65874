//! Anthropic, two shapes.
//!
//! - One call: a Messages answer's `usage` with the caller's owner fields. Anthropic's
//!   `input_tokens` EXCLUDES cache reads and writes, so the native input is
//!   `input_tokens + cache_read_input_tokens + cache_creation_input_tokens`, cached input is
//!   the cache read and the cache write is the cache creation.
//! - The Admin API usage report (`/v1/organizations/usage_report/messages` pages): each result
//!   row is a pre-aggregated event (`uncached_input_tokens` + `cache_read_input_tokens` +
//!   `cache_creation.ephemeral_{5m,1h}_input_tokens` is its input) whose id derives from the
//!   bucket and the row's grouping fields. The report carries no request count: a row counts
//!   as one request.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::ParsedBatch;
use super::common::{
    self, BodyError, Collector, Extra, Native, Tokens, caller_fields, count, json_items, object,
    text,
};

pub const CALL_SOURCE: &str = "anthropic";
pub const USAGE_SOURCE: &str = "anthropic-usage";

/// Single calls: a JSON array, `{"events": [...]}`, one object, or JSON lines.
pub fn parse_calls(body: &[u8], now: DateTime<Utc>) -> Result<ParsedBatch, BodyError> {
    let mut c = Collector::new(now);
    for item in json_items(body)? {
        match item {
            Ok(raw) => {
                let obj = object(&raw);
                let id = obj.as_ref().ok().and_then(|o| text(o.get("id")));
                c.row(id, obj.and_then(|o| call(&o, &raw)).map(Some));
            }
            Err(e) => c.reject(None, e),
        }
    }
    Ok(c.finish())
}

fn call(obj: &Map<String, Value>, raw: &RawValue) -> Result<Native, String> {
    let id = text(obj.get("id")).ok_or("`id` is required (the message's id works)")?;
    let source = text(obj.get("source")).unwrap_or_else(|| CALL_SOURCE.into());
    let mut n = Native::new(id, &source);
    let ts = common::timestamp(obj.get("timestamp"), "timestamp")?
        .ok_or("`timestamp` is required: a Messages answer carries no time")?;
    n.text("timestamp", Some(ts))
        .text(
            "provider",
            Some(text(obj.get("provider")).unwrap_or_else(|| "anthropic".into())),
        )
        .text("model", text(obj.get("model")));
    caller_fields(obj, raw, &mut n)?;
    let usage = match obj.get("usage") {
        Some(Value::Object(u)) => u,
        _ => return Err("`usage` is required: the message's usage object".into()),
    };
    let tier = text(obj.get("service_tier")).or_else(|| text(usage.get("service_tier")));
    n.text("service_tier", tier.map(|t| common::tier(&t)));
    let field = |f: &str| count(usage.get(f), &format!("usage.{f}")).map(|c| c.unwrap_or(0));
    let written = match usage.get("cache_creation_input_tokens") {
        Some(v) if !v.is_null() => {
            count(Some(v), "usage.cache_creation_input_tokens")?.unwrap_or(0)
        }
        _ => cache_creation(usage.get("cache_creation"), "usage.cache_creation")?,
    };
    let extra = Extra {
        cache_write_1h: one_hour(usage.get("cache_creation"), "usage.cache_creation")?,
        web_search: web_searches(usage.get("server_tool_use"), "usage.server_tool_use")?,
        ..Extra::default()
    };
    n.tokens(
        Tokens::from_exclusive(
            field("input_tokens")?,
            field("cache_read_input_tokens")?,
            written,
            field("output_tokens")?,
        )
        .with(extra),
    );
    Ok(n)
}

/// The 1-hour part of a `cache_creation` object.
fn one_hour(v: Option<&Value>, at: &str) -> Result<u64, String> {
    let Some(Value::Object(parts)) = v else {
        return Ok(0);
    };
    let key = "ephemeral_1h_input_tokens";
    Ok(count(parts.get(key), &format!("{at}.{key}"))?.unwrap_or(0))
}

/// `server_tool_use.web_search_requests`: web searches, billed per search.
fn web_searches(v: Option<&Value>, at: &str) -> Result<u64, String> {
    let Some(Value::Object(tools)) = v else {
        return Ok(0);
    };
    let key = "web_search_requests";
    Ok(count(tools.get(key), &format!("{at}.{key}"))?.unwrap_or(0))
}

/// The sum of a `cache_creation` object's TTL parts (5-minute and 1-hour writes).
fn cache_creation(v: Option<&Value>, at: &str) -> Result<u64, String> {
    let Some(Value::Object(parts)) = v else {
        return Ok(0);
    };
    let mut total: u64 = 0;
    for key in ["ephemeral_5m_input_tokens", "ephemeral_1h_input_tokens"] {
        let n = count(parts.get(key), &format!("{at}.{key}"))?.unwrap_or(0);
        total = total.saturating_add(n);
    }
    Ok(total)
}

/// Usage report pages: one page, an array of pages, or pages as JSON lines.
pub fn parse_usage_report(body: &[u8], now: DateTime<Utc>) -> Result<ParsedBatch, BodyError> {
    common::usage_pages(
        body,
        now,
        "expected a usage report page: {\"data\": [{\"starting_at\", \"ending_at\", \"results\"}]}",
        "a bucket needs `starting_at` and a `results` array",
        report_row,
    )
}

/// Token counts of a report row; every other field is a grouping dimension.
const MEASURES: [&str; 7] = [
    "uncached_input_tokens",
    "cache_read_input_tokens",
    "cache_creation",
    "cache_creation_5m_input_tokens",
    "cache_creation_1h_input_tokens",
    "output_tokens",
    "server_tool_use",
];

fn report_row(bucket: &Value, row: &Map<String, Value>) -> Result<Option<Native>, String> {
    let start = common::timestamp(bucket.get("starting_at"), "starting_at")?
        .ok_or("a bucket needs `starting_at`")?;
    let end = common::timestamp(bucket.get("ending_at"), "ending_at")?.unwrap_or_default();
    let field = |f: &str| count(row.get(f), f).map(|c| c.unwrap_or(0));
    let written = cache_creation(row.get("cache_creation"), "cache_creation")?
        .saturating_add(field("cache_creation_5m_input_tokens")?)
        .saturating_add(field("cache_creation_1h_input_tokens")?);
    let extra = Extra {
        cache_write_1h: one_hour(row.get("cache_creation"), "cache_creation")?
            .saturating_add(field("cache_creation_1h_input_tokens")?),
        web_search: web_searches(row.get("server_tool_use"), "server_tool_use")?,
        ..Extra::default()
    };
    let tokens = Tokens::from_exclusive(
        field("uncached_input_tokens")?,
        field("cache_read_input_tokens")?,
        written,
        field("output_tokens")?,
    )
    .with(extra);
    if tokens.is_zero() {
        return Ok(None);
    }
    let model = text(row.get("model")).ok_or(
        "this row has no `model`: request the report with group_by[]=model so that it can be priced",
    )?;
    let dims: BTreeMap<&str, String> = row
        .iter()
        .filter(|(k, _)| !MEASURES.contains(&k.as_str()))
        .map(|(k, v)| (k.as_str(), v.to_string()))
        .collect();
    let joined: Vec<String> = dims.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let mut parts = vec![start.as_str(), end.as_str()];
    parts.extend(joined.iter().map(String::as_str));
    let mut n = Native::new(common::stable_id(USAGE_SOURCE, &parts), USAGE_SOURCE);
    n.text("timestamp", Some(start.clone()))
        .text("provider", Some("anthropic"))
        .text("model", Some(model))
        .text("api_key", text(row.get("api_key_id")))
        .tag("workspace_id", text(row.get("workspace_id")))
        .tag("context_window", text(row.get("context_window")))
        .tag("inference_geo", text(row.get("inference_geo")))
        .text(
            "service_tier",
            text(row.get("service_tier")).map(|t| common::tier(&t)),
        )
        .tokens(tokens);
    Ok(Some(n))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokentally_domain::event::ServiceTier;

    fn now() -> DateTime<Utc> {
        "2026-03-10T00:00:00Z".parse().unwrap()
    }

    #[test]
    fn input_adds_cache_reads_and_writes_to_uncached_input() {
        let body = br#"{"id": "msg_01", "type": "message", "model": "claude-sonnet-4-20250514",
            "timestamp": "2026-03-02T09:00:00Z", "team": "support",
            "usage": {"input_tokens": 9, "cache_creation_input_tokens": 37209,
                      "cache_read_input_tokens": 1000, "output_tokens": 357,
                      "service_tier": "standard"}}"#;
        let b = parse_calls(body, now()).unwrap();
        assert!(b.rejected.is_empty(), "{:?}", b.rejected);
        let t = b.events[0].tokens;
        assert_eq!(
            (t.input, t.cached_input, t.cache_write, t.output),
            (9 + 37209 + 1000, 1000, 37209, 357)
        );
        assert_eq!(b.events[0].tokens.uncached_input(), 9);
    }

    #[test]
    fn cache_creation_parts_count_when_the_total_is_absent() {
        let body = br#"{"id": "m", "model": "claude-sonnet-4-20250514", "timestamp": "2026-03-02T09:00:00Z",
            "usage": {"input_tokens": 10, "output_tokens": 1,
                      "cache_creation": {"ephemeral_5m_input_tokens": 100, "ephemeral_1h_input_tokens": 50}}}"#;
        let t = parse_calls(body, now()).unwrap().events[0].tokens;
        assert_eq!((t.input, t.cache_write), (160, 150));
        assert_eq!(t.cache_write_1h, 50);
    }

    #[test]
    fn one_hour_writes_and_web_searches_are_kept_beside_the_total() {
        let body = br#"{"id": "m", "model": "claude-sonnet-4-20250514", "timestamp": "2026-03-02T09:00:00Z",
            "usage": {"input_tokens": 10, "output_tokens": 1, "cache_creation_input_tokens": 150,
                      "cache_creation": {"ephemeral_5m_input_tokens": 100, "ephemeral_1h_input_tokens": 50},
                      "server_tool_use": {"web_search_requests": 3}}}"#;
        let t = parse_calls(body, now()).unwrap().events[0].tokens;
        assert_eq!(
            (t.input, t.cache_write, t.cache_write_1h, t.web_search),
            (160, 150, 50, 3)
        );
        // More 1-hour writes than writes: refused with the domain's reason.
        let bad = br#"{"id": "m", "model": "claude-sonnet-4-20250514", "timestamp": "2026-03-02T09:00:00Z",
            "usage": {"input_tokens": 10, "output_tokens": 1, "cache_creation_input_tokens": 20,
                      "cache_creation": {"ephemeral_1h_input_tokens": 50}}}"#;
        let b = parse_calls(bad, now()).unwrap();
        assert!(b.events.is_empty());
        assert!(
            b.rejected[0]
                .error
                .contains("cache_write_1h_tokens (50) exceeds cache_write_tokens (20)"),
            "{:?}",
            b.rejected
        );
    }

    #[test]
    fn report_rows_are_aggregates_with_stable_ids() {
        let page = br#"{"data": [{"starting_at": "2026-03-01T00:00:00Z", "ending_at": "2026-03-02T00:00:00Z",
            "results": [{"uncached_input_tokens": 1500, "cache_read_input_tokens": 200,
              "cache_creation": {"ephemeral_1h_input_tokens": 1000, "ephemeral_5m_input_tokens": 500},
              "output_tokens": 500, "server_tool_use": {"web_search_requests": 10},
              "api_key_id": "apikey_01", "workspace_id": "wrkspc_01", "model": "claude-sonnet-4-20250514",
              "service_tier": "batch", "context_window": "0-200k"}]}],
            "has_more": false, "next_page": null}"#;
        let a = parse_usage_report(page, now()).unwrap();
        assert!(a.rejected.is_empty(), "{:?}", a.rejected);
        let e = &a.events[0];
        assert_eq!(e.id, parse_usage_report(page, now()).unwrap().events[0].id);
        assert_eq!(
            (e.tokens.input, e.tokens.cached_input, e.tokens.cache_write),
            (3200, 200, 1500)
        );
        assert_eq!((e.tokens.cache_write_1h, e.tokens.web_search), (1000, 10));
        assert_eq!(e.service_tier, ServiceTier::Batch);
        assert_eq!(e.requests, 1);
        assert_eq!(
            e.tags.get("workspace_id").map(String::as_str),
            Some("wrkspc_01")
        );
    }
}
