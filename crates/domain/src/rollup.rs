//! Rollups: events folded into daily totals per dimension, the only thing reads look at.
//!
//! Ingest folds a batch into [`RollupKey`] → [`RollupTotals`] deltas (and workflow deltas),
//! which storage adds to its tables in the same transaction as the raw events. Keys keep
//! every dimension that attribution and exact pricing need: the day (effective dates), the
//! key and tags (attribution), provider and model (price card), tier and context band (rates).

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::attribution::EventDims;
use crate::event::{Outcome, ServiceTier, UsageEvent};
use crate::price_card::context_band;
use crate::tokens::TokenCounts;

/// The dimensions of one rollup row. Absent strings are empty, so that a unique index can
/// cover them (NULLs never collide in SQL).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct RollupKey {
    pub day: NaiveDate,
    pub provider: String,
    pub model: String,
    pub api_key: String,
    pub team: String,
    pub feature: String,
    pub environment: String,
    /// The event's further tags as canonical JSON (sorted keys), or empty.
    pub tags: String,
    pub service_tier: ServiceTier,
    pub outcome: Outcome,
    /// [`context_band`] of each call's input.
    pub context_band: u64,
    /// Whether the calls belong to a workflow: what a workflow's calls cost is read from these.
    pub in_workflow: bool,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RollupTotals {
    pub events: u64,
    pub requests: u64,
    pub tokens: TokenCounts,
    /// Successful requests that are not part of a workflow (a workflow's success is counted
    /// once, from its final call).
    pub standalone_successes: u64,
}

impl RollupTotals {
    pub fn add(&mut self, o: &RollupTotals) {
        self.events += o.events;
        self.requests += o.requests;
        self.tokens.add(&o.tokens);
        self.standalone_successes += o.standalone_successes;
    }

    /// Takes a part away (late usage out of its closed month), stopping at zero.
    pub fn saturating_sub(&mut self, o: &RollupTotals) {
        self.events = self.events.saturating_sub(o.events);
        self.requests = self.requests.saturating_sub(o.requests);
        self.tokens.saturating_sub(&o.tokens);
        self.standalone_successes = self
            .standalone_successes
            .saturating_sub(o.standalone_successes);
    }
}

/// Owner-relevant dimensions shared by rollup rows and workflows.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Dims {
    pub provider: String,
    pub model: String,
    pub api_key: String,
    pub team: String,
    pub feature: String,
    pub environment: String,
    pub tags: String,
}

impl Dims {
    pub fn of(e: &UsageEvent) -> Self {
        let s = |o: &Option<String>| o.clone().unwrap_or_default();
        Dims {
            provider: e.provider.clone(),
            model: e.model.clone(),
            api_key: s(&e.api_key),
            team: s(&e.team),
            feature: s(&e.feature),
            environment: s(&e.environment),
            tags: if e.tags.is_empty() {
                String::new()
            } else {
                serde_json::to_string(&e.tags).unwrap_or_default()
            },
        }
    }

    /// Parsed tags; a row whose tags do not parse is treated as having none.
    pub fn parse_tags(&self) -> BTreeMap<String, String> {
        if self.tags.is_empty() {
            BTreeMap::new()
        } else {
            serde_json::from_str(&self.tags).unwrap_or_default()
        }
    }

    /// The view attribution needs; `tags` must come from [`Dims::parse_tags`].
    pub fn event_dims<'a>(&'a self, tags: &'a BTreeMap<String, String>) -> EventDims<'a> {
        let opt = |s: &'a String| (!s.is_empty()).then_some(s.as_str());
        EventDims {
            provider: &self.provider,
            model: &self.model,
            api_key: opt(&self.api_key),
            team: opt(&self.team),
            feature: opt(&self.feature),
            environment: opt(&self.environment),
            tags,
        }
    }
}

impl RollupKey {
    pub fn of(e: &UsageEvent) -> Self {
        let d = Dims::of(e);
        RollupKey {
            day: e.timestamp.date_naive(),
            provider: d.provider,
            model: d.model,
            api_key: d.api_key,
            team: d.team,
            feature: d.feature,
            environment: d.environment,
            tags: d.tags,
            service_tier: e.service_tier,
            outcome: e.outcome,
            context_band: context_band(e.tokens.input / e.requests.max(1)),
            in_workflow: e.workflow_id.is_some(),
        }
    }

    /// The view attribution needs, borrowed from the key (no copy of its strings); `tags`
    /// must be the parse of its `tags` (see [`Dims::parse_tags`]).
    pub fn event_dims<'a>(&'a self, tags: &'a BTreeMap<String, String>) -> EventDims<'a> {
        let opt = |s: &'a String| (!s.is_empty()).then_some(s.as_str());
        EventDims {
            provider: &self.provider,
            model: &self.model,
            api_key: opt(&self.api_key),
            team: opt(&self.team),
            feature: opt(&self.feature),
            environment: opt(&self.environment),
            tags,
        }
    }

    /// Parsed tags, as [`Dims::parse_tags`].
    pub fn parse_tags(&self) -> BTreeMap<String, String> {
        if self.tags.is_empty() {
            BTreeMap::new()
        } else {
            serde_json::from_str(&self.tags).unwrap_or_default()
        }
    }

    pub fn dims(&self) -> Dims {
        Dims {
            provider: self.provider.clone(),
            model: self.model.clone(),
            api_key: self.api_key.clone(),
            team: self.team.clone(),
            feature: self.feature.clone(),
            environment: self.environment.clone(),
            tags: self.tags.clone(),
        }
    }
}

/// Folds events into rollup deltas, sorted by key (so that storage touches rows in one order
/// and concurrent writers cannot deadlock).
pub fn fold<'a>(
    events: impl IntoIterator<Item = &'a UsageEvent>,
) -> BTreeMap<RollupKey, RollupTotals> {
    let mut out: BTreeMap<RollupKey, RollupTotals> = BTreeMap::new();
    for e in events {
        let t = out.entry(RollupKey::of(e)).or_default();
        t.events += 1;
        t.requests += e.requests;
        t.tokens.add(&e.tokens);
        if e.outcome == Outcome::Success && e.workflow_id.is_none() {
            t.standalone_successes += e.requests;
        }
    }
    out
}

/// The dimensions a party rollup (per customer, per user) keeps: what attribution and pricing
/// read (owner dimensions, tier, context band), without the outcome and workflow flag, which
/// token cost does not depend on. Storage numbers each distinct tuple once.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct PartyDims {
    pub dims: Dims,
    pub service_tier: ServiceTier,
    pub context_band: u64,
}

impl PartyDims {
    pub fn of(e: &UsageEvent) -> Self {
        PartyDims {
            dims: Dims::of(e),
            service_tier: e.service_tier,
            context_band: context_band(e.tokens.input / e.requests.max(1)),
        }
    }

    /// The rollup key these dimensions read as on `day` (the month's first): successful calls
    /// outside workflows, since the party rollups keep neither.
    pub fn rollup_key(&self, day: NaiveDate) -> RollupKey {
        let d = self.dims.clone();
        RollupKey {
            day,
            provider: d.provider,
            model: d.model,
            api_key: d.api_key,
            team: d.team,
            feature: d.feature,
            environment: d.environment,
            tags: d.tags,
            service_tier: self.service_tier,
            outcome: Outcome::Success,
            context_band: self.context_band,
            in_workflow: false,
        }
    }
}

/// One row of a batch's party deltas: a month, dimensions, and the customer and user the
/// events named (empty for none; events naming neither make no row).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PartyKey {
    pub month: crate::month::Month,
    pub dims: PartyDims,
    pub customer: String,
    pub user: String,
}

/// Monthly deltas per customer and user of the events that name either, summed like [`fold`]
/// (no standalone successes: the party rollups keep no outcome). One row serves both the
/// per-customer and the per-user rollup.
pub fn fold_parties<'a>(
    events: impl IntoIterator<Item = &'a UsageEvent>,
) -> BTreeMap<PartyKey, RollupTotals> {
    let mut out: BTreeMap<PartyKey, RollupTotals> = BTreeMap::new();
    for e in events {
        let named = |o: &Option<String>| o.as_deref().filter(|c| !c.is_empty()).map(str::to_owned);
        let (customer, user) = (named(&e.customer), named(&e.user));
        if customer.is_none() && user.is_none() {
            continue;
        }
        let key = PartyKey {
            month: crate::month::Month::of(e.timestamp.date_naive()),
            dims: PartyDims::of(e),
            customer: customer.unwrap_or_default(),
            user: user.unwrap_or_default(),
        };
        let t = out.entry(key).or_default();
        t.events += 1;
        t.requests += e.requests;
        t.tokens.add(&e.tokens);
    }
    out
}

/// What a batch adds to one workflow: its calls, and its first and last call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkflowDelta {
    pub calls: u64,
    pub requests: u64,
    pub input_tokens: u64,
    pub first_at: DateTime<Utc>,
    pub first_input: u64,
    pub last_at: DateTime<Utc>,
    /// Breaks ties between calls of the same instant, so that every writer agrees.
    pub last_event_id: String,
    pub last_outcome: Outcome,
    pub last_input: u64,
    /// The final call's owner dimensions: the workflow is attributed as its final call.
    pub last_dims: Dims,
}

impl WorkflowDelta {
    /// Whether (at, id) comes after this delta's last call.
    pub fn is_later(&self, at: DateTime<Utc>, id: &str) -> bool {
        (at, id) > (self.last_at, self.last_event_id.as_str())
    }

    pub fn merge(&mut self, o: &WorkflowDelta) {
        self.calls += o.calls;
        self.requests += o.requests;
        self.input_tokens += o.input_tokens;
        if o.first_at < self.first_at {
            self.first_at = o.first_at;
            self.first_input = o.first_input;
        }
        if self.is_later(o.last_at, &o.last_event_id) {
            self.last_at = o.last_at;
            self.last_event_id = o.last_event_id.clone();
            self.last_outcome = o.last_outcome;
            self.last_input = o.last_input;
            self.last_dims = o.last_dims.clone();
        }
    }
}

pub fn fold_workflows<'a>(
    events: impl IntoIterator<Item = &'a UsageEvent>,
) -> BTreeMap<String, WorkflowDelta> {
    let mut out: BTreeMap<String, WorkflowDelta> = BTreeMap::new();
    for e in events {
        let Some(wf) = &e.workflow_id else { continue };
        let delta = WorkflowDelta {
            calls: 1,
            requests: e.requests,
            input_tokens: e.tokens.input,
            first_at: e.timestamp,
            first_input: e.tokens.input,
            last_at: e.timestamp,
            last_event_id: e.id.clone(),
            last_outcome: e.outcome,
            last_input: e.tokens.input,
            last_dims: Dims::of(e),
        };
        match out.get_mut(wf) {
            Some(d) => d.merge(&delta),
            None => {
                out.insert(wf.clone(), delta);
            }
        }
    }
    out
}

/// A user seen on a day with some owner dimensions: what active-user counts read. Kept apart
/// from rollups so that user ids, which are many, do not multiply rollup rows.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct UserDay {
    pub day: NaiveDate,
    pub dims: Dims,
    pub user: String,
}

/// The distinct (day, dimensions, user) of a batch, sorted.
pub fn fold_users<'a>(
    events: impl IntoIterator<Item = &'a UsageEvent>,
) -> std::collections::BTreeSet<UserDay> {
    events
        .into_iter()
        .filter_map(|e| {
            e.user.as_ref().map(|u| UserDay {
                day: e.timestamp.date_naive(),
                dims: Dims::of(e),
                user: u.clone(),
            })
        })
        .collect()
}

/// Bits per [`UserWord`]: 63, so that a word is a positive 64-bit integer in both databases.
pub const USER_WORD_BITS: u64 = 63;

/// One word of the set of users seen on a day under one set of owner dimensions. Users are
/// numbered once (storage keeps the numbers); user `n` is bit `n % 63` of word `n / 63`. A
/// day's users under one set of dimensions are thus a few words, however many events they
/// made, and the union of sets is a bitwise or: active-user counts read words, not events.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct UserWord {
    pub day: NaiveDate,
    pub dims: Dims,
    pub word: u64,
    pub bits: u64,
}

impl UserWord {
    /// The word and the bit of user number `n`.
    pub fn place(n: u64) -> (u64, u64) {
        (n / USER_WORD_BITS, 1 << (n % USER_WORD_BITS))
    }
}

/// The words of these user days, each user numbered by `number`; one word per day,
/// dimensions and word number, sorted (so concurrent writers lock rows in one order).
pub fn user_words<'a>(
    days: impl IntoIterator<Item = &'a UserDay>,
    number: impl Fn(&str) -> Option<u64>,
) -> Vec<UserWord> {
    let mut words: BTreeMap<(NaiveDate, &'a Dims, u64), u64> = BTreeMap::new();
    for u in days {
        let Some(n) = number(&u.user) else { continue };
        let (word, bit) = UserWord::place(n);
        *words.entry((u.day, &u.dims, word)).or_default() |= bit;
    }
    words
        .into_iter()
        .map(|((day, dims, word), bits)| UserWord {
            day,
            dims: dims.clone(),
            word,
            bits,
        })
        .collect()
}

/// A stored workflow as reads see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WorkflowRow {
    pub workflow_id: String,
    /// The day of its final call, which places it in a month.
    pub day: NaiveDate,
    pub first_at: DateTime<Utc>,
    pub last_at: DateTime<Utc>,
    pub calls: u64,
    pub requests: u64,
    /// Input tokens of its first and of its final call: how far the context grew.
    pub first_input: u64,
    pub last_input: u64,
    pub last_outcome: Outcome,
    /// Set by the client when it knows better than the final call (`POST
    /// /api/v1/workflows/{id}/outcome`).
    pub explicit_outcome: Option<Outcome>,
    /// The final call's owner dimensions.
    #[serde(skip)]
    pub dims: Dims,
}

impl WorkflowRow {
    /// What a workflow stored from these deltas looks like, before any explicit outcome.
    pub fn of(workflow_id: String, d: WorkflowDelta) -> Self {
        WorkflowRow {
            workflow_id,
            day: d.last_at.date_naive(),
            first_at: d.first_at,
            last_at: d.last_at,
            calls: d.calls,
            requests: d.requests,
            first_input: d.first_input,
            last_input: d.last_input,
            last_outcome: d.last_outcome,
            explicit_outcome: None,
            dims: d.last_dims,
        }
    }

    /// The explicit outcome if one was set, else the final call's.
    pub fn outcome(&self) -> Outcome {
        self.explicit_outcome.unwrap_or(self.last_outcome)
    }

    /// Whether it completed: its outcome is success.
    pub fn completed(&self) -> bool {
        self.outcome() == Outcome::Success
    }
}

/// Workflows that end alike: the same day of their final call, final-call dimensions and
/// outcome. Showback and drill-downs count workflows, and need no more than these sums, which
/// storage keeps up to date as calls arrive; so a month's reads do not grow with its workflows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WorkflowGroup {
    /// The day of the final calls (or the first day of a stretch of days, as rollups).
    pub day: NaiveDate,
    #[serde(skip)]
    pub dims: Dims,
    /// The workflows' outcome: explicit if one was set, else the final call's.
    pub outcome: Outcome,
    pub workflows: u64,
    pub calls: u64,
    /// Input tokens of the first and of the final call, summed over the group's workflows of
    /// two calls or more (how far their context grew).
    pub first_input: u64,
    pub last_input: u64,
}

impl WorkflowGroup {
    /// A group of one workflow.
    pub fn of(w: &WorkflowRow) -> Self {
        let multi_call = w.calls > 1;
        WorkflowGroup {
            day: w.day,
            dims: w.dims.clone(),
            outcome: w.outcome(),
            workflows: 1,
            calls: w.calls,
            first_input: if multi_call { w.first_input } else { 0 },
            last_input: if multi_call { w.last_input } else { 0 },
        }
    }

    /// How many of the group's workflows completed: all of them when their outcome is
    /// success, none otherwise.
    pub fn completed(&self) -> u64 {
        if self.outcome == Outcome::Success {
            self.workflows
        } else {
            0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(id: &str, ts: &str, outcome: &str, wf: Option<&str>, input: u64) -> UsageEvent {
        let mut v = json!({"id": id, "timestamp": ts, "provider": "openai", "model": "gpt-4o",
            "input_tokens": input, "output_tokens": 10, "outcome": outcome, "api_key": "k1"});
        if let Some(w) = wf {
            v["workflow_id"] = json!(w);
        }
        UsageEvent::from_json(&v, "2027-01-01T00:00:00Z".parse().unwrap()).unwrap()
    }

    #[test]
    fn folds_same_dimensions_into_one_row() {
        let evs = [
            event("a", "2026-01-01T01:00:00Z", "success", None, 100),
            event("b", "2026-01-01T02:00:00Z", "success", None, 50),
            event("c", "2026-01-01T03:00:00Z", "success", Some("w"), 10),
            event("d", "2026-01-02T03:00:00Z", "success", None, 300_000),
        ];
        let rows = fold(&evs);
        // The workflow call gets a row of its own (what workflows cost is read from those)
        // and adds no standalone success.
        assert_eq!(rows.len(), 3);
        let mut day_one = rows
            .iter()
            .filter(|(k, _)| k.day.to_string() == "2026-01-01");
        let (k, alone) = day_one.next().unwrap();
        assert!(!k.in_workflow);
        assert_eq!(
            (alone.events, alone.tokens.input, alone.standalone_successes),
            (2, 150, 2)
        );
        let (k, flow) = day_one.next().unwrap();
        assert!(k.in_workflow);
        assert_eq!((flow.events, flow.standalone_successes), (1, 0));
        assert_eq!(rows.keys().last().unwrap().context_band, 272_000);
    }

    #[test]
    fn a_workflow_remembers_its_final_call_whatever_the_order() {
        let evs = [
            event("3", "2026-01-01T03:00:00Z", "success", Some("w"), 300),
            event("1", "2026-01-01T01:00:00Z", "retry", Some("w"), 100),
            event("2", "2026-01-01T02:00:00Z", "failure", Some("w"), 200),
        ];
        let wf = &fold_workflows(&evs)["w"];
        assert_eq!(
            (wf.calls, wf.first_input, wf.last_input, wf.last_outcome),
            (3, 100, 300, Outcome::Success)
        );
    }
}
