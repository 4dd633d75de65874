//! Planning use cases: a feature's cost at a planned volume (three scenarios, on the model's
//! real card) and the commitment size that would have cost least over the last 90 days. The
//! arithmetic is the domain's ([`tokentally_domain::scenario`],
//! [`tokentally_domain::commitment_sizing`]); this module loads what it reads.

use std::collections::BTreeSet;

use chrono::{Duration, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use tokentally_domain::catalog::canonical_provider;
use tokentally_domain::commitment_sizing::{self, Sizing, SizingInput, WINDOW_DAYS};
use tokentally_domain::event::ServiceTier;
use tokentally_domain::month::Month;
use tokentally_domain::scenario::{self, Plan, Scenario};
use tokentally_domain::tokens::TokenCounts;

use crate::app::error::AppError;
use crate::app::governance::daily_context;
use crate::app::reports::MonthContext;
use crate::auth::Principal;
use crate::state::AppState;

type AppResult<T> = Result<T, AppError>;

/// A model as the forms name it: `provider/model`.
pub fn model_id(provider: &str, model: &str) -> String {
    format!("{}/{model}", canonical_provider(provider))
}

/// Splits `provider/model` (the model may hold further slashes).
pub fn parse_model_id(id: &str) -> AppResult<(String, String)> {
    match id.trim().split_once('/') {
        Some((p, m)) if !p.is_empty() && !m.is_empty() => Ok((p.to_owned(), m.to_owned())),
        _ => Err(AppError::invalid(format!(
            "`model` must be `provider/model`, as in the list, got `{id}`"
        ))),
    }
}

/// Every model with a card of its own (not a pattern), for the forms' lists.
pub async fn priced_models(state: &AppState) -> AppResult<Vec<String>> {
    let book = state.prices.get(&state.store).await?;
    let models: BTreeSet<String> = book
        .cards()
        .iter()
        .filter(|c| !c.is_pattern())
        .map(|c| model_id(&c.provider, &c.model))
        .collect();
    Ok(models.into_iter().collect())
}

/// What a scenario plan is asked for.
#[derive(Debug, Clone)]
pub struct ScenarioRequest {
    pub team: String,
    pub feature: String,
    /// `provider/model`.
    pub model: String,
    pub tier: ServiceTier,
    pub plan: Plan,
}

#[derive(Debug, Clone, Serialize)]
pub struct ScenarioAnswer {
    pub team: String,
    pub feature: String,
    pub provider: String,
    pub model: String,
    /// The card priced on: its model (an exact name or a pattern) and first day.
    pub card: String,
    pub card_effective_from: NaiveDate,
    /// The month whose tokens gave the mix, and the mix (empty: all input).
    pub mix_month: Option<Month>,
    pub mix: TokenCounts,
    pub currency: String,
    pub scenarios: Vec<Scenario>,
}

/// The names of the features of the teams `principal` may read, for the form's list.
pub async fn feature_names(state: &AppState, principal: &Principal) -> AppResult<Vec<String>> {
    let names: BTreeSet<String> = state
        .store
        .list_features()
        .await?
        .into_iter()
        .filter(|f| !f.archived && principal.may_read_team(&f.team))
        .map(|f| f.name)
        .collect();
    Ok(names.into_iter().collect())
}

/// A scenario plan as a form or a query gives it: text, parsed here so that each field's
/// mistake is named.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PlanFields {
    pub team: Option<String>,
    pub feature: Option<String>,
    pub model: Option<String>,
    pub volume: Option<String>,
    pub tokens_per_interaction: Option<String>,
    pub overhead_multiplier: Option<String>,
    pub spread_pct: Option<String>,
    pub tier: Option<String>,
}

/// A field's name and what is wrong with it.
pub type FieldError = (&'static str, String);

fn text(v: &Option<String>) -> &str {
    v.as_deref().map(str::trim).unwrap_or("")
}

fn whole<T: std::str::FromStr>(
    name: &'static str,
    v: &Option<String>,
    what: &str,
) -> Result<T, FieldError> {
    let t = text(v).replace([',', '_'], "");
    t.parse().map_err(|_| {
        (
            name,
            format!(
                "`{name}` must be a whole number of {what}, got `{}`",
                text(v)
            ),
        )
    })
}

impl PlanFields {
    pub fn parse(&self) -> Result<ScenarioRequest, FieldError> {
        let required = |name: &'static str, v: &Option<String>| -> Result<String, FieldError> {
            match text(v) {
                "" => Err((name, format!("`{name}` is required"))),
                t => Ok(t.to_owned()),
            }
        };
        let team = required("team", &self.team)?;
        let feature = required("feature", &self.feature)?;
        let model = required("model", &self.model)?;
        let volume = whole("volume", &self.volume, "interactions a month")?;
        let tokens_per_interaction = whole(
            "tokens_per_interaction",
            &self.tokens_per_interaction,
            "tokens",
        )?;
        let overhead_multiplier = match text(&self.overhead_multiplier) {
            "" => Decimal::ONE,
            t => t.parse::<Decimal>().map_err(|_| {
                (
                    "overhead_multiplier",
                    format!("`overhead_multiplier` must be a decimal such as 1.15, got `{t}`"),
                )
            })?,
        };
        let spread_pct = match text(&self.spread_pct) {
            "" => scenario::DEFAULT_SPREAD_PCT,
            _ => whole("spread_pct", &self.spread_pct, "percent")?,
        };
        let tier = match text(&self.tier) {
            "" => ServiceTier::Standard,
            t => ServiceTier::ALL
                .into_iter()
                .find(|x| x.as_str() == t)
                .ok_or_else(|| {
                    (
                        "tier",
                        format!("`tier` must be standard, batch, flex or priority, got `{t}`"),
                    )
                })?,
        };
        let plan = Plan {
            volume,
            tokens_per_interaction,
            overhead_multiplier,
            spread_pct,
        };
        plan.validate().map_err(|e| {
            let field = match e {
                scenario::PlanError::BadVolume(_) | scenario::PlanError::TooManyTokens(..) => {
                    "volume"
                }
                scenario::PlanError::BadTokens(_) => "tokens_per_interaction",
                scenario::PlanError::BadMultiplier(_) => "overhead_multiplier",
                scenario::PlanError::BadSpread(_) => "spread_pct",
            };
            (field, e.to_string())
        })?;
        Ok(ScenarioRequest {
            team,
            feature,
            model,
            tier,
            plan,
        })
    }
}

/// A sizing request as a form or a query gives it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SizingFields {
    pub model: Option<String>,
    pub fee_per_million: Option<String>,
}

impl SizingFields {
    /// The model and the entered price, if any.
    pub fn parse(&self) -> Result<(String, Option<Decimal>), FieldError> {
        let model = match text(&self.model) {
            "" => return Err(("model", "`model` is required".into())),
            m => m.to_owned(),
        };
        let fee = match text(&self.fee_per_million) {
            "" => None,
            t => Some(
                tokentally_domain::typed_amount::parse_typed_amount(t)
                    .map_err(|e| ("fee_per_million", format!("`fee_per_million`: {e}")))?,
            ),
        };
        Ok((model, fee))
    }
}

/// The month with the feature's most recent usage, among this month and the one before.
async fn feature_mix(
    state: &AppState,
    team: &str,
    feature: &str,
    today: NaiveDate,
) -> AppResult<Option<(Month, TokenCounts)>> {
    let this = Month::of(today);
    for month in [this, this.previous()] {
        let ctx = MonthContext::load(&state.store, &state.prices, month).await?;
        let ledger = ctx.ledger();
        let sums = ledger
            .summarize(|r| (r.owner.team == team && r.owner.feature == feature).then_some(()));
        if let Some(s) = sums.get(&()).filter(|s| s.tokens.total() > 0) {
            return Ok(Some((month, s.tokens)));
        }
    }
    Ok(None)
}

/// Prices the three scenarios of a plan for a feature the caller may read.
pub async fn scenarios(
    state: &AppState,
    principal: &Principal,
    req: &ScenarioRequest,
    today: NaiveDate,
) -> AppResult<ScenarioAnswer> {
    let team = req.team.trim();
    let feature = req.feature.trim();
    if team.is_empty() || feature.is_empty() {
        return Err(AppError::invalid(
            "name the team and the feature the plan is for",
        ));
    }
    if !principal.may_read_team(team) {
        return Err(AppError::Forbidden(format!(
            "you may plan for your own teams, not `{team}`"
        )));
    }
    req.plan
        .validate()
        .map_err(|e| AppError::invalid(e.to_string()))?;
    let (provider, model) = parse_model_id(&req.model)?;
    let book = state.prices.get(&state.store).await?;
    let card = book
        .lookup(&provider, &model, today)
        .map(|id| book.card(id).clone())
        .ok_or_else(|| {
            AppError::invalid(format!(
                "`{provider}/{model}` has no price card in force today: choose a priced model"
            ))
        })?;
    let mix = feature_mix(state, team, feature, today).await?;
    let scenarios = scenario::scenarios(
        &req.plan,
        &mix.map(|(_, t)| t).unwrap_or_default(),
        &card,
        req.tier,
    )
    .map_err(|e| AppError::invalid(e.to_string()))?;
    Ok(ScenarioAnswer {
        team: team.to_owned(),
        feature: feature.to_owned(),
        provider,
        model,
        card: card.model.clone(),
        card_effective_from: card.effective_from,
        mix_month: mix.map(|(m, _)| m),
        mix: mix.map(|(_, t)| t).unwrap_or_default(),
        currency: state.config.currency.clone(),
        scenarios,
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct SizingAnswer {
    pub provider: String,
    pub model: String,
    /// The window: the 90 full days before today.
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// `entered`, or the commitment month the price was read from.
    pub fee_source: String,
    pub currency: String,
    #[serde(flatten)]
    pub sizing: Sizing,
}

/// The fee per 1M tokens of capacity of the model's latest commitment in the last year.
async fn latest_commitment_price(
    state: &AppState,
    provider: &str,
    model: &str,
    today: NaiveDate,
) -> AppResult<Option<(Decimal, Month)>> {
    let mut month = Month::of(today);
    for _ in 0..12 {
        let found = state
            .store
            .list_commitments(month)
            .await?
            .into_iter()
            .find(|c| canonical_provider(&c.provider) == provider && c.model == model);
        if let Some(c) = found {
            let per_million =
                c.fee * Decimal::from(1_000_000u32) / Decimal::from(c.capacity_tokens);
            return Ok(Some((per_million.round_dp(6), month)));
        }
        month = month.previous();
    }
    Ok(None)
}

/// Sizes a commitment of `model` (`provider/model`) over the 90 full days before `today`,
/// at `fee_per_million` or, without one, at the price of the model's latest commitment.
/// The whole organisation's traffic: for those who read everything.
pub async fn commitment_sizing(
    state: &AppState,
    principal: &Principal,
    model: &str,
    fee_per_million: Option<Decimal>,
    today: NaiveDate,
) -> AppResult<SizingAnswer> {
    if !principal.sees_everything() {
        return Err(AppError::Forbidden(
            "commitment sizing reads the whole organisation's traffic".into(),
        ));
    }
    let (provider, model) = parse_model_id(model)?;
    let provider = canonical_provider(&provider);
    let (fee, fee_source) = match fee_per_million {
        Some(f) => (f, "entered".to_owned()),
        None => match latest_commitment_price(state, &provider, &model, today).await? {
            Some((f, m)) => (f, format!("the {m} commitment")),
            None => {
                return Err(AppError::invalid(format!(
                    "`{provider}/{model}` has no commitment to read a price from: enter the capacity price per 1M tokens"
                )));
            }
        },
    };
    let to = today - Duration::days(1);
    let from = today - Duration::days(i64::from(WINDOW_DAYS));
    let mut daily = vec![0u64; WINDOW_DAYS as usize];
    let mut on_demand = Decimal::ZERO;
    let mut month = Month::of(from);
    loop {
        let ctx = daily_context(&state.store, &state.prices, month).await?;
        let ledger = ctx.ledger();
        let sums = ledger.summarize(|r| {
            let k = &r.row.key;
            (k.model == model
                && canonical_provider(&k.provider) == provider
                && (from..=to).contains(&r.day()))
            .then(|| r.day())
        });
        for (day, s) in sums {
            daily[(day - from).num_days() as usize] += s.tokens.total();
            on_demand += s.token_cost();
        }
        if month == Month::of(to) {
            break;
        }
        month = month.next();
    }
    let sizing = commitment_sizing::size(&SizingInput {
        daily_tokens: daily,
        on_demand_cost: on_demand,
        fee_per_million: fee,
    })
    .map_err(|e| AppError::invalid(e.to_string()))?;
    Ok(SizingAnswer {
        provider,
        model,
        from,
        to,
        fee_source,
        currency: state.config.currency.clone(),
        sizing,
    })
}
