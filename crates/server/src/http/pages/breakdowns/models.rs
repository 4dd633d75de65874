//! `/models`: every model and provider of the month, who uses each, and CSV.

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{Html, Response};
use tokentally_domain::showback::Point;
use tokentally_web::components::EnvironmentFilter;
use tokentally_web::pages::breakdown_page::{
    BreakdownPage, Cell, PlainTable, Summary, breakdown_page,
};

use super::{ExportQuery, MonthRead, context, export, kept_model, token_lines_section, visible};
use crate::app::models::models;
use crate::http::MonthQuery;
use crate::http::api::asks_for_fresh;
use crate::http::extract::PageUser;
use crate::http::pages::{PageError, viewer_of};
use crate::state::AppState;

/// The page's model, kept per data version for this viewer (see [`kept_model`]).
async fn models_model(
    state: &AppState,
    user: &PageUser,
    month: &Option<String>,
    fresh: bool,
) -> Result<BreakdownPage, PageError> {
    let what = format!("models {month:?}");
    let anew = Box::pin(models_model_anew(state, user, month, fresh));
    kept_model(state, user, what, anew).await
}

async fn models_model_anew(
    state: &AppState,
    user: &PageUser,
    month: &Option<String>,
    fresh: bool,
) -> Result<BreakdownPage, PageError> {
    let (ctx, months) = context(state, month, MonthRead::WithUsers { fresh }).await?;
    let cur = state.config.currency.clone();
    let keep = |p: &Point<'_>| visible(user, p);
    let report = models(&ctx, &cur, &keep);
    let users = PlainTable {
        id: "usage".into(),
        title: "Who uses each model".into(),
        headers: vec![
            ("Model".into(), false),
            ("Providers".into(), false),
            ("Teams".into(), false),
            ("Requests".into(), true),
            ("Successful outcomes".into(), true),
            ("Success rate".into(), true),
        ],
        rows: report
            .models
            .iter()
            .map(|m| {
                (
                    Some(format!(
                        "/models/{}?month={}",
                        tokentally_web::pages::showback_page::urlencode(&m.line.name),
                        ctx.month
                    )),
                    vec![
                        Cell::Text(m.line.name.clone()),
                        Cell::Text(m.providers.join(", ")),
                        Cell::Text(m.teams.join(", ")),
                        Cell::Count(m.line.requests),
                        Cell::Count(m.line.successful_outcomes),
                        Cell::Share {
                            part: m.line.successful_outcomes,
                            whole: m.line.requests,
                        },
                    ],
                )
            })
            .collect(),
        empty: "No usage this month.".into(),
    };
    Ok(BreakdownPage {
        environment: EnvironmentFilter::default(),
        links: Vec::new(),
        title: "Models and providers".into(),
        crumbs: vec![("Showback".into(), format!("/?month={}", ctx.month))],
        month: ctx.month,
        months,
        path: "/models".into(),
        currency: cur,
        summary: Summary::Models {
            token_cost: report.token_cost(),
            requests: report.requests(),
            models: report.models.len(),
            providers: report.providers.len(),
            successful_outcomes: report.successful_outcomes(),
        },
        daily: None,
        sections: vec![
            token_lines_section(
                "models",
                "Models",
                "Model",
                report.models.iter().map(|m| m.line.clone()).collect(),
                Some("/models/".into()),
            ),
            token_lines_section("providers", "Providers", "Provider", report.providers, None),
            tokentally_web::pages::breakdown_page::Section::Plain(users),
        ],
    })
}

pub async fn models_page(
    State(state): State<AppState>,
    user: PageUser,
    headers: HeaderMap,
    Query(q): Query<MonthQuery>,
) -> Result<Html<String>, PageError> {
    let page = models_model(&state, &user, &q.month, asks_for_fresh(&headers)).await?;
    Ok(Html(breakdown_page(&viewer_of(&user), page)))
}

pub async fn models_csv(
    State(state): State<AppState>,
    user: PageUser,
    headers: HeaderMap,
    Query(q): Query<ExportQuery>,
) -> Result<Response, PageError> {
    let page = models_model(&state, &user, &q.month, asks_for_fresh(&headers)).await?;
    export(page, &q.table, "models")
}
