//! The organisation's models and features: who owns each feature and what its calls look like.

use chrono::{Datelike, NaiveDate, Weekday};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Model {
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
    pub(super) fn provider(self) -> &'static str {
        match self {
            Self::Gpt4o | Self::Gpt4oMini | Self::O3Mini | Self::Embedding3Small => "openai",
            Self::Sonnet35 | Self::Haiku35 => "anthropic",
            Self::Gemini25Pro => "vertex_ai",
            Self::AcmeLlm7b => "internal",
        }
    }

    pub(super) fn name(self) -> &'static str {
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
    pub(super) fn speed(self) -> (f64, f64) {
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
pub(super) enum Rhythm {
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
    pub(super) fn day_weight(self, day: NaiveDate) -> f64 {
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
    pub(super) fn hours(self) -> &'static [u32; 24] {
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
pub(super) enum Kind {
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
pub(super) struct Feature {
    pub(super) team: &'static str,
    pub(super) name: &'static str,
    pub(super) kind: Kind,
    /// Relative share of the month's event rows (sampled kinds only).
    pub(super) share: f64,
    /// Monthly growth on top of the organisation's.
    pub(super) trend: f64,
    /// Launched this many months before the last one (`None`: always there).
    pub(super) since: Option<u32>,
    pub(super) rhythm: Rhythm,
    pub(super) models: &'static [(Model, u32)],
    /// Input tokens per call (per request for pre-aggregated rows; the first step's context
    /// for workflows), log-uniform.
    pub(super) input: (u64, u64),
    pub(super) output: (u64, u64),
    /// Probability that a call reads a cached prompt prefix.
    pub(super) cache: f64,
    /// The cacheable prefix (system prompt, tools, shared documents) as a share of input.
    pub(super) prefix: (f64, f64),
    pub(super) failure: f64,
    pub(super) batch: f64,
    pub(super) flex: f64,
    /// Probability of a long-context call (200k–600k input) on models that allow it.
    pub(super) long_context: f64,
    /// Range of user ids (`u-NNNN`) of a user-facing feature.
    pub(super) users: Option<(u32, u32)>,
    pub(super) customers: bool,
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

pub(super) const FEATURES: &[Feature] = &[
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
