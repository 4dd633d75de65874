//! What the adapters share: reading a body as JSON documents or lines, reading loose numbers,
//! amounts and times, deterministic ids, building a native event, and validating it with the
//! domain's own rules ([`UsageEvent::from_json`]) so that every source obeys one contract.

use std::io::Read;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use tokentally_domain::event::UsageEvent;

use super::{ParsedBatch, Rejection};

/// Why a body could not be read at all (answered with 400).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    #[error("the body is empty")]
    Empty,
    #[error("the body is not valid JSON: {0}")]
    Malformed(String),
    #[error("the body is not UTF-8")]
    NotUtf8,
    #[error("{0}")]
    WrongShape(String),
    #[error("the gzip body could not be read: {0}")]
    Gzip(String),
    #[error("the body is larger than {0} bytes once decompressed")]
    TooLarge(usize),
}

/// Decompresses a gzip body (several members allowed), refusing more than `limit` bytes out.
pub fn gunzip(body: &[u8], limit: usize) -> Result<Vec<u8>, BodyError> {
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(body)
        .take(limit as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| BodyError::Gzip(e.to_string()))?;
    if out.len() > limit {
        return Err(BodyError::TooLarge(limit));
    }
    Ok(out)
}

/// Whether bytes start like a gzip stream (S3 objects arrive that way without a header).
pub fn is_gzip(body: &[u8]) -> bool {
    body.starts_with(&[0x1f, 0x8b])
}

/// One item of a JSON body, unparsed, or why its line could not be read.
pub type Item = Result<Box<RawValue>, String>;

#[derive(Deserialize)]
struct Wrapped {
    events: Vec<Box<RawValue>>,
}

/// Reads a body as a list of JSON items: a JSON array, `{"events": [...]}`, a single JSON
/// object, or JSON lines (one object per line). A malformed document is refused whole; in JSON
/// lines a malformed line is refused alone.
pub fn json_items(body: &[u8]) -> Result<Vec<Item>, BodyError> {
    let text = std::str::from_utf8(body).map_err(|_| BodyError::NotUtf8)?;
    let text = text.trim_start_matches('\u{feff}').trim();
    match text.chars().next() {
        None => Err(BodyError::Empty),
        Some('[') => serde_json::from_str::<Vec<Box<RawValue>>>(text)
            .map(|items| items.into_iter().map(Ok).collect())
            .map_err(|e| BodyError::Malformed(e.to_string())),
        Some('{') => match serde_json::from_str::<Box<RawValue>>(text) {
            Ok(doc) => match serde_json::from_str::<Wrapped>(doc.get()) {
                Ok(w) => Ok(w.events.into_iter().map(Ok).collect()),
                Err(_) => Ok(vec![Ok(doc)]),
            },
            // Not one document: JSON lines.
            Err(_) if text.contains('\n') => Ok(text
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(|l| {
                    serde_json::from_str::<Box<RawValue>>(l.trim())
                        .map_err(|e| format!("the line is not valid JSON: {e}"))
                })
                .collect()),
            Err(e) => Err(BodyError::Malformed(e.to_string())),
        },
        Some(_) => Err(BodyError::Malformed(
            "expected a JSON object, an array of objects, or JSON lines".into(),
        )),
    }
}

/// Parses one item as a JSON object.
pub fn object(raw: &RawValue) -> Result<Map<String, Value>, String> {
    match serde_json::from_str::<Value>(raw.get()) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err("expected a JSON object".into()),
        Err(e) => Err(format!("not valid JSON: {e}")),
    }
}

/// The literal text of `field` in a JSON object, for amounts that must keep their digits.
pub fn literal<'a>(raw: &'a RawValue, field: &str) -> Option<&'a str> {
    let m: std::collections::HashMap<&str, &RawValue> = serde_json::from_str(raw.get()).ok()?;
    m.get(field).map(|v| v.get())
}

/// A decimal amount from a JSON literal (number or string) or a CSV cell, exactly: the digits
/// written are the digits kept, scientific notation included (`2.85e-05`). Empty and `null`
/// are no amount. Answers the amount as a plain decimal string for the native format.
pub fn amount(literal: &str, field: &str) -> Result<Option<String>, String> {
    let text = literal.trim();
    let text = match text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
        Some(inner) => inner.trim(),
        None => text,
    };
    if text.is_empty() || text == "null" {
        return Ok(None);
    }
    let bad = || format!("`{field}` must be a decimal number, got `{}`", clip(text));
    let d = if text.contains(['e', 'E']) {
        Decimal::from_scientific(text).map_err(|_| bad())?
    } else {
        Decimal::from_str_exact(text).map_err(|_| bad())?
    };
    Ok(Some(d.normalize().to_string()))
}

/// A count: a JSON integer, an integral float (some SDKs send numbers as doubles), or a string
/// of digits (OTLP JSON's 64-bit integers, CSV cells). Null, absent and empty are no count.
pub fn count(v: Option<&Value>, field: &str) -> Result<Option<u64>, String> {
    let bad = |got: &str| format!("`{field}` must be a whole number ≥ 0, got `{}`", clip(got));
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => {
            if let Some(u) = n.as_u64() {
                return Ok(Some(u));
            }
            match n.as_f64() {
                Some(f) if f >= 0.0 && f.fract() == 0.0 && f < 9.0e15 => Ok(Some(f as u64)),
                _ => Err(bad(&n.to_string())),
            }
        }
        Some(Value::String(s)) => {
            let t = s.trim();
            if t.is_empty() {
                Ok(None)
            } else {
                t.parse::<u64>().map(Some).map_err(|_| bad(t))
            }
        }
        Some(other) => Err(bad(&other.to_string())),
    }
}

/// A non-empty string field; numbers are taken as their text (ids in exports are sometimes
/// numeric).
pub fn text(v: Option<&Value>) -> Option<String> {
    match v {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    }
}

/// A time as a source wrote it: RFC 3339, `YYYY-MM-DD HH:MM:SS[.f]` or `YYYY-MM-DDTHH:MM:SS`
/// without an offset (read as UTC), a bare day (midnight UTC), or epoch seconds (milliseconds
/// when the number is too large to be seconds), as a number or a string. Answers RFC 3339.
pub fn timestamp(v: Option<&Value>, field: &str) -> Result<Option<String>, String> {
    let bad = |got: &str| {
        format!(
            "`{field}` `{}` is not a date-time (RFC 3339, `YYYY-MM-DD HH:MM:SS` in UTC, or epoch seconds)",
            clip(got)
        )
    };
    let dt = match v {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Number(n)) => {
            epoch(n.as_f64().unwrap_or(f64::NAN)).ok_or_else(|| bad(&n.to_string()))?
        }
        Some(Value::String(s)) if s.trim().is_empty() => return Ok(None),
        Some(Value::String(s)) => parse_time(s.trim()).ok_or_else(|| bad(s))?,
        Some(other) => return Err(bad(&other.to_string())),
    };
    Ok(Some(rfc3339(dt)))
}

pub fn rfc3339(dt: DateTime<Utc>) -> String {
    dt.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some(d.with_timezone(&Utc));
    }
    for format in [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(d) = NaiveDateTime::parse_from_str(s, format) {
            return Some(d.and_utc());
        }
    }
    // `2026-03-01 10:00:00+00:00` and `...Z` with a space instead of `T`.
    if let Some((day, rest)) = s.split_once(' ')
        && let Ok(d) = DateTime::parse_from_rfc3339(&format!("{day}T{rest}"))
    {
        return Some(d.with_timezone(&Utc));
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return d.and_hms_opt(0, 0, 0).map(|d| d.and_utc());
    }
    s.parse::<f64>().ok().and_then(epoch)
}

/// Epoch seconds (or milliseconds above 1e11, which no second count reaches before 5138).
fn epoch(n: f64) -> Option<DateTime<Utc>> {
    if !n.is_finite() || n < 0.0 {
        return None;
    }
    let secs = if n >= 1e11 { n / 1000.0 } else { n };
    if secs >= 1e11 {
        return None;
    }
    let whole = secs.trunc();
    let nanos = ((secs - whole) * 1e9).round().min(999_999_999.0) as u32;
    DateTime::from_timestamp(whole as i64, nanos)
}

/// An id derived from what identifies a record, for sources that have none or that re-send
/// the same aggregate: the same parts always give the same id, so a replay is a duplicate.
pub fn stable_id(prefix: &str, parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0x1f]);
    }
    let digest = hex::encode(h.finalize());
    format!("{prefix}-{}", &digest[..32])
}

/// A provider's service-tier name as tokentally's tier: OpenAI's `default`/`auto` and
/// Anthropic's `standard` are standard; `priority_on_demand` is priority; `flex_discount` is
/// flex. Anything else passes through for the domain to accept or refuse with its reason.
pub fn tier(name: &str) -> String {
    match name.trim().to_ascii_lowercase().as_str() {
        "default" | "auto" | "standard" | "on_demand" | "scale" => "standard".into(),
        "priority" | "priority_on_demand" => "priority".into(),
        "flex" | "flex_discount" => "flex".into(),
        "batch" => "batch".into(),
        other => other.into(),
    }
}

/// At most 40 characters of a value, for error messages.
pub fn clip(s: &str) -> String {
    let mut out: String = s.chars().take(40).collect();
    if s.chars().count() > 40 {
        out.push('…');
    }
    out
}

/// A native event under construction (the flat JSON of docs/ARCHITECTURE.md).
#[derive(Debug, Clone, Default)]
pub struct Native {
    fields: Map<String, Value>,
    tags: Map<String, Value>,
}

impl Native {
    pub fn new(id: impl Into<String>, source: &str) -> Self {
        let mut n = Self::default();
        n.fields.insert("id".into(), Value::String(id.into()));
        n.fields
            .insert("source".into(), Value::String(source.into()));
        n
    }

    pub fn get(&self, field: &str) -> Option<&Value> {
        self.fields.get(field)
    }

    /// Sets a text field; `None` and empty strings leave it unset.
    pub fn text(&mut self, field: &str, value: Option<impl Into<String>>) -> &mut Self {
        if let Some(v) = value.map(Into::into).filter(|v| !v.trim().is_empty()) {
            self.fields.insert(field.into(), Value::String(v));
        }
        self
    }

    /// Sets a text field only if no earlier source set it.
    pub fn text_if_unset(&mut self, field: &str, value: Option<impl Into<String>>) -> &mut Self {
        if !self.fields.contains_key(field) {
            self.text(field, value);
        }
        self
    }

    pub fn count(&mut self, field: &str, n: u64) -> &mut Self {
        self.fields.insert(field.into(), Value::from(n));
        self
    }

    /// A billable unit's count (`web_search`, ...), in the event's `units`.
    pub fn unit(&mut self, name: &str, n: u64) -> &mut Self {
        let units = self
            .fields
            .entry("units")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(m) = units {
            m.insert(name.into(), Value::from(n));
        }
        self
    }

    pub fn tag(&mut self, key: &str, value: Option<impl Into<String>>) -> &mut Self {
        if let Some(v) = value.map(Into::into).filter(|v| !v.trim().is_empty()) {
            self.tags.insert(key.into(), Value::String(v));
        }
        self
    }

    /// Token counts where input and output include their parts (the native convention).
    pub fn tokens(&mut self, t: Tokens) -> &mut Self {
        self.count("input_tokens", t.input)
            .count("cached_input_tokens", t.cached)
            .count("cache_write_tokens", t.cache_write)
            .count("output_tokens", t.output)
            .count("reasoning_tokens", t.reasoning);
        let e = t.extra;
        for (field, n) in [
            ("cache_write_1h_tokens", e.cache_write_1h),
            ("audio_input_tokens", e.audio_input),
            ("cached_audio_input_tokens", e.cached_audio_input),
            ("image_input_tokens", e.image_input),
            ("audio_output_tokens", e.audio_output),
            ("image_output_tokens", e.image_output),
        ] {
            if n > 0 {
                self.count(field, n);
            }
        }
        let units: Map<String, Value> = [
            ("web_search", e.web_search),
            ("file_search", e.file_search),
            ("code_interpreter", e.code_interpreter),
        ]
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(k, n)| (k.to_owned(), Value::from(n)))
        .collect();
        if !units.is_empty() {
            self.fields.insert("units".into(), Value::Object(units));
        }
        self
    }

    /// A key-value a source attaches to a call: the owner fields set the event's own fields
    /// (the first source wins), anything else becomes a tag.
    pub fn owner_or_tag(&mut self, key: &str, value: Option<String>) -> &mut Self {
        match key {
            "team" | "feature" | "environment" | "user" | "customer" | "workflow_id" => {
                self.text_if_unset(key, value)
            }
            _ => self.tag(key, value),
        }
    }

    /// The native JSON. Provider names become tokentally's (`aws.bedrock`, `bedrock_converse`
    /// → `bedrock`, `Anthropic` → `anthropic`, ...), so that rules and pages see one name.
    pub fn into_value(mut self) -> Value {
        if let Some(Value::String(p)) = self.fields.get_mut("provider") {
            *p = tokentally_domain::catalog::canonical_provider(p);
        }
        if !self.tags.is_empty() {
            self.fields.insert("tags".into(), Value::Object(self.tags));
        }
        Value::Object(self.fields)
    }
}

/// The native fields a caller may send beside a provider's `usage` object (the owner fields,
/// tags, outcome, workflow, latency, reported cost), copied onto the event for the domain to
/// validate. Token fields are never read from here: they come from `usage`.
pub fn caller_fields(
    obj: &Map<String, Value>,
    raw: &RawValue,
    n: &mut Native,
) -> Result<(), String> {
    for field in [
        "api_key",
        "team",
        "feature",
        "environment",
        "user",
        "customer",
        "workflow_id",
        "outcome",
        "latency_ms",
    ] {
        if let Some(v) = obj.get(field).filter(|v| !v.is_null()) {
            n.fields.insert(field.into(), v.clone());
        }
    }
    match obj.get("tags") {
        None | Some(Value::Null) => {}
        Some(Value::Object(tags)) => {
            for (k, v) in tags {
                n.tags.insert(k.clone(), v.clone());
            }
        }
        Some(_) => return Err("`tags` must be an object of strings".into()),
    }
    if let Some(cost) = literal(raw, "reported_cost") {
        n.text("reported_cost", amount(cost, "reported_cost")?);
    }
    Ok(())
}

/// Token counts in the native convention. Sums saturate, so absurd inputs are refused by the
/// domain's bounds instead of overflowing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tokens {
    pub input: u64,
    pub cached: u64,
    pub cache_write: u64,
    pub output: u64,
    pub reasoning: u64,
    /// The classes inside input and output that bill at rates of their own, and units
    /// (docs/API.md): written only when not zero.
    pub extra: Extra,
}

/// The parts of input and output a source breaks out, and the units it counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Extra {
    pub cache_write_1h: u64,
    pub audio_input: u64,
    pub cached_audio_input: u64,
    pub image_input: u64,
    pub audio_output: u64,
    pub image_output: u64,
    pub web_search: u64,
    pub file_search: u64,
    pub code_interpreter: u64,
}

impl Tokens {
    /// From counts whose input EXCLUDES cache reads and writes (Anthropic, Bedrock).
    pub fn from_exclusive(uncached: u64, cache_read: u64, cache_write: u64, output: u64) -> Self {
        Self {
            input: uncached
                .saturating_add(cache_read)
                .saturating_add(cache_write),
            cached: cache_read,
            cache_write,
            output,
            reasoning: 0,
            extra: Extra::default(),
        }
    }

    pub fn with(mut self, extra: Extra) -> Self {
        self.extra = extra;
        self
    }

    pub fn is_zero(&self) -> bool {
        *self == Self::default()
    }
}

/// Collects an adapter's rows into a batch: each row is validated by the domain, refused with
/// its index and reason, or ignored (not usage). Indexes count rows in document order.
pub struct Collector {
    now: DateTime<Utc>,
    batch: ParsedBatch,
    ignored: usize,
    index: usize,
}

impl Collector {
    pub fn new(now: DateTime<Utc>) -> Self {
        Self {
            now,
            batch: ParsedBatch::default(),
            ignored: 0,
            index: 0,
        }
    }

    /// Validates a native event and keeps it or records why it was refused.
    pub fn event(&mut self, native: Native) {
        let value = native.into_value();
        match UsageEvent::from_json(&value, self.now) {
            Ok(e) => self.batch.accept(self.index, e),
            Err(err) => {
                let id = value.get("id").and_then(Value::as_str).map(clip_id);
                self.reject(id, err.to_string());
                return;
            }
        }
        self.index += 1;
    }

    pub fn reject(&mut self, id: Option<String>, error: impl Into<String>) {
        self.batch.rejected.push(Rejection {
            index: self.index,
            id,
            error: error.into(),
        });
        self.index += 1;
    }

    pub fn ignore(&mut self) {
        self.ignored += 1;
        self.index += 1;
    }

    /// A row's outcome: an event, a reason to refuse it, or nothing to keep.
    pub fn row(&mut self, id: Option<String>, mapped: Result<Option<Native>, String>) {
        match mapped {
            Ok(Some(n)) => self.event(n),
            Ok(None) => self.ignore(),
            Err(e) => self.reject(id, e),
        }
    }

    pub fn finish(self) -> ParsedBatch {
        ParsedBatch {
            ignored: Some(self.ignored),
            ..self.batch
        }
    }
}

fn clip_id(s: &str) -> String {
    s.chars().take(128).collect()
}

/// Pages of a provider's usage export (one page, an array of pages, or pages as JSON lines),
/// each `{"data": [bucket, ...]}` with a bucket's rows in `results`: every row is mapped by
/// `row` with its bucket; what does not have that shape is refused with `expected` or
/// `bucket_shape`.
pub fn usage_pages(
    body: &[u8],
    now: DateTime<Utc>,
    expected: &str,
    bucket_shape: &str,
    row: impl Fn(&Value, &Map<String, Value>) -> Result<Option<Native>, String>,
) -> Result<ParsedBatch, BodyError> {
    let mut c = Collector::new(now);
    for item in json_items(body)? {
        let page = match item.and_then(|raw| object(&raw)) {
            Ok(p) => p,
            Err(e) => {
                c.reject(None, e);
                continue;
            }
        };
        let Some(Value::Array(buckets)) = page.get("data") else {
            c.reject(None, expected);
            continue;
        };
        for bucket in buckets {
            let Some(Value::Array(results)) = bucket.get("results") else {
                c.reject(None, bucket_shape);
                continue;
            };
            for result in results {
                match result.as_object() {
                    // Mapping failures have no id yet; the collector names invalid events.
                    Some(r) => c.row(None, row(bucket, r)),
                    None => c.reject(None, "a result must be an object"),
                }
            }
        }
    }
    Ok(c.finish())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_arrays_wrapped_arrays_single_objects_and_lines() {
        let count = |b: &str| json_items(b.as_bytes()).map(|i| i.len());
        assert_eq!(count(r#"[{"a":1},{"a":2}]"#), Ok(2));
        assert_eq!(count(r#"{"events":[{"a":1}]}"#), Ok(1));
        assert_eq!(count(r#"{"data":[1,2,3]}"#), Ok(1));
        let lines = json_items(b"{\"a\":1}\n\nnot json\n{\"a\":2}\n").unwrap();
        assert_eq!(lines.len(), 3);
        assert!(lines[1].is_err());
        assert_eq!(count(""), Err(BodyError::Empty));
        assert!(matches!(count("[{"), Err(BodyError::Malformed(_))));
        assert!(matches!(count("{\"a\":"), Err(BodyError::Malformed(_))));
        assert!(matches!(count("42"), Err(BodyError::Malformed(_))));
    }

    #[test]
    fn amounts_keep_their_digits() {
        for (literal, expected) in [
            ("2.85e-05", Some("0.0000285")),
            ("\"0.000123\"", Some("0.000123")),
            ("0.1", Some("0.1")),
            ("12", Some("12")),
            ("null", None),
            ("", None),
        ] {
            assert_eq!(
                amount(literal, "cost").unwrap().as_deref(),
                expected,
                "{literal}"
            );
        }
        assert!(amount("\"ten\"", "cost").is_err());
        assert!(amount("true", "cost").is_err());
    }

    #[test]
    fn counts_accept_integers_integral_floats_and_digit_strings() {
        assert_eq!(count(Some(&json!(5)), "n"), Ok(Some(5)));
        assert_eq!(count(Some(&json!(5.0)), "n"), Ok(Some(5)));
        assert_eq!(count(Some(&json!("17")), "n"), Ok(Some(17)));
        assert_eq!(count(Some(&json!("")), "n"), Ok(None));
        assert_eq!(count(None, "n"), Ok(None));
        assert!(count(Some(&json!(-1)), "n").is_err());
        assert!(count(Some(&json!(1.5)), "n").is_err());
        assert!(count(Some(&json!("1,000")), "n").is_err());
    }

    #[test]
    fn times_are_read_in_the_shapes_sources_write() {
        let t = |v: Value| timestamp(Some(&v), "t").unwrap().unwrap();
        assert_eq!(t(json!("2026-03-01T10:00:00Z")), "2026-03-01T10:00:00Z");
        assert_eq!(
            t(json!("2026-03-01 10:00:00.5")),
            "2026-03-01T10:00:00.500Z"
        );
        assert_eq!(
            t(json!("2026-03-01 10:00:00+00:00")),
            "2026-03-01T10:00:00Z"
        );
        assert_eq!(t(json!("2026-03-01")), "2026-03-01T00:00:00Z");
        assert_eq!(t(json!(1772359200)), "2026-03-01T10:00:00Z");
        assert_eq!(t(json!(1772359200.25)), "2026-03-01T10:00:00.250Z");
        assert_eq!(t(json!(1772359200000_u64)), "2026-03-01T10:00:00Z");
        assert!(timestamp(Some(&json!("yesterday")), "t").is_err());
        assert!(timestamp(Some(&json!(-5)), "t").is_err());
        assert!(timestamp(Some(&json!(1e300)), "t").is_err());
    }

    #[test]
    fn stable_ids_depend_on_every_part() {
        let a = stable_id("x", &["1", "2"]);
        assert_eq!(a, stable_id("x", &["1", "2"]));
        assert_ne!(a, stable_id("x", &["12", ""]));
        assert!(a.len() <= 128);
    }
}
