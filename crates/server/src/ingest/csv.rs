//! CSV files of usage: each column maps to a native field, to a tag, or to nothing.
//!
//! Headers that already use the native names (or a common alias: `prompt_tokens`, `cost`,
//! `date`, ...) map by themselves; a mapping overrides any column. Without an `id` column a
//! row's id derives from its content and how many identical rows came before it in the file,
//! so re-importing a file (or a longer version of it) stores nothing twice, while two equal
//! rows of one file stay two events.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde_json::Value;
use tokentally_domain::event::UsageEvent;

use super::common::{self, BodyError, Native};
use super::{ParsedBatch, Rejection};

pub const SOURCE: &str = "csv";

/// The native fields a column may fill (the billable units go into the event's `units`).
pub const FIELDS: [&str; 31] = [
    "id",
    "source",
    "timestamp",
    "provider",
    "model",
    "api_key",
    "team",
    "feature",
    "environment",
    "user",
    "customer",
    "workflow_id",
    "input_tokens",
    "cached_input_tokens",
    "cache_write_tokens",
    "output_tokens",
    "reasoning_tokens",
    "cache_write_1h_tokens",
    "audio_input_tokens",
    "cached_audio_input_tokens",
    "image_input_tokens",
    "audio_output_tokens",
    "image_output_tokens",
    "web_search",
    "file_search",
    "code_interpreter",
    "requests",
    "service_tier",
    "outcome",
    "latency_ms",
    "reported_cost",
];

/// Fields every row needs; the page warns when no column fills one.
pub const REQUIRED: [&str; 3] = ["timestamp", "provider", "model"];

const COUNTS: [&str; 13] = [
    "input_tokens",
    "cached_input_tokens",
    "cache_write_tokens",
    "output_tokens",
    "reasoning_tokens",
    "cache_write_1h_tokens",
    "audio_input_tokens",
    "cached_audio_input_tokens",
    "image_input_tokens",
    "audio_output_tokens",
    "image_output_tokens",
    "requests",
    "latency_ms",
];

/// Billable units counted per call rather than in tokens: the event's `units`.
const UNITS: [&str; 3] = ["web_search", "file_search", "code_interpreter"];

/// Where a column goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Field(&'static str),
    Tag(String),
    Ignore,
}

impl Target {
    /// Reads `field`, `tags.NAME` (or `tag:NAME`), or empty / `ignore` for nothing.
    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if s.is_empty() || s == "ignore" || s == "-" {
            return Ok(Self::Ignore);
        }
        if let Some(tag) = s.strip_prefix("tags.").or_else(|| s.strip_prefix("tag:")) {
            return if tag.trim().is_empty() {
                Err("a tag needs a name: `tags.NAME`".into())
            } else {
                Ok(Self::Tag(tag.trim().to_owned()))
            };
        }
        FIELDS
            .iter()
            .find(|f| **f == s)
            .map(|f| Self::Field(f))
            .ok_or_else(|| {
                format!(
                    "`{}` is not a native field; use one of {}, `tags.NAME` or `ignore`",
                    common::clip(s),
                    FIELDS.join(", ")
                )
            })
    }

    /// The spelling [`Target::parse`] reads.
    pub fn spec(&self) -> String {
        match self {
            Self::Field(f) => (*f).to_owned(),
            Self::Tag(t) => format!("tags.{t}"),
            Self::Ignore => String::new(),
        }
    }

    /// Where a header goes when nobody says: its native name, an alias, or `tags.NAME`.
    pub fn default_for(header: &str) -> Self {
        let h = header.trim();
        if let Some(tag) = h.strip_prefix("tags.").or_else(|| h.strip_prefix("tag:")) {
            return Self::Tag(tag.trim().to_owned());
        }
        let norm = h.to_ascii_lowercase().replace([' ', '-'], "_");
        let field = match norm.as_str() {
            "request_id" | "event_id" => "id",
            "time" | "date" | "datetime" | "start_time" | "starttime" | "created_at" => "timestamp",
            "prompt_tokens" => "input_tokens",
            "completion_tokens" => "output_tokens",
            "cached_tokens" | "cache_read_tokens" | "cache_read_input_tokens" => {
                "cached_input_tokens"
            }
            "cache_creation_input_tokens" => "cache_write_tokens",
            "ephemeral_1h_input_tokens" | "cache_creation_1h_input_tokens" => {
                "cache_write_1h_tokens"
            }
            "web_search_requests" | "web_searches" => "web_search",
            "file_search_calls" => "file_search",
            "code_interpreter_sessions" => "code_interpreter",
            "num_requests" | "num_model_requests" | "request_count" => "requests",
            "cost" | "spend" | "response_cost" => "reported_cost",
            "api_key_id" => "api_key",
            "tier" => "service_tier",
            other => match FIELDS.iter().find(|f| **f == other) {
                Some(f) => f,
                None => return Self::Ignore,
            },
        };
        Self::Field(field)
    }
}

/// A CSV file read into a header and rows of cells.
#[derive(Debug, Clone)]
pub struct CsvFile {
    pub headers: Vec<String>,
    pub rows: Vec<Result<Vec<String>, String>>,
}

impl CsvFile {
    /// Reads comma-, semicolon- or tab-separated text with a header row.
    pub fn read(body: &[u8]) -> Result<Self, BodyError> {
        let text = std::str::from_utf8(body).map_err(|_| BodyError::NotUtf8)?;
        let text = text.trim_start_matches('\u{feff}');
        let first = text.lines().next().unwrap_or("");
        if first.trim().is_empty() {
            return Err(BodyError::Empty);
        }
        let delimiter = [b',', b';', b'\t']
            .into_iter()
            .max_by_key(|d| first.bytes().filter(|b| b == d).count())
            .unwrap_or(b',');
        let mut reader = ::csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .flexible(true)
            .from_reader(text.as_bytes());
        let headers: Vec<String> = reader
            .headers()
            .map_err(|e| BodyError::WrongShape(format!("the CSV header cannot be read: {e}")))?
            .iter()
            .map(|h| h.trim().to_owned())
            .collect();
        let rows = reader
            .records()
            .map(|r| {
                r.map(|r| r.iter().map(str::to_owned).collect())
                    .map_err(|e| format!("the row cannot be read: {e}"))
            })
            .collect();
        Ok(Self { headers, rows })
    }

    /// Each column's target: the override for its header if any, else its default. Two
    /// columns never fill one field: the first wins.
    pub fn targets(&self, overrides: &HashMap<String, Target>) -> Vec<Target> {
        let mut taken = Vec::new();
        self.headers
            .iter()
            .map(|h| {
                let t = overrides
                    .get(h)
                    .cloned()
                    .unwrap_or_else(|| Target::default_for(h));
                if let Target::Field(f) = t {
                    if taken.contains(&f) {
                        return Target::Ignore;
                    }
                    taken.push(f);
                }
                t
            })
            .collect()
    }
}

/// Required fields no column fills.
pub fn missing(targets: &[Target]) -> Vec<&'static str> {
    REQUIRED
        .into_iter()
        .filter(|f| !targets.contains(&Target::Field(f)))
        .collect()
}

/// Every row as an event or the reason it was refused, in file order.
pub fn rows(
    file: &CsvFile,
    targets: &[Target],
    now: DateTime<Utc>,
) -> Vec<Result<UsageEvent, Rejection>> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    file.rows
        .iter()
        .enumerate()
        .map(|(index, row)| {
            let reject = |id: Option<String>, error: String| Rejection { index, id, error };
            let cells = row.as_ref().map_err(|e| reject(None, e.clone()))?;
            let native = native(cells, targets).map_err(|e| reject(None, e))?;
            let value = with_id(native, &mut seen);
            let id = value.get("id").and_then(Value::as_str).map(str::to_owned);
            UsageEvent::from_json(&value, now).map_err(|e| reject(id, e.to_string()))
        })
        .collect()
}

/// The file as a batch to store.
pub fn parse(file: &CsvFile, targets: &[Target], now: DateTime<Utc>) -> ParsedBatch {
    let mut batch = ParsedBatch::default();
    for (index, row) in rows(file, targets, now).into_iter().enumerate() {
        match row {
            Ok(e) => batch.accept(index, e),
            Err(r) => batch.rejected.push(r),
        }
    }
    batch
}

/// One row as a native event without its id unless a column gave one.
fn native(cells: &[String], targets: &[Target]) -> Result<Native, String> {
    let mut n = Native::default();
    for (cell, target) in cells.iter().zip(targets) {
        let cell = cell.trim();
        match target {
            Target::Ignore => {}
            Target::Tag(t) => {
                n.tag(t, Some(cell));
            }
            Target::Field(f) if COUNTS.contains(f) => {
                if let Some(c) = common::count(Some(&Value::String(cell.into())), f)? {
                    n.count(f, c);
                }
            }
            Target::Field(f) if UNITS.contains(f) => {
                if let Some(c) = common::count(Some(&Value::String(cell.into())), f)? {
                    n.unit(f, c);
                }
            }
            Target::Field("reported_cost") => {
                n.text("reported_cost", common::amount(cell, "reported_cost")?);
            }
            Target::Field("timestamp") => {
                n.text(
                    "timestamp",
                    common::timestamp(Some(&Value::String(cell.into())), "timestamp")?,
                );
            }
            Target::Field(f) => {
                n.text(f, Some(cell));
            }
        }
    }
    Ok(n)
}

/// Gives a row without an id one derived from its content and its occurrence in the file.
fn with_id(mut n: Native, seen: &mut HashMap<String, usize>) -> Value {
    n.text_if_unset("source", Some(SOURCE));
    if n.get("id").is_some() {
        return n.into_value();
    }
    // serde_json's maps are sorted, so the text is canonical.
    let content = n.clone().into_value().to_string();
    let occurrence = seen.entry(content.clone()).or_insert(0);
    *occurrence += 1;
    let id = common::stable_id("csv", &[&content, &occurrence.to_string()]);
    let mut v = n.into_value();
    v["id"] = Value::String(id);
    v
}

/// Reads and maps a whole file.
pub fn parse_body(
    body: &[u8],
    overrides: &HashMap<String, Target>,
    now: DateTime<Utc>,
) -> Result<ParsedBatch, BodyError> {
    let file = CsvFile::read(body)?;
    let targets = file.targets(overrides);
    Ok(parse(&file, &targets, now))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        "2026-03-10T00:00:00Z".parse().unwrap()
    }

    const FILE: &str = "Date,provider,model,Team,prompt_tokens,cached_tokens,completion_tokens,cost,Region\n\
        2026-03-01,openai,gpt-4o,search,1000,400,200,0.0123,eu\n\
        2026-03-01,openai,gpt-4o,search,1000,400,200,0.0123,eu\n\
        2026-03-02,openai,gpt-4o,,-5,0,0,,eu\n";

    /// The billable classes and units of issue 23: a 1-hour cache write and audio tokens
    /// stay parts of their totals, and web searches become the event's units.
    #[test]
    fn billable_classes_and_units_are_read() {
        let file = "timestamp,provider,model,input_tokens,cache_creation_input_tokens,ephemeral_1h_input_tokens,audio_input_tokens,output_tokens,image_output_tokens,web_search_requests,file_search\n\
            2026-03-01T10:00:00Z,anthropic,claude-sonnet-4,1000,300,200,100,50,10,3,2\n\
            2026-03-01T11:00:00Z,anthropic,claude-sonnet-4,1000,100,200,0,50,0,-1,0\n";
        let file = CsvFile::read(file.as_bytes()).unwrap();
        let targets = file.targets(&HashMap::new());
        assert_eq!(targets[5], Target::Field("cache_write_1h_tokens"));
        assert_eq!(targets[9], Target::Field("web_search"));
        let b = parse(&file, &targets, now());
        assert_eq!(b.events.len(), 1, "{:?}", b.rejected);
        let t = &b.events[0].tokens;
        assert_eq!(
            (
                t.cache_write,
                t.cache_write_1h,
                t.audio_input,
                t.image_output
            ),
            (300, 200, 100, 10)
        );
        assert_eq!((t.web_search, t.file_search), (3, 2));
        // 1-hour writes larger than all writes, and a negative unit: that row alone refused.
        assert_eq!(b.rejected.len(), 1);
        assert_eq!(b.rejected[0].index, 1);
    }

    #[test]
    fn native_names_and_aliases_map_by_themselves() {
        let file = CsvFile::read(FILE.as_bytes()).unwrap();
        let targets = file.targets(&HashMap::new());
        assert_eq!(targets[0], Target::Field("timestamp"));
        assert_eq!(targets[3], Target::Field("team"));
        assert_eq!(targets[4], Target::Field("input_tokens"));
        assert_eq!(targets[8], Target::Ignore);
        assert!(missing(&targets).is_empty());
        let b = parse(&file, &targets, now());
        assert_eq!(b.events.len(), 2);
        assert_eq!(b.rejected[0].index, 2);
        assert!(
            b.rejected[0]
                .error
                .contains("`input_tokens` must be a whole number")
        );
        // Equal rows stay two events; the same file gives the same ids again.
        assert_ne!(b.events[0].id, b.events[1].id);
        let again = parse(&file, &targets, now());
        assert_eq!(b.events[0].id, again.events[0].id);
        assert_eq!(b.events[0].reported_cost.unwrap().to_string(), "0.0123");
        assert_eq!(b.events[0].source, "csv");
    }

    #[test]
    fn overrides_send_columns_to_tags_or_nowhere() {
        let file = CsvFile::read(FILE.as_bytes()).unwrap();
        let overrides = HashMap::from([
            ("Region".to_owned(), Target::parse("tags.region").unwrap()),
            ("cost".to_owned(), Target::parse("ignore").unwrap()),
        ]);
        let targets = file.targets(&overrides);
        let b = parse(&file, &targets, now());
        assert_eq!(
            b.events[0].tags.get("region").map(String::as_str),
            Some("eu")
        );
        assert_eq!(b.events[0].reported_cost, None);
        assert!(Target::parse("nonsense").is_err());
    }

    #[test]
    fn semicolon_files_and_missing_required_columns() {
        let file = CsvFile::read(b"model;input_tokens\ngpt-4o;5\n").unwrap();
        let targets = file.targets(&HashMap::new());
        assert_eq!(missing(&targets), vec!["timestamp", "provider"]);
        assert!(
            parse(&file, &targets, now()).rejected[0]
                .error
                .contains("`timestamp` is required")
        );
    }
}
