//! AWS Bedrock model invocation logs: JSON lines as CloudWatch Logs or S3 deliver them (one
//! `ModelInvocationLog` object a line; S3 objects are gzip, which is read as it comes).
//!
//! Bedrock's `input.inputTokenCount` EXCLUDES cache reads and writes, as Anthropic's
//! `input_tokens` does (it is the model's `usage.inputTokens`; AWS's own prompt-caching example
//! answers `input_tokens: 9` beside `cache_creation_input_tokens: 37209`). So the native input
//! is `inputTokenCount + cacheReadInputTokenCount + cacheWriteInputTokenCount`.
//!
//! The caller's IAM identity is the key: `identity.arn`, with an assumed role's session name
//! moved to the `iam_session` tag so that one role maps once. `requestMetadata` (the tags a
//! caller attaches to a Converse call) becomes tags, or owner fields when named `team`,
//! `feature`, `environment`, `user` or `customer`.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::ParsedBatch;
use super::common::{
    self, BodyError, Collector, Extra, Native, Tokens, count, json_items, object, text,
};

pub const SOURCE: &str = "bedrock";

pub fn parse(body: &[u8], now: DateTime<Utc>) -> Result<ParsedBatch, BodyError> {
    let mut c = Collector::new(now);
    for item in json_items(body)? {
        match item.and_then(|raw| object(&raw)) {
            Ok(obj) => {
                let id = text(obj.get("requestId"));
                c.row(id, invocation(&obj));
            }
            Err(e) => c.reject(None, e),
        }
    }
    Ok(c.finish())
}

fn invocation(obj: &Map<String, Value>) -> Result<Option<Native>, String> {
    if let Some(kind) = text(obj.get("schemaType"))
        && kind != "ModelInvocationLog"
    {
        return Ok(None);
    }
    let id = text(obj.get("requestId")).ok_or("`requestId` is required")?;
    let mut n = Native::new(id, SOURCE);
    let ts =
        common::timestamp(obj.get("timestamp"), "timestamp")?.ok_or("`timestamp` is required")?;
    let model = text(obj.get("modelId")).ok_or("`modelId` is required")?;
    let input = obj.get("input").and_then(Value::as_object);
    let output = obj.get("output").and_then(Value::as_object);
    let field = |part: Option<&Map<String, Value>>, f: &str, at: &str| {
        count(part.and_then(|p| p.get(f)), &format!("{at}.{f}")).map(Option::unwrap_or_default)
    };
    n.text("timestamp", Some(ts))
        .text("provider", Some("bedrock"))
        .text("model", Some(model_name(&model).to_owned()))
        .tokens(
            Tokens::from_exclusive(
                field(input, "inputTokenCount", "input")?,
                field(input, "cacheReadInputTokenCount", "input")?,
                field(input, "cacheWriteInputTokenCount", "input")?,
                field(output, "outputTokenCount", "output")?,
            )
            .with(Extra {
                cache_write_1h: one_hour_writes(output)?,
                ..Extra::default()
            }),
        )
        .tag("aws_account", text(obj.get("accountId")))
        .tag("aws_region", text(obj.get("region")))
        .tag("operation", text(obj.get("operation")));
    if let Some(arn) = obj.get("identity").and_then(|i| text(i.get("arn"))) {
        let (principal, session) = split_session(&arn);
        n.text("api_key", Some(principal))
            .tag("iam_session", session);
    }
    let failed = text(obj.get("errorCode")).is_some();
    n.text("outcome", Some(if failed { "failure" } else { "success" }));
    let latency = output
        .and_then(|o| o.get("outputBodyJson"))
        .and_then(|b| b.get("metrics"))
        .and_then(|m| m.get("latencyMs"));
    if let Ok(Some(ms)) = count(latency, "latencyMs") {
        n.count("latency_ms", ms);
    }
    if let Some(Value::Object(meta)) = obj.get("requestMetadata") {
        for (k, v) in meta {
            n.owner_or_tag(k, text(Some(v)));
        }
    }
    Ok(Some(n))
}

/// Cache writes kept one hour: the Converse answer's `usage.cacheDetails` entries with
/// `ttl` `1h` (`[{"ttl": "1h", "inputTokens": n}]`), in the logged output body.
fn one_hour_writes(output: Option<&Map<String, Value>>) -> Result<u64, String> {
    let details = output
        .and_then(|o| o.get("outputBodyJson"))
        .and_then(|b| b.get("usage"))
        .and_then(|u| u.get("cacheDetails"))
        .and_then(Value::as_array);
    let mut total: u64 = 0;
    for d in details.into_iter().flatten() {
        if d.get("ttl").and_then(Value::as_str) == Some("1h") {
            let n = count(d.get("inputTokens"), "usage.cacheDetails.inputTokens")?.unwrap_or(0);
            total = total.saturating_add(n);
        }
    }
    Ok(total)
}

/// The model of a model id or ARN (`arn:aws:bedrock:...:inference-profile/us.anthropic...`).
fn model_name(id: &str) -> &str {
    if id.starts_with("arn:") {
        id.rsplit('/').next().unwrap_or(id)
    } else {
        id
    }
}

/// `arn:aws:sts::123:assumed-role/Role/session` → (`arn:aws:sts::123:assumed-role/Role`,
/// `session`); other ARNs stay whole.
fn split_session(arn: &str) -> (String, Option<String>) {
    if let Some((role, session)) = arn.rsplit_once('/')
        && role.contains(":assumed-role/")
    {
        return (role.to_owned(), Some(session.to_owned()));
    }
    (arn.to_owned(), None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokentally_domain::event::Outcome;

    fn now() -> DateTime<Utc> {
        "2026-03-10T00:00:00Z".parse().unwrap()
    }

    #[test]
    fn invocation_lines_add_cache_counts_to_input() {
        let lines = br#"{"schemaType":"ModelInvocationLog","schemaVersion":"1.0","timestamp":"2026-03-03T12:00:00Z","accountId":"123456789012","identity":{"arn":"arn:aws:sts::123456789012:assumed-role/checkout-app/i-0abc"},"region":"us-east-1","requestId":"r-1","operation":"Converse","modelId":"arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-5-sonnet-20241022-v2:0","input":{"inputContentType":"application/json","inputTokenCount":9,"cacheReadInputTokenCount":1000,"cacheWriteInputTokenCount":37209},"output":{"outputContentType":"application/json","outputBodyJson":{"metrics":{"latencyMs":3640},"usage":{"cacheDetails":[{"ttl":"5m","inputTokens":37000},{"ttl":"1h","inputTokens":209}]}},"outputTokenCount":357},"requestMetadata":{"team":"checkout","app":"cart"}}
{"schemaType":"ModelInvocationLog","timestamp":"2026-03-03T12:01:00Z","requestId":"r-2","modelId":"anthropic.claude-3-haiku-20240307-v1:0","errorCode":"ThrottlingException","input":{"inputTokenCount":0},"output":{}}
"#;
        let b = parse(lines, now()).unwrap();
        assert!(b.rejected.is_empty(), "{:?}", b.rejected);
        let e = &b.events[0];
        assert_eq!(e.model, "us.anthropic.claude-3-5-sonnet-20241022-v2:0");
        assert_eq!(
            (
                e.tokens.input,
                e.tokens.cached_input,
                e.tokens.cache_write,
                e.tokens.output
            ),
            (38218, 1000, 37209, 357)
        );
        assert_eq!(e.tokens.cache_write_1h, 209);
        assert_eq!(
            e.api_key.as_deref(),
            Some("arn:aws:sts::123456789012:assumed-role/checkout-app")
        );
        assert_eq!(
            e.tags.get("iam_session").map(String::as_str),
            Some("i-0abc")
        );
        assert_eq!(e.team.as_deref(), Some("checkout"));
        assert_eq!(e.tags.get("app").map(String::as_str), Some("cart"));
        assert_eq!(e.latency_ms, Some(3640));
        assert_eq!(b.events[1].outcome, Outcome::Failure);
    }

    #[test]
    fn sessions_split_only_from_assumed_roles() {
        assert_eq!(
            split_session("arn:aws:iam::1:user/alice"),
            ("arn:aws:iam::1:user/alice".to_owned(), None)
        );
        assert_eq!(split_session("arn:aws:sts::1:assumed-role/r").1, None);
    }
}
