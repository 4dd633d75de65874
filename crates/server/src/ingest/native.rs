//! The native format: a JSON array of events, `{"events": [...]}`, or NDJSON (one event per
//! line). A malformed document is refused whole; in NDJSON a malformed line (bad JSON, or bytes
//! that are not UTF-8) is refused alone. A leading byte-order mark is skipped.

use chrono::{DateTime, Utc};
use serde_json::Value;
use tokentally_domain::event::UsageEvent;

use super::{ParsedBatch, Rejection};

/// Why a body could not be read at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    #[error("the body is not valid JSON: {0}")]
    Malformed(String),
    #[error("expected a JSON array of events or an object with an `events` array")]
    WrongShape,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFormat {
    Json,
    NdJson,
}

impl BodyFormat {
    /// Reads the format from a Content-Type header value.
    pub fn from_content_type(ct: &str) -> Option<Self> {
        let essence = ct
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        match essence.as_str() {
            "application/json" => Some(Self::Json),
            "application/x-ndjson"
            | "application/ndjson"
            | "application/jsonl"
            | "application/x-jsonlines"
            | "application/jsonlines" => Some(Self::NdJson),
            _ => None,
        }
    }
}

pub fn parse(
    body: &[u8],
    format: BodyFormat,
    now: DateTime<Utc>,
) -> Result<ParsedBatch, BodyError> {
    let body = body.strip_prefix("\u{feff}".as_bytes()).unwrap_or(body);
    match format {
        BodyFormat::Json => {
            let doc: Value =
                serde_json::from_slice(body).map_err(|e| BodyError::Malformed(e.to_string()))?;
            let items = match doc {
                Value::Array(items) => items,
                Value::Object(mut o) => match o.remove("events") {
                    Some(Value::Array(items)) => items,
                    _ => return Err(BodyError::WrongShape),
                },
                _ => return Err(BodyError::WrongShape),
            };
            Ok(validate(items.into_iter().map(Ok), now))
        }
        BodyFormat::NdJson => {
            let lines = body
                .split(|b| *b == b'\n')
                .filter(|l| !l.trim_ascii().is_empty())
                .map(|l| match std::str::from_utf8(l) {
                    Ok(l) => serde_json::from_str::<Value>(l)
                        .map_err(|e| format!("the line is not valid JSON: {e}")),
                    Err(_) => Err("the line is not UTF-8".to_owned()),
                });
            Ok(validate(lines, now))
        }
    }
}

fn validate(items: impl Iterator<Item = Result<Value, String>>, now: DateTime<Utc>) -> ParsedBatch {
    let mut batch = ParsedBatch::default();
    for (index, item) in items.enumerate() {
        match item {
            Ok(value) => match UsageEvent::from_json(&value, now) {
                Ok(e) => batch.accept(index, e),
                Err(err) => batch.rejected.push(Rejection {
                    index,
                    id: id_of(&value),
                    error: err.to_string(),
                }),
            },
            Err(error) => batch.rejected.push(Rejection {
                index,
                id: None,
                error,
            }),
        }
    }
    batch
}

fn id_of(v: &Value) -> Option<String> {
    v.get("id")
        .and_then(Value::as_str)
        .map(|s| s.chars().take(128).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        "2026-03-10T00:00:00Z".parse().unwrap()
    }

    const GOOD: &str = r#"{"id":"a","timestamp":"2026-03-01T00:00:00Z","provider":"openai","model":"gpt-4o","input_tokens":5}"#;
    const BAD: &str = r#"{"id":"b","timestamp":"2026-03-01T00:00:00Z","provider":"openai","model":"gpt-4o","input_tokens":-5}"#;

    #[test]
    fn reads_arrays_wrapped_arrays_and_ndjson() {
        let array = format!("[{GOOD},{BAD}]");
        let wrapped = format!(r#"{{"events":[{GOOD},{BAD}]}}"#);
        let ndjson = format!("{GOOD}\n\n{BAD}\nnot json\n");
        for (body, format, rejected) in [
            (array, BodyFormat::Json, 1),
            (wrapped, BodyFormat::Json, 1),
            (ndjson, BodyFormat::NdJson, 2),
        ] {
            let b = parse(body.as_bytes(), format, now()).unwrap();
            assert_eq!(b.events.len(), 1);
            assert_eq!(b.rejected.len(), rejected);
            assert_eq!(b.rejected[0].index, 1);
            assert_eq!(b.rejected[0].id.as_deref(), Some("b"));
        }
    }

    #[test]
    fn refuses_malformed_documents_whole() {
        assert!(matches!(
            parse(b"[{", BodyFormat::Json, now()),
            Err(BodyError::Malformed(_))
        ));
        assert_eq!(
            parse(b"42", BodyFormat::Json, now()).unwrap_err(),
            BodyError::WrongShape
        );
        assert_eq!(
            parse(b"{\"x\":1}", BodyFormat::Json, now()).unwrap_err(),
            BodyError::WrongShape
        );
    }

    #[test]
    fn an_ndjson_line_that_is_not_utf8_is_refused_alone() {
        let mut body = format!("{GOOD}\n").into_bytes();
        body.extend_from_slice(&[0xff, 0xfe, b'\n']);
        body.extend_from_slice(GOOD.replace("\"a\"", "\"c\"").as_bytes());
        let b = parse(&body, BodyFormat::NdJson, now()).unwrap();
        assert_eq!(b.events.len(), 2);
        assert_eq!(b.rejected.len(), 1);
        assert_eq!(b.rejected[0].index, 1);
        assert_eq!(b.rejected[0].error, "the line is not UTF-8");
    }

    #[test]
    fn a_leading_byte_order_mark_is_skipped() {
        for (body, format) in [
            (format!("\u{feff}[{GOOD}]"), BodyFormat::Json),
            (format!("\u{feff}{GOOD}\n"), BodyFormat::NdJson),
        ] {
            let b = parse(body.as_bytes(), format, now()).unwrap();
            assert_eq!(b.events.len(), 1, "{format:?}");
            assert!(b.rejected.is_empty(), "{format:?}");
        }
    }

    #[test]
    fn content_types_choose_the_format() {
        assert_eq!(
            BodyFormat::from_content_type("application/json; charset=utf-8"),
            Some(BodyFormat::Json)
        );
        assert_eq!(
            BodyFormat::from_content_type("application/x-ndjson"),
            Some(BodyFormat::NdJson)
        );
        assert_eq!(BodyFormat::from_content_type("text/plain"), None);
    }
}
