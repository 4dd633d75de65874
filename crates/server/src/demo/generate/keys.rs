//! The organisation's API keys, how each is owned and tagged, and the one virtual-tag rule.

use chrono::Duration;
use tokentally_domain::attribution::{KeyMapping, Rule};
use tokentally_domain::month::Month;

use super::features::{FEATURES, Feature};

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
pub(super) enum Tagged {
    None,
    /// A gateway sets team, feature and environment (and a region).
    Gateway,
    /// A gateway with a stale config names the wrong team: a conflict with the mapping.
    GatewayTeam(&'static str),
    /// Only the custom tag `app`, for the virtual-tag rule.
    App(&'static str),
}

#[derive(Debug, Clone, Copy)]
pub(super) struct Key {
    pub(super) id: &'static str,
    pub(super) feature: &'static str,
    pub(super) env: &'static str,
    /// Relative share of its feature's calls (0: owned but never used).
    pub(super) weight: u32,
    mapped: Mapped,
    pub(super) tagged: Tagged,
    /// Whether the app reports outcomes (dev keys and prototypes mostly do not).
    pub(super) outcomes: bool,
    /// Used only in the first n months (a key that went quiet).
    pub(super) first_months: Option<u32>,
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

pub(super) const KEYS: &[Key] = &[
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

pub(super) const CUSTOMERS: &[&str] = &[
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

pub(super) fn rules() -> Vec<Rule> {
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

pub(super) fn mappings(months: &[Month]) -> Vec<KeyMapping> {
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

fn feature_named(name: &str) -> &'static Feature {
    FEATURES
        .iter()
        .find(|f| f.name == name)
        .expect("every key names a feature of the table")
}
