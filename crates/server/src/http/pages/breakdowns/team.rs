//! `/teams/{team}`: a team's month, its features, biggest movers, models, keys and days.

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{Html, Response};
use rust_decimal::Decimal;
use tokentally_domain::drilldown::{Line, team_drilldown};
use tokentally_domain::movement::Scope;
use tokentally_domain::showback::TeamShowback;
use tokentally_web::components::EnvironmentFilter;
use tokentally_web::format::unit_money;
use tokentally_web::money::Money;
use tokentally_web::pages::breakdown_page::{
    BreakdownPage, Cell, PlainTable, Section, Summary, breakdown_page,
};
use tokentally_web::pages::showback_page::urlencode;

use super::{
    ExportQuery, MonthRead, context, export, forbid_team, kept_model, lines_section, sorted_by_day,
};
use crate::app::environments::{self, Narrowed};
use crate::app::reports;
use crate::http::ReportQuery;
use crate::http::api::asks_for_fresh;
use crate::http::error::ApiError;
use crate::http::extract::PageUser;
use crate::http::pages::{PageError, movement, trend, viewer_of};
use crate::state::AppState;
/// The page's model, kept per data version for this viewer (see [`kept_model`]).
async fn team_model(
    state: &AppState,
    user: &PageUser,
    team: &str,
    q: &ReportQuery,
    fresh: bool,
) -> Result<BreakdownPage, PageError> {
    let what = format!("team {team} {:?} {:?}", q.month, q.environment());
    let anew = Box::pin(team_model_anew(state, user, team, q, fresh));
    kept_model(state, user, what, anew).await
}

async fn team_model_anew(
    state: &AppState,
    user: &PageUser,
    team: &str,
    q: &ReportQuery,
    fresh: bool,
) -> Result<BreakdownPage, PageError> {
    forbid_team(user, team)?;
    if let Some(env) = q.environment() {
        return narrowed_team_model(state, team, q.month()?, env, fresh).await;
    }
    let (ctx, months) = context(state, &q.month, MonthRead::Light).await?;
    let cur = state.config.currency.clone();
    let sb = reports::showback(
        &state.store,
        &state.prices,
        &state.showbacks,
        ctx.month,
        &cur,
        fresh,
    )
    .await?;
    let not_found = || {
        PageError::from(ApiError::NotFound(format!(
            "team `{team}` has no usage or overhead in {}",
            ctx.month
        )))
    };
    let row: TeamShowback = sb.team(team).cloned().ok_or_else(not_found)?;
    let drill = reports::team(state, ctx.month, team, fresh)
        .await?
        .ok_or_else(not_found)?;
    let budget = crate::http::pages::showback::team_budgets(state, user, ctx.month)
        .await?
        .remove(team);
    let previous = ctx.previous_showback(&cur);
    let before = previous.team(team).map(|t| {
        team_drilldown(
            t,
            ctx.month.previous(),
            &cur,
            &ctx.previous,
            &ctx.book,
            &ctx.attributor,
        )
    });
    let movers = movers(
        &drill.features,
        before
            .as_ref()
            .map(|b| b.features.as_slice())
            .unwrap_or(&[]),
        &cur,
    );
    let t = urlencode(team);
    let path = format!("/teams/{t}");
    let movement = movement::view(
        state,
        user,
        Scope::Team {
            team: team.to_owned(),
        },
        ctx.month,
        &format!("{path}/export.csv"),
    )
    .await?;
    let trend = trend::view(
        state,
        user,
        Scope::Team {
            team: team.to_owned(),
        },
        ctx.month,
        &format!("{path}/export.csv"),
    )
    .await?;
    let recommended = Box::pin(crate::http::pages::recommendations::top_section(
        state, user, ctx.month, team, None,
    ))
    .await?;
    let targets = targets_section(
        state,
        team,
        row.cost_per_successful_outcome,
        &drill.features,
        &cur,
    )
    .await?;
    let environment = EnvironmentFilter {
        current: None,
        choices: environments::of_team(state, ctx.month, team).await?,
    };
    Ok(BreakdownPage {
        environment,
        title: format!("Team {team}"),
        crumbs: vec![("Showback".into(), format!("/?month={}", ctx.month))],
        month: ctx.month,
        months,
        path,
        currency: cur.clone(),
        daily: Some(drill.days.clone()),
        summary: Summary::Team {
            row: Box::new(row),
            total: Box::new(drill.total.clone()),
            budget,
        },
        links: vec![(
            "Workflows".into(),
            format!("/teams/{t}/workflows?month={}", ctx.month),
        )],
        sections: vec![
            super::value::section(team, &drill.features, &drill.total, &cur),
            lines_section(
                "features",
                "Features",
                "Feature",
                drill.features,
                Some(format!("/teams/{t}/features/")),
            ),
            recommended,
            targets,
            Section::Movement(movement),
            Section::Trend(trend),
            movers,
            lines_section(
                "models",
                "Models",
                "Model",
                drill.models,
                Some("/models/".into()),
            ),
            lines_section("keys", "API keys", "Key", drill.keys, Some("/keys/".into())),
            lines_section("days", "Days", "Day", sorted_by_day(drill.days), None),
        ],
    })
}

/// The team's month in one environment: its row, features, models, keys and days, each the
/// environment's part (what covers all environments is left out). An environment the team
/// has no usage in shows zeros, and the page says so.
async fn narrowed_team_model(
    state: &AppState,
    team: &str,
    month: tokentally_domain::month::Month,
    env: &str,
    fresh: bool,
) -> Result<BreakdownPage, PageError> {
    let environment = EnvironmentFilter {
        current: Some(env.to_owned()),
        choices: environments::of_team(state, month, team).await?,
    };
    let narrowed = Narrowed::load(state, month, env, fresh).await?;
    let months = state.store.list_months().await?;
    let row = narrowed.team_row(team);
    let drill = narrowed.team_or_empty(team);
    let t = urlencode(team);
    let keep = environment.query();
    let mut features = lines_section(
        "features",
        "Features",
        "Feature",
        drill.features,
        Some(format!("/teams/{t}/features/")),
    );
    if let Section::Lines(table) = &mut features {
        table.link_suffix = format!("?env={}", urlencode(env));
    }
    Ok(BreakdownPage {
        title: format!("Team {team}"),
        crumbs: vec![("Showback".into(), format!("/?month={month}{keep}"))],
        month,
        months,
        path: format!("/teams/{t}"),
        currency: narrowed.showback.currency.clone(),
        daily: Some(drill.days.clone()),
        summary: Summary::Team {
            row: Box::new(row),
            total: Box::new(drill.total.clone()),
            budget: None,
        },
        links: Vec::new(),
        sections: vec![
            features,
            lines_section(
                "models",
                "Models",
                "Model",
                drill.models,
                Some("/models/".into()),
            ),
            lines_section("keys", "API keys", "Key", drill.keys, Some("/keys/".into())),
            lines_section("days", "Days", "Day", sorted_by_day(drill.days), None),
        ],
        environment,
    })
}

/// The team's unit-cost targets (its own, then its features'), each against the month's cost
/// per successful outcome, on or off target.
async fn targets_section(
    state: &AppState,
    team: &str,
    team_actual: Option<Decimal>,
    features: &[Line],
    cur: &str,
) -> Result<Section, PageError> {
    let mut targets: Vec<_> = state
        .store
        .list_unit_targets()
        .await?
        .into_iter()
        .filter(|t| t.team == team)
        .collect();
    targets.sort_by(|a, b| a.feature.cmp(&b.feature));
    let t = urlencode(team);
    let rows = targets
        .into_iter()
        .map(|target| {
            let (name, actual, link) = if target.feature.is_empty() {
                ("whole team".to_owned(), team_actual, "#trend".to_owned())
            } else {
                (
                    target.feature.clone(),
                    features
                        .iter()
                        .find(|l| l.name == target.feature)
                        .and_then(|l| l.cost_per_successful_outcome),
                    format!("/teams/{t}/features/{}#trend", urlencode(&target.feature)),
                )
            };
            let status = match actual {
                Some(a) if a <= target.target => "on target",
                Some(_) => "off target",
                None => "no successful outcome",
            };
            (
                Some(link),
                vec![
                    Cell::Text(name),
                    // Unit costs to the tenth of a cent, as the trend shows them.
                    Cell::Text(unit_money(target.target, cur)),
                    actual.map_or(Cell::Blank, |a| Cell::Text(unit_money(a, cur))),
                    Cell::Text(status.to_owned()),
                ],
            )
        })
        .collect();
    Ok(Section::Plain(PlainTable {
        id: "targets".into(),
        title: "Unit-cost targets".into(),
        headers: vec![
            ("Of".into(), false),
            ("Target per success".into(), true),
            ("Cost per success this month".into(), true),
            ("Status".into(), false),
        ],
        rows,
        empty: "No unit-cost target set for this team (the scorecard sets them).".into(),
    }))
}

/// The features whose blended cost moved most against last month.
fn movers(now: &[Line], before: &[Line], cur: &str) -> Section {
    let mut names: Vec<&str> = now.iter().chain(before).map(|l| l.name.as_str()).collect();
    names.sort();
    names.dedup();
    let cost = |lines: &[Line], n: &str| {
        lines
            .iter()
            .find(|l| l.name == n)
            .map(|l| l.blended_cost)
            .unwrap_or_default()
    };
    let mut changes: Vec<(&str, Decimal, Decimal)> = names
        .into_iter()
        .map(|n| (n, cost(before, n), cost(now, n)))
        .collect();
    changes.sort_by(|a, b| (b.2 - b.1).abs().cmp(&(a.2 - a.1).abs()).then(a.0.cmp(b.0)));
    let rows = changes
        .into_iter()
        .take(5)
        .filter(|(_, b, n)| b != n)
        .map(|(name, b, n)| {
            (
                None,
                vec![
                    Cell::Text(name.to_owned()),
                    Cell::Money(Money::new(b, cur)),
                    Cell::Money(Money::new(n, cur)),
                    Cell::Money(Money::new(n - b, cur)),
                ],
            )
        })
        .collect();
    Section::Plain(PlainTable {
        id: "movers".into(),
        title: "Biggest movers against last month".into(),
        headers: vec![
            ("Feature".into(), false),
            ("Last month".into(), true),
            ("This month".into(), true),
            ("Change".into(), true),
        ],
        rows,
        empty: "No change against last month.".into(),
    })
}

pub async fn team_page(
    State(state): State<AppState>,
    user: PageUser,
    headers: HeaderMap,
    Path(team): Path<String>,
    Query(q): Query<ReportQuery>,
) -> Result<Html<String>, PageError> {
    let page = team_model(&state, &user, &team, &q, asks_for_fresh(&headers)).await?;
    Ok(Html(breakdown_page(&viewer_of(&user), page)))
}

pub async fn team_csv(
    State(state): State<AppState>,
    user: PageUser,
    headers: HeaderMap,
    Path(team): Path<String>,
    Query(q): Query<ExportQuery>,
) -> Result<Response, PageError> {
    let report = q.report();
    let page = team_model(&state, &user, &team, &report, asks_for_fresh(&headers)).await?;
    export(page, &q.table, &format!("team-{team}"))
}

// ---------------------------------------------------------------- feature
