//! `GET /admin/teams` and the forms that create, rename and archive teams and features and
//! name a team's leads.

use std::collections::{BTreeMap, BTreeSet};

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use rust_decimal::Decimal;
use serde::Deserialize;
use tokentally_domain::attribution::{UNALLOCATED, UNASSIGNED};
use tokentally_web::components::form::FieldErrors;
use tokentally_web::pages::teams_page::{FeatureRow, TeamRow, TeamsPage, teams_page};

use super::require_admin;
use crate::app::reports::MonthContext;
use crate::app::reports::last_full_month;
use crate::app::{AppError, AppResult, catalog};
use crate::http::extract::{CsrfForm, PageUser};
use crate::http::pages::{PageError, viewer_of};
use crate::state::AppState;

#[derive(Debug, Deserialize, Default)]
pub struct NoticeQuery {
    pub done: Option<String>,
}

async fn page_model(
    state: &AppState,
    errors: FieldErrors,
    notice: Option<String>,
) -> Result<TeamsPage, PageError> {
    let month = last_full_month();
    let ctx = MonthContext::load(&state.store, &state.prices, month).await?;
    let sb = ctx.showback(&state.config.currency);
    let ledger = ctx.ledger();
    let feature_spend = ledger.summarize(|r| Some((r.owner.team.clone(), r.owner.feature.clone())));
    let registered = state.store.list_teams().await?;
    let features = state.store.list_features().await?;
    let users = state.store.list_users().await?;
    let mappings = state.store.list_key_mappings().await?;

    let mut names: BTreeSet<String> = registered.iter().map(|t| t.name.clone()).collect();
    names.extend(
        sb.teams
            .iter()
            .map(|t| t.team.clone())
            .filter(|t| t != UNALLOCATED),
    );
    names.extend(mappings.iter().map(|m| m.team.clone()));
    let mut per_team: BTreeMap<String, BTreeMap<String, FeatureRow>> = BTreeMap::new();
    for f in &features {
        per_team.entry(f.team.clone()).or_default().insert(
            f.name.clone(),
            FeatureRow {
                name: f.name.clone(),
                archived: f.archived,
                registered: true,
                spend: Decimal::ZERO,
            },
        );
    }
    for ((team, feature), s) in &feature_spend {
        if feature == UNASSIGNED || team == UNALLOCATED {
            continue;
        }
        let row = per_team
            .entry(team.clone())
            .or_default()
            .entry(feature.clone())
            .or_insert(FeatureRow {
                name: feature.clone(),
                archived: false,
                registered: false,
                spend: Decimal::ZERO,
            });
        row.spend = s.token_cost().round_dp(2);
    }
    let teams = names
        .into_iter()
        .map(|name| TeamRow {
            archived: registered.iter().any(|t| t.name == name && t.archived),
            spend: sb.team(&name).map(|t| t.blended_cost).unwrap_or_default(),
            features: per_team
                .remove(&name)
                .map(|f| f.into_values().collect())
                .unwrap_or_default(),
            leads: users
                .iter()
                .filter(|u| u.role == "lead" && u.teams.contains(&name))
                .map(|u| u.email.clone())
                .collect(),
            name,
        })
        .collect();
    Ok(TeamsPage {
        month,
        currency: state.config.currency.clone(),
        teams,
        errors,
        notice,
    })
}

pub async fn page(
    State(state): State<AppState>,
    user: PageUser,
    Query(q): Query<NoticeQuery>,
) -> Result<Html<String>, PageError> {
    require_admin(&user)?;
    let p = page_model(&state, FieldErrors::new(), q.done).await?;
    Ok(Html(teams_page(&viewer_of(&user), p)))
}

/// After a change: back to the page with what happened; a refused change re-renders with why.
async fn outcome(
    state: &AppState,
    user: &PageUser,
    result: AppResult<String>,
) -> Result<Response, PageError> {
    let result = match result {
        Ok(done) => Ok(done),
        Err(AppError::Invalid(why)) => Err(why),
        Err(e) => return Err(e.into()),
    };
    match result {
        Ok(done) => {
            let done = url::form_urlencoded::byte_serialize(done.as_bytes()).collect::<String>();
            Ok(Redirect::to(&format!("/admin/teams?done={done}")).into_response())
        }
        Err(why) => {
            let p = page_model(state, FieldErrors::from([("form".to_owned(), why)]), None).await?;
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                Html(teams_page(&viewer_of(user), p)),
            )
                .into_response())
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct TeamForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub team: String,
    #[serde(default)]
    pub new_name: String,
    #[serde(default)]
    pub archived: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub feature: String,
}

pub async fn create(
    State(state): State<AppState>,
    CsrfForm { user, form: f }: CsrfForm<TeamForm>,
) -> Result<Response, PageError> {
    require_admin(&user)?;
    let result = catalog::create_team(&state, &user.principal.name, &f.name).await;
    outcome(&state, &user, result).await
}

pub async fn rename(
    State(state): State<AppState>,
    CsrfForm { user, form: f }: CsrfForm<TeamForm>,
) -> Result<Response, PageError> {
    require_admin(&user)?;
    let result = catalog::rename_team(&state, &user.principal.name, &f.team, &f.new_name).await;
    outcome(&state, &user, result).await
}

pub async fn archive(
    State(state): State<AppState>,
    CsrfForm { user, form: f }: CsrfForm<TeamForm>,
) -> Result<Response, PageError> {
    require_admin(&user)?;
    let archived = f.archived == "1";
    let result = catalog::archive_team(&state, &user.principal.name, &f.team, archived).await;
    outcome(&state, &user, result).await
}

pub async fn add_lead(
    State(state): State<AppState>,
    CsrfForm { user, form: f }: CsrfForm<TeamForm>,
) -> Result<Response, PageError> {
    require_admin(&user)?;
    let result = catalog::add_lead(&state, &user.principal.name, &f.team, &f.email).await;
    outcome(&state, &user, result).await
}

pub async fn create_feature(
    State(state): State<AppState>,
    CsrfForm { user, form: f }: CsrfForm<TeamForm>,
) -> Result<Response, PageError> {
    require_admin(&user)?;
    let result = catalog::create_feature(&state, &user.principal.name, &f.team, &f.name).await;
    outcome(&state, &user, result).await
}

pub async fn rename_feature(
    State(state): State<AppState>,
    CsrfForm { user, form: f }: CsrfForm<TeamForm>,
) -> Result<Response, PageError> {
    require_admin(&user)?;
    let actor = &user.principal.name;
    let result = catalog::rename_feature(&state, actor, &f.team, &f.feature, &f.new_name).await;
    outcome(&state, &user, result).await
}

pub async fn archive_feature(
    State(state): State<AppState>,
    CsrfForm { user, form: f }: CsrfForm<TeamForm>,
) -> Result<Response, PageError> {
    require_admin(&user)?;
    let archived = f.archived == "1";
    let actor = &user.principal.name;
    let result = catalog::archive_feature(&state, actor, &f.team, &f.feature, archived).await;
    outcome(&state, &user, result).await
}
