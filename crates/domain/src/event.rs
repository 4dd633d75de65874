//! The usage event: one metered LLM call (or a pre-aggregated row of calls), validated.
//!
//! [`UsageEvent::from_json`] reads the native format (docs/ARCHITECTURE.md) from one JSON object
//! and answers either a valid event or a reason a person can act on.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::tokens::{TokenCounts, TokenCountsError};

pub const MAX_ID_LEN: usize = 128;
pub const MAX_TEXT_LEN: usize = 256;
pub const MAX_TAGS: usize = 64;
/// The owner dimensions of one event, together, are a rollup key: PostgreSQL indexes keys of
/// up to about 2.7 kB, so an event's dimensions are capped below that.
pub const MAX_DIMENSION_BYTES: usize = 2_000;
/// How far in the future a timestamp may lie (clock skew), before it is refused.
pub const MAX_FUTURE_SKEW_HOURS: i64 = 24;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum ServiceTier {
    #[default]
    Standard,
    Batch,
    Flex,
    Priority,
}

impl ServiceTier {
    pub const ALL: [ServiceTier; 4] = [Self::Standard, Self::Batch, Self::Flex, Self::Priority];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Standard => "standard",
            Self::Batch => "batch",
            Self::Flex => "flex",
            Self::Priority => "priority",
        }
    }
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Success,
    Failure,
    Retry,
    #[default]
    Unknown,
}

impl Outcome {
    pub const ALL: [Outcome; 4] = [Self::Success, Self::Failure, Self::Retry, Self::Unknown];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Failure => "failure",
            Self::Retry => "retry",
            Self::Unknown => "unknown",
        }
    }
}

macro_rules! parse_by_name {
    ($ty:ty, $what:literal) => {
        impl FromStr for $ty {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                Self::ALL
                    .into_iter()
                    .find(|v| v.as_str() == s)
                    .ok_or_else(|| {
                        let names: Vec<_> = Self::ALL.iter().map(|v| v.as_str()).collect();
                        format!(
                            "unknown {} `{}`; expected one of {}",
                            $what,
                            truncate(s),
                            names.join(", ")
                        )
                    })
            }
        }
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
parse_by_name!(ServiceTier, "service_tier");
parse_by_name!(Outcome, "outcome");

/// A validated usage event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageEvent {
    pub id: String,
    pub source: String,
    pub timestamp: DateTime<Utc>,
    pub provider: String,
    pub model: String,
    pub api_key: Option<String>,
    pub team: Option<String>,
    pub feature: Option<String>,
    pub environment: Option<String>,
    pub user: Option<String>,
    pub customer: Option<String>,
    pub tags: BTreeMap<String, String>,
    pub tokens: TokenCounts,
    pub requests: u64,
    pub service_tier: ServiceTier,
    pub outcome: Outcome,
    pub workflow_id: Option<String>,
    pub latency_ms: Option<u64>,
    pub reported_cost: Option<Decimal>,
}

/// Why one event was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    #[error("an event must be a JSON object")]
    NotAnObject,
    #[error("`{0}` is required")]
    Missing(&'static str),
    #[error("`{field}` must be {expected}")]
    WrongType {
        field: String,
        expected: &'static str,
    },
    #[error("`{field}` is longer than {max} characters")]
    TooLong { field: String, max: usize },
    #[error("`{0}` must not be empty")]
    Empty(&'static str),
    #[error("`{field}` must be an integer ≥ {min}, got {got}")]
    OutOfRange {
        field: &'static str,
        min: u64,
        got: String,
    },
    #[error("`{field}` may be at most {max}, got {got}")]
    AboveRange {
        field: &'static str,
        max: u64,
        got: u64,
    },
    #[error(transparent)]
    Tokens(#[from] TokenCountsError),
    #[error("{0}")]
    UnknownValue(String),
    #[error("`timestamp` `{0}` is not an RFC 3339 date-time")]
    BadTimestamp(String),
    #[error("`timestamp` {0} is more than {MAX_FUTURE_SKEW_HOURS} hours in the future")]
    FutureTimestamp(DateTime<Utc>),
    #[error("`timestamp` {0} is before 1970: no report could show it")]
    TimestampBefore1970(DateTime<Utc>),
    #[error("`tags` may hold at most {MAX_TAGS} entries")]
    TooManyTags,
    #[error(
        "`reported_cost` must be a decimal number between 0 and {max}",
        max = crate::bounds::MAX_AMOUNT
    )]
    BadReportedCost,
    #[error(
        "unknown unit `{0}` in `units`; expected one of web_search, file_search, code_interpreter"
    )]
    UnknownUnit(String),
    #[error("`{0}` holds a control character")]
    ControlCharacter(String),
    #[error(
        "provider, model, api_key, team, feature, environment and tags take {0} bytes together; at most {MAX_DIMENSION_BYTES} are kept per event"
    )]
    DimensionsTooLarge(usize),
}

impl UsageEvent {
    /// Reads one event of the native format. `now` bounds how far in the future it may lie.
    pub fn from_json(value: &Value, now: DateTime<Utc>) -> Result<Self, EventError> {
        let obj = value.as_object().ok_or(EventError::NotAnObject)?;
        let id = required_text(obj, "id", MAX_ID_LEN)?;
        let source =
            optional_text(obj, "source", MAX_TEXT_LEN)?.unwrap_or_else(|| "api".to_owned());
        let timestamp = parse_timestamp(&required_text(obj, "timestamp", 64)?, now)?;
        let provider = required_text(obj, "provider", MAX_TEXT_LEN)?;
        let model = required_text(obj, "model", MAX_TEXT_LEN)?;
        let tokens = TokenCounts::new(
            count(obj, "input_tokens", 0)?.unwrap_or(0),
            count(obj, "cached_input_tokens", 0)?.unwrap_or(0),
            count(obj, "cache_write_tokens", 0)?.unwrap_or(0),
            count(obj, "output_tokens", 0)?.unwrap_or(0),
            count(obj, "reasoning_tokens", 0)?.unwrap_or(0),
        )?;
        let tokens = classes_and_units(obj, tokens)?;
        let requests = count(obj, "requests", 1)?.unwrap_or(1);
        if requests > 1_000_000_000 {
            return Err(EventError::OutOfRange {
                field: "requests",
                min: 1,
                got: requests.to_string(),
            });
        }
        let service_tier = match optional_text(obj, "service_tier", 32)? {
            Some(s) => s.parse().map_err(EventError::UnknownValue)?,
            None => ServiceTier::Standard,
        };
        let outcome = match optional_text(obj, "outcome", 32)? {
            Some(s) => s.parse().map_err(EventError::UnknownValue)?,
            None => Outcome::Unknown,
        };
        let event = Self {
            id,
            source,
            timestamp,
            provider,
            model,
            api_key: optional_text(obj, "api_key", MAX_TEXT_LEN)?,
            team: optional_text(obj, "team", MAX_TEXT_LEN)?,
            feature: optional_text(obj, "feature", MAX_TEXT_LEN)?,
            environment: optional_text(obj, "environment", MAX_TEXT_LEN)?,
            user: optional_text(obj, "user", MAX_TEXT_LEN)?,
            customer: optional_text(obj, "customer", MAX_TEXT_LEN)?,
            tags: tags(obj)?,
            tokens,
            requests,
            service_tier,
            outcome,
            workflow_id: optional_text(obj, "workflow_id", MAX_ID_LEN)?,
            latency_ms: latency(obj)?,
            reported_cost: reported_cost(obj)?,
        };
        let dimension_bytes = [
            &event.api_key,
            &event.team,
            &event.feature,
            &event.environment,
        ]
        .iter()
        .map(|v| v.as_ref().map_or(0, String::len))
        .sum::<usize>()
            + event.provider.len()
            + event.model.len()
            + event
                .tags
                .iter()
                .map(|(k, v)| k.len() + v.len() + 6)
                .sum::<usize>();
        if dimension_bytes > MAX_DIMENSION_BYTES {
            return Err(EventError::DimensionsTooLarge(dimension_bytes));
        }
        Ok(event)
    }

    /// The event as the native JSON format, the inverse of [`UsageEvent::from_json`].
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        let mut put = |k: &str, v: Value| {
            m.insert(k.to_owned(), v);
        };
        put("id", self.id.clone().into());
        put("source", self.source.clone().into());
        put(
            "timestamp",
            self.timestamp
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
                .into(),
        );
        put("provider", self.provider.clone().into());
        put("model", self.model.clone().into());
        for (k, v) in [
            ("api_key", &self.api_key),
            ("team", &self.team),
            ("feature", &self.feature),
            ("environment", &self.environment),
            ("user", &self.user),
            ("customer", &self.customer),
            ("workflow_id", &self.workflow_id),
        ] {
            if let Some(v) = v {
                put(k, v.clone().into());
            }
        }
        if !self.tags.is_empty() {
            put("tags", serde_json::to_value(&self.tags).unwrap_or_default());
        }
        put("input_tokens", self.tokens.input.into());
        put("cached_input_tokens", self.tokens.cached_input.into());
        put("cache_write_tokens", self.tokens.cache_write.into());
        put("output_tokens", self.tokens.output.into());
        put("reasoning_tokens", self.tokens.reasoning.into());
        let t = &self.tokens;
        for (field, n) in [
            ("cache_write_1h_tokens", t.cache_write_1h),
            ("audio_input_tokens", t.audio_input),
            ("cached_audio_input_tokens", t.cached_audio_input),
            ("image_input_tokens", t.image_input),
            ("audio_output_tokens", t.audio_output),
            ("image_output_tokens", t.image_output),
        ] {
            if n > 0 {
                put(field, n.into());
            }
        }
        let units: Map<String, Value> = [
            ("web_search", t.web_search),
            ("file_search", t.file_search),
            ("code_interpreter", t.code_interpreter),
        ]
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(k, n)| (k.to_owned(), n.into()))
        .collect();
        if !units.is_empty() {
            put("units", Value::Object(units));
        }
        put("requests", self.requests.into());
        put("service_tier", self.service_tier.as_str().into());
        put("outcome", self.outcome.as_str().into());
        if let Some(l) = self.latency_ms {
            put("latency_ms", l.into());
        }
        if let Some(c) = self.reported_cost {
            put("reported_cost", c.to_string().into());
        }
        Value::Object(m)
    }
}

fn truncate(s: &str) -> String {
    s.chars().take(40).collect()
}

fn text_of(
    obj: &Map<String, Value>,
    field: &'static str,
    max: usize,
) -> Result<Option<String>, EventError> {
    match obj.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => {
            if s.chars().any(char::is_control) {
                return Err(EventError::ControlCharacter(field.to_owned()));
            }
            if s.chars().count() > max {
                return Err(EventError::TooLong {
                    field: field.to_owned(),
                    max,
                });
            }
            Ok(Some(s.trim().to_owned()))
        }
        Some(_) => Err(EventError::WrongType {
            field: field.to_owned(),
            expected: "a string",
        }),
    }
}

fn required_text(
    obj: &Map<String, Value>,
    field: &'static str,
    max: usize,
) -> Result<String, EventError> {
    match text_of(obj, field, max)? {
        None => Err(EventError::Missing(field)),
        Some(s) if s.is_empty() => Err(EventError::Empty(field)),
        Some(s) => Ok(s),
    }
}

/// An optional string; an empty one counts as absent.
fn optional_text(
    obj: &Map<String, Value>,
    field: &'static str,
    max: usize,
) -> Result<Option<String>, EventError> {
    Ok(text_of(obj, field, max)?.filter(|s| !s.is_empty()))
}

fn count(
    obj: &Map<String, Value>,
    field: &'static str,
    min: u64,
) -> Result<Option<u64>, EventError> {
    let value = match obj.get(field) {
        None | Some(Value::Null) => return Ok(None),
        Some(v) => v,
    };
    let out_of_range = || EventError::OutOfRange {
        field,
        min,
        got: truncate(&value.to_string()),
    };
    let n = match value {
        Value::Number(n) => n.as_u64().ok_or_else(out_of_range)?,
        _ => {
            return Err(EventError::WrongType {
                field: field.to_owned(),
                expected: "an integer",
            });
        }
    };
    if n < min {
        return Err(out_of_range());
    }
    Ok(Some(n))
}

/// The token classes beyond the first five, and the `units` map, checked against the rest.
fn classes_and_units(
    obj: &Map<String, Value>,
    mut tokens: TokenCounts,
) -> Result<TokenCounts, EventError> {
    let field = |name: &'static str| Ok::<_, EventError>(count(obj, name, 0)?.unwrap_or(0));
    tokens.cache_write_1h = field("cache_write_1h_tokens")?;
    tokens.audio_input = field("audio_input_tokens")?;
    tokens.cached_audio_input = field("cached_audio_input_tokens")?;
    tokens.image_input = field("image_input_tokens")?;
    tokens.audio_output = field("audio_output_tokens")?;
    tokens.image_output = field("image_output_tokens")?;
    match obj.get("units") {
        None | Some(Value::Null) => {}
        Some(Value::Object(units)) => {
            for name in units.keys() {
                if !crate::tokens::UNIT_NAMES.contains(&name.as_str()) {
                    return Err(EventError::UnknownUnit(truncate(name)));
                }
            }
            tokens.web_search = count(units, "web_search", 0)
                .map_err(|e| unit_field(e, "units.web_search"))?
                .unwrap_or(0);
            tokens.file_search = count(units, "file_search", 0)
                .map_err(|e| unit_field(e, "units.file_search"))?
                .unwrap_or(0);
            tokens.code_interpreter = count(units, "code_interpreter", 0)
                .map_err(|e| unit_field(e, "units.code_interpreter"))?
                .unwrap_or(0);
        }
        Some(_) => {
            return Err(EventError::WrongType {
                field: "units".into(),
                expected: "an object of unit name → count",
            });
        }
    }
    Ok(tokens.checked()?)
}

/// A unit count's error, named by its place in the event (`units.web_search`).
fn unit_field(e: EventError, field: &'static str) -> EventError {
    match e {
        EventError::OutOfRange { min, got, .. } => EventError::OutOfRange { field, min, got },
        EventError::WrongType { expected, .. } => EventError::WrongType {
            field: field.to_owned(),
            expected,
        },
        other => other,
    }
}

fn parse_timestamp(s: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, EventError> {
    let ts = DateTime::parse_from_rfc3339(s)
        .map_err(|_| EventError::BadTimestamp(truncate(s)))?
        .with_timezone(&Utc);
    if ts > now + Duration::hours(MAX_FUTURE_SKEW_HOURS) {
        return Err(EventError::FutureTimestamp(ts));
    }
    if ts.timestamp() < 0 {
        return Err(EventError::TimestampBefore1970(ts));
    }
    Ok(ts)
}

/// `latency_ms`, refused above what its column holds (never clamped).
fn latency(obj: &Map<String, Value>) -> Result<Option<u64>, EventError> {
    let ms = count(obj, "latency_ms", 0)?;
    match ms {
        Some(got) if got > crate::bounds::MAX_LATENCY_MS => Err(EventError::AboveRange {
            field: "latency_ms",
            max: crate::bounds::MAX_LATENCY_MS,
            got,
        }),
        _ => Ok(ms),
    }
}

fn tags(obj: &Map<String, Value>) -> Result<BTreeMap<String, String>, EventError> {
    let map = match obj.get("tags") {
        None | Some(Value::Null) => return Ok(BTreeMap::new()),
        Some(Value::Object(m)) => m,
        Some(_) => {
            return Err(EventError::WrongType {
                field: "tags".into(),
                expected: "an object of strings",
            });
        }
    };
    if map.len() > MAX_TAGS {
        return Err(EventError::TooManyTags);
    }
    let mut tags = BTreeMap::new();
    for (k, v) in map {
        let field = format!("tags.{}", truncate(k));
        if k.chars().count() > MAX_TEXT_LEN {
            return Err(EventError::TooLong {
                field,
                max: MAX_TEXT_LEN,
            });
        }
        let v = match v {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            _ => {
                return Err(EventError::WrongType {
                    field,
                    expected: "a string",
                });
            }
        };
        if v.chars().count() > MAX_TEXT_LEN {
            return Err(EventError::TooLong {
                field,
                max: MAX_TEXT_LEN,
            });
        }
        if k.chars().chain(v.chars()).any(char::is_control) {
            return Err(EventError::ControlCharacter(field));
        }
        tags.insert(k.clone(), v);
    }
    Ok(tags)
}

fn reported_cost(obj: &Map<String, Value>) -> Result<Option<Decimal>, EventError> {
    let d = match obj.get("reported_cost") {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(s)) => s
            .trim()
            .parse::<Decimal>()
            .map_err(|_| EventError::BadReportedCost)?,
        // A JSON number keeps its written digits: serde_json's `arbitrary_precision` holds
        // the literal, so no float ever stands between the text and the decimal.
        Some(Value::Number(n)) => n
            .to_string()
            .parse::<Decimal>()
            .or_else(|_| Decimal::from_scientific(&n.to_string()))
            .map_err(|_| EventError::BadReportedCost)?,
        Some(_) => return Err(EventError::BadReportedCost),
    };
    if !crate::bounds::amount_in_range(d) {
        return Err(EventError::BadReportedCost);
    }
    Ok(Some(d))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn now() -> DateTime<Utc> {
        "2026-03-10T12:00:00Z".parse().unwrap()
    }

    fn base() -> Value {
        json!({"id": "e1", "timestamp": "2026-03-01T10:00:00Z", "provider": "openai", "model": "gpt-4o",
               "input_tokens": 1000, "cached_input_tokens": 400, "output_tokens": 200})
    }

    fn with(field: &str, v: Value) -> Value {
        let mut e = base();
        e[field] = v;
        e
    }

    #[test]
    fn reads_a_minimal_event_with_defaults() {
        let e = UsageEvent::from_json(&base(), now()).unwrap();
        assert_eq!(e.source, "api");
        assert_eq!(e.requests, 1);
        assert_eq!(e.service_tier, ServiceTier::Standard);
        assert_eq!(e.outcome, Outcome::Unknown);
        assert_eq!(e.tokens.uncached_input(), 600);
    }

    #[test]
    fn round_trips_through_json() {
        let mut v = base();
        v["tags"] = json!({"region": "eu"});
        v["reported_cost"] = json!("0.0123");
        v["workflow_id"] = json!("wf-1");
        let e = UsageEvent::from_json(&v, now()).unwrap();
        assert_eq!(UsageEvent::from_json(&e.to_json(), now()).unwrap(), e);
    }

    #[test]
    fn a_reported_cost_written_as_a_number_keeps_every_digit() {
        // 20 significant digits: more than a binary double keeps.
        let text = r#"{"id": "c", "timestamp": "2026-03-01T00:00:00Z", "provider": "openai",
            "model": "gpt-4o", "reported_cost": 0.12345678901234567891}"#;
        let v: Value = serde_json::from_str(text).unwrap();
        let e = UsageEvent::from_json(&v, now()).unwrap();
        assert_eq!(
            e.reported_cost,
            Some("0.12345678901234567891".parse().unwrap())
        );
    }

    #[test]
    fn refuses_each_kind_of_bad_field_with_a_reason() {
        let cases = [
            (
                json!({"timestamp": "2026-03-01T10:00:00Z", "provider": "openai", "model": "m"}),
                "`id` is required",
            ),
            (
                with("input_tokens", json!(-5)),
                "`input_tokens` must be an integer ≥ 0, got -5",
            ),
            (
                with("output_tokens", json!(1.5)),
                "`output_tokens` must be an integer ≥ 0",
            ),
            (
                with("cached_input_tokens", json!(1001)),
                "exceeds input_tokens",
            ),
            (
                with("reasoning_tokens", json!(201)),
                "reasoning_tokens (201) exceeds output_tokens (200)",
            ),
            (
                with("timestamp", json!("2026-03-17T12:00:00Z")),
                "in the future",
            ),
            (with("timestamp", json!("yesterday")), "not an RFC 3339"),
            (
                with("service_tier", json!("turbo")),
                "unknown service_tier `turbo`",
            ),
            (with("outcome", json!("maybe")), "unknown outcome"),
            (
                with("id", json!("x".repeat(129))),
                "`id` is longer than 128",
            ),
            (
                with("requests", json!(0)),
                "`requests` must be an integer ≥ 1",
            ),
            (with("model", json!(42)), "`model` must be a string"),
            (with("reported_cost", json!("-1")), "reported_cost"),
            (json!([1, 2]), "JSON object"),
            (
                with("team", json!("a\u{0}b")),
                "`team` holds a control character",
            ),
            (
                with("tags", json!({"k": "line\nbreak"})),
                "`tags.k` holds a control character",
            ),
            (
                with(
                    "tags",
                    json!(
                        (0..12)
                            .map(|i| (format!("tag{i}"), Value::from("x".repeat(200))))
                            .collect::<serde_json::Map<_, _>>()
                    ),
                ),
                "at most 2000 are kept",
            ),
        ];
        for (input, expected) in cases {
            let err = UsageEvent::from_json(&input, now())
                .unwrap_err()
                .to_string();
            assert!(
                err.contains(expected),
                "{err:?} should contain {expected:?}"
            );
        }
    }
}
