//! `/teams/{team}/features/{feature}`: one feature's unit costs, outcomes and tokens.

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{Html, Response};
use std::collections::BTreeMap;

use tokentally_domain::drilldown::Line;
use tokentally_domain::environment;
use tokentally_domain::event::Outcome;
use tokentally_domain::ledger::Summary as Totals;
use tokentally_domain::movement::Scope;
use tokentally_domain::pricing::TokenClass;
use tokentally_web::components::EnvironmentFilter;
use tokentally_web::money::Money;
use tokentally_web::pages::breakdown_page::{
    BreakdownPage, Cell, PlainTable, Section, Summary, breakdown_page,
};
use tokentally_web::pages::showback_page::urlencode;

use super::{
    ExportQuery, MonthRead, context, export, forbid_team, kept_model, lines_section, sorted_by_day,
};
use crate::app::environments::{self, Narrowed};
use crate::app::feature_users::feature_users;
use crate::app::reports::{self, MonthContext};
use crate::http::ReportQuery;
use crate::http::api::asks_for_fresh;
use crate::http::error::ApiError;
use crate::http::extract::PageUser;
use crate::http::pages::{PageError, movement, trend, viewer_of};
use crate::state::AppState;
/// Users the page lists; its CSV lists every user.
const HEAVIEST_USERS: usize = 20;

/// "Heaviest users": the feature's users by token cost, the first `limit` of them.
async fn users_section(
    state: &AppState,
    user: &PageUser,
    month: tokentally_domain::month::Month,
    team: &str,
    feature: &str,
    limit: Option<usize>,
) -> Result<Section, PageError> {
    let view = feature_users(state, &user.principal, month, team, feature).await?;
    let cur = &view.currency;
    let total = view.users_total;
    let rows = view
        .users
        .into_iter()
        .take(limit.unwrap_or(usize::MAX))
        .map(|u| {
            (
                None,
                vec![
                    Cell::Text(u.user),
                    Cell::Money(Money::new(u.token_cost, cur)),
                    Cell::Text(
                        u.share_of_feature_cost
                            .map_or_else(|| "–".to_owned(), |s| format!("{s}%")),
                    ),
                    Cell::Count(u.requests),
                    Cell::Count(u.tokens.input + u.tokens.output),
                ],
            )
        })
        .collect();
    let title = match limit {
        Some(n) if total > n => {
            format!("Heaviest users (the top {n} of {total}; the CSV lists every user)")
        }
        _ => "Heaviest users".to_owned(),
    };
    Ok(Section::Plain(PlainTable {
        id: "users".into(),
        title,
        headers: vec![
            ("User".into(), false),
            ("Token cost".into(), true),
            ("Share of the feature's token cost".into(), true),
            ("Requests".into(), true),
            ("Tokens (input + output)".into(), true),
        ],
        rows,
        empty: "No calls named a user.".into(),
    }))
}

/// The page's model, kept per data version for this viewer (see [`kept_model`]).
async fn feature_model(
    state: &AppState,
    user: &PageUser,
    team: &str,
    feature: &str,
    q: &ReportQuery,
    fresh: bool,
    users_limit: Option<usize>,
) -> Result<BreakdownPage, PageError> {
    let what = format!(
        "feature {team} {feature} {:?} {:?} {users_limit:?}",
        q.month,
        q.environment()
    );
    let anew = Box::pin(feature_model_anew(
        state,
        user,
        team,
        feature,
        q,
        fresh,
        users_limit,
    ));
    kept_model(state, user, what, anew).await
}

async fn feature_model_anew(
    state: &AppState,
    user: &PageUser,
    team: &str,
    feature: &str,
    q: &ReportQuery,
    fresh: bool,
    users_limit: Option<usize>,
) -> Result<BreakdownPage, PageError> {
    forbid_team(user, team)?;
    if let Some(env) = q.environment() {
        return Box::pin(narrowed_feature_model(
            state,
            team,
            feature,
            q.month()?,
            env,
            fresh,
        ))
        .await;
    }
    let (ctx, months) = context(state, &q.month, MonthRead::Light).await?;
    let cur = state.config.currency.clone();
    let not_found = || {
        PageError::from(ApiError::NotFound(format!(
            "feature `{feature}` of team `{team}` has no usage in {}",
            ctx.month
        )))
    };
    let fd = reports::feature(state, ctx.month, team, feature, fresh)
        .await?
        .ok_or_else(not_found)?;
    let line = fd.total.clone();
    let views = ctx.views();
    let summary = views.summary(&|p| p.owner.team == team && p.owner.feature == feature);
    let later = reported_later(state, &ctx, team, feature, None).await?;
    let days = sorted_by_day(fd.days.clone());
    let outcome_rows = outcome_rows(&fd.outcomes, &line, &later, &cur);
    let class_rows = class_rows(&summary, &cur);
    let t = urlencode(team);
    let path = format!("/teams/{t}/features/{}", urlencode(feature));
    let movement = movement::view(
        state,
        user,
        Scope::Feature {
            team: team.to_owned(),
            feature: feature.to_owned(),
        },
        ctx.month,
        &format!("{path}/export.csv"),
    )
    .await?;
    let trend = trend::view(
        state,
        user,
        Scope::Feature {
            team: team.to_owned(),
            feature: feature.to_owned(),
        },
        ctx.month,
        &format!("{path}/export.csv"),
    )
    .await?;
    let recommended = Box::pin(crate::http::pages::recommendations::top_section(
        state,
        user,
        ctx.month,
        team,
        Some(feature),
    ))
    .await?;
    let followed = Box::pin(crate::http::pages::recommendations::followed_section(
        state, user, team, feature,
    ))
    .await?;
    let environment = EnvironmentFilter {
        current: None,
        choices: environments::of_team(state, ctx.month, team).await?,
    };
    let users = Box::pin(users_section(
        state,
        user,
        ctx.month,
        team,
        feature,
        users_limit,
    ))
    .await?;
    Ok(BreakdownPage {
        environment,
        title: format!("Feature {feature}"),
        crumbs: vec![
            ("Showback".into(), format!("/?month={}", ctx.month)),
            (
                format!("Team {team}"),
                format!("/teams/{t}?month={}", ctx.month),
            ),
        ],
        month: ctx.month,
        months,
        path,
        currency: cur.clone(),
        daily: Some(days.clone()),
        summary: Summary::Feature {
            line: Box::new(line),
        },
        links: vec![(
            "Workflows".into(),
            format!(
                "/teams/{t}/workflows?month={}&feature={}",
                ctx.month,
                urlencode(feature)
            ),
        )],
        sections: vec![
            recommended,
            followed,
            Section::Movement(movement),
            Section::Trend(trend),
            lines_section(
                "models",
                "Model mix",
                "Model",
                fd.models.clone(),
                Some("/models/".into()),
            ),
            outcomes_table(outcome_rows),
            classes_table(class_rows),
            lines_section(
                "keys",
                "API keys",
                "Key",
                fd.keys.clone(),
                Some("/keys/".into()),
            ),
            users,
            lines_section("days", "Days", "Day", days, None),
        ],
    })
}

type Rows = Vec<(Option<String>, Vec<Cell>)>;

/// Of each outcome's requests, those whose outcome was reported after the call (in `env`
/// alone when one is given).
async fn reported_later(
    state: &AppState,
    ctx: &MonthContext,
    team: &str,
    feature: &str,
    env: Option<&str>,
) -> Result<BTreeMap<String, Totals>, PageError> {
    let reported = state.store.late_outcome_usage(ctx.month).await?;
    Ok(tokentally_domain::showback::Ledger::new(
        &reported,
        &ctx.data.discounts,
        &ctx.attributor,
        &ctx.book,
    )
    .summarize(|r| {
        (r.owner.team == team
            && r.owner.feature == feature
            && env.is_none_or(|e| environment::of(&r.owner) == e))
        .then(|| r.row.key.outcome.as_str().to_owned())
    }))
}

fn outcome_rows(
    outcomes: &[Line],
    line: &Line,
    later: &BTreeMap<String, Totals>,
    cur: &str,
) -> Rows {
    Outcome::ALL
        .iter()
        .filter_map(|o| outcomes.iter().find(|l| l.name == o.as_str()))
        .map(|l| {
            (
                None,
                vec![
                    Cell::Text(l.name.clone()),
                    Cell::Count(l.requests),
                    Cell::Share {
                        part: l.requests,
                        whole: line.requests,
                    },
                    Cell::Money(Money::new(l.blended_cost, cur)),
                    Cell::Count(later.get(&l.name).map_or(0, |s| s.requests)),
                ],
            )
        })
        .collect()
}

fn class_rows(summary: &Totals, cur: &str) -> Rows {
    TokenClass::ALL
        .iter()
        .filter(|c| TokenClass::BASIC.contains(c) || c.quantity(&summary.tokens) > 0)
        .map(|c| {
            (
                None,
                vec![
                    Cell::Text(c.label().to_owned()),
                    Cell::Count(c.quantity(&summary.tokens)),
                    Cell::Money(Money::new(summary.cost.of(*c), cur)),
                ],
            )
        })
        .collect()
}

fn outcomes_table(rows: Rows) -> Section {
    Section::Plain(PlainTable {
        id: "outcomes".into(),
        title: "Outcomes, call by call (each call of a workflow counts here)".into(),
        headers: vec![
            ("Outcome".into(), false),
            ("Requests".into(), true),
            ("Share".into(), true),
            ("Cost".into(), true),
            ("Reported later".into(), true),
        ],
        rows,
        empty: "No calls.".into(),
    })
}

fn classes_table(rows: Rows) -> Section {
    Section::Plain(PlainTable {
        id: "classes".into(),
        title: "Tokens by class".into(),
        headers: vec![
            ("Class".into(), false),
            ("Tokens".into(), true),
            ("Token cost".into(), true),
        ],
        rows,
        empty: "No tokens.".into(),
    })
}

/// The feature's month in one environment: its line, model mix, outcomes, token classes,
/// keys and days, each the environment's part; zeros (and the page says so) when it had no
/// usage there.
async fn narrowed_feature_model(
    state: &AppState,
    team: &str,
    feature: &str,
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
    let cur = narrowed.showback.currency.clone();
    let drill = narrowed.team_or_empty(team);
    let fd = narrowed.feature_or_empty(&drill, feature);
    let line = fd.total.clone();
    let summary = narrowed
        .views()
        .summary(&|p| p.owner.team == team && p.owner.feature == feature);
    let later = reported_later(state, &narrowed.ctx, team, feature, Some(env)).await?;
    let outcome_rows = outcome_rows(&fd.outcomes, &line, &later, &cur);
    let class_rows = class_rows(&summary, &cur);
    let days = sorted_by_day(fd.days.clone());
    let t = urlencode(team);
    let keep = environment.query();
    Ok(BreakdownPage {
        title: format!("Feature {feature}"),
        crumbs: vec![
            ("Showback".into(), format!("/?month={month}{keep}")),
            (
                format!("Team {team}"),
                format!("/teams/{t}?month={month}{keep}"),
            ),
        ],
        month,
        months,
        path: format!("/teams/{t}/features/{}", urlencode(feature)),
        currency: cur,
        daily: Some(days.clone()),
        summary: Summary::Feature {
            line: Box::new(line),
        },
        links: Vec::new(),
        sections: vec![
            lines_section(
                "models",
                "Model mix",
                "Model",
                fd.models,
                Some("/models/".into()),
            ),
            outcomes_table(outcome_rows),
            classes_table(class_rows),
            lines_section("keys", "API keys", "Key", fd.keys, Some("/keys/".into())),
            lines_section("days", "Days", "Day", days, None),
        ],
        environment,
    })
}

pub async fn feature_page(
    State(state): State<AppState>,
    user: PageUser,
    headers: HeaderMap,
    Path((team, feature)): Path<(String, String)>,
    Query(q): Query<ReportQuery>,
) -> Result<Html<String>, PageError> {
    let fresh = asks_for_fresh(&headers);
    let page = feature_model(
        &state,
        &user,
        &team,
        &feature,
        &q,
        fresh,
        Some(HEAVIEST_USERS),
    )
    .await?;
    Ok(Html(breakdown_page(&viewer_of(&user), page)))
}

pub async fn feature_csv(
    State(state): State<AppState>,
    user: PageUser,
    headers: HeaderMap,
    Path((team, feature)): Path<(String, String)>,
    Query(q): Query<ExportQuery>,
) -> Result<Response, PageError> {
    let fresh = asks_for_fresh(&headers);
    let page = feature_model(&state, &user, &team, &feature, &q.report(), fresh, None).await?;
    export(page, &q.table, &format!("feature-{team}-{feature}"))
}

// ---------------------------------------------------------------- key and model
