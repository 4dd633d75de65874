//! `/teams/{team}/features/{feature}`: one feature's unit costs, outcomes and tokens.

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{Html, Response};
use tokentally_domain::event::Outcome;
use tokentally_domain::movement::Scope;
use tokentally_domain::pricing::TokenClass;
use tokentally_web::money::Money;
use tokentally_web::pages::breakdown_page::{
    BreakdownPage, Cell, PlainTable, Section, Summary, breakdown_page,
};
use tokentally_web::pages::showback_page::urlencode;

use super::{kept_model, ExportQuery, context, export, forbid_team, lines_section, sorted_by_day};
use crate::app::reports;
use crate::http::MonthQuery;
use crate::http::api::asks_for_fresh;
use crate::http::error::ApiError;
use crate::http::extract::PageUser;
use crate::http::pages::{PageError, movement, trend, viewer_of};
use crate::state::AppState;
/// The page's model, kept per data version for this viewer (see [`kept_model`]).
async fn feature_model(
    state: &AppState,
    user: &PageUser,
    team: &str,
    feature: &str,
    month: &Option<String>,
    fresh: bool,
) -> Result<BreakdownPage, PageError> {
    let what = format!("feature {team} {feature} {month:?}");
    let anew = feature_model_anew(state, user, team, feature, month, fresh);
    kept_model(state, user, what, anew).await
}

async fn feature_model_anew(
    state: &AppState,
    user: &PageUser,
    team: &str,
    feature: &str,
    month: &Option<String>,
    fresh: bool,
) -> Result<BreakdownPage, PageError> {
    forbid_team(user, team)?;
    let (ctx, months) = context(state, month, fresh).await?;
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
    let outcomes = fd.outcomes.clone();
    // Of each outcome's requests, those whose outcome was reported after the call.
    let reported = state.store.late_outcome_usage(ctx.month).await?;
    let later = tokentally_domain::showback::Ledger::new(
        &reported,
        &ctx.data.discounts,
        &ctx.attributor,
        &ctx.book,
    )
    .summarize(|r| {
        (r.owner.team == team && r.owner.feature == feature)
            .then(|| r.row.key.outcome.as_str().to_owned())
    });
    let days = sorted_by_day(fd.days.clone());
    let outcome_rows = Outcome::ALL
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
                    Cell::Money(Money::new(l.blended_cost, &cur)),
                    Cell::Count(later.get(&l.name).map_or(0, |s| s.requests)),
                ],
            )
        })
        .collect();
    let class_rows = TokenClass::ALL
        .iter()
        .filter(|c| TokenClass::BASIC.contains(c) || c.quantity(&summary.tokens) > 0)
        .map(|c| {
            (
                None,
                vec![
                    Cell::Text(c.label().to_owned()),
                    Cell::Count(c.quantity(&summary.tokens)),
                    Cell::Money(Money::new(summary.cost.of(*c), &cur)),
                ],
            )
        })
        .collect();
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
    Ok(BreakdownPage {
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
                rows: outcome_rows,
                empty: "No calls.".into(),
            }),
            Section::Plain(PlainTable {
                id: "classes".into(),
                title: "Tokens by class".into(),
                headers: vec![
                    ("Class".into(), false),
                    ("Tokens".into(), true),
                    ("Token cost".into(), true),
                ],
                rows: class_rows,
                empty: "No tokens.".into(),
            }),
            lines_section(
                "keys",
                "API keys",
                "Key",
                fd.keys.clone(),
                Some("/keys/".into()),
            ),
            lines_section("days", "Days", "Day", days, None),
        ],
    })
}

pub async fn feature_page(
    State(state): State<AppState>,
    user: PageUser,
    headers: HeaderMap,
    Path((team, feature)): Path<(String, String)>,
    Query(q): Query<MonthQuery>,
) -> Result<Html<String>, PageError> {
    let fresh = asks_for_fresh(&headers);
    let page = feature_model(&state, &user, &team, &feature, &q.month, fresh).await?;
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
    let page = feature_model(&state, &user, &team, &feature, &q.month, fresh).await?;
    export(page, &q.table, &format!("feature-{team}-{feature}"))
}

// ---------------------------------------------------------------- key and model
