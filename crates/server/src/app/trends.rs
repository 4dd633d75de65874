//! Unit cost over time (`tokentally_domain::trend`): twelve months of cost per successful
//! outcome, cost per query, tokens per successful outcome and cost per active user, for the
//! organisation, a team or a feature. Every cost is taken from that month's showback (the
//! organisation and teams, through the kept showbacks) or the team's drill-down (features),
//! so a trend point is the figure the month's page shows. Active users come from the per-user
//! monthly rollup, each user's dimension tuples attributed at the month's start, as a
//! feature's heaviest users are (see [`super::feature_users`]).

use std::sync::Arc;

use tokentally_domain::catalog::PriceBook;
use tokentally_domain::drilldown::{Shares, Views};
use tokentally_domain::month::Month;
use tokentally_domain::movement::Scope;
use tokentally_domain::showback;
use tokentally_domain::trend::{TREND_MONTHS, Trend, TrendPoint, months_ending};

use super::reports::{self, attributor};
use super::{AppError, AppResult};
use crate::auth::{Capability, Principal};
use crate::state::AppState;

/// The trend of `scope` over the twelve months ending with `last`. A lead reads their own
/// teams: the organisation's trend is then their teams' together, as their showback shows it.
pub async fn trend(
    state: &AppState,
    principal: &Principal,
    last: Month,
    scope: Scope,
) -> AppResult<Trend> {
    principal.ensure(Capability::ReadReports)?;
    if let Scope::Team { team } | Scope::Feature { team, .. } = &scope
        && !principal.may_read_team(team)
    {
        return Err(AppError::Forbidden(format!(
            "you may not read team `{team}`"
        )));
    }
    let currency = state.config.currency.clone();
    let months = months_ending(last, TREND_MONTHS);
    let costs = match &scope {
        Scope::Org | Scope::Team { .. } => kept_points(state, principal, &months, &scope).await?,
        Scope::Feature { team, feature } => {
            let version = state.store.data_version().await?;
            let key = (last, team.clone(), feature.clone());
            let points = state
                .trends
                .get_or_compute(version, key, feature_points(state, &months, team, feature))
                .await?;
            Vec::clone(&points)
        }
    };
    let users_key = format!(
        "trend-users:{last}:{scope:?}:{}",
        super::kept::scope(principal)
    );
    let users = super::kept::kept(
        state,
        users_key,
        active_users(state, principal, &months, &scope),
    )
    .await?;
    let points = costs
        .into_iter()
        .zip(users)
        .map(|(p, n)| p.with_active_users(n))
        .collect();
    // A feature's target, or a team's own (set with no feature); the organisation has none.
    let (team, feature) = match &scope {
        Scope::Org => ("", ""),
        Scope::Team { team } => (team.as_str(), ""),
        Scope::Feature { team, feature } => (team.as_str(), feature.as_str()),
    };
    let target = if team.is_empty() {
        None
    } else {
        state
            .store
            .list_unit_targets()
            .await?
            .into_iter()
            .find(|t| t.team == team && t.feature == feature)
            .map(|t| t.target)
    };
    Ok(Trend {
        scope,
        currency,
        points,
        target,
    })
}

/// The organisation's or a team's points, from each month's kept showback.
async fn kept_points(
    state: &AppState,
    principal: &Principal,
    months: &[Month],
    scope: &Scope,
) -> AppResult<Vec<TrendPoint>> {
    let showbacks = reports::showbacks(
        &state.store,
        &state.prices,
        &state.showbacks,
        months,
        &state.config.currency,
        principal,
    )
    .await?;
    Ok(showbacks
        .iter()
        .map(|sb| match scope {
            Scope::Team { team } => sb
                .team(team)
                .map(|t| TrendPoint::of_team(sb.month, t))
                .unwrap_or_else(|| TrendPoint::empty(sb.month)),
            _ => TrendPoint::of_org(sb),
        })
        .collect())
}

/// A feature's points: its line among its team's features, month by month, as the team's
/// drill-down cuts it (the month's rollups without users: no figure here counts them).
async fn feature_points(
    state: &AppState,
    months: &[Month],
    team: &str,
    feature: &str,
) -> AppResult<Vec<TrendPoint>> {
    let book: Arc<PriceBook> = state.prices.get(&state.store).await?;
    let attributor = attributor(&state.store).await?;
    let currency = &state.config.currency;
    let mut points = Vec::with_capacity(months.len());
    for m in months {
        let data = state.store.month_without_users(*m).await?;
        let sb = showback::showback(*m, currency, &data, None, &book, &attributor);
        let line = sb.team(team).and_then(|row| {
            let views = Views::new(*m, &data, &attributor, &book);
            views
                .lines(
                    &|p| p.owner.team == team,
                    &|p| p.owner.feature.clone(),
                    Some(&Shares::of_team(row)),
                )
                .into_iter()
                .find(|l| l.name == feature)
        });
        points.push(match line {
            Some(l) => TrendPoint::of_line(*m, &l),
            None => TrendPoint::empty(*m),
        });
    }
    Ok(points)
}

/// Distinct users of `scope` in each of `months`, as the caller may see them (a lead's
/// organisation is their teams).
async fn active_users(
    state: &AppState,
    principal: &Principal,
    months: &[Month],
    scope: &Scope,
) -> AppResult<Vec<u64>> {
    let store = &state.store;
    let (dims, attributor) = tokio::try_join!(store.list_party_dims(), attributor(store))?;
    let ours = |team: &str, feature: &str| match scope {
        Scope::Org => principal.may_read_team(team),
        Scope::Team { team: t } => team == t,
        Scope::Feature {
            team: t,
            feature: f,
        } => team == t && feature == f,
    };
    let every_tuple = matches!(scope, Scope::Org) && principal.sees_everything();
    let mut counts = Vec::with_capacity(months.len());
    for m in months {
        let day = m.first_day();
        let ids: Option<Vec<i64>> = (!every_tuple).then(|| {
            dims.iter()
                .filter(|(_, d)| {
                    let tags = d.dims.parse_tags();
                    let owner = attributor.resolve(&d.dims.event_dims(&tags), day);
                    ours(&owner.team, &owner.feature)
                })
                .map(|(id, _)| *id)
                .collect()
        });
        counts.push(store.count_month_users(*m, ids.as_deref()).await?);
    }
    Ok(counts)
}
