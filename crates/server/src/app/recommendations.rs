//! Recommendations (issue 15): the month's priced levers as the caller may see them, and an
//! owner's decision on one (accept or dismiss, with a note, audited).
//!
//! The levers are the domain's (`tokentally_domain::recommendation`); this module loads what
//! they read from the month's rollups, the commitments and the keys' last use, and keeps
//! the result per month until the data version moves.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use tokentally_domain::month::Month;
use tokentally_domain::recommendation::follow_up::{self, FollowUp};
use tokentally_domain::recommendation::{
    self, Inputs, Lever, MonthRecommendations, OwnedKey, Recommendation, Settings,
};

use super::clock::today;
use super::reports::MonthContext;
use super::{AppError, AppResult, audit};
use crate::auth::{Capability, Principal};
use crate::state::AppState;
use crate::storage::{RecommendationDecision, Store, StoreError};

/// The settings row the levers' thresholds are kept under.
pub const SETTINGS: &str = "recommendations";

/// The longest note kept with a decision.
pub const MAX_NOTE: usize = 1_000;

pub async fn settings(store: &Store) -> Result<Settings, StoreError> {
    Ok(store.get_setting(SETTINGS).await?.unwrap_or_default())
}

/// Sets the levers' thresholds (admins), audited with the values they replace. Nothing is
/// stored when one is out of range.
pub async fn set_settings_as(
    state: &AppState,
    principal: &Principal,
    s: Settings,
) -> AppResult<Settings> {
    principal.ensure(Capability::Administer)?;
    s.validate().map_err(|e| AppError::invalid(e.to_string()))?;
    let before = settings(&state.store).await?;
    state.store.set_setting(SETTINGS, &s).await?;
    audit::record(
        &state.store,
        &principal.name,
        "recommendations.settings",
        "setting:recommendations",
        Some(before),
        Some(&s),
    )
    .await?;
    Ok(s)
}

/// Changes the thresholds `patch` names and keeps the others (admins), audited. A field
/// that is unknown, malformed or out of range changes nothing.
pub async fn patch_settings_as(
    state: &AppState,
    principal: &Principal,
    patch: serde_json::Map<String, serde_json::Value>,
) -> AppResult<Settings> {
    principal.ensure(Capability::Administer)?;
    let current = settings(&state.store).await?;
    let mut merged = match serde_json::to_value(&current) {
        Ok(serde_json::Value::Object(m)) => m,
        _ => {
            return Err(AppError::Internal(anyhow::anyhow!(
                "settings are not an object"
            )));
        }
    };
    merged.extend(patch);
    let s: Settings = serde_json::from_value(serde_json::Value::Object(merged))
        .map_err(|e| AppError::invalid(e.to_string()))?;
    set_settings_as(state, principal, s).await
}

/// A recommendation with the decision taken on it, if any.
#[derive(Debug, Clone, Serialize)]
pub struct Item {
    #[serde(flatten)]
    pub recommendation: Recommendation,
    pub decision: Option<RecommendationDecision>,
    /// For an accepted one: its feature since the accept day against the 30 days before.
    pub follow_up: Option<FollowUp>,
}

/// The month's list as one caller sees it.
#[derive(Debug, Clone, Serialize)]
pub struct Listing {
    pub month: Month,
    pub currency: String,
    pub items: Vec<Item>,
    /// What the counted items save together (untested routing left out), exact.
    pub total: Decimal,
    /// The month's token cost and commitment fees in the caller's view: the most that could
    /// be saved.
    pub token_cost: Decimal,
    pub commitments: Decimal,
}

/// Which items to list.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub team: Option<String>,
    pub lever: Option<Lever>,
}

/// Parses the `team` and `lever` of a query; a bad lever is the caller's fault.
pub fn filter(team: Option<&str>, lever: Option<&str>) -> AppResult<Filter> {
    let lever = lever
        .filter(|l| !l.is_empty())
        .map(|l| l.parse::<Lever>())
        .transpose()
        .map_err(|e| AppError::BadRequest(e.to_string()))?;
    Ok(Filter {
        team: team.filter(|t| !t.is_empty()).map(str::to_owned),
        lever,
    })
}

/// Whether `principal` may see a recommendation: a team's to who may read the team; the
/// organisation's own (idle commitments) to those who see everything.
fn visible(principal: &Principal, r: &Recommendation) -> bool {
    if r.team.is_empty() {
        principal.sees_everything()
    } else {
        principal.may_read_team(&r.team)
    }
}

/// The month's recommendations for everyone, with the month's cost ceilings, kept per data
/// version.
async fn all(state: &AppState, month: Month) -> Result<MonthRecommendations, StoreError> {
    let version = state.store.data_version().await?;
    let kept = state
        .recommendations
        .get_or_compute(version, month, Box::pin(compute(state, month)))
        .await?;
    Ok(MonthRecommendations::clone(&kept))
}

/// Keys owned now (their latest mapping), with their last day of use.
async fn owned_keys(store: &Store) -> Result<Vec<OwnedKey>, StoreError> {
    let seen = store.list_keys_seen().await?;
    let mut owners: BTreeMap<String, String> = BTreeMap::new();
    for m in store.list_key_mappings().await? {
        owners.insert(m.api_key, m.team);
    }
    Ok(owners
        .into_iter()
        .map(|(api_key, team)| OwnedKey {
            last_used: seen
                .iter()
                .find(|s| s.api_key == api_key)
                .map(|s| s.last_day),
            api_key,
            team,
        })
        .collect())
}

async fn compute(state: &AppState, month: Month) -> Result<MonthRecommendations, StoreError> {
    let store = &state.store;
    let currency = &state.config.currency;
    let ctx = Box::pin(MonthContext::load(store, &state.prices, month)).await?;
    let sb = ctx.showback(currency);
    let settings = settings(store).await?;
    let keys = owned_keys(store).await?;
    let ledger = ctx.ledger();
    let recommendations = recommendation::recommend(&Inputs {
        month,
        ledger: &ledger,
        workflows: &ctx.data.workflows,
        attributor: &ctx.attributor,
        commitments: &sb.commitments,
        keys: &keys,
        today: today().min(month.last_day()),
        settings: &settings,
    });
    Ok(MonthRecommendations {
        recommendations,
        token_cost_by_team: sb
            .teams
            .iter()
            .map(|t| (t.team.clone(), t.token_cost_exact))
            .collect(),
        commitments: sb.commitments.iter().map(|c| c.fee).sum(),
    })
}

/// The month's recommendations as `principal` may see them, narrowed by `filter`, largest
/// saving first. A lead who names a team not theirs is refused.
pub async fn list(
    state: &AppState,
    principal: &Principal,
    month: Month,
    filter: &Filter,
) -> AppResult<Listing> {
    principal.ensure(Capability::ReadReports)?;
    if let Some(team) = &filter.team
        && !principal.may_read_team(team)
    {
        return Err(AppError::Forbidden(format!(
            "you may not read team `{team}`"
        )));
    }
    let computed = all(state, month).await?;
    let decisions: BTreeMap<String, RecommendationDecision> = state
        .store
        .list_recommendation_decisions()
        .await?
        .into_iter()
        .map(|d| (d.id.clone(), d))
        .collect();
    let items: Vec<Item> = computed
        .recommendations
        .into_iter()
        .filter(|r| visible(principal, r))
        .filter(|r| filter.team.as_ref().is_none_or(|t| &r.team == t))
        .filter(|r| filter.lever.is_none_or(|l| r.lever == l))
        .map(|r| Item {
            decision: decisions.get(&r.id).cloned(),
            recommendation: r,
            follow_up: None,
        })
        .collect();
    let mut items = items;
    for item in &mut items {
        if let Some(d) = &item.decision {
            item.follow_up = Box::pin(follow_up_of(state, d)).await?;
        }
    }
    let total = items
        .iter()
        .filter(|i| i.recommendation.counts())
        .map(|i| i.recommendation.monthly_saving)
        .sum();
    let token_cost = computed
        .token_cost_by_team
        .iter()
        .filter(|(t, _)| principal.may_read_team(t))
        .filter(|(t, _)| filter.team.as_ref().is_none_or(|f| f == *t))
        .map(|(_, c)| *c)
        .sum();
    let commitments = if principal.sees_everything() && filter.team.is_none() {
        computed.commitments
    } else {
        Decimal::ZERO
    };
    Ok(Listing {
        month,
        currency: state.config.currency.clone(),
        items,
        total,
        token_cost,
        commitments,
    })
}

/// How an accepted recommendation's feature did from the accept day (through today)
/// against the 30 days before; `None` for a dismissed one or one without a feature. Reads
/// the months' daily rollups (kept per data version).
pub async fn follow_up_of(
    state: &AppState,
    d: &RecommendationDecision,
) -> Result<Option<FollowUp>, StoreError> {
    if d.decision != Decision::Accepted.as_str() || d.feature.is_empty() {
        return Ok(None);
    }
    let since = d.decided_day;
    let to = today().max(since);
    let from = since - chrono::Duration::days(follow_up::BASELINE_DAYS);
    let mut contexts = Vec::new();
    let mut m = Month::of(from);
    while m <= Month::of(to) {
        contexts.push(Box::pin(MonthContext::load_with_users(state, m, false)).await?);
        m = m.next();
    }
    let Some(first) = contexts.first() else {
        return Ok(None);
    };
    let attributor = &first.attributor;
    let ledgers: Vec<_> = contexts.iter().map(MonthContext::ledger).collect();
    let parts: Vec<_> = ledgers
        .iter()
        .zip(&contexts)
        .map(|(l, c)| (l, c.data.workflows.as_slice()))
        .collect();
    let before = follow_up::window(
        &parts,
        attributor,
        &d.team,
        &d.feature,
        from,
        since - chrono::Duration::days(1),
    );
    let after = follow_up::window(&parts, attributor, &d.team, &d.feature, since, to);
    Ok(Some(follow_up::follow_up(
        since,
        before,
        after,
        d.expected_saving,
    )))
}

/// The accepted recommendations of one feature, newest first, each with its follow-up: for
/// the feature page.
pub async fn followed(
    state: &AppState,
    principal: &Principal,
    team: &str,
    feature: &str,
) -> AppResult<Vec<(RecommendationDecision, FollowUp)>> {
    principal.ensure(Capability::ReadReports)?;
    if !principal.may_read_team(team) {
        return Err(AppError::Forbidden(format!(
            "you may not read team `{team}`"
        )));
    }
    let mut out = Vec::new();
    for d in state.store.list_recommendation_decisions().await? {
        if d.team == team
            && d.feature == feature
            && let Some(f) = Box::pin(follow_up_of(state, &d)).await?
        {
            out.push((d, f));
        }
    }
    Ok(out)
}

/// Accept or dismiss.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Accepted,
    Dismissed,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Accepted => "accepted",
            Self::Dismissed => "dismissed",
        }
    }
}

/// Records `principal`'s decision on the recommendation `id` (a lead: on their teams'; the
/// organisation's own: admins and finance), with a note, audited.
pub async fn decide(
    state: &AppState,
    principal: &Principal,
    id: &str,
    decision: Decision,
    note: &str,
) -> AppResult<RecommendationDecision> {
    principal.ensure(Capability::DecideRecommendations)?;
    let note = note.trim();
    if note.chars().count() > MAX_NOTE {
        return Err(AppError::invalid(format!(
            "the note may be at most {MAX_NOTE} characters"
        )));
    }
    if note
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err(AppError::invalid(
            "the note may not hold control characters",
        ));
    }
    let month = recommendation::month_of_id(id).ok_or_else(|| {
        AppError::BadRequest(format!(
            "`{}` is not a recommendation id (YYYY-MM-<16 hex digits>)",
            id.chars().take(40).collect::<String>()
        ))
    })?;
    let computed = all(state, month).await?;
    let Some(r) = computed.recommendations.into_iter().find(|r| r.id == id) else {
        return Err(AppError::NotFound(format!(
            "no recommendation `{id}` in {month}"
        )));
    };
    if !visible(principal, &r) {
        // Not found rather than forbidden: a lead learns nothing of other teams' ids.
        return Err(AppError::NotFound(format!(
            "no recommendation `{id}` in {month}"
        )));
    }
    if r.team.is_empty() && !principal.may(Capability::Govern) {
        return Err(AppError::Forbidden(
            "the organisation's own recommendations are decided by admins and finance".into(),
        ));
    }
    let d = RecommendationDecision {
        id: r.id.clone(),
        month: month.to_string(),
        lever: r.lever.as_str().to_owned(),
        team: r.team.clone(),
        feature: r.feature.clone(),
        api_key: r.key.clone(),
        model: r.model.clone(),
        decision: decision.as_str().to_owned(),
        note: note.to_owned(),
        expected_saving: r.monthly_saving,
        decided_day: today(),
        decided_by: principal.name.clone(),
    };
    let before = state.store.set_recommendation_decision(&d).await?;
    audit::record(
        &state.store,
        &principal.name,
        &format!("recommendation.{}", decision.as_str()),
        &format!("recommendation:{id}"),
        before,
        Some(&d),
    )
    .await?;
    Ok(d)
}

/// What the optimisation levers (retries, output caps, caching, routing) still price as a
/// monthly saving, per team and lever label: the month's recommendations that nobody has
/// accepted or dismissed, untested ones left out. The scorecard's optimisation stage reads it.
pub async fn open_savings(
    state: &AppState,
    month: Month,
) -> Result<BTreeMap<String, BTreeMap<String, Decimal>>, StoreError> {
    use tokentally_domain::recommendation::Lever;
    let computed = all(state, month).await?;
    let decided: std::collections::BTreeSet<String> = state
        .store
        .list_recommendation_decisions()
        .await?
        .into_iter()
        .map(|d| d.id)
        .collect();
    let mut out: BTreeMap<String, BTreeMap<String, Decimal>> = BTreeMap::new();
    for r in &computed.recommendations {
        let lever = matches!(
            r.lever,
            Lever::Retries | Lever::OutputCap | Lever::Caching | Lever::Routing
        );
        if lever && r.counts() && !decided.contains(&r.id) {
            *out.entry(r.team.clone())
                .or_default()
                .entry(r.lever.label().to_owned())
                .or_default() += r.monthly_saving;
        }
    }
    Ok(out)
}
