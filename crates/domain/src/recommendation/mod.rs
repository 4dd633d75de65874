//! Recommendations: every saving lever priced in money from the month's actual tokens on
//! real price cards, owned, and never counted twice.
//!
//! The month's priced usage is split into pools, one per (team, feature, provider, model)
//! ([`pool`]). On each pool the token levers run in one fixed order, each on what the levers
//! before it left ([`ORDER`], docs/DECISIONS.md): a lever's saving is the cost of the pool's
//! slices before it minus their cost after it, so the savings of a pool add up to at most its
//! cost, and the month's total to at most its token cost plus its commitment fees. Idle
//! commitments (fees, not tokens) and zombie keys (no money) come on top. A routing
//! suggestion whose model the organisation has not proven in comparable work is `untested`:
//! shown with the success rate it would need, never counted in the total nor applied.

pub mod batch;
pub mod caching;
pub mod follow_up;
pub mod idle;
pub mod long_context;
pub mod output_cap;
pub mod pool;
pub mod retries;
pub mod routing;
pub mod runaway;
pub mod settings;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::attribution::Attributor;
use crate::catalog::PriceBook;
use crate::commitment::CommitmentUse;
use crate::discount::Discount;
use crate::ledger::Ledger;
use crate::month::Month;
use crate::rollup::WorkflowGroup;
use crate::unit_economics::{WorkflowStats, unit_cost, workflow_stats};

pub use pool::{ModelRecord, Pool, PoolKey, Slice};
pub use settings::{FeatureRef, Settings, SettingsError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Lever {
    Retries,
    Runaway,
    OutputCap,
    LongContext,
    Caching,
    Routing,
    Batch,
    IdleCommitment,
    ZombieKey,
}

/// The order the token levers apply in, each to what the ones before it left: first stop
/// paying for calls that fail or loop, then make the calls that remain smaller, then make
/// their tokens cheaper (cache, a cheaper model, then a cheaper tier of that model).
pub const ORDER: [Lever; 7] = [
    Lever::Retries,
    Lever::Runaway,
    Lever::OutputCap,
    Lever::LongContext,
    Lever::Caching,
    Lever::Routing,
    Lever::Batch,
];

impl Lever {
    pub const ALL: [Lever; 9] = [
        Lever::Retries,
        Lever::Runaway,
        Lever::OutputCap,
        Lever::LongContext,
        Lever::Caching,
        Lever::Routing,
        Lever::Batch,
        Lever::IdleCommitment,
        Lever::ZombieKey,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Retries => "retries",
            Self::Runaway => "runaway",
            Self::OutputCap => "output_cap",
            Self::LongContext => "long_context",
            Self::Caching => "caching",
            Self::Routing => "routing",
            Self::Batch => "batch",
            Self::IdleCommitment => "idle_commitment",
            Self::ZombieKey => "zombie_key",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Retries => "Failures and retries",
            Self::Runaway => "Runaway workflows",
            Self::OutputCap => "Output caps",
            Self::LongContext => "Long context",
            Self::Caching => "Prompt caching",
            Self::Routing => "Route to a cheaper model",
            Self::Batch => "Batch or flex tier",
            Self::IdleCommitment => "Idle commitment",
            Self::ZombieKey => "Zombie key",
        }
    }
}

impl fmt::Display for Lever {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown lever `{0}`; one of retries, runaway, output_cap, long_context, caching, routing, batch, idle_commitment, zombie_key"
)]
pub struct UnknownLever(pub String);

impl FromStr for Lever {
    type Err = UnknownLever;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Lever::ALL
            .into_iter()
            .find(|l| l.as_str() == s)
            .ok_or_else(|| UnknownLever(s.chars().take(40).collect()))
    }
}

/// Where a saving's figure stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// Read from the month's figures and the cards alone.
    Measured,
    /// Rests on a stated assumption (a threshold reached, a share cached).
    Assumed,
    /// A routing target the organisation has not proven in comparable work: not counted.
    Untested,
}

/// One figure a recommendation rests on, and where it comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    pub label: String,
    pub value: String,
    /// A page that shows the figure.
    pub source: String,
}

impl Evidence {
    pub fn new(label: &str, value: impl fmt::Display, source: &str) -> Self {
        Self {
            label: label.to_owned(),
            value: value.to_string(),
            source: source.to_owned(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recommendation {
    /// Stable for the month, lever and owner: see [`id`].
    pub id: String,
    pub month: Month,
    pub lever: Lever,
    /// Empty for the organisation's own (idle commitments).
    pub team: String,
    pub feature: String,
    pub key: String,
    /// `provider/model` the tokens were spent on (or the commitment's).
    pub model: String,
    /// What to do, in words.
    pub action: String,
    /// Exact, unrounded.
    pub monthly_saving: Decimal,
    pub basis: Basis,
    pub evidence: Vec<Evidence>,
    /// Token cost ÷ successful calls now, and once the saving is made.
    pub cost_per_success: Option<Decimal>,
    pub implied_cost_per_success: Option<Decimal>,
    /// Routing: the model to move to, and the success rate (percent) it needs to be no
    /// dearer per successful call.
    pub candidate: Option<String>,
    pub break_even_success_pct: Option<Decimal>,
}

impl Recommendation {
    /// Whether it counts in the total (untested routing does not).
    pub fn counts(&self) -> bool {
        self.basis != Basis::Untested
    }
}

/// A stable id: the month and a 64-bit FNV-1a hash of the lever and the owner, so the same
/// recommendation keeps its id however often the month is recomputed.
pub fn id(month: Month, lever: Lever, team: &str, feature: &str, key: &str, model: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in [lever.as_str(), team, feature, key, model] {
        for b in part.bytes().chain(std::iter::once(0x1f)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{month}-{h:016x}")
}

/// The month an id was made for.
pub fn month_of_id(id: &str) -> Option<Month> {
    let (month, hash) = id.get(..7).zip(id.get(8..))?;
    (id.as_bytes().get(7) == Some(&b'-')
        && hash.len() == 16
        && hash.bytes().all(|b| b.is_ascii_hexdigit()))
    .then(|| month.parse().ok())
    .flatten()
}

/// A path segment with everything but unreserved characters percent-encoded.
pub fn segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The feature page of `month`, where a pool's figures show.
pub fn feature_page(month: Month, team: &str, feature: &str) -> String {
    format!(
        "/teams/{}/features/{}?month={month}",
        segment(team),
        segment(feature)
    )
}

pub fn model_page(month: Month, model: &str) -> String {
    format!("/models/{}?month={month}", segment(model))
}

/// What one token lever found on a pool.
#[derive(Debug, Clone)]
pub struct Step {
    /// The slices once the lever is applied (ignored for untested routing).
    pub after: Vec<Slice>,
    pub saving: Decimal,
    pub basis: Basis,
    pub action: String,
    pub evidence: Vec<Evidence>,
    pub candidate: Option<String>,
    pub break_even_success_pct: Option<Decimal>,
}

/// What a token lever reads besides the pool's slices as they stand.
pub struct PoolContext<'a> {
    pub month: Month,
    pub book: &'a PriceBook,
    pub discounts: &'a [Discount],
    pub settings: &'a Settings,
    pub key: &'a PoolKey,
    pub pool: &'a Pool,
    pub models: &'a BTreeMap<(String, String), ModelRecord>,
    pub workflows: Option<&'a WorkflowStats>,
}

impl PoolContext<'_> {
    pub fn feature_page(&self) -> String {
        feature_page(self.month, &self.key.team, &self.key.feature)
    }

    pub fn model(&self) -> String {
        format!("{}/{}", self.key.provider, self.key.model)
    }
}

fn run(lever: Lever, cx: &PoolContext<'_>, slices: &[Slice]) -> Option<Step> {
    match lever {
        Lever::Retries => retries::apply(cx, slices),
        Lever::Runaway => runaway::apply(cx, slices),
        Lever::OutputCap => output_cap::apply(cx, slices),
        Lever::LongContext => long_context::apply(cx, slices),
        Lever::Caching => caching::apply(cx, slices),
        Lever::Routing => routing::apply(cx, slices),
        Lever::Batch => batch::apply(cx, slices),
        Lever::IdleCommitment | Lever::ZombieKey => None,
    }
}

/// An owned key and its last day of use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnedKey {
    pub api_key: String,
    pub team: String,
    pub last_used: Option<NaiveDate>,
}

/// What the month's recommendations are computed from.
pub struct Inputs<'a> {
    pub month: Month,
    pub ledger: &'a Ledger<'a>,
    pub workflows: &'a [WorkflowGroup],
    pub attributor: &'a Attributor,
    pub commitments: &'a [CommitmentUse],
    pub keys: &'a [OwnedKey],
    /// The day zombie keys are judged on.
    pub today: NaiveDate,
    pub settings: &'a Settings,
}

/// The token levers on one pool, in [`ORDER`], each on what the ones before it left.
pub fn for_pool(cx: &PoolContext<'_>) -> Vec<Recommendation> {
    let mut slices = cx.pool.slices.clone();
    let full = pool::cost(cx.book, &slices);
    let mut out = Vec::new();
    for lever in ORDER {
        let Some(step) = run(lever, cx, &slices) else {
            continue;
        };
        if step.saving <= Decimal::ZERO {
            continue;
        }
        let rec = Recommendation {
            id: id(
                cx.month,
                lever,
                &cx.key.team,
                &cx.key.feature,
                &cx.pool.key,
                &cx.model(),
            ),
            month: cx.month,
            lever,
            team: cx.key.team.clone(),
            feature: cx.key.feature.clone(),
            key: cx.pool.key.clone(),
            model: cx.model(),
            action: step.action,
            monthly_saving: step.saving.normalize(),
            basis: step.basis,
            evidence: step.evidence,
            cost_per_success: unit_cost(full, cx.pool.successes),
            implied_cost_per_success: unit_cost(full - step.saving, cx.pool.successes),
            candidate: step.candidate,
            break_even_success_pct: step.break_even_success_pct,
        };
        if rec.counts() {
            slices = step.after;
        }
        out.push(rec);
    }
    out
}

/// Every recommendation of the month, largest saving first.
pub fn recommend(inp: &Inputs<'_>) -> Vec<Recommendation> {
    let (pools, models) = pool::pools(inp.ledger);
    let flows = workflow_stats(inp.workflows, inp.attributor, |p| {
        Some(PoolKey {
            team: p.owner.team.clone(),
            feature: p.owner.feature.clone(),
            provider: p.provider.to_owned(),
            model: p.model.to_owned(),
        })
    });
    let mut out = Vec::new();
    for (key, pool) in &pools {
        let cx = PoolContext {
            month: inp.month,
            book: inp.ledger.book,
            discounts: inp.ledger.discounts,
            settings: inp.settings,
            key,
            pool,
            models: &models,
            workflows: flows.get(key),
        };
        out.extend(for_pool(&cx));
    }
    out.extend(idle::commitments(inp.month, inp.commitments));
    out.extend(idle::zombie_keys(
        inp.month,
        inp.keys,
        inp.today,
        inp.settings,
    ));
    rank(&mut out);
    out
}

/// A month's recommendations with what they are held under: each team's exact token cost
/// and the month's commitment fees.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MonthRecommendations {
    pub recommendations: Vec<Recommendation>,
    pub token_cost_by_team: BTreeMap<String, Decimal>,
    pub commitments: Decimal,
}

/// Largest saving first; counted ones before untested ones of the same saving.
pub fn rank(recs: &mut [Recommendation]) {
    recs.sort_by(|a, b| {
        b.monthly_saving
            .cmp(&a.monthly_saving)
            .then(a.basis.cmp(&b.basis))
            .then(a.lever.cmp(&b.lever))
            .then(a.id.cmp(&b.id))
    });
}

/// What the counted recommendations save together (untested ones left out).
pub fn total(recs: &[Recommendation]) -> Decimal {
    recs.iter()
        .filter(|r| r.counts())
        .map(|r| r.monthly_saving)
        .sum()
}

/// `part / whole` in percent, one place.
pub(crate) fn pct(part: Decimal, whole: Decimal) -> Decimal {
    if whole.is_zero() {
        Decimal::ZERO
    } else {
        (part * Decimal::ONE_HUNDRED / whole)
            .round_dp(1)
            .normalize()
    }
}

/// Money shown in evidence: to the cent.
pub(crate) fn money(d: Decimal) -> Decimal {
    d.round_dp(2)
}
