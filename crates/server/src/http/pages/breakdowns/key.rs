//! `/keys/{key}`: a key's owner history and spend.

use axum::extract::{Path, Query, State};
use axum::response::{Html, Response};
use rust_decimal::Decimal;
use tokentally_domain::attribution::UNALLOCATED;
use tokentally_domain::showback::Point;
use tokentally_web::components::EnvironmentFilter;
use tokentally_web::pages::breakdown_page::{
    BreakdownPage, Cell, PlainTable, Section, Summary, breakdown_page,
};
use tokentally_web::pages::showback_page::urlencode;

use super::{
    ExportQuery, MonthRead, context, export, kept_model, sorted_by_day, token_lines_section,
    visible,
};
use crate::http::MonthQuery;
use crate::http::error::ApiError;
use crate::http::extract::PageUser;
use crate::http::pages::{PageError, viewer_of};
use crate::state::AppState;

/// The page's model, kept per data version for this viewer (see [`kept_model`]).
async fn key_model(
    state: &AppState,
    user: &PageUser,
    key: &str,
    month: &Option<String>,
) -> Result<BreakdownPage, PageError> {
    let what = format!("key {key} {month:?}");
    let anew = Box::pin(key_model_anew(state, user, key, month));
    kept_model(state, user, what, anew).await
}

async fn key_model_anew(
    state: &AppState,
    user: &PageUser,
    key: &str,
    month: &Option<String>,
) -> Result<BreakdownPage, PageError> {
    let only = crate::storage::RowsOf {
        keys: vec![key.to_owned()],
        ..Default::default()
    };
    let (ctx, months) = context(state, month, MonthRead::Only(only)).await?;
    let cur = state.config.currency.clone();
    let views = ctx.views();
    let keep = |p: &Point<'_>| p.api_key == key && visible(user, p);
    let days = sorted_by_day(views.lines(&keep, &|p| p.day.to_string(), None));
    // The other tables do not look at days: they read the rows with days merged.
    let merged = views.days_merged(&keep);
    let by_month = views.over(&merged);
    let view = |by: &dyn Fn(&Point<'_>) -> String| by_month.lines(&keep, by, None);
    let teams = view(&|p| p.owner.team.clone());
    let mappings: Vec<_> = state
        .store
        .list_key_mappings()
        .await?
        .into_iter()
        .filter(|m| m.api_key == key)
        .collect();
    let owns = mappings
        .iter()
        .any(|m| user.principal.may_read_team(&m.team));
    // A lead sees the key's history only while it was one of their teams'.
    let mappings: Vec<_> = mappings
        .into_iter()
        .filter(|m| user.principal.may_read_team(&m.team))
        .collect();
    if teams.is_empty() && !(user.principal.sees_everything() || owns) {
        return Err(PageError::from(ApiError::Forbidden(format!(
            "key `{key}` is not one of your teams' keys"
        ))));
    }
    let audit = if user.principal.sees_everything() {
        state
            .store
            .list_audit(Some(&format!("key:{key}")), 50)
            .await?
    } else {
        Vec::new()
    };
    let history = mappings
        .iter()
        .rev()
        .map(|m| {
            let who = audit
                .iter()
                .find(|a| {
                    a.after.as_deref().is_some_and(|after| {
                        after.contains(&format!("\"valid_from\":\"{}\"", m.valid_from))
                    })
                })
                .and_then(|a| {
                    chrono::DateTime::from_timestamp_millis(a.at_ms).map(|at| Cell::By {
                        actor: a.actor.clone(),
                        at,
                    })
                })
                .unwrap_or(Cell::Blank);
            (
                None,
                vec![
                    Cell::Date(m.valid_from),
                    Cell::Text(m.team.clone()),
                    Cell::Text(m.feature.clone().unwrap_or_default()),
                    Cell::Text(m.environment.clone().unwrap_or_default()),
                    who,
                ],
            )
        })
        .collect();
    let total: Decimal = teams.iter().map(|l| l.token_cost).sum();
    let requests: u64 = teams.iter().map(|l| l.requests).sum();
    let owner = ctx
        .attributor
        .mapping(key, ctx.month.last_day())
        .map(|m| m.team.clone())
        .unwrap_or_else(|| UNALLOCATED.to_owned());
    let owner = if user.principal.may_read_team(&owner) {
        owner
    } else {
        "another team".to_owned()
    };
    Ok(BreakdownPage {
        environment: EnvironmentFilter::default(),
        links: Vec::new(),
        title: format!("Key {key}"),
        crumbs: vec![("Showback".into(), format!("/?month={}", ctx.month))],
        month: ctx.month,
        months,
        path: format!("/keys/{}", urlencode(key)),
        currency: cur.clone(),
        summary: Summary::Key {
            token_cost: total,
            requests,
            owner,
        },
        daily: None,
        sections: vec![
            Section::Plain(PlainTable {
                id: "owners".into(),
                title: "Owner history".into(),
                headers: vec![
                    ("From".into(), false),
                    ("Team".into(), false),
                    ("Feature".into(), false),
                    ("Environment".into(), false),
                    ("Mapped by".into(), false),
                ],
                rows: history,
                empty: "Never mapped: its spend is attributed by tags or rules, else Unallocated."
                    .into(),
            }),
            token_lines_section("teams", "Teams", "Team", teams, Some("/teams/".into())),
            token_lines_section(
                "models",
                "Models",
                "Model",
                view(&|p| p.model.to_owned()),
                Some("/models/".into()),
            ),
            token_lines_section("days", "Days", "Day", days, None),
        ],
    })
}

pub async fn key_page(
    State(state): State<AppState>,
    user: PageUser,
    Path(key): Path<String>,
    Query(q): Query<MonthQuery>,
) -> Result<Html<String>, PageError> {
    let page = key_model(&state, &user, &key, &q.month).await?;
    Ok(Html(breakdown_page(&viewer_of(&user), page)))
}

pub async fn key_csv(
    State(state): State<AppState>,
    user: PageUser,
    Path(key): Path<String>,
    Query(q): Query<ExportQuery>,
) -> Result<Response, PageError> {
    let page = key_model(&state, &user, &key, &q.month).await?;
    export(page, &q.table, &format!("key-{key}"))
}
