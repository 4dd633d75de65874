//! Reports narrowed to one environment (production, staging, …): the showback, a team's and a
//! feature's drill-downs. The month's data is filtered to the environment before the domain
//! computes (see `tokentally_domain::environment` for how shared costs follow); answers are
//! computed per request, never kept, so a filtered answer is never served for an unfiltered
//! request. The month's environments per team are kept per data version.

use std::collections::BTreeSet;
use std::sync::Arc;

use tokentally_domain::drilldown::{self, FeatureDrilldown, Line, TeamDrilldown};
use tokentally_domain::environment;
use tokentally_domain::month::Month;
use tokentally_domain::showback::{MonthData, Showback, TeamShowback};

use super::AppError;
use super::reports::{self, MonthContext};
use crate::auth::Principal;
use crate::state::AppState;
use crate::storage::StoreError;

/// The (team, environment) pairs with usage in the month, kept until the data version moves.
pub async fn pairs(
    state: &AppState,
    month: Month,
) -> Result<Arc<BTreeSet<(String, String)>>, StoreError> {
    let version = state.store.data_version().await?;
    state
        .environments
        .get_or_compute(version, month, async {
            let (data, attributor) = tokio::try_join!(
                state.store.month_costs(month),
                reports::attributor(&state.store)
            )?;
            Ok(environment::team_environments(&data, &attributor))
        })
        .await
}

/// The month's environments the caller may see, in name order.
pub async fn visible(
    state: &AppState,
    principal: &Principal,
    month: Month,
) -> Result<Vec<String>, StoreError> {
    let pairs = pairs(state, month).await?;
    Ok(names(&pairs, |t| principal.may_read_team(t)))
}

/// The environments of one team in the month, in name order.
pub async fn of_team(
    state: &AppState,
    month: Month,
    team: &str,
) -> Result<Vec<String>, StoreError> {
    let pairs = pairs(state, month).await?;
    Ok(names(&pairs, |t| t == team))
}

fn names(pairs: &BTreeSet<(String, String)>, keep: impl Fn(&str) -> bool) -> Vec<String> {
    let set: BTreeSet<&String> = pairs
        .iter()
        .filter(|(team, _)| keep(team))
        .map(|(_, env)| env)
        .collect();
    set.into_iter().cloned().collect()
}

/// Refuses an environment that is not among `known` (the API's answer to a typo): 400, with
/// the environments there are.
pub fn ensure_known(env: &str, known: &[String], within: &str) -> Result<(), AppError> {
    if known.iter().any(|k| k == env) {
        return Ok(());
    }
    let there = if known.is_empty() {
        "none".to_owned()
    } else {
        known.join(", ")
    };
    Err(AppError::BadRequest(format!(
        "unknown environment `{env}`: {within} has usage in {there}"
    )))
}

/// A month narrowed to one environment: its showback (every team's part, for everyone; narrow
/// it with [`reports::restrict`]) and its data, ready for the drill-downs.
pub struct Narrowed {
    pub ctx: MonthContext,
    pub environment: String,
    pub showback: Showback,
    /// The month's usage in the environment (users and workflows included).
    pub data: MonthData,
}

impl Narrowed {
    pub async fn load(
        state: &AppState,
        month: Month,
        env: &str,
        fresh: bool,
    ) -> Result<Self, StoreError> {
        let cur = &state.config.currency;
        let ctx = Box::pin(MonthContext::load_with_users(state, month, fresh)).await?;
        let all = reports::showback(
            &state.store,
            &state.prices,
            &state.showbacks,
            month,
            cur,
            fresh,
        )
        .await?;
        let before = ctx.previous_showback(cur);
        let showback = environment::showback_in(
            &all,
            &ctx.data,
            Some((&before, &ctx.previous)),
            &ctx.book,
            &ctx.attributor,
            env,
        );
        let data = environment::only(&ctx.data, &ctx.attributor, env);
        Ok(Self {
            ctx,
            environment: env.to_owned(),
            showback,
            data,
        })
    }

    /// The team's row in the environment: zeros when it had no usage there.
    pub fn team_row(&self, team: &str) -> TeamShowback {
        self.showback
            .team(team)
            .cloned()
            .unwrap_or_else(|| TeamShowback {
                team: team.to_owned(),
                ..TeamShowback::default()
            })
    }

    /// The team's drill-down in the environment; `None` when it had no usage there.
    pub fn team(&self, team: &str) -> Option<TeamDrilldown> {
        self.showback
            .team(team)
            .filter(|t| t.events > 0 || !t.blended_cost.is_zero())
            .map(|_| self.team_or_empty(team))
    }

    /// The team's drill-down in the environment, all zeros when it had no usage there.
    pub fn team_or_empty(&self, team: &str) -> TeamDrilldown {
        drilldown::team_drilldown(
            &self.team_row(team),
            self.ctx.month,
            &self.showback.currency,
            &self.data,
            &self.ctx.book,
            &self.ctx.attributor,
        )
    }

    /// One feature of a team's drill-down in the environment; `None` when the feature had no
    /// usage there.
    pub fn feature(&self, drill: &TeamDrilldown, feature: &str) -> Option<FeatureDrilldown> {
        drilldown::feature_drilldown(
            drill,
            feature,
            &self.data,
            &self.ctx.book,
            &self.ctx.attributor,
        )
    }

    /// The feature's drill-down, all zeros when it had no usage in the environment.
    pub fn feature_or_empty(&self, drill: &TeamDrilldown, feature: &str) -> FeatureDrilldown {
        self.feature(drill, feature)
            .unwrap_or_else(|| FeatureDrilldown {
                team: drill.team.clone(),
                feature: feature.to_owned(),
                month: drill.month,
                currency: drill.currency.clone(),
                total: Line {
                    name: feature.to_owned(),
                    ..Line::default()
                },
                models: Vec::new(),
                keys: Vec::new(),
                days: Vec::new(),
                outcomes: Vec::new(),
            })
    }

    pub fn views(&self) -> drilldown::Views<'_> {
        drilldown::Views::new(
            self.ctx.month,
            &self.data,
            &self.ctx.attributor,
            &self.ctx.book,
        )
    }
}
