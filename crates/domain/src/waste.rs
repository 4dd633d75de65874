//! Waste flags: where money leaks, per feature or key, each with the money at stake a month.
//!
//! Feature flags read the month's priced usage (a [`Ledger`]); the others read what showback
//! already knows (idle commitments, unpriced models, Unallocated) and when each owned key
//! was last used. Amounts at stake are estimates of what fixing the flag would save or settle
//! in the month, rounded to the cent; `None` where money cannot be known (a key nobody uses
//! costs nothing yet; unpriced usage has no price).

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::allocation::{cents, from_cents};
use crate::attribution::UNALLOCATED;
use crate::showback::{Ledger, Showback};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WasteSettings {
    /// Input tokens per request from which a prompt counts as large.
    pub large_input_tokens: u64,
    /// Cache hit rate (percent of input) under which large prompts are flagged.
    pub min_cache_hit_pct: Decimal,
    /// Output tokens per request above which outputs count as oversized.
    pub max_output_tokens: u64,
    /// Share of token cost (percent) spent on failures and retries above which it is flagged.
    pub max_retry_waste_pct: Decimal,
    /// Days without use after which an owned key is a zombie.
    pub zombie_days: i64,
}

impl Default for WasteSettings {
    fn default() -> Self {
        Self {
            large_input_tokens: 2_000,
            min_cache_hit_pct: Decimal::from(20),
            max_output_tokens: 2_000,
            max_retry_waste_pct: Decimal::from(5),
            zombie_days: 30,
        }
    }
}

/// What a cache read costs against fresh input, for the estimate of cache savings (most
/// providers charge a tenth).
const CACHE_READ_SHARE: Decimal = Decimal::from_parts(1, 0, 0, false, 1);

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WasteKind {
    LowCacheHit,
    OversizedOutput,
    RetryWaste,
    ZombieKey,
    IdleCommitment,
    UnpricedModel,
    UnallocatedSpend,
    TagConflict,
}

impl WasteKind {
    pub fn label(self) -> &'static str {
        match self {
            Self::LowCacheHit => "low cache hit rate on large prompts",
            Self::OversizedOutput => "oversized outputs",
            Self::RetryWaste => "failure and retry waste",
            Self::ZombieKey => "zombie key",
            Self::IdleCommitment => "idle commitment",
            Self::UnpricedModel => "unpriced model",
            Self::UnallocatedSpend => "unallocated spend",
            Self::TagConflict => "tag and key owner disagree",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WasteFlag {
    pub kind: WasteKind,
    /// The team it belongs to; `None` for the organisation's own flags.
    pub team: Option<String>,
    /// `team/feature`, a key, `provider/model` or a team.
    pub subject: String,
    pub detail: String,
    /// Money at stake in the month; `None` where it cannot be known.
    pub at_stake: Option<Decimal>,
}

/// An owned key and its last day of use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnedKey {
    pub api_key: String,
    pub team: String,
    pub last_used: Option<NaiveDate>,
}

fn pct(part: Decimal, whole: Decimal) -> Decimal {
    if whole.is_zero() {
        Decimal::ZERO
    } else {
        (part * Decimal::ONE_HUNDRED / whole).round_dp(1)
    }
}

fn money(d: Decimal) -> Decimal {
    from_cents(cents(d))
}

/// Flags for features: cache, output size, failure and retry waste.
pub fn feature_flags(ledger: &Ledger<'_>, s: &WasteSettings) -> Vec<WasteFlag> {
    let by_feature = ledger.summarize(|r| Some((r.owner.team.clone(), r.owner.feature.clone())));
    let mut out = Vec::new();
    for ((team, feature), sum) in by_feature {
        let subject = format!("{team}/{feature}");
        let requests = sum.requests.max(1);
        let t = &sum.tokens;
        let hit = pct(Decimal::from(t.cached_input), Decimal::from(t.input));
        if t.input / requests >= s.large_input_tokens && hit < s.min_cache_hit_pct {
            // Moving uncached input to cache reads until the hit rate reaches the floor.
            let uncached = Decimal::ONE_HUNDRED - hit;
            let moved = (s.min_cache_hit_pct - hit) / uncached;
            out.push(WasteFlag {
                kind: WasteKind::LowCacheHit,
                team: Some(team.clone()),
                subject: subject.clone(),
                detail: format!(
                    "{} input tokens a request, {hit}% read from cache (floor {}%)",
                    t.input / requests,
                    s.min_cache_hit_pct
                ),
                at_stake: Some(money(
                    sum.cost.input * moved * (Decimal::ONE - CACHE_READ_SHARE),
                )),
            });
        }
        let per_request = t.output / requests;
        if per_request > s.max_output_tokens {
            let excess =
                Decimal::ONE - Decimal::from(s.max_output_tokens) / Decimal::from(per_request);
            out.push(WasteFlag {
                kind: WasteKind::OversizedOutput,
                team: Some(team.clone()),
                subject: subject.clone(),
                detail: format!(
                    "{per_request} output tokens a request (ceiling {})",
                    s.max_output_tokens
                ),
                at_stake: Some(money((sum.cost.output + sum.cost.reasoning) * excess)),
            });
        }
        let share = pct(sum.waste, sum.token_cost());
        if !sum.waste.is_zero() && share > s.max_retry_waste_pct {
            out.push(WasteFlag {
                kind: WasteKind::RetryWaste,
                team: Some(team),
                subject,
                detail: format!(
                    "{} failed or retried requests, {share}% of token cost (ceiling {}%)",
                    sum.wasted_requests, s.max_retry_waste_pct
                ),
                at_stake: Some(money(sum.waste)),
            });
        }
    }
    out
}

/// Keys with a tag naming another team than the key's owner, with the cost in dispute.
pub fn conflict_flags(ledger: &Ledger<'_>) -> Vec<WasteFlag> {
    ledger
        .summarize(|r| {
            r.owner
                .conflict
                .then(|| (r.row.key.api_key.clone(), r.owner.team.clone()))
        })
        .into_iter()
        .map(|((key, team), sum)| WasteFlag {
            kind: WasteKind::TagConflict,
            team: Some(team.clone()),
            subject: key,
            detail: format!(
                "{} events tagged for another team; the key's owner, {team}, is charged",
                sum.tag_conflicts
            ),
            at_stake: Some(money(sum.token_cost())),
        })
        .collect()
}

/// Owned keys unused for `zombie_days` up to `today`.
pub fn zombie_flags(keys: &[OwnedKey], today: NaiveDate, s: &WasteSettings) -> Vec<WasteFlag> {
    let since = today - chrono::Duration::days(s.zombie_days);
    keys.iter()
        .filter(|k| k.last_used.is_none_or(|d| d < since))
        .map(|k| WasteFlag {
            kind: WasteKind::ZombieKey,
            team: Some(k.team.clone()),
            subject: k.api_key.clone(),
            detail: match k.last_used {
                Some(d) => format!("owned by {}, last used {d}: revoke it", k.team),
                None => format!("owned by {}, never used: revoke it", k.team),
            },
            at_stake: None,
        })
        .collect()
}

/// The organisation's flags: idle commitments, unpriced models, Unallocated.
pub fn org_flags(sb: &Showback) -> Vec<WasteFlag> {
    let mut out: Vec<WasteFlag> = sb
        .commitments
        .iter()
        .filter(|c| c.underused && !c.idle.is_zero())
        .map(|c| WasteFlag {
            kind: WasteKind::IdleCommitment,
            team: None,
            subject: format!("{}/{}", c.provider, c.model),
            detail: format!("{}% of the commitment used", c.utilisation),
            at_stake: Some(c.idle),
        })
        .collect();
    out.extend(sb.unpriced.iter().map(|u| WasteFlag {
        kind: WasteKind::UnpricedModel,
        team: None,
        subject: format!("{}/{}", u.provider, u.model),
        detail: format!(
            "{} requests, {} tokens with no price card",
            u.requests,
            u.tokens.input + u.tokens.output
        ),
        at_stake: None,
    }));
    if let Some(u) = sb.team(UNALLOCATED).filter(|u| !u.blended_cost.is_zero()) {
        out.push(WasteFlag {
            kind: WasteKind::UnallocatedSpend,
            team: None,
            subject: UNALLOCATED.to_owned(),
            detail: format!(
                "{}% of the month's cost has no owner",
                pct(u.blended_cost, sb.org_total)
            ),
            at_stake: Some(u.blended_cost),
        });
    }
    out
}

/// Every flag of the month, largest money at stake first.
pub fn flags(
    ledger: &Ledger<'_>,
    sb: &Showback,
    keys: &[OwnedKey],
    today: NaiveDate,
    s: &WasteSettings,
) -> Vec<WasteFlag> {
    let mut out = feature_flags(ledger, s);
    out.extend(conflict_flags(ledger));
    out.extend(zombie_flags(keys, today, s));
    out.extend(org_flags(sb));
    out.sort_by(|a, b| {
        b.at_stake
            .unwrap_or_default()
            .cmp(&a.at_stake.unwrap_or_default())
            .then(a.kind.cmp(&b.kind))
            .then(a.subject.cmp(&b.subject))
    });
    out
}
