//! What differs between providers: where the usage and cost reports are, how a request
//! authenticates, and how a report page reads. Usage pages go through the ingest adapters'
//! parsers (the same code as `POST /api/v1/ingest/{openai,anthropic}/usage`).

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::ingest::{self, ParsedBatch};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provider {
    OpenAi,
    Anthropic,
}

/// Buckets asked for per page (both APIs' most for daily buckets).
const PAGE_LIMIT: u32 = 31;

impl Provider {
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "openai" => Some(Self::OpenAi),
            "anthropic" => Some(Self::Anthropic),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::OpenAi => "openai",
            Self::Anthropic => "anthropic",
        }
    }

    pub fn default_base_url(self) -> &'static str {
        match self {
            Self::OpenAi => "https://api.openai.com",
            Self::Anthropic => "https://api.anthropic.com",
        }
    }

    /// The headers that carry the admin key.
    pub fn auth_headers(self, key: &str) -> Vec<(&'static str, String)> {
        match self {
            Self::OpenAi => vec![("authorization", format!("Bearer {key}"))],
            Self::Anthropic => vec![
                ("x-api-key", key.to_owned()),
                ("anthropic-version", "2023-06-01".to_owned()),
            ],
        }
    }

    /// The usage report of the days `from..to` (end exclusive), daily buckets, grouped so
    /// that every row can be priced and owned; `page` continues a listing.
    pub fn usage_url(
        self,
        base: &str,
        from: NaiveDate,
        to: NaiveDate,
        page: Option<&str>,
    ) -> String {
        let mut url = match self {
            Self::OpenAi => format!(
                "{base}/v1/organization/usage/completions?start_time={}&end_time={}&bucket_width=1d\
                 &group_by=model&group_by=project_id&group_by=api_key_id&group_by=batch&limit={PAGE_LIMIT}",
                unix(from),
                unix(to)
            ),
            Self::Anthropic => format!(
                "{base}/v1/organizations/usage_report/messages?starting_at={}&ending_at={}&bucket_width=1d\
                 &group_by[]=model&group_by[]=api_key_id&group_by[]=workspace_id&group_by[]=service_tier\
                 &limit={PAGE_LIMIT}",
                rfc3339(from),
                rfc3339(to)
            ),
        };
        push_page(&mut url, page);
        url
    }

    /// The cost report of the days `from..to` (end exclusive), per day and line item.
    pub fn cost_url(
        self,
        base: &str,
        from: NaiveDate,
        to: NaiveDate,
        page: Option<&str>,
    ) -> String {
        let mut url = match self {
            Self::OpenAi => format!(
                "{base}/v1/organization/costs?start_time={}&end_time={}&bucket_width=1d\
                 &group_by=line_item&limit={PAGE_LIMIT}",
                unix(from),
                unix(to)
            ),
            Self::Anthropic => format!(
                "{base}/v1/organizations/cost_report?starting_at={}&ending_at={}&bucket_width=1d\
                 &group_by[]=description&limit={PAGE_LIMIT}",
                rfc3339(from),
                rfc3339(to)
            ),
        };
        push_page(&mut url, page);
        url
    }

    /// A usage page's rows as events (refused rows listed), and the next page's token.
    pub fn read_usage(
        self,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> Result<(ParsedBatch, Option<String>), String> {
        let next = page_shape(body)?;
        let parsed = match self {
            Self::OpenAi => ingest::openai::parse_usage_pages(body, now),
            Self::Anthropic => ingest::anthropic::parse_usage_report(body, now),
        }
        .map_err(|e| format!("a malformed usage page: {e}"))?;
        Ok((parsed, next))
    }

    /// A cost page's amounts per day and model, and the next page's token.
    pub fn read_costs(self, body: &[u8]) -> Result<(Vec<DayCost>, Option<String>), String> {
        let next = page_shape(body)?;
        let page: CostPage<'_> =
            serde_json::from_slice(body).map_err(|e| format!("a malformed cost page: {e}"))?;
        let mut out = Vec::new();
        for bucket in page.data {
            let day = bucket_day(&bucket)?;
            for raw in bucket.results {
                let row: Map<String, Value> = serde_json::from_str(raw.get())
                    .map_err(|e| format!("a malformed cost row: {e}"))?;
                out.push(match self {
                    Self::OpenAi => openai_cost(day, raw, &row)?,
                    Self::Anthropic => anthropic_cost(day, raw, &row)?,
                });
            }
        }
        Ok((out, next))
    }
}

/// The provider's cost of one day, model and billed unit, in its currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayCost {
    pub day: NaiveDate,
    pub model: String,
    pub amount: Decimal,
    pub currency: String,
    /// What was billed, as the provider names it, lower case (`input`, `cached input`,
    /// `output`, `uncached_input_tokens`, `web_search`, ...); empty when it does not say.
    pub unit: String,
}

/// Costs summed per day, model, unit and currency.
pub fn summed(costs: Vec<DayCost>) -> Vec<DayCost> {
    let mut by: BTreeMap<(NaiveDate, String, String, String), Decimal> = BTreeMap::new();
    for c in costs {
        *by.entry((c.day, c.model, c.unit, c.currency)).or_default() += c.amount;
    }
    by.into_iter()
        .map(|((day, model, unit, currency), amount)| DayCost {
            day,
            model,
            amount,
            currency,
            unit,
        })
        .collect()
}

#[derive(Deserialize)]
struct CostPage<'a> {
    #[serde(borrow)]
    data: Vec<CostBucket<'a>>,
}

#[derive(Deserialize)]
struct CostBucket<'a> {
    start_time: Option<i64>,
    starting_at: Option<String>,
    #[serde(borrow, default)]
    results: Vec<&'a RawValue>,
}

fn bucket_day(b: &CostBucket<'_>) -> Result<NaiveDate, String> {
    if let Some(t) = b.start_time {
        return DateTime::from_timestamp(t, 0)
            .map(|d| d.date_naive())
            .ok_or_else(|| format!("a cost bucket's start_time {t} is out of range"));
    }
    b.starting_at
        .as_deref()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|d| d.with_timezone(&Utc).date_naive())
        .ok_or_else(|| "a cost bucket needs `start_time` or `starting_at`".to_owned())
}

fn decimal(literal: Option<&str>, field: &str) -> Result<Decimal, String> {
    let text = ingest::common::amount(literal.unwrap_or("null"), field)?
        .ok_or_else(|| format!("a cost row needs `{field}`"))?;
    text.parse()
        .map_err(|_| format!("`{field}` is not a decimal"))
}

/// `{"amount": {"value": 0.06, "currency": "usd"}, "line_item": "gpt-4o-2024-08-06, input"}`
fn openai_cost(
    day: NaiveDate,
    raw: &RawValue,
    row: &Map<String, Value>,
) -> Result<DayCost, String> {
    let amount: &RawValue = ingest::common::literal(raw, "amount")
        .and_then(|a| serde_json::from_str(a).ok())
        .ok_or("a cost row needs `amount`")?;
    let value = decimal(ingest::common::literal(amount, "value"), "amount.value")?;
    let currency = row
        .get("amount")
        .and_then(|a| a.get("currency"))
        .and_then(Value::as_str)
        .unwrap_or("usd")
        .to_ascii_uppercase();
    let line = row.get("line_item").and_then(Value::as_str).unwrap_or("");
    // "gpt-4o-2024-08-06, input": the model, then what of it was billed.
    let (model, unit) = line.split_once(',').unwrap_or((line, ""));
    let model = model.trim();
    Ok(DayCost {
        unit: unit.trim().to_lowercase(),
        day,
        model: if model.is_empty() {
            OTHER.to_owned()
        } else {
            model.to_owned()
        },
        amount: value,
        currency,
    })
}

/// `{"amount": "123.45", "currency": "USD", "model": "claude-…", "description": …}`: the
/// amount in cents, as a decimal string.
fn anthropic_cost(
    day: NaiveDate,
    raw: &RawValue,
    row: &Map<String, Value>,
) -> Result<DayCost, String> {
    let cents = decimal(ingest::common::literal(raw, "amount"), "amount")?;
    let model = row
        .get("model")
        .and_then(Value::as_str)
        .unwrap_or("")
        .trim();
    // A token cost names its token type when the report is grouped by it; other costs
    // (web search, code execution) their cost type.
    let unit = row
        .get("token_type")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
        .or_else(|| row.get("cost_type").and_then(Value::as_str))
        .unwrap_or("")
        .trim()
        .to_lowercase();
    Ok(DayCost {
        unit,
        day,
        model: if model.is_empty() {
            OTHER.to_owned()
        } else {
            model.to_owned()
        },
        amount: cents / Decimal::ONE_HUNDRED,
        currency: row
            .get("currency")
            .and_then(Value::as_str)
            .unwrap_or("USD")
            .to_ascii_uppercase(),
    })
}

/// Costs that name no model (tools, storage, fine-tuning jobs).
pub const OTHER: &str = "(other)";

/// Checks a page is a JSON object with a `data` array; answers its next page when it says
/// there is more.
fn page_shape(body: &[u8]) -> Result<Option<String>, String> {
    let v: Value =
        serde_json::from_slice(body).map_err(|e| format!("a malformed page (not JSON: {e})"))?;
    if !matches!(v.get("data"), Some(Value::Array(_))) {
        return Err("a malformed page: no `data` array".into());
    }
    if v.get("has_more").and_then(Value::as_bool) != Some(true) {
        return Ok(None);
    }
    match v.get("next_page").and_then(Value::as_str) {
        Some(p) if !p.is_empty() => Ok(Some(p.to_owned())),
        _ => Err("a malformed page: `has_more` without a `next_page`".into()),
    }
}

fn push_page(url: &mut String, page: Option<&str>) {
    if let Some(p) = page {
        url.push_str("&page=");
        url.push_str(&url::form_urlencoded::byte_serialize(p.as_bytes()).collect::<String>());
    }
}

fn unix(day: NaiveDate) -> i64 {
    day.and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc().timestamp())
        .unwrap_or(0)
}

fn rfc3339(day: NaiveDate) -> String {
    format!("{day}T00:00:00Z")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cost_pages_keep_their_digits_and_anthropic_cents_become_units() {
        let openai = br#"{"object":"page","data":[{"object":"bucket","start_time":1772323200,"end_time":1772409600,
            "results":[{"object":"organization.costs.result","amount":{"value":0.1234567,"currency":"usd"},"line_item":"gpt-4o-2024-08-06, input","project_id":null},
                       {"object":"organization.costs.result","amount":{"value":2.5e-3,"currency":"usd"},"line_item":"gpt-4o-2024-08-06, output"}]}],
            "has_more":true,"next_page":"page_2"}"#;
        let (costs, next) = Provider::OpenAi.read_costs(openai).unwrap();
        assert_eq!(next.as_deref(), Some("page_2"));
        // Summed per day, model and unit billed: the input and the output line stay apart.
        let s = summed(costs);
        assert_eq!(s.len(), 2);
        assert_eq!(
            (s[0].unit.as_str(), s[0].amount.to_string()),
            ("input", "0.1234567".to_owned())
        );
        assert_eq!(
            (s[1].unit.as_str(), s[1].amount.to_string()),
            ("output", "0.0025".to_owned())
        );
        assert_eq!(
            (s[0].model.as_str(), s[0].currency.as_str()),
            ("gpt-4o-2024-08-06", "USD")
        );
        assert_eq!(s[0].day.to_string(), "2026-03-01");
        let anthropic = br#"{"data":[{"starting_at":"2026-03-01T00:00:00Z","ending_at":"2026-03-02T00:00:00Z",
            "results":[{"currency":"USD","amount":"1234.5","model":"claude-sonnet-4-5","cost_type":"tokens"},
                       {"currency":"USD","amount":"10","model":null,"cost_type":"web_search"}]}],"has_more":false,"next_page":null}"#;
        let (costs, next) = Provider::Anthropic.read_costs(anthropic).unwrap();
        assert_eq!(next, None);
        assert_eq!(costs[0].amount.to_string(), "12.345");
        assert_eq!(costs[1].model, OTHER);
        assert_eq!(
            (costs[0].unit.as_str(), costs[1].unit.as_str()),
            ("tokens", "web_search")
        );
        assert!(Provider::OpenAi.read_costs(b"<html>").is_err());
        assert!(
            Provider::OpenAi
                .read_costs(br#"{"data":[],"has_more":true}"#)
                .is_err()
        );
    }
}
