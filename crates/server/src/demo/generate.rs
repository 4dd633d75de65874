//! A deterministic, realistic demo organisation: usage events, key mappings, one virtual-tag
//! rule and monthly overheads, for `tokentally demo`.
//!
//! [`generate`] is a pure function of its [`DemoSpec`]: no IO, no clock, no global random
//! state. Randomness comes from a small SplitMix64 generator in this file, seeded per
//! (month, feature, day) from `spec.seed`, so the same spec always yields the same data, and the
//! past does not change when only `now` moves forward within a month.
//!
//! The organisation: seven teams (search, support, growth, data-platform, legal-ai, mobile and
//! sales), 24 features that get spend, 40 API keys across prod, staging and dev (one owned but
//! never used, one used only in the first two months). Support and mobile call through a
//! gateway that tags events with team, feature and environment; sales is known only by those
//! tags (its keys have no mapping). Five keys are unmapped, one key is mapped only from the 15th
//! of the second-to-last month, one key's gateway tag names an old team (a conflict), and a
//! batch-eval key is attributed by the one virtual-tag rule. One internal model no price file
//! knows keeps the Unpriced bucket busy. Legal-ai has a spike week (an acquisition's due
//! diligence) two months before the last.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Utc, Weekday};
use rust_decimal::Decimal;
use tokentally_domain::allocation::{Allocation, Overhead};
use tokentally_domain::attribution::{KeyMapping, Rule};
use tokentally_domain::commitment::{Commitment, DEFAULT_UTILISATION_FLOOR};
use tokentally_domain::discount::Discount;
use tokentally_domain::event::{Outcome, ServiceTier, UsageEvent};
use tokentally_domain::month::Month;
use tokentally_domain::tokens::TokenCounts;
use tokentally_domain::transaction::{BusinessTransactions, Period};

/// The seed [`DemoSpec::ending`] uses.
pub const DEFAULT_SEED: u64 = 42;
/// How many months [`DemoSpec::ending`] covers, the current one included.
pub const DEFAULT_MONTHS: u32 = 6;
/// The average number of event rows per (full) month [`DemoSpec::ending`] asks for.
pub const DEFAULT_EVENTS_PER_MONTH: u32 = 30_000;
/// The `source` of every demo event.
pub const SOURCE: &str = "demo";
/// Month-over-month growth of the whole organisation's traffic.
const MONTHLY_GROWTH: f64 = 1.08;
/// The team with a spike week, and the days of that week.
const SPIKE_TEAM: &str = "legal-ai";
const SPIKE_DAYS: std::ops::RangeInclusive<u32> = 8..=14;
const SPIKE_FACTOR: f64 = 4.0;

/// Everything the demo organisation is made of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoData {
    /// Sorted by timestamp; ids are `demo-<YYYY-MM>-<n>`, numbered in time order per month.
    pub events: Vec<UsageEvent>,
    pub mappings: Vec<KeyMapping>,
    pub rules: Vec<Rule>,
    pub overheads: Vec<Overhead>,
    pub commitments: Vec<Commitment>,
    pub discounts: Vec<Discount>,
    pub transactions: Vec<BusinessTransactions>,
}

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoSpec {
    pub seed: u64,
    /// The last month generated; the months are `last_month - (months-1) ..= last_month`.
    pub last_month: Month,
    pub months: u32,
    /// The average number of event rows in a full month; the first month has fewer and the
    /// last more (≈ +8% a month), and the month of `now` only its days up to `now`.
    pub events_per_month: u32,
    /// No event lies after it.
    pub now: DateTime<Utc>,
}

impl DemoSpec {
    /// The default demo ending at `now`: six months, the last one being the month of `now`
    /// (month to date).
    pub fn ending(now: DateTime<Utc>) -> Self {
        Self {
            seed: DEFAULT_SEED,
            last_month: Month::of(now.date_naive()),
            months: DEFAULT_MONTHS,
            events_per_month: DEFAULT_EVENTS_PER_MONTH,
            now,
        }
    }

    /// The months covered, oldest first.
    pub fn month_list(&self) -> Vec<Month> {
        let mut months = Vec::with_capacity(self.months as usize);
        let mut m = self.last_month;
        for _ in 0..self.months {
            months.push(m);
            m = m.previous();
        }
        months.reverse();
        months
    }
}

/// Generates the demo organisation described by `spec`.
pub fn generate(spec: &DemoSpec) -> DemoData {
    let months = spec.month_list();
    let mut events = Vec::new();
    let mut workflow_counters = vec![0u32; FEATURES.len()];
    for (i, &month) in months.iter().enumerate() {
        events.extend(month_events(spec, i, month, &mut workflow_counters));
    }
    DemoData {
        commitments: commitments(&events, &months),
        discounts: vec![Discount {
            provider: "anthropic".to_owned(),
            percent: Decimal::new(8, 0),
            effective_from: months[0].first_day(),
        }],
        transactions: transactions(&events),
        mappings: mappings(&months),
        rules: rules(),
        overheads: overheads(spec.seed, &months),
        events,
    }
}

/// Provisioned gpt-4o capacity, sized to each month's use (well used) except the last month,
/// bought at twice its use so that the demo shows an under-used commitment.
fn commitments(events: &[UsageEvent], months: &[Month]) -> Vec<Commitment> {
    months
        .iter()
        .enumerate()
        .map(|(i, &month)| {
            let used: u64 = events
                .iter()
                .filter(|e| e.model == "gpt-4o" && Month::of(e.timestamp.date_naive()) == month)
                .map(|e| e.tokens.input + e.tokens.output)
                .sum();
            let factor = if i + 1 == months.len() { 20 } else { 11 };
            Commitment {
                month,
                provider: "openai".to_owned(),
                model: "gpt-4o".to_owned(),
                fee: Decimal::new(60, 0),
                capacity_tokens: (used * factor / 10).max(1),
                utilisation_floor: DEFAULT_UTILISATION_FLOOR,
            }
        })
        .collect()
}

/// Business transactions each feature reports: one per four successful calls, per month.
fn transactions(events: &[UsageEvent]) -> Vec<BusinessTransactions> {
    let mut counts: BTreeMap<(Month, &str), u64> = BTreeMap::new();
    for e in events.iter().filter(|e| e.outcome == Outcome::Success) {
        if let Some(f) = e.feature.as_deref() {
            *counts
                .entry((Month::of(e.timestamp.date_naive()), f))
                .or_default() += e.requests;
        }
    }
    counts
        .into_iter()
        .filter_map(|((month, feature), n)| {
            let f = FEATURES.iter().find(|x| x.name == feature)?;
            Some(BusinessTransactions {
                period: Period::Month(month),
                team: f.team.to_owned(),
                feature: feature.to_owned(),
                name: "tasks completed".to_owned(),
                count: n / 4,
            })
        })
        .filter(|t| t.count > 0)
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The organisation

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Model {
    Gpt4o,
    Gpt4oMini,
    O3Mini,
    Embedding3Small,
    Sonnet35,
    Haiku35,
    Gemini25Pro,
    /// A self-hosted model no price file knows: its usage lands in Unpriced.
    AcmeLlm7b,
}

impl Model {
    fn provider(self) -> &'static str {
        match self {
            Self::Gpt4o | Self::Gpt4oMini | Self::O3Mini | Self::Embedding3Small => "openai",
            Self::Sonnet35 | Self::Haiku35 => "anthropic",
            Self::Gemini25Pro => "vertex_ai",
            Self::AcmeLlm7b => "internal",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Gpt4o => "gpt-4o",
            Self::Gpt4oMini => "gpt-4o-mini",
            Self::O3Mini => "o3-mini",
            Self::Embedding3Small => "text-embedding-3-small",
            Self::Sonnet35 => "claude-3-5-sonnet-20241022",
            Self::Haiku35 => "claude-3-5-haiku-20241022",
            Self::Gemini25Pro => "gemini-2.5-pro",
            Self::AcmeLlm7b => "acme-llm-7b",
        }
    }

    /// (time to first token in ms, ms per output token).
    fn speed(self) -> (f64, f64) {
        match self {
            Self::Gpt4o => (450.0, 14.0),
            Self::Gpt4oMini => (300.0, 8.0),
            Self::O3Mini => (900.0, 9.0),
            Self::Embedding3Small => (120.0, 0.0),
            Self::Sonnet35 => (700.0, 18.0),
            Self::Haiku35 => (400.0, 10.0),
            Self::Gemini25Pro => (1200.0, 12.0),
            Self::AcmeLlm7b => (250.0, 22.0),
        }
    }
}

/// When in the week and the day a feature is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rhythm {
    /// Staff at work: weekdays, office hours.
    Office,
    /// End users: every day, evenings busiest, weekends a little busier.
    Consumer,
    /// Back-end services: around the clock, quieter at weekends.
    Steady,
    /// Scheduled jobs: every night.
    Nightly,
}

impl Rhythm {
    fn day_weight(self, day: NaiveDate) -> f64 {
        let wd = day.weekday();
        match (self, wd) {
            (Self::Office, Weekday::Sat) => 0.15,
            (Self::Office, Weekday::Sun) => 0.1,
            (Self::Office, Weekday::Mon) => 1.05,
            (Self::Office, Weekday::Fri) => 0.9,
            (Self::Office, _) => 1.0,
            (Self::Consumer, Weekday::Sat) => 1.2,
            (Self::Consumer, Weekday::Sun) => 1.25,
            (Self::Consumer, _) => 1.0,
            (Self::Steady, Weekday::Sat | Weekday::Sun) => 0.55,
            (Self::Steady, _) => 1.0,
            (Self::Nightly, _) => 1.0,
        }
    }

    /// Relative weight of each hour of the day (UTC).
    fn hours(self) -> &'static [u32; 24] {
        match self {
            Self::Office => &[
                1, 1, 1, 1, 1, 2, 4, 8, 12, 14, 15, 14, 11, 13, 15, 14, 12, 9, 6, 4, 3, 2, 1, 1,
            ],
            Self::Consumer => &[
                3, 2, 1, 1, 1, 1, 2, 4, 6, 7, 8, 9, 9, 8, 8, 8, 9, 10, 12, 14, 15, 13, 9, 5,
            ],
            Self::Steady => &[
                4, 3, 3, 3, 3, 4, 5, 7, 9, 10, 10, 10, 9, 10, 10, 10, 9, 8, 7, 6, 5, 5, 4, 4,
            ],
            Self::Nightly => &[
                6, 9, 10, 9, 7, 4, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 3,
            ],
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    /// Independent calls.
    Calls,
    /// Agent runs of 3–9 calls, each step's input carrying the context of the steps before;
    /// `tool` is the range of tokens a tool result adds per step.
    Workflows { tool: (u64, u64) },
    /// Pre-aggregated rows of a nightly batch job: `rows` a night, each of `requests` calls.
    NightlyRows {
        rows: u32,
        requests: (u64, u64),
        job: &'static str,
    },
}

/// One feature: who owns it and what its calls look like.
#[derive(Debug, Clone, Copy)]
struct Feature {
    team: &'static str,
    name: &'static str,
    kind: Kind,
    /// Relative share of the month's event rows (sampled kinds only).
    share: f64,
    /// Monthly growth on top of the organisation's.
    trend: f64,
    /// Launched this many months before the last one (`None`: always there).
    since: Option<u32>,
    rhythm: Rhythm,
    models: &'static [(Model, u32)],
    /// Input tokens per call (per request for pre-aggregated rows; the first step's context
    /// for workflows), log-uniform.
    input: (u64, u64),
    output: (u64, u64),
    /// Probability that a call reads a cached prompt prefix.
    cache: f64,
    /// The cacheable prefix (system prompt, tools, shared documents) as a share of input.
    prefix: (f64, f64),
    failure: f64,
    batch: f64,
    flex: f64,
    /// Probability of a long-context call (200k–600k input) on models that allow it.
    long_context: f64,
    /// Range of user ids (`u-NNNN`) of a user-facing feature.
    users: Option<(u32, u32)>,
    customers: bool,
}

const fn feature(team: &'static str, name: &'static str) -> Feature {
    Feature {
        team,
        name,
        kind: Kind::Calls,
        share: 1.0,
        trend: 0.0,
        since: None,
        rhythm: Rhythm::Steady,
        models: &[(Model::Gpt4oMini, 1)],
        input: (500, 2_000),
        output: (100, 400),
        cache: 0.0,
        prefix: (0.3, 0.6),
        failure: 0.06,
        batch: 0.0,
        flex: 0.0,
        long_context: 0.0,
        users: None,
        customers: false,
    }
}

const FEATURES: &[Feature] = &[
    // search
    Feature {
        share: 13.0,
        rhythm: Rhythm::Consumer,
        models: &[(Model::Gpt4oMini, 1)],
        input: (300, 1_500),
        output: (30, 150),
        cache: 0.5,
        prefix: (0.4, 0.7),
        failure: 0.03,
        users: Some((1_000, 3_999)),
        ..feature("search", "query-rewrite")
    },
    Feature {
        share: 9.0,
        rhythm: Rhythm::Consumer,
        models: &[(Model::Embedding3Small, 7), (Model::Gpt4oMini, 3)],
        input: (500, 3_000),
        output: (20, 120),
        cache: 0.3,
        failure: 0.03,
        ..feature("search", "semantic-rerank")
    },
    Feature {
        share: 6.0,
        trend: 0.03,
        rhythm: Rhythm::Consumer,
        models: &[(Model::Haiku35, 6), (Model::Gpt4o, 4)],
        input: (3_000, 12_000),
        output: (300, 800),
        cache: 0.6,
        prefix: (0.3, 0.5),
        users: Some((1_000, 3_999)),
        ..feature("search", "search-summaries")
    },
    Feature {
        kind: Kind::NightlyRows {
            rows: 2,
            requests: (100, 250),
            job: "reindex",
        },
        share: 0.0,
        rhythm: Rhythm::Nightly,
        models: &[(Model::Embedding3Small, 1)],
        input: (6_000, 20_000),
        output: (0, 0),
        ..feature("search", "embeddings-index")
    },
    // support
    Feature {
        share: 9.0,
        rhythm: Rhythm::Office,
        input: (800, 3_000),
        output: (20, 120),
        cache: 0.7,
        prefix: (0.5, 0.7),
        failure: 0.04,
        customers: true,
        ..feature("support", "ticket-triage")
    },
    Feature {
        share: 6.0,
        rhythm: Rhythm::Office,
        models: &[(Model::Sonnet35, 1)],
        input: (3_000, 12_000),
        output: (200, 700),
        cache: 0.7,
        prefix: (0.4, 0.7),
        users: Some((600, 679)),
        customers: true,
        ..feature("support", "reply-drafts")
    },
    Feature {
        share: 8.0,
        trend: 0.02,
        rhythm: Rhythm::Steady,
        models: &[(Model::Haiku35, 1)],
        input: (3_000, 10_000),
        output: (150, 500),
        cache: 0.6,
        prefix: (0.3, 0.5),
        users: Some((5_000, 8_999)),
        customers: true,
        ..feature("support", "kb-answers")
    },
    Feature {
        kind: Kind::Workflows { tool: (400, 3_000) },
        share: 5.0,
        trend: 0.06,
        rhythm: Rhythm::Office,
        models: &[(Model::Sonnet35, 8), (Model::Haiku35, 2)],
        input: (2_500, 6_000),
        output: (120, 700),
        failure: 0.1,
        users: Some((600, 679)),
        customers: true,
        ..feature("support", "support-agent")
    },
    // growth
    Feature {
        share: 5.0,
        input: (500, 2_000),
        output: (150, 400),
        cache: 0.5,
        ..feature("growth", "email-personalization")
    },
    Feature {
        share: 2.0,
        rhythm: Rhythm::Office,
        models: &[(Model::Gpt4o, 1)],
        input: (800, 2_500),
        output: (100, 400),
        cache: 0.3,
        users: Some((700, 719)),
        ..feature("growth", "ad-copy")
    },
    Feature {
        share: 3.0,
        trend: 0.05,
        rhythm: Rhythm::Office,
        models: &[(Model::O3Mini, 1)],
        input: (4_000, 20_000),
        output: (1_000, 6_000),
        cache: 0.4,
        flex: 0.3,
        users: Some((720, 729)),
        ..feature("growth", "churn-insights")
    },
    Feature {
        kind: Kind::NightlyRows {
            rows: 1,
            requests: (300, 500),
            job: "nightly-digests",
        },
        share: 0.0,
        rhythm: Rhythm::Nightly,
        models: &[(Model::Gpt4o, 1)],
        input: (1_800, 2_600),
        output: (250, 400),
        ..feature("growth", "nightly-digests")
    },
    Feature {
        share: 1.0,
        since: Some(3),
        rhythm: Rhythm::Office,
        models: &[(Model::Gpt4o, 1)],
        input: (2_000, 10_000),
        output: (200, 1_000),
        failure: 0.08,
        ..feature("growth", "hackathon-bot")
    },
    // data-platform
    Feature {
        share: 5.0,
        trend: 0.04,
        rhythm: Rhythm::Nightly,
        models: &[
            (Model::Gpt4o, 4),
            (Model::Sonnet35, 3),
            (Model::Gpt4oMini, 3),
        ],
        input: (1_000, 6_000),
        output: (100, 800),
        failure: 0.04,
        batch: 0.9,
        ..feature("data-platform", "offline-evals")
    },
    Feature {
        kind: Kind::Workflows { tool: (300, 4_000) },
        share: 2.5,
        rhythm: Rhythm::Office,
        models: &[(Model::O3Mini, 6), (Model::Gpt4o, 4)],
        input: (1_500, 4_000),
        output: (150, 900),
        failure: 0.08,
        flex: 0.05,
        users: Some((300, 379)),
        ..feature("data-platform", "sql-copilot")
    },
    Feature {
        share: 1.2,
        trend: 0.04,
        models: &[(Model::Gemini25Pro, 1)],
        input: (10_000, 120_000),
        output: (500, 3_000),
        cache: 0.2,
        failure: 0.07,
        long_context: 0.03,
        ..feature("data-platform", "doc-extraction")
    },
    Feature {
        share: 2.0,
        models: &[(Model::AcmeLlm7b, 1)],
        input: (500, 4_000),
        output: (400, 3_000),
        failure: 0.06,
        ..feature("data-platform", "pii-redaction")
    },
    // legal-ai
    Feature {
        share: 1.2,
        trend: 0.05,
        rhythm: Rhythm::Office,
        models: &[(Model::Gemini25Pro, 6), (Model::Sonnet35, 4)],
        input: (20_000, 150_000),
        output: (800, 3_000),
        cache: 0.4,
        prefix: (0.1, 0.2),
        long_context: 0.05,
        users: Some((500, 539)),
        ..feature("legal-ai", "contract-review")
    },
    Feature {
        share: 1.5,
        trend: -0.03,
        rhythm: Rhythm::Office,
        models: &[(Model::Gpt4o, 1)],
        input: (4_000, 20_000),
        output: (300, 1_200),
        cache: 0.5,
        prefix: (0.2, 0.4),
        users: Some((500, 539)),
        ..feature("legal-ai", "clause-extraction")
    },
    Feature {
        kind: Kind::Workflows {
            tool: (2_000, 12_000),
        },
        share: 1.5,
        trend: 0.1,
        since: Some(3),
        rhythm: Rhythm::Office,
        models: &[(Model::Sonnet35, 1)],
        input: (6_000, 20_000),
        output: (300, 1_500),
        failure: 0.12,
        users: Some((500, 539)),
        ..feature("legal-ai", "due-diligence-agent")
    },
    // mobile
    Feature {
        share: 11.0,
        trend: 0.04,
        rhythm: Rhythm::Consumer,
        models: &[(Model::Gpt4oMini, 8), (Model::Gpt4o, 2)],
        input: (1_000, 5_000),
        output: (100, 600),
        cache: 0.6,
        prefix: (0.4, 0.7),
        users: Some((2_000, 4_999)),
        ..feature("mobile", "in-app-assistant")
    },
    Feature {
        share: 7.0,
        rhythm: Rhythm::Consumer,
        models: &[(Model::Haiku35, 1)],
        input: (500, 2_000),
        output: (30, 200),
        cache: 0.6,
        prefix: (0.5, 0.8),
        failure: 0.04,
        users: Some((2_000, 4_999)),
        ..feature("mobile", "smart-compose")
    },
    Feature {
        share: 3.0,
        since: Some(4),
        rhythm: Rhythm::Consumer,
        models: &[(Model::Gpt4oMini, 5), (Model::Haiku35, 5)],
        input: (2_000, 10_000),
        output: (200, 600),
        cache: 0.3,
        users: Some((2_000, 4_999)),
        ..feature("mobile", "voice-notes-summary")
    },
    // sales: known only by the gateway's tags
    Feature {
        share: 1.0,
        rhythm: Rhythm::Office,
        models: &[(Model::Haiku35, 6), (Model::Gpt4o, 4)],
        input: (2_000, 9_000),
        output: (200, 900),
        cache: 0.4,
        users: Some((800, 829)),
        customers: true,
        ..feature("sales", "lead-research")
    },
    Feature {
        share: 0.6,
        rhythm: Rhythm::Office,
        models: &[(Model::Gpt4o, 1)],
        input: (3_000, 12_000),
        output: (400, 1_200),
        cache: 0.3,
        users: Some((800, 829)),
        customers: true,
        ..feature("sales", "account-briefs")
    },
];

/// How a key is owned in the admin's forms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mapped {
    /// Mapped since the start of the first month.
    Yes,
    /// Mapped from the 15th of the second-to-last month: the earlier spend re-attributes.
    Late,
    /// Never mapped.
    No,
}

/// Which tags the key's events carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tagged {
    None,
    /// A gateway sets team, feature and environment (and a region).
    Gateway,
    /// A gateway with a stale config names the wrong team: a conflict with the mapping.
    GatewayTeam(&'static str),
    /// Only the custom tag `app`, for the virtual-tag rule.
    App(&'static str),
}

#[derive(Debug, Clone, Copy)]
struct Key {
    id: &'static str,
    feature: &'static str,
    env: &'static str,
    /// Relative share of its feature's calls (0: owned but never used).
    weight: u32,
    mapped: Mapped,
    tagged: Tagged,
    /// Whether the app reports outcomes (dev keys and prototypes mostly do not).
    outcomes: bool,
    /// Used only in the first n months (a key that went quiet).
    first_months: Option<u32>,
}

const fn key(id: &'static str, feature: &'static str, env: &'static str, weight: u32) -> Key {
    let dev = matches!(env.as_bytes(), b"dev");
    Key {
        id,
        feature,
        env,
        weight,
        mapped: Mapped::Yes,
        tagged: Tagged::None,
        outcomes: !dev,
        first_months: None,
    }
}

const fn gw(k: Key) -> Key {
    Key {
        tagged: Tagged::Gateway,
        ..k
    }
}

const KEYS: &[Key] = &[
    // search: no gateway
    key("key-search-prod-01", "query-rewrite", "prod", 90),
    key("key-search-staging-01", "query-rewrite", "staging", 7),
    key("key-search-dev-01", "query-rewrite", "dev", 3),
    key("key-search-prod-02", "semantic-rerank", "prod", 1),
    Key {
        tagged: Tagged::GatewayTeam("discovery"),
        ..key("key-search-prod-03", "search-summaries", "prod", 92)
    },
    key("key-search-staging-02", "search-summaries", "staging", 8),
    key("key-search-prod-04", "embeddings-index", "prod", 1),
    // support: every call through the gateway
    gw(key("key-support-prod-01", "ticket-triage", "prod", 93)),
    gw(key("key-support-staging-01", "ticket-triage", "staging", 7)),
    gw(key("key-support-prod-02", "reply-drafts", "prod", 95)),
    gw(key("key-support-dev-01", "reply-drafts", "dev", 5)),
    gw(key("key-support-prod-03", "kb-answers", "prod", 1)),
    gw(key("key-support-prod-04", "support-agent", "prod", 88)),
    gw(key(
        "key-support-staging-02",
        "support-agent",
        "staging",
        12,
    )),
    // growth
    key("key-growth-prod-01", "email-personalization", "prod", 90),
    Key {
        first_months: Some(2),
        ..key("key-growth-dev-01", "email-personalization", "dev", 10)
    },
    key("key-growth-prod-02", "ad-copy", "prod", 1),
    Key {
        mapped: Mapped::Late,
        ..key("key-growth-prod-03", "churn-insights", "prod", 1)
    },
    key("key-growth-prod-04", "nightly-digests", "prod", 1),
    Key {
        mapped: Mapped::No,
        outcomes: false,
        ..key("key-hackathon-01", "hackathon-bot", "dev", 1)
    },
    // data-platform
    key("key-data-platform-prod-01", "offline-evals", "prod", 6),
    Key {
        mapped: Mapped::No,
        tagged: Tagged::App("batch-eval"),
        ..key("key-batch-eval-01", "offline-evals", "prod", 4)
    },
    key("key-data-platform-prod-02", "sql-copilot", "prod", 85),
    key("key-data-platform-dev-01", "sql-copilot", "dev", 15),
    key("key-data-platform-prod-03", "doc-extraction", "prod", 1),
    key("key-data-platform-prod-04", "pii-redaction", "prod", 1),
    // legal-ai
    key("key-legal-ai-prod-01", "contract-review", "prod", 94),
    key("key-legal-ai-staging-01", "contract-review", "staging", 6),
    key("key-legal-ai-prod-02", "clause-extraction", "prod", 1),
    key("key-legal-ai-prod-03", "due-diligence-agent", "prod", 1),
    key("key-legal-ai-dev-01", "due-diligence-agent", "dev", 0),
    // mobile: through the gateway, except a developer's key that bypasses it
    gw(key("key-mobile-prod-01", "in-app-assistant", "prod", 88)),
    gw(key(
        "key-mobile-staging-01",
        "in-app-assistant",
        "staging",
        5,
    )),
    gw(key("key-mobile-dev-01", "in-app-assistant", "dev", 3)),
    Key {
        mapped: Mapped::No,
        ..key("key-mobile-dev-03", "in-app-assistant", "dev", 4)
    },
    gw(key("key-mobile-prod-02", "smart-compose", "prod", 96)),
    gw(key("key-mobile-dev-02", "smart-compose", "dev", 4)),
    gw(key("key-mobile-prod-03", "voice-notes-summary", "prod", 1)),
    // sales: unmapped, attributed by the gateway's tags
    Key {
        mapped: Mapped::No,
        ..gw(key("key-sales-prod-01", "lead-research", "prod", 1))
    },
    Key {
        mapped: Mapped::No,
        ..gw(key("key-sales-prod-02", "account-briefs", "prod", 1))
    },
];

const CUSTOMERS: &[&str] = &[
    "acme-corp",
    "globex",
    "initech",
    "umbrella",
    "hooli",
    "stark-industries",
    "wayne-enterprises",
    "wonka",
    "tyrell",
    "cyberdyne",
    "soylent",
    "monarch",
];

fn rules() -> Vec<Rule> {
    vec![Rule {
        id: 1,
        priority: 10,
        provider: None,
        model: None,
        key_prefix: None,
        tag: Some(("app".to_owned(), "batch-eval".to_owned())),
        team: Some("data-platform".to_owned()),
        feature: Some("offline-evals".to_owned()),
    }]
}

fn mappings(months: &[Month]) -> Vec<KeyMapping> {
    let Some(&first) = months.first() else {
        return Vec::new();
    };
    let late = months
        .len()
        .checked_sub(2)
        .map_or(first, |i| months[i])
        .first_day()
        + Duration::days(14);
    KEYS.iter()
        .filter_map(|k| {
            let valid_from = match k.mapped {
                Mapped::Yes => first.first_day(),
                Mapped::Late => late,
                Mapped::No => return None,
            };
            let f = feature_named(k.feature);
            Some(KeyMapping {
                api_key: k.id.to_owned(),
                team: f.team.to_owned(),
                feature: Some(f.name.to_owned()),
                environment: Some(k.env.to_owned()),
                valid_from,
            })
        })
        .collect()
}

fn overheads(seed: u64, months: &[Month]) -> Vec<Overhead> {
    let mut out = Vec::new();
    for (i, &month) in months.iter().enumerate() {
        let mut rng = Rng::stream(seed, &[0x0E_4E_AD, month_key(month)]);
        let mut cents = |base: f64, growth: f64| -> i64 {
            (base * growth.powi(i as i32) * rng.range_f64(0.97, 1.03)).round() as i64
        };
        let share = |s: i64| Decimal::new(s, 2);
        out.extend([
            Overhead {
                month,
                category: "retrieval".to_owned(),
                amount: Decimal::new(cents(4_500.0, 1.04), 2),
                allocation: Allocation::Proportional,
            },
            Overhead {
                month,
                category: "vector-search".to_owned(),
                amount: Decimal::new(cents(3_000.0, 1.02), 2),
                allocation: Allocation::Fixed {
                    shares: BTreeMap::from([
                        ("search".to_owned(), share(60)),
                        ("support".to_owned(), share(40)),
                    ]),
                },
            },
            Overhead {
                month,
                category: "logging".to_owned(),
                amount: Decimal::new(cents(1_500.0, 1.05), 2),
                allocation: Allocation::Even,
            },
            Overhead {
                month,
                category: "human-review".to_owned(),
                amount: Decimal::new(cents(5_500.0, 1.02), 2),
                allocation: Allocation::Direct {
                    team: "support".to_owned(),
                },
            },
        ]);
    }
    out
}

fn feature_named(name: &str) -> &'static Feature {
    FEATURES
        .iter()
        .find(|f| f.name == name)
        .expect("every key names a feature of the table")
}

// ---------------------------------------------------------------------------------------------
// Events

/// The bounds a generated timestamp must keep: inside its month and not after `now`.
#[derive(Clone, Copy)]
struct Window {
    end_exclusive: DateTime<Utc>,
    now: DateTime<Utc>,
}

impl Window {
    fn fits(&self, t: DateTime<Utc>) -> bool {
        t < self.end_exclusive && t <= self.now
    }
}

fn midnight(day: NaiveDate) -> DateTime<Utc> {
    day.and_time(NaiveTime::MIN).and_utc()
}

fn month_key(m: Month) -> u64 {
    (m.year() as u64) * 12 + u64::from(m.number())
}

fn month_events(
    spec: &DemoSpec,
    index: usize,
    month: Month,
    workflow_counters: &mut [u32],
) -> Vec<UsageEvent> {
    let window = Window {
        end_exclusive: midnight(month.end_exclusive()),
        now: spec.now,
    };
    if midnight(month.first_day()) > spec.now {
        return Vec::new();
    }
    let centre = (f64::from(spec.months) - 1.0) / 2.0;
    let offset = index as f64 - centre;
    let month_total = f64::from(spec.events_per_month) * MONTHLY_GROWTH.powf(offset);
    let months_before_last = spec.months as usize - 1 - index;
    let spike_index = spec.months.saturating_sub(3) as usize;
    let total_share: f64 = FEATURES.iter().map(|f| f.share).sum();

    let mut drafts: Vec<UsageEvent> = Vec::new();
    for (fi, f) in FEATURES.iter().enumerate() {
        if f.since.is_some_and(|s| months_before_last > s as usize) {
            continue;
        }
        let keys: Vec<&Key> = KEYS
            .iter()
            .filter(|k| {
                k.feature == f.name
                    && k.weight > 0
                    && k.first_months.is_none_or(|n| index < n as usize)
            })
            .collect();
        if keys.is_empty() {
            continue;
        }
        let expected = month_total * f.share / total_share * (1.0 + f.trend).powf(offset);
        let weights: Vec<f64> = month.iter_days().map(|d| f.rhythm.day_weight(d)).collect();
        let weight_sum: f64 = weights.iter().sum();
        let ctx = Ctx {
            feature: f,
            keys: &keys,
            window,
            month_index: index,
            months: spec.months,
        };
        for (day, w) in month.iter_days().zip(&weights) {
            if midnight(day) > spec.now {
                break;
            }
            let mut rng = Rng::stream(
                spec.seed,
                &[month_key(month), fi as u64, day.ordinal() as u64],
            );
            match f.kind {
                Kind::NightlyRows {
                    rows,
                    requests,
                    job,
                } => {
                    for shard in 0..rows {
                        ctx.nightly_row(&mut rng, day, (shard, rows), requests, job, &mut drafts);
                    }
                }
                Kind::Calls | Kind::Workflows { .. } => {
                    let spike = if f.team == SPIKE_TEAM
                        && index == spike_index
                        && SPIKE_DAYS.contains(&day.day())
                    {
                        SPIKE_FACTOR
                    } else {
                        1.0
                    };
                    let n = expected * w / weight_sum * spike * rng.range_f64(0.85, 1.15);
                    let n = (n + rng.f64()).floor() as u64;
                    let mut made = 0;
                    while made < n {
                        made += match f.kind {
                            Kind::Workflows { tool } => {
                                workflow_counters[fi] += 1;
                                ctx.workflow(
                                    &mut rng,
                                    day,
                                    tool,
                                    workflow_counters[fi],
                                    &mut drafts,
                                )
                            }
                            _ => ctx.call(&mut rng, day, &mut drafts),
                        };
                    }
                }
            }
        }
    }

    // Number the month's events in time order; generation order breaks ties.
    drafts.sort_by_key(|e| e.timestamp);
    for (n, e) in drafts.iter_mut().enumerate() {
        e.id = format!("demo-{month}-{:06}", n + 1);
    }
    drafts
}

/// What one feature's events of one month are generated from.
struct Ctx<'a> {
    feature: &'a Feature,
    keys: &'a [&'a Key],
    window: Window,
    month_index: usize,
    months: u32,
}

impl Ctx<'_> {
    fn pick_key(&self, rng: &mut Rng) -> &Key {
        let weights: Vec<u32> = self.keys.iter().map(|k| k.weight).collect();
        self.keys[rng.weighted(&weights)]
    }

    fn pick_model(&self, rng: &mut Rng) -> Model {
        let weights: Vec<u32> = self.feature.models.iter().map(|(_, w)| *w).collect();
        self.feature.models[rng.weighted(&weights)].0
    }

    fn time_of_day(&self, rng: &mut Rng, day: NaiveDate) -> DateTime<Utc> {
        let hour = rng.weighted(self.feature.rhythm.hours()) as i64;
        midnight(day) + Duration::hours(hour) + Duration::milliseconds(rng.below(3_600_000) as i64)
    }

    fn user(&self, rng: &mut Rng) -> Option<String> {
        let (lo, hi) = self.feature.users?;
        // The user base grows over the months; a few users are far more active than the rest.
        let grown = 0.7 + 0.3 * (self.month_index as f64 + 1.0) / f64::from(self.months.max(1));
        let span = f64::from(hi - lo) * grown;
        let id = lo + (span * rng.f64() * rng.f64()) as u32;
        Some(format!("u-{id:04}"))
    }

    fn customer(&self, rng: &mut Rng) -> Option<String> {
        if !self.feature.customers {
            return None;
        }
        let i = ((CUSTOMERS.len() as f64) * rng.f64() * rng.f64()) as usize;
        Some(CUSTOMERS[i.min(CUSTOMERS.len() - 1)].to_owned())
    }

    fn base_event(&self, key: &Key, model: Model, timestamp: DateTime<Utc>) -> UsageEvent {
        let (team, feature, environment, tags) = match key.tagged {
            Tagged::None => (None, None, None, BTreeMap::new()),
            Tagged::Gateway | Tagged::GatewayTeam(_) => {
                let team = match key.tagged {
                    Tagged::GatewayTeam(t) => t,
                    _ => self.feature.team,
                };
                let region = if self.feature.team == "support" {
                    "eu-west-1"
                } else {
                    "us-east-1"
                };
                (
                    Some(team.to_owned()),
                    Some(self.feature.name.to_owned()),
                    Some(key.env.to_owned()),
                    BTreeMap::from([("region".to_owned(), region.to_owned())]),
                )
            }
            Tagged::App(app) => (
                None,
                None,
                None,
                BTreeMap::from([("app".to_owned(), app.to_owned())]),
            ),
        };
        UsageEvent {
            id: String::new(),
            source: SOURCE.to_owned(),
            timestamp,
            provider: model.provider().to_owned(),
            model: model.name().to_owned(),
            api_key: Some(key.id.to_owned()),
            team,
            feature,
            environment,
            user: None,
            customer: None,
            tags,
            tokens: TokenCounts::default(),
            requests: 1,
            service_tier: ServiceTier::Standard,
            outcome: Outcome::Unknown,
            workflow_id: None,
            latency_ms: None,
            reported_cost: None,
        }
    }

    fn tier(&self, rng: &mut Rng) -> ServiceTier {
        let r = rng.f64();
        if r < self.feature.batch {
            ServiceTier::Batch
        } else if r < self.feature.batch + self.feature.flex {
            ServiceTier::Flex
        } else {
            ServiceTier::Standard
        }
    }

    /// Input and output of one call, before caching.
    fn sizes(&self, rng: &mut Rng, model: Model) -> (u64, u64) {
        let f = self.feature;
        let mut input = rng.log_uniform(f.input.0, f.input.1);
        if model == Model::Gemini25Pro && rng.chance(f.long_context) {
            input = rng.range_u64(200_001, 600_000);
        }
        if model == Model::Sonnet35 {
            input = input.min(180_000);
        }
        let output = match model {
            Model::Embedding3Small => 0,
            _ => rng.log_uniform(f.output.0, f.output.1),
        };
        (input, output)
    }

    /// The cache classes of one independent call: anthropic writes its prefix on a miss and
    /// reads it on a hit; openai and gemini cache automatically on hits.
    fn caching(&self, rng: &mut Rng, model: Model, input: u64) -> (u64, u64) {
        let f = self.feature;
        let prefix = (input as f64 * rng.range_f64(f.prefix.0, f.prefix.1)) as u64;
        let r = rng.f64();
        match model {
            // Anthropic caches prefixes of 1,024 tokens or more, when the app asks for it.
            Model::Sonnet35 | Model::Haiku35 if f.cache > 0.0 && prefix >= 1_024 => {
                if r < f.cache {
                    (prefix, 0)
                } else if r < f.cache + (1.0 - f.cache) * 0.6 {
                    (0, prefix)
                } else {
                    (0, 0)
                }
            }
            Model::Gpt4o | Model::Gpt4oMini | Model::O3Mini if r < f.cache && input >= 1_024 => {
                ((prefix / 128 * 128).max(1_024).min(input), 0)
            }
            Model::Gemini25Pro if r < f.cache => (prefix, 0),
            _ => (0, 0),
        }
    }

    fn reasoning(rng: &mut Rng, model: Model, output: u64) -> u64 {
        let share = match model {
            Model::O3Mini => rng.range_f64(0.4, 0.8),
            Model::Gemini25Pro => rng.range_f64(0.15, 0.45),
            _ => 0.0,
        };
        (output as f64 * share) as u64
    }

    fn latency(rng: &mut Rng, model: Model, tokens: &TokenCounts) -> u64 {
        let (first, per_token) = model.speed();
        let ms = first
            + per_token * tokens.output as f64
            + 0.004 * tokens.uncached_input() as f64
            + 0.0005 * tokens.cached_input as f64;
        (ms * rng.range_f64(0.8, 1.35)) as u64
    }

    fn outcome(&self, rng: &mut Rng, key: &Key) -> Outcome {
        let r = rng.f64();
        if !key.outcomes && r < 0.7 {
            return Outcome::Unknown;
        }
        let r = rng.f64();
        let failure = self.feature.failure;
        if r < failure {
            Outcome::Failure
        } else if r < failure + 0.03 {
            Outcome::Retry
        } else if r < failure + 0.06 {
            Outcome::Unknown
        } else {
            Outcome::Success
        }
    }

    /// One independent call (and, when it asks for a retry, the retried call). Answers how
    /// many calls it generated, whether or not they fit the window.
    fn call(&self, rng: &mut Rng, day: NaiveDate, out: &mut Vec<UsageEvent>) -> u64 {
        let key = self.pick_key(rng);
        let model = self.pick_model(rng);
        let t = self.time_of_day(rng, day);
        let (input, mut output) = self.sizes(rng, model);
        let (cached, written) = self.caching(rng, model, input);
        let outcome = self.outcome(rng, key);
        let tier = self.tier(rng);
        let timed_out = outcome == Outcome::Failure && rng.chance(0.3);
        if outcome == Outcome::Failure {
            output = (output as f64 * rng.range_f64(0.0, 0.2)) as u64;
        }
        let reasoning = Self::reasoning(rng, model, output);
        let tokens = TokenCounts::new(input, cached, written, output, reasoning)
            .expect("generated token counts keep their invariants");
        let latency = if timed_out {
            30_000 + rng.below(500)
        } else {
            Self::latency(rng, model, &tokens)
        };
        let mut event = self.base_event(key, model, t);
        event.user = self.user(rng);
        event.customer = self.customer(rng);
        event.tokens = tokens;
        event.service_tier = tier;
        event.outcome = outcome;
        event.latency_ms = (tier != ServiceTier::Batch).then_some(latency);
        let mut made = 1;
        if outcome == Outcome::Retry {
            // The retried call: same prompt, a little later, and it worked.
            let mut again = event.clone();
            again.timestamp = t + Duration::milliseconds((latency + 500 + rng.below(4_000)) as i64);
            let output =
                rng.log_uniform(self.feature.output.0.max(1), self.feature.output.1.max(1));
            let output = if model == Model::Embedding3Small {
                0
            } else {
                output
            };
            again.tokens = TokenCounts::new(
                input,
                cached.max(written),
                0,
                output,
                Self::reasoning(rng, model, output),
            )
            .expect("generated token counts keep their invariants");
            again.outcome = Outcome::Success;
            again.latency_ms = event
                .latency_ms
                .map(|_| Self::latency(rng, model, &again.tokens));
            if self.window.fits(again.timestamp) {
                out.push(again);
            }
            made += 1;
        }
        if self.window.fits(t) {
            out.push(event);
        }
        made
    }

    /// One agent run: 3–9 calls, each step's input being the context so far (system prompt,
    /// earlier outputs, tool results), mostly read from the cache. Answers the calls generated.
    fn workflow(
        &self,
        rng: &mut Rng,
        day: NaiveDate,
        tool: (u64, u64),
        n: u32,
        out: &mut Vec<UsageEvent>,
    ) -> u64 {
        const STEP_WEIGHTS: [u32; 7] = [10, 18, 20, 18, 14, 10, 10];
        let steps = 3 + rng.weighted(&STEP_WEIGHTS);
        let key = self.pick_key(rng);
        let model = self.pick_model(rng);
        let user = self.user(rng);
        let customer = self.customer(rng);
        let tier = self.tier(rng);
        let fails = rng.chance(self.feature.failure);
        let workflow_id = format!("wf-{}-{n}", self.feature.name);
        let mut t = self.time_of_day(rng, day);
        let mut context = rng.log_uniform(self.feature.input.0, self.feature.input.1);
        let system = (context as f64 * rng.range_f64(0.5, 0.8)) as u64;
        let mut previous_input = 0u64;
        let mut made = 0;
        let mut step = 0;
        while step < steps {
            let last = step + 1 == steps;
            let input = context.min(180_000);
            let (cached, written) = match model {
                Model::Sonnet35 | Model::Haiku35 => {
                    if step == 0 {
                        (0, system)
                    } else {
                        (previous_input, input - previous_input)
                    }
                }
                _ if previous_input >= 1_024 => (previous_input / 128 * 128, 0),
                _ => (0, 0),
            };
            let retry = !last && rng.chance(0.04);
            let outcome = if last && fails {
                Outcome::Failure
            } else if retry {
                Outcome::Retry
            } else {
                Outcome::Success
            };
            let mut output = rng.log_uniform(self.feature.output.0, self.feature.output.1);
            if outcome == Outcome::Failure {
                output = (output as f64 * rng.range_f64(0.0, 0.3)) as u64;
            }
            let reasoning = Self::reasoning(rng, model, output);
            let tokens = TokenCounts::new(input, cached, written, output, reasoning)
                .expect("generated token counts keep their invariants");
            let latency = Self::latency(rng, model, &tokens);
            let mut event = self.base_event(key, model, t);
            event.user.clone_from(&user);
            event.customer.clone_from(&customer);
            event.tokens = tokens;
            event.service_tier = tier;
            event.outcome = outcome;
            event.workflow_id = Some(workflow_id.clone());
            event.latency_ms = Some(latency);
            if self.window.fits(t) {
                out.push(event);
            }
            made += 1;
            t += Duration::milliseconds((latency + 200 + rng.below(3_000)) as i64);
            if retry {
                // The same step again, on the same context.
                continue;
            }
            previous_input = input;
            context = input + output + rng.log_uniform(tool.0, tool.1);
            step += 1;
        }
        made
    }

    /// One pre-aggregated row of a nightly batch job.
    fn nightly_row(
        &self,
        rng: &mut Rng,
        day: NaiveDate,
        (shard, rows): (u32, u32),
        requests: (u64, u64),
        job: &str,
        out: &mut Vec<UsageEvent>,
    ) {
        let f = self.feature;
        let key = self.pick_key(rng);
        let model = self.pick_model(rng);
        let grown = MONTHLY_GROWTH.powi(self.month_index as i32);
        let requests = (rng.range_u64(requests.0, requests.1) as f64 * grown) as u64;
        let input = requests * rng.range_u64(f.input.0, f.input.1);
        let output = match model {
            Model::Embedding3Small => 0,
            _ => requests * rng.range_u64(f.output.0, f.output.1),
        };
        let t = midnight(day)
            + Duration::hours(1 + 2 * i64::from(shard))
            + Duration::milliseconds(rng.below(3_600_000) as i64);
        let mut event = self.base_event(key, model, t);
        event.tags.insert("job".to_owned(), job.to_owned());
        if rows > 1 {
            event.tags.insert("shard".to_owned(), shard.to_string());
        }
        event.tokens = TokenCounts::new(input, 0, 0, output, 0)
            .expect("generated token counts keep their invariants");
        event.requests = requests.max(1);
        event.service_tier = ServiceTier::Batch;
        event.outcome = Outcome::Success;
        if self.window.fits(t) {
            out.push(event);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Randomness

/// SplitMix64: tiny, fast, and good enough for demo data.
struct Rng(u64);

impl Rng {
    /// An independent stream for one part of the data, derived from the seed.
    fn stream(seed: u64, parts: &[u64]) -> Self {
        let mut state = Rng(seed);
        let mut h = state.next_u64();
        for &p in parts {
            state = Rng(h ^ p.wrapping_mul(0x9E37_79B9_7F4A_7C15));
            h = state.next_u64();
        }
        Rng(h)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn chance(&mut self, p: f64) -> bool {
        self.f64() < p
    }

    /// Uniform in [0, n), 0 when n is 0.
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next_u64() % n }
    }

    /// Uniform in [lo, hi].
    fn range_u64(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi.saturating_sub(lo) + 1)
    }

    fn range_f64(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.f64()
    }

    /// Log-uniform in [lo, hi]: many small values, a long tail of large ones.
    fn log_uniform(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo || lo == 0 {
            return self.range_u64(lo, hi);
        }
        let (l, h) = ((lo as f64).ln(), (hi as f64).ln());
        (self.range_f64(l, h).exp().round() as u64).clamp(lo, hi)
    }

    /// An index drawn in proportion to `weights` (which must not all be 0).
    fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u64 = weights.iter().map(|w| u64::from(*w)).sum();
        let mut r = self.below(total);
        for (i, w) in weights.iter().enumerate() {
            let w = u64::from(*w);
            if r < w {
                return i;
            }
            r -= w;
        }
        weights.len().saturating_sub(1)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};
    use std::sync::OnceLock;

    use tokentally_domain::attribution::{Attributor, Basis, EventDims, UNALLOCATED};

    use super::*;

    fn now() -> DateTime<Utc> {
        "2026-03-18T14:30:00Z".parse().unwrap()
    }

    /// The default demo, generated once for all tests.
    fn demo() -> &'static DemoData {
        static DEMO: OnceLock<DemoData> = OnceLock::new();
        DEMO.get_or_init(|| generate(&DemoSpec::ending(now())))
    }

    fn attributor(d: &DemoData) -> Attributor {
        Attributor::new(d.mappings.clone(), d.rules.clone())
    }

    fn dims(e: &UsageEvent) -> EventDims<'_> {
        EventDims {
            provider: &e.provider,
            model: &e.model,
            api_key: e.api_key.as_deref(),
            team: e.team.as_deref(),
            feature: e.feature.as_deref(),
            environment: e.environment.as_deref(),
            tags: &e.tags,
        }
    }

    fn month(s: &str) -> Month {
        s.parse().unwrap()
    }

    fn day(e: &UsageEvent) -> NaiveDate {
        e.timestamp.date_naive()
    }

    fn small(seed: u64) -> DemoSpec {
        DemoSpec {
            seed,
            events_per_month: 2_000,
            ..DemoSpec::ending(now())
        }
    }

    #[test]
    fn the_default_spec_ends_with_the_month_of_now() {
        let spec = DemoSpec::ending(now());
        assert_eq!(spec.last_month, month("2026-03"));
        assert_eq!((spec.months, spec.events_per_month), (6, 30_000));
        let months: Vec<String> = spec.month_list().iter().map(Month::to_string).collect();
        assert_eq!(
            months,
            [
                "2025-10", "2025-11", "2025-12", "2026-01", "2026-02", "2026-03"
            ]
        );
    }

    #[test]
    fn the_same_spec_gives_identical_output_and_another_seed_does_not() {
        let a = generate(&small(7));
        assert_eq!(a, generate(&small(7)));
        assert!(!a.events.is_empty());
        assert_ne!(a.events, generate(&small(8)).events);
    }

    #[test]
    fn the_past_does_not_change_when_now_moves_on() {
        let earlier = generate(&small(7));
        let later = generate(&DemoSpec {
            now: now() + Duration::days(5),
            ..small(7)
        });
        let before: Vec<&UsageEvent> = later
            .events
            .iter()
            .filter(|e| e.timestamp <= now())
            .collect();
        assert_eq!(before, earlier.events.iter().collect::<Vec<_>>());
        assert!(later.events.len() > earlier.events.len());
    }

    #[test]
    fn the_organisation_has_enough_teams_features_keys_and_unmapped_keys() {
        let d = demo();
        let a = attributor(d);
        let mut teams = BTreeSet::new();
        let mut features = BTreeSet::new();
        for e in &d.events {
            let att = a.resolve(&dims(e), day(e));
            if att.team != UNALLOCATED {
                features.insert((att.team.clone(), att.feature));
                teams.insert(att.team);
            }
        }
        let keys: BTreeSet<&str> = d
            .events
            .iter()
            .filter_map(|e| e.api_key.as_deref())
            .collect();
        let mapped: BTreeSet<&str> = d.mappings.iter().map(|m| m.api_key.as_str()).collect();
        let unmapped: Vec<&&str> = keys.iter().filter(|k| !mapped.contains(*k)).collect();
        assert!(teams.len() >= 6, "{teams:?}");
        assert!(features.len() >= 20, "{features:?}");
        assert!(keys.len() >= 30, "{} keys", keys.len());
        assert!((4..=6).contains(&unmapped.len()), "{unmapped:?}");
        assert!(keys.iter().all(|k| k.starts_with("key-")));
    }

    #[test]
    fn every_way_of_attributing_shows_up() {
        let d = demo();
        let a = attributor(d);
        let mut bases: BTreeMap<Basis, u64> = BTreeMap::new();
        let mut conflicts = 0;
        for e in &d.events {
            let att = a.resolve(&dims(e), day(e));
            *bases.entry(att.basis).or_default() += 1;
            conflicts += u64::from(att.conflict);
        }
        for basis in [
            Basis::KeyMapping,
            Basis::Tag,
            Basis::Rule(1),
            Basis::Unallocated,
        ] {
            assert!(
                bases.get(&basis).is_some_and(|n| *n > 100),
                "{basis:?}: {bases:?}"
            );
        }
        assert!(conflicts > 0);
        assert!(bases[&Basis::KeyMapping] > bases.values().sum::<u64>() * 3 / 4);
    }

    #[test]
    fn one_key_is_mapped_from_the_middle_of_the_second_to_last_month() {
        let d = demo();
        let late: Vec<&KeyMapping> = d
            .mappings
            .iter()
            .filter(|m| m.valid_from != month("2025-10").first_day())
            .collect();
        assert_eq!(late.len(), 1);
        let m = late[0];
        assert_eq!(m.valid_from, "2026-02-15".parse::<NaiveDate>().unwrap());
        let a = attributor(d);
        let mut teams_in_february = BTreeSet::new();
        for e in d
            .events
            .iter()
            .filter(|e| e.api_key.as_deref() == Some(&m.api_key))
        {
            if month("2026-02").contains(day(e)) {
                teams_in_february.insert(a.resolve(&dims(e), day(e)).team);
            }
        }
        assert_eq!(
            teams_in_february,
            BTreeSet::from([UNALLOCATED.to_owned(), m.team.clone()])
        );
    }

    #[test]
    fn no_event_lies_after_now_and_every_month_has_events() {
        let d = demo();
        assert!(d.events.iter().all(|e| e.timestamp <= now()));
        let mut per_month: BTreeMap<Month, usize> = BTreeMap::new();
        for e in &d.events {
            *per_month.entry(Month::of(day(e))).or_default() += 1;
        }
        let months: Vec<Month> = per_month.keys().copied().collect();
        assert_eq!(months, DemoSpec::ending(now()).month_list());
        for n in per_month.values() {
            assert!((15_000..50_000).contains(n), "{per_month:?}");
        }
        assert!(per_month[&month("2026-02")] > per_month[&month("2025-10")]);
        let today = d
            .events
            .iter()
            .filter(|e| day(e) == now().date_naive())
            .count();
        assert!(today > 0);
        assert!(
            d.events
                .windows(2)
                .all(|w| w[0].timestamp <= w[1].timestamp)
        );
    }

    #[test]
    fn event_ids_are_unique_and_name_their_month() {
        let d = demo();
        let ids: BTreeSet<&str> = d.events.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids.len(), d.events.len());
        for e in &d.events {
            assert!(
                e.id.starts_with(&format!("demo-{}-", Month::of(day(e)))),
                "{}",
                e.id
            );
            assert_eq!(e.source, SOURCE);
        }
    }

    #[test]
    fn every_event_round_trips_through_the_native_json_format() {
        for e in &demo().events {
            let back = UsageEvent::from_json(&e.to_json(), now());
            assert_eq!(back.as_ref(), Ok(e), "{}", e.to_json());
        }
    }

    #[test]
    fn mappings_rules_and_overheads_validate() {
        let d = demo();
        for m in &d.mappings {
            m.validate().unwrap();
        }
        for r in &d.rules {
            r.validate().unwrap();
        }
        for o in &d.overheads {
            o.validate().unwrap();
            assert!(o.amount > Decimal::ZERO);
        }
        for m in DemoSpec::ending(now()).month_list() {
            let categories: BTreeSet<&str> = d
                .overheads
                .iter()
                .filter(|o| o.month == m)
                .map(|o| o.category.as_str())
                .collect();
            assert_eq!(
                categories,
                BTreeSet::from(["human-review", "logging", "retrieval", "vector-search"])
            );
        }
    }

    #[test]
    fn the_unpriced_model_has_usage_and_every_other_model_is_in_the_bundled_price_file() {
        let d = demo();
        let models: BTreeSet<(&str, &str)> = d
            .events
            .iter()
            .map(|e| (e.provider.as_str(), e.model.as_str()))
            .collect();
        assert!(models.contains(&("internal", "acme-llm-7b")));
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../assets/litellm-model-prices.json"
        );
        let json = std::fs::read(path).expect("the bundled LiteLLM price file");
        let import =
            tokentally_domain::litellm::import(&json, month("2024-01").first_day()).unwrap();
        let book = tokentally_domain::catalog::PriceBook::new(import.cards);
        for (provider, model) in models {
            let priced = book.lookup(provider, model, now().date_naive()).is_some();
            assert_eq!(priced, provider != "internal", "{provider}/{model}");
        }
    }

    #[test]
    fn workflows_have_three_to_nine_steps_with_growing_context() {
        let d = demo();
        let mut runs: BTreeMap<&str, Vec<&UsageEvent>> = BTreeMap::new();
        for e in &d.events {
            if let Some(w) = &e.workflow_id {
                runs.entry(w).or_default().push(e);
            }
        }
        assert!(runs.len() > 500, "{} workflows", runs.len());
        let features: BTreeSet<String> = runs
            .keys()
            .map(|w| {
                w.trim_start_matches("wf-")
                    .rsplit_once('-')
                    .unwrap()
                    .0
                    .to_owned()
            })
            .collect();
        assert!(features.len() >= 2, "{features:?}");
        let (mut succeeded, mut failed) = (0, 0);
        for calls in runs.values() {
            let steps = calls.iter().filter(|e| e.outcome != Outcome::Retry).count();
            // A run cut short by `now` may have fewer calls so far.
            if calls.last().unwrap().timestamp < now() - Duration::hours(1) {
                assert!((3..=9).contains(&steps), "{steps} steps");
            }
            assert!(
                calls
                    .windows(2)
                    .all(|w| w[0].tokens.input <= w[1].tokens.input)
            );
            match calls.last().unwrap().outcome {
                Outcome::Success => succeeded += 1,
                Outcome::Failure => failed += 1,
                other => panic!("a workflow ended in {other}"),
            }
        }
        assert!(
            failed > 0 && succeeded > 5 * failed,
            "{succeeded} / {failed}"
        );
    }

    #[test]
    fn calls_look_like_real_traffic() {
        let d = demo();
        let n = d.events.len() as f64;
        let share =
            |p: &dyn Fn(&UsageEvent) -> bool| d.events.iter().filter(|e| p(e)).count() as f64 / n;
        let failure = share(&|e| e.outcome == Outcome::Failure);
        assert!((0.03..=0.08).contains(&failure), "failure {failure}");
        assert!(share(&|e| e.outcome == Outcome::Success) > 0.8);
        assert!(share(&|e| e.outcome == Outcome::Retry) > 0.01);
        assert!(share(&|e| e.outcome == Outcome::Unknown) > 0.01);
        assert!(share(&|e| e.tokens.cached_input > 0) > 0.2);
        assert!(share(&|e| e.tokens.cache_write > 0) > 0.02);
        assert!(share(&|e| e.service_tier == ServiceTier::Batch) > 0.01);
        assert!(share(&|e| e.service_tier == ServiceTier::Flex) > 0.001);
        assert!(share(&|e| e.user.is_some()) > 0.3);
        assert!(share(&|e| e.customer.is_some()) > 0.05);
        assert!(share(&|e| e.latency_ms.is_some()) > 0.9);
        for e in &d.events {
            if e.tokens.cache_write > 0 {
                assert_eq!(e.provider, "anthropic");
            }
            if e.tokens.reasoning > 0 {
                assert!(["o3-mini", "gemini-2.5-pro"].contains(&e.model.as_str()));
            }
            if e.model == "text-embedding-3-small" {
                assert_eq!(e.tokens.output, 0);
            }
        }
        // Long-context calls (one request above 200k input tokens) are gemini's.
        let long: Vec<&UsageEvent> = d
            .events
            .iter()
            .filter(|e| e.requests == 1 && e.tokens.input > 200_000)
            .collect();
        assert!(long.len() > 10);
        assert!(long.iter().all(|e| e.model == "gemini-2.5-pro"));
        let o3 = d.events.iter().filter(|e| e.model == "o3-mini");
        assert!(
            o3.clone()
                .all(|e| e.tokens.reasoning > 0 || e.tokens.output < 3)
        );
        let aggregated: Vec<&UsageEvent> = d.events.iter().filter(|e| e.requests > 1).collect();
        assert!(aggregated.len() > 100);
        assert!(
            aggregated
                .iter()
                .all(|e| e.service_tier == ServiceTier::Batch)
        );
    }

    #[test]
    fn weekdays_are_busier_than_weekends_and_one_team_has_a_spike_week() {
        let d = demo();
        let a = attributor(d);
        let mut per_day: BTreeMap<NaiveDate, u64> = BTreeMap::new();
        let mut legal: BTreeMap<NaiveDate, u64> = BTreeMap::new();
        for e in d
            .events
            .iter()
            .filter(|e| month("2026-01").contains(day(e)))
        {
            *per_day.entry(day(e)).or_default() += 1;
            if a.resolve(&dims(e), day(e)).team == SPIKE_TEAM {
                *legal.entry(day(e)).or_default() += 1;
            }
        }
        let mean = |days: &mut dyn Iterator<Item = (&NaiveDate, &u64)>| {
            let v: Vec<u64> = days.map(|(_, n)| *n).collect();
            v.iter().sum::<u64>() as f64 / v.len() as f64
        };
        let weekend = |d: &NaiveDate| matches!(d.weekday(), Weekday::Sat | Weekday::Sun);
        let weekdays = mean(&mut per_day.iter().filter(|(d, _)| !weekend(d)));
        let weekends = mean(&mut per_day.iter().filter(|(d, _)| weekend(d)));
        assert!(weekdays > 1.3 * weekends, "{weekdays} vs {weekends}");
        let busy = |d: &NaiveDate| !weekend(d) && SPIKE_DAYS.contains(&d.day());
        let spike = mean(&mut legal.iter().filter(|(d, _)| busy(d)));
        let usual = mean(&mut legal.iter().filter(|(d, _)| !weekend(d) && !busy(d)));
        assert!(spike > 2.5 * usual, "{spike} vs {usual}");
    }

    #[test]
    fn a_spec_in_the_past_has_whole_months_and_one_in_the_future_has_none_after_now() {
        let past = generate(&DemoSpec {
            last_month: month("2025-12"),
            months: 2,
            ..small(1)
        });
        let last = past.events.last().unwrap();
        assert_eq!(day(last), "2025-12-31".parse::<NaiveDate>().unwrap());
        assert_eq!(Month::of(day(&past.events[0])), month("2025-11"));
        let ahead = generate(&DemoSpec {
            last_month: month("2026-05"),
            months: 4,
            ..small(1)
        });
        assert!(ahead.events.iter().all(|e| e.timestamp <= now()));
        assert_eq!(ahead.overheads.len(), 16);
    }
}
