//! How pulled buckets coexist with usage sent by other means (per-call events, uploaded
//! report pages): a provider's report counts every call of the organisation, so a pulled row
//! keeps only what the other sources have not already stored for the same provider, day,
//! model, service tier and key. What other sources stored under a key the report does not
//! name (a gateway's own key names) is then taken from the report's remaining rows of the
//! same day, model and tier. The sum of both is the provider's figure, never more; the
//! per-call events keep their richer owners (team, feature), the pull fills in the rest.
//!
//! The same rule serves twice: when a pull stores a stretch (`app::connections`), against
//! everything the other sources stored, and at ingest, when per-call events arrive for a day
//! no pull fetches again, against those events alone (`storage::late_per_call`).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use tokentally_domain::event::{ServiceTier, UsageEvent};
use tokentally_domain::showback::UsageRow;
use tokentally_domain::tokens::TokenCounts;

/// The sources of pulled events start so; other sources never do.
pub const PULLED_PREFIX: &str = "pull:";

/// Days before a connection's cursor that each pull fetches again (providers complete a
/// day's figures late). Days before those are pulled for good: no later run replaces them.
pub const SETTLE_DAYS: i64 = 2;

type Day = (NaiveDate, String, ServiceTier);

#[derive(Debug, Default, Clone, Copy)]
struct Amount {
    requests: u64,
    tokens: TokenCounts,
}

fn fields(t: &mut TokenCounts) -> [&mut u64; 14] {
    [
        &mut t.input,
        &mut t.cached_input,
        &mut t.cache_write,
        &mut t.output,
        &mut t.reasoning,
        &mut t.cache_write_1h,
        &mut t.audio_input,
        &mut t.cached_audio_input,
        &mut t.image_input,
        &mut t.audio_output,
        &mut t.image_output,
        &mut t.web_search,
        &mut t.file_search,
        &mut t.code_interpreter,
    ]
}

/// Takes from `e` as much of `a` as `e` holds, field by field; `a` keeps what is left.
fn take(e: &mut UsageEvent, a: &mut Amount) {
    let r = e.requests.min(a.requests);
    e.requests -= r;
    a.requests -= r;
    let mut have = e.tokens;
    let mut want = a.tokens;
    for (h, w) in fields(&mut have).into_iter().zip(fields(&mut want)) {
        let n = (*h).min(*w);
        *h -= n;
        *w -= n;
    }
    e.tokens = consistent(have);
    a.tokens = want;
}

/// Parts cut back to their wholes, where taking different amounts from each broke that.
fn consistent(mut t: TokenCounts) -> TokenCounts {
    t.cached_input = t.cached_input.min(t.input);
    t.cache_write = t.cache_write.min(t.input - t.cached_input);
    t.cache_write_1h = t.cache_write_1h.min(t.cache_write);
    t.cached_audio_input = t.cached_audio_input.min(t.cached_input);
    t.audio_input = t.audio_input.max(t.cached_audio_input);
    let room = t.input - t.cached_input - t.cache_write;
    if t.audio_input - t.cached_audio_input + t.image_input > room {
        t.image_input = 0;
        t.audio_input = t.cached_audio_input + (t.audio_input - t.cached_audio_input).min(room);
    }
    t.reasoning = t.reasoning.min(t.output);
    if t.reasoning + t.audio_output + t.image_output > t.output {
        t.audio_output = 0;
        t.image_output = 0;
    }
    t
}

fn is_empty(e: &UsageEvent) -> bool {
    e.tokens.total() == 0 && !e.tokens.has_units()
}

/// The pulled events less what `pushed` (other sources' sums of the same provider and days)
/// holds already; events left with nothing are dropped.
pub fn remainder(pulled: Vec<UsageEvent>, pushed: &[UsageRow]) -> Vec<UsageEvent> {
    let mut by_key: BTreeMap<(Day, String), Amount> = BTreeMap::new();
    for r in pushed {
        let k = &r.key;
        let a = by_key
            .entry(((k.day, k.model.clone(), k.service_tier), k.api_key.clone()))
            .or_default();
        a.requests += r.totals.requests;
        a.tokens.add(&r.totals.tokens);
    }
    let mut pulled = pulled;
    // Same day, model, tier and key first.
    for e in &mut pulled {
        let k = (
            (e.timestamp.date_naive(), e.model.clone(), e.service_tier),
            e.api_key.clone().unwrap_or_default(),
        );
        if let Some(a) = by_key.get_mut(&k) {
            take(e, a);
        }
    }
    // Then what was left, whatever its key, from the rows of the same day, model and tier.
    let mut rest: BTreeMap<Day, Amount> = BTreeMap::new();
    for ((day, _), a) in by_key {
        let r = rest.entry(day).or_default();
        r.requests += a.requests;
        r.tokens.add(&a.tokens);
    }
    for e in &mut pulled {
        let k = (e.timestamp.date_naive(), e.model.clone(), e.service_tier);
        if let Some(a) = rest.get_mut(&k) {
            take(e, a);
        }
    }
    pulled
        .into_iter()
        .filter(|e| !is_empty(e))
        .map(|mut e| {
            // A row whose requests were all sent apart but some tokens were not still made
            // at least one request.
            e.requests = e.requests.max(1);
            e
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokentally_domain::rollup::{RollupKey, RollupTotals};

    fn pulled(key: &str, input: u64, output: u64, requests: u64) -> UsageEvent {
        let body = format!(
            r#"[{{"id":"{key}","source":"pull:openai:1","timestamp":"2026-03-02T00:00:00Z","provider":"openai",
                "model":"gpt-4o","api_key":"{key}","input_tokens":{input},"output_tokens":{output},"requests":{requests}}}]"#
        );
        crate::ingest::native::parse(
            body.as_bytes(),
            crate::ingest::native::BodyFormat::Json,
            "2026-03-10T00:00:00Z".parse().unwrap(),
        )
        .unwrap()
        .events
        .remove(0)
    }

    fn pushed(key: &str, input: u64, output: u64, requests: u64) -> UsageRow {
        UsageRow {
            key: RollupKey {
                day: "2026-03-02".parse().unwrap(),
                provider: "openai".into(),
                model: "gpt-4o".into(),
                api_key: key.into(),
                team: String::new(),
                feature: String::new(),
                environment: String::new(),
                tags: String::new(),
                service_tier: ServiceTier::Standard,
                outcome: Default::default(),
                context_band: 0,
                in_workflow: false,
            },
            totals: RollupTotals {
                events: requests,
                requests,
                tokens: TokenCounts {
                    input,
                    output,
                    ..TokenCounts::default()
                },
                standalone_successes: 0,
            },
        }
    }

    #[test]
    fn pushed_usage_is_taken_out_of_the_pull_by_key_then_by_model() {
        let out = remainder(
            vec![pulled("key_a", 1000, 100, 10), pulled("key_b", 500, 50, 5)],
            &[pushed("key_a", 400, 40, 4), pushed("gateway-x", 100, 10, 1)],
        );
        // key_a: 1000-400, then the gateway's 100 from what is left of the same model and day.
        assert_eq!(
            out.iter()
                .map(|e| (e.tokens.input, e.tokens.output, e.requests))
                .collect::<Vec<_>>(),
            vec![(500, 50, 5), (500, 50, 5)]
        );
        let total: u64 = out.iter().map(|e| e.tokens.input).sum::<u64>() + 400 + 100;
        assert_eq!(total, 1500, "the provider's figure, not more");
    }

    #[test]
    fn a_row_sent_in_full_by_another_source_is_dropped() {
        let out = remainder(
            vec![pulled("key_a", 1000, 100, 10)],
            &[pushed("key_a", 1000, 100, 10)],
        );
        assert!(out.is_empty());
        let out = remainder(vec![pulled("key_a", 1000, 100, 10)], &[]);
        assert_eq!(out[0].tokens.input, 1000);
    }
}
