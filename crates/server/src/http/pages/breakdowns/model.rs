//! `/models/{model}`: a model's spend by team.

use axum::extract::{Path, Query, State};
use axum::response::{Html, Response};
use rust_decimal::Decimal;
use tokentally_domain::showback::Point;
use tokentally_web::components::EnvironmentFilter;
use tokentally_web::pages::breakdown_page::{BreakdownPage, Rates, Summary, breakdown_page};
use tokentally_web::pages::showback_page::urlencode;

use super::{
    ExportQuery, MonthRead, context, export, kept_model, sorted_by_day, token_lines_section,
    visible,
};
use crate::http::MonthQuery;
use crate::http::extract::PageUser;
use crate::http::pages::{PageError, viewer_of};
use crate::state::AppState;
/// The page's model, kept per data version for this viewer (see [`kept_model`]).
async fn model_model(
    state: &AppState,
    user: &PageUser,
    model: &str,
    month: &Option<String>,
) -> Result<BreakdownPage, PageError> {
    let what = format!("model {model} {month:?}");
    let anew = Box::pin(model_model_anew(state, user, model, month));
    kept_model(state, user, what, anew).await
}

async fn model_model_anew(
    state: &AppState,
    user: &PageUser,
    model: &str,
    month: &Option<String>,
) -> Result<BreakdownPage, PageError> {
    let only = crate::storage::RowsOf {
        models: vec![model.to_owned()],
        ..Default::default()
    };
    let (ctx, months) = context(state, month, MonthRead::Only(only)).await?;
    let cur = state.config.currency.clone();
    let views = ctx.views();
    let ledger = &views.ledger;
    let keep = |p: &Point<'_>| p.model == model && visible(user, p);
    let days = sorted_by_day(views.lines(&keep, &|p| p.day.to_string(), None));
    // The other tables do not look at days: they read the rows with days merged.
    let merged = views.days_merged(&keep);
    let by_month = views.over(&merged);
    let view = |by: &dyn Fn(&Point<'_>) -> String| by_month.lines(&keep, by, None);
    let teams = view(&|p| p.owner.team.clone());
    let total: Decimal = teams.iter().map(|l| l.token_cost).sum();
    let requests: u64 = teams.iter().map(|l| l.requests).sum();
    let priced = ledger
        .rows
        .iter()
        .find(|r| r.row.key.model == model)
        .and_then(|r| r.card)
        .map(|c| ctx.book.card(c).clone());
    let rates = priced.map(|c| {
        let r = c.resolve(tokentally_domain::event::ServiceTier::Standard, 0);
        Rates {
            input: r.input(),
            output: r.output(),
        }
    });
    Ok(BreakdownPage {
        environment: EnvironmentFilter::default(),
        links: Vec::new(),
        title: format!("Model {model}"),
        crumbs: vec![("Showback".into(), format!("/?month={}", ctx.month))],
        month: ctx.month,
        months,
        path: format!("/models/{}", urlencode(model)),
        currency: cur.clone(),
        summary: Summary::Model {
            token_cost: total,
            requests,
            rates,
        },
        daily: None,
        sections: vec![
            token_lines_section("teams", "Teams", "Team", teams, Some("/teams/".into())),
            token_lines_section(
                "providers",
                "Providers",
                "Provider",
                view(&|p| p.provider.to_owned()),
                None,
            ),
            token_lines_section("days", "Days", "Day", days, None),
        ],
    })
}

pub async fn model_page(
    State(state): State<AppState>,
    user: PageUser,
    Path(model): Path<String>,
    Query(q): Query<MonthQuery>,
) -> Result<Html<String>, PageError> {
    let page = model_model(&state, &user, &model, &q.month).await?;
    Ok(Html(breakdown_page(&viewer_of(&user), page)))
}

pub async fn model_csv(
    State(state): State<AppState>,
    user: PageUser,
    Path(model): Path<String>,
    Query(q): Query<ExportQuery>,
) -> Result<Response, PageError> {
    let page = model_model(&state, &user, &model, &q.month).await?;
    export(page, &q.table, &format!("model-{model}"))
}

// ---------------------------------------------------------------- CSV
