//! LiteLLM, as a proxy reports each call.
//!
//! - `StandardLoggingPayload`s as the generic API callback posts them: a JSON array (its
//!   default `json_array` format), JSON lines (`ndjson`) or one object (`single`).
//! - `LiteLLM_SpendLogs` rows, exported as JSON (`/spend/logs`) or as CSV.
//!
//! LiteLLM normalises usage to OpenAI's convention (`prompt_tokens` include cache reads and
//! writes, for Anthropic too), so counts map one to one; cache and reasoning details come from
//! the response's usage object where the payload carries it. The key is LiteLLM's hashed
//! virtual key (an identifier, never the secret); team, user, key alias and tags come from the
//! metadata LiteLLM attaches. `response_cost` / `spend` is kept as the reported cost, exactly
//! as written. Calls LiteLLM answered from its own cache cost the provider nothing and are
//! ignored.

use chrono::{DateTime, Utc};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::ParsedBatch;
use super::common::{
    self, BodyError, Collector, Extra, Native, Tokens, count, json_items, literal, object, text,
};

pub const SOURCE: &str = "litellm";

/// Logging payloads or spend-log rows as JSON (array, one object, or lines); each record's
/// shape is recognised on its own (`request_id` marks a spend-log row).
pub fn parse_json(body: &[u8], now: DateTime<Utc>) -> Result<ParsedBatch, BodyError> {
    let mut c = Collector::new(now);
    for item in json_items(body)? {
        let raw = match item {
            Ok(raw) => raw,
            Err(e) => {
                c.reject(None, e);
                continue;
            }
        };
        match object(&raw) {
            Ok(obj) if obj.contains_key("request_id") => {
                let cost = literal(&raw, "spend");
                let id = text(obj.get("request_id"));
                c.row(id, spend_row(&obj, cost));
            }
            Ok(obj) => {
                let id = text(obj.get("id"));
                c.row(id, payload(&obj, &raw));
            }
            Err(e) => c.reject(None, e),
        }
    }
    Ok(c.finish())
}

/// A spend-log CSV export: a header row naming `LiteLLM_SpendLogs` columns, then one call a
/// row. JSON columns (`metadata`, `request_tags`) hold JSON text.
pub fn parse_csv(body: &[u8], now: DateTime<Utc>) -> Result<ParsedBatch, BodyError> {
    let text = std::str::from_utf8(body).map_err(|_| BodyError::NotUtf8)?;
    let mut reader = ::csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| BodyError::WrongShape(format!("the CSV header cannot be read: {e}")))?
        .iter()
        .map(|h| h.trim().to_owned())
        .collect();
    if !headers.iter().any(|h| h == "request_id") {
        return Err(BodyError::WrongShape(
            "expected a LiteLLM spend-log CSV with a `request_id` column".into(),
        ));
    }
    let mut c = Collector::new(now);
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                c.reject(None, format!("the row cannot be read: {e}"));
                continue;
            }
        };
        let obj: Map<String, Value> = headers
            .iter()
            .zip(record.iter())
            .map(|(h, v)| (h.clone(), Value::String(v.to_owned())))
            .collect();
        let cost = obj.get("spend").and_then(Value::as_str).map(str::to_owned);
        let id = common::text(obj.get("request_id"));
        c.row(id, spend_row(&obj, cost.as_deref()));
    }
    Ok(c.finish())
}

fn payload(obj: &Map<String, Value>, raw: &RawValue) -> Result<Option<Native>, String> {
    let id = text(obj.get("id")).ok_or("`id` is required")?;
    if truthy(obj.get("cache_hit")) {
        return Ok(None);
    }
    let mut n = Native::new(id, SOURCE);
    n.text("timestamp", Some(start_time(obj)?))
        .text("provider", Some(provider(obj)?))
        .text("model", text(obj.get("model")))
        .text("customer", text(obj.get("end_user")))
        .tag("model_group", text(obj.get("model_group")));
    let usage = obj
        .get("response")
        .and_then(|r| r.get("usage"))
        .and_then(Value::as_object);
    n.tokens(tokens(obj, usage)?);
    if let Some(cost) = literal(raw, "response_cost") {
        n.text("reported_cost", common::amount(cost, "response_cost")?);
    }
    n.text("outcome", outcome(obj.get("status")));
    if let Some(ms) = latency_ms(obj) {
        n.count("latency_ms", ms);
    }
    let meta = json_object(obj.get("metadata"));
    owners(&meta, &mut n);
    tags(obj.get("request_tags"), &mut n);
    Ok(Some(n))
}

fn spend_row(obj: &Map<String, Value>, cost: Option<&str>) -> Result<Option<Native>, String> {
    let id = text(obj.get("request_id")).ok_or("`request_id` is required")?;
    if truthy(obj.get("cache_hit")) {
        return Ok(None);
    }
    let meta = json_object(obj.get("metadata"));
    let usage = meta.get("usage_object").and_then(Value::as_object);
    let mut n = Native::new(id, SOURCE);
    n.text("timestamp", Some(start_time(obj)?))
        .text("provider", Some(provider(obj)?))
        .text("model", text(obj.get("model")))
        .text("api_key", text(obj.get("api_key")))
        .text("user", text(obj.get("user")))
        .text("customer", text(obj.get("end_user")))
        .text("workflow_id", text(obj.get("session_id")))
        .tag("model_group", text(obj.get("model_group")));
    n.tokens(tokens(obj, usage)?);
    if let Some(cost) = cost {
        n.text("reported_cost", common::amount(cost, "spend")?);
    }
    n.text("outcome", outcome(obj.get("status")));
    match count(obj.get("request_duration_ms"), "request_duration_ms") {
        Ok(Some(ms)) => {
            n.count("latency_ms", ms);
        }
        _ => {
            if let Some(ms) = latency_ms(obj) {
                n.count("latency_ms", ms);
            }
        }
    }
    owners(&meta, &mut n);
    n.text_if_unset("team", text(obj.get("team_id")));
    tags(obj.get("request_tags"), &mut n);
    Ok(Some(n))
}

/// Prompt and completion tokens, with cache and reasoning details from a usage object.
fn tokens(obj: &Map<String, Value>, usage: Option<&Map<String, Value>>) -> Result<Tokens, String> {
    let input = count(obj.get("prompt_tokens"), "prompt_tokens")?.unwrap_or(0);
    let output = count(obj.get("completion_tokens"), "completion_tokens")?.unwrap_or(0);
    let Some(u) = usage else {
        return Ok(Tokens {
            input,
            output,
            ..Tokens::default()
        });
    };
    let detail = |parent: &str, field: &str| {
        let v = u.get(parent).and_then(|d| d.get(field));
        count(v, &format!("usage.{parent}.{field}")).map(Option::unwrap_or_default)
    };
    let top =
        |field: &str| count(u.get(field), &format!("usage.{field}")).map(Option::unwrap_or_default);
    let cached =
        detail("prompt_tokens_details", "cached_tokens")?.max(top("cache_read_input_tokens")?);
    let one_hour = u
        .get("prompt_tokens_details")
        .and_then(|d| d.get("cache_creation_token_details"))
        .and_then(|d| d.get("ephemeral_1h_input_tokens"));
    Ok(Tokens {
        input,
        cached,
        cache_write: top("cache_creation_input_tokens")?,
        output,
        reasoning: detail("completion_tokens_details", "reasoning_tokens")?,
        extra: Extra {
            cache_write_1h: count(
                one_hour,
                "usage.prompt_tokens_details.cache_creation_token_details.ephemeral_1h_input_tokens",
            )?
            .unwrap_or(0),
            audio_input: detail("prompt_tokens_details", "audio_tokens")?,
            image_input: detail("prompt_tokens_details", "image_tokens")?,
            audio_output: detail("completion_tokens_details", "audio_tokens")?,
            image_output: detail("completion_tokens_details", "image_tokens")?,
            web_search: detail("server_tool_use", "web_search_requests")?,
            ..Extra::default()
        },
    })
}

/// Team, user, key and alias from LiteLLM's metadata, and the caller's own metadata
/// (`spend_logs_metadata`, `requester_metadata`): owner names set the event's fields, other
/// string values become tags.
fn owners(meta: &Map<String, Value>, n: &mut Native) {
    let get = |k: &str| text(meta.get(k));
    n.text_if_unset("api_key", get("user_api_key_hash"))
        .text_if_unset(
            "team",
            get("user_api_key_team_alias").or_else(|| get("user_api_key_team_id")),
        )
        .text_if_unset("user", get("user_api_key_user_id"))
        .tag("key_alias", get("user_api_key_alias"))
        .tag("team_id", get("user_api_key_team_id"))
        .tag("org_id", get("user_api_key_org_id"));
    for section in ["spend_logs_metadata", "requester_metadata"] {
        if let Some(Value::Object(m)) = meta.get(section) {
            for (k, v) in m {
                if let Value::String(s) = v {
                    n.owner_or_tag(k, Some(s.clone()));
                }
            }
        }
    }
}

/// LiteLLM request tags: `name:value` (or `name=value`) sets a tag (or an owner field), a
/// bare `name` tags the call with `name = true`. The list may arrive as JSON text (CSV).
fn tags(v: Option<&Value>, n: &mut Native) {
    let list = match v {
        Some(Value::Array(items)) => items.clone(),
        Some(Value::String(s)) => match serde_json::from_str::<Value>(s) {
            Ok(Value::Array(items)) => items,
            _ => return,
        },
        _ => return,
    };
    for item in list.iter().filter_map(Value::as_str) {
        match item.split_once([':', '=']) {
            Some((k, v)) if !k.trim().is_empty() => {
                n.owner_or_tag(k.trim(), Some(v.trim().to_owned()));
            }
            _ => {
                n.tag(item.trim(), Some("true"));
            }
        }
    }
}

fn json_object(v: Option<&Value>) -> Map<String, Value> {
    match v {
        Some(Value::Object(m)) => m.clone(),
        Some(Value::String(s)) => match serde_json::from_str(s) {
            Ok(Value::Object(m)) => m,
            _ => Map::new(),
        },
        _ => Map::new(),
    }
}

fn start_time(obj: &Map<String, Value>) -> Result<String, String> {
    common::timestamp(obj.get("startTime"), "startTime")?
        .or(common::timestamp(obj.get("endTime"), "endTime")?)
        .ok_or_else(|| "`startTime` is required".into())
}

/// `custom_llm_provider`, or the provider prefix of the model (`bedrock/...`).
fn provider(obj: &Map<String, Value>) -> Result<String, String> {
    if let Some(p) = text(obj.get("custom_llm_provider")) {
        return Ok(p);
    }
    let model = text(obj.get("model")).unwrap_or_default();
    match tokentally_domain::catalog::split_model_prefix(&model) {
        (Some(p), _) => Ok(p),
        _ => Err("`custom_llm_provider` is required (the model names no provider)".into()),
    }
}

fn outcome(v: Option<&Value>) -> Option<&'static str> {
    match v
        .and_then(Value::as_str)
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("success") => Some("success"),
        Some("failure") => Some("failure"),
        _ => None,
    }
}

fn truthy(v: Option<&Value>) -> bool {
    match v {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.trim().eq_ignore_ascii_case("true"),
        _ => false,
    }
}

/// End minus start, in milliseconds, when both are epoch seconds.
fn latency_ms(obj: &Map<String, Value>) -> Option<u64> {
    let start = obj.get("startTime")?.as_f64()?;
    let end = obj.get("endTime")?.as_f64()?;
    let ms = (end - start) * 1000.0;
    (0.0..1e12).contains(&ms).then(|| ms.round() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokentally_domain::event::Outcome;

    fn now() -> DateTime<Utc> {
        "2026-03-10T00:00:00Z".parse().unwrap()
    }

    #[test]
    fn logging_payloads_carry_owners_tags_cache_details_and_cost() {
        let body = br#"[{"id": "chatcmpl-1", "trace_id": "t", "call_type": "acompletion", "response_cost": 2.85e-05,
            "status": "success", "custom_llm_provider": "anthropic", "total_tokens": 1300,
            "prompt_tokens": 1000, "completion_tokens": 300, "startTime": 1772359200.0, "endTime": 1772359201.5,
            "model": "claude-sonnet-4-20250514", "model_group": "claude", "cache_hit": null, "end_user": "cust-9",
            "request_tags": ["feature:chat", "beta"],
            "metadata": {"user_api_key_hash": "88dc28d0", "user_api_key_alias": "search-prod",
                         "user_api_key_team_id": "team-uuid", "user_api_key_team_alias": "search",
                         "user_api_key_user_id": "u-1", "spend_logs_metadata": {"environment": "prod"}},
            "response": {"usage": {"prompt_tokens": 1000, "completion_tokens": 300,
                                   "cache_read_input_tokens": 600, "cache_creation_input_tokens": 100,
                                   "prompt_tokens_details": {"cache_creation_token_details": {"ephemeral_1h_input_tokens": 40}},
                                   "server_tool_use": {"web_search_requests": 2}}}},
            {"id": "cached", "cache_hit": true, "prompt_tokens": 5, "startTime": 1772359200.0, "model": "gpt-4o", "custom_llm_provider": "openai"}]"#;
        let b = parse_json(body, now()).unwrap();
        assert!(b.rejected.is_empty(), "{:?}", b.rejected);
        assert_eq!(b.ignored, Some(1));
        let e = &b.events[0];
        assert_eq!(
            (e.tokens.input, e.tokens.cached_input, e.tokens.cache_write),
            (1000, 600, 100)
        );
        assert_eq!((e.tokens.cache_write_1h, e.tokens.web_search), (40, 2));
        assert_eq!(e.api_key.as_deref(), Some("88dc28d0"));
        assert_eq!(e.team.as_deref(), Some("search"));
        assert_eq!(e.feature.as_deref(), Some("chat"));
        assert_eq!(e.environment.as_deref(), Some("prod"));
        assert_eq!(e.customer.as_deref(), Some("cust-9"));
        assert_eq!(e.tags.get("beta").map(String::as_str), Some("true"));
        assert_eq!(e.reported_cost.unwrap().to_string(), "0.0000285");
        assert_eq!(e.latency_ms, Some(1500));
        assert_eq!(e.outcome, Outcome::Success);
    }

    #[test]
    fn spend_log_csv_rows_read_json_columns_and_exact_spend() {
        let csv = "request_id,call_type,api_key,spend,total_tokens,prompt_tokens,completion_tokens,startTime,endTime,model,model_group,custom_llm_provider,api_base,user,metadata,cache_hit,cache_key,request_tags,team_id,end_user\n\
            req-1,acompletion,88dc28d0,0.000123,150,100,50,2026-03-01 10:00:00.123,2026-03-01 10:00:01.000,gpt-4o,gpt-4o,openai,https://api.openai.com,u-1,\"{\"\"user_api_key_team_alias\"\": \"\"search\"\"}\",False,,\"[\"\"feature:chat\"\"]\",team-uuid,\n\
            req-2,acompletion,88dc28d0,0,10,5,5,2026-03-01 10:00:00,2026-03-01 10:00:00,gpt-4o,gpt-4o,openai,,u-1,{},True,k,[],,\n";
        let b = parse_csv(csv.as_bytes(), now()).unwrap();
        assert!(b.rejected.is_empty(), "{:?}", b.rejected);
        assert_eq!(b.ignored, Some(1));
        let e = &b.events[0];
        assert_eq!(e.id, "req-1");
        assert_eq!(e.team.as_deref(), Some("search"));
        assert_eq!(e.feature.as_deref(), Some("chat"));
        assert_eq!(e.reported_cost.unwrap().to_string(), "0.000123");
        assert_eq!(e.timestamp.to_rfc3339(), "2026-03-01T10:00:00.123+00:00");
    }
}
