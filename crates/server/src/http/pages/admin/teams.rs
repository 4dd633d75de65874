//! `GET /admin/teams` and the forms that create, rename and archive teams and features and
//! name a team's leads.

use std::collections::{BTreeMap, BTreeSet};

use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use rust_decimal::Decimal;
use serde::Deserialize;
use tokentally_domain::attribution::{UNALLOCATED, UNASSIGNED, validate_owner_name};
use tokentally_web::components::form::FieldErrors;
use tokentally_web::pages::teams_page::{FeatureRow, TeamRow, TeamsPage, teams_page};

use super::{require_admin, require_admin_form};
use crate::auth::Role;
use crate::auth::session::PageUser;
use crate::error::ApiError;
use crate::http::last_full_month;
use crate::http::pages::{OrPage, PageError, viewer_of};
use crate::reports::MonthContext;
use crate::startup::AppState;
use crate::storage::StoreError;

#[derive(Debug, Deserialize, Default)]
pub struct NoticeQuery {
    pub done: Option<String>,
}

async fn page_model(
    state: &AppState,
    user: &PageUser,
    errors: FieldErrors,
    notice: Option<String>,
) -> Result<TeamsPage, PageError> {
    let month = last_full_month();
    let ctx = MonthContext::load(&state.store, &state.prices, month)
        .await
        .or_page(user)?;
    let sb = ctx.showback(&state.config.currency);
    let ledger = ctx.ledger();
    let feature_spend = ledger.summarize(|r| Some((r.owner.team.clone(), r.owner.feature.clone())));
    let registered = state.store.list_teams().await.or_page(user)?;
    let features = state.store.list_features().await.or_page(user)?;
    let users = state.store.list_users().await.or_page(user)?;
    let mappings = state.store.list_key_mappings().await.or_page(user)?;

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
    let p = page_model(&state, &user, FieldErrors::new(), q.done).await?;
    Ok(Html(teams_page(&viewer_of(&user), p)))
}

/// After a change: back to the page with what happened; a refused change re-renders with why.
async fn outcome(
    state: &AppState,
    user: &PageUser,
    result: Result<String, String>,
) -> Result<Response, PageError> {
    match result {
        Ok(done) => {
            let done = url::form_urlencoded::byte_serialize(done.as_bytes()).collect::<String>();
            Ok(Redirect::to(&format!("/admin/teams?done={done}")).into_response())
        }
        Err(why) => {
            let p = page_model(
                state,
                user,
                FieldErrors::from([("form".to_owned(), why)]),
                None,
            )
            .await?;
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                Html(teams_page(&viewer_of(user), p)),
            )
                .into_response())
        }
    }
}

fn checked_name(field: &'static str, name: &str) -> Result<String, String> {
    let name = name.trim();
    validate_owner_name(field, name).map_err(|e| e.to_string())?;
    if name.chars().count() > 128 {
        return Err(format!("`{field}` is longer than 128 characters"));
    }
    Ok(name.to_owned())
}

/// A store refusal as a sentence for the form; other failures stay errors.
fn refused(e: StoreError) -> Result<String, PageError> {
    match e {
        StoreError::Conflict(m) => Ok(m),
        StoreError::NotFound => Ok("not found".into()),
        other => Err(PageError {
            viewer: None,
            error: ApiError::from(other),
        }),
    }
}

#[derive(Debug, Deserialize)]
pub struct TeamForm {
    #[serde(default)]
    pub csrf: String,
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

async fn audit(
    state: &AppState,
    user: &PageUser,
    action: &str,
    subject: String,
    before: serde_json::Value,
    after: serde_json::Value,
) -> Result<(), PageError> {
    state
        .store
        .add_audit(
            &user.principal.name,
            action,
            &subject,
            Some(before),
            Some(after),
        )
        .await
        .or_page(user)
}

pub async fn create(
    State(state): State<AppState>,
    user: PageUser,
    Form(f): Form<TeamForm>,
) -> Result<Response, PageError> {
    require_admin_form(&user, &f.csrf)?;
    let result = match checked_name("team", &f.name) {
        Err(why) => Err(why),
        Ok(name) => match state.store.add_team(&name).await {
            Ok(()) => {
                audit(
                    &state,
                    &user,
                    "team.create",
                    format!("team:{name}"),
                    serde_json::Value::Null,
                    serde_json::json!({"name": name}),
                )
                .await?;
                Ok(format!("Created team {name}."))
            }
            Err(StoreError::Conflict(_)) => Err(format!("A team named `{name}` exists.")),
            Err(e) => Err(refused(e)?),
        },
    };
    outcome(&state, &user, result).await
}

pub async fn rename(
    State(state): State<AppState>,
    user: PageUser,
    Form(f): Form<TeamForm>,
) -> Result<Response, PageError> {
    require_admin_form(&user, &f.csrf)?;
    let old = f.team.trim().to_owned();
    let result = match checked_name("team", &old).and_then(|_| checked_name("team", &f.new_name)) {
        Err(why) => Err(why),
        Ok(new) if new == old => Err("The new name is the same as the old one.".into()),
        Ok(new) => match state.store.rename_team(&old, &new).await {
            Ok(()) => {
                audit(
                    &state,
                    &user,
                    "team.rename",
                    format!("team:{old}"),
                    serde_json::json!({"name": old}),
                    serde_json::json!({"name": new}),
                )
                .await?;
                Ok(format!(
                    "Renamed team {old} to {new}; usage tagged {old} now counts for {new}."
                ))
            }
            Err(e) => Err(refused(e)?),
        },
    };
    outcome(&state, &user, result).await
}

pub async fn archive(
    State(state): State<AppState>,
    user: PageUser,
    Form(f): Form<TeamForm>,
) -> Result<Response, PageError> {
    require_admin_form(&user, &f.csrf)?;
    let team = f.team.trim().to_owned();
    let archived = f.archived == "1";
    let result = match checked_name("team", &team) {
        Err(why) => Err(why),
        Ok(_) => {
            state
                .store
                .set_team_archived(&team, archived)
                .await
                .or_page(&user)?;
            let action = if archived {
                "team.archive"
            } else {
                "team.restore"
            };
            audit(
                &state,
                &user,
                action,
                format!("team:{team}"),
                serde_json::json!({"archived": !archived}),
                serde_json::json!({"archived": archived}),
            )
            .await?;
            Ok(format!(
                "{} team {team}.",
                if archived { "Archived" } else { "Restored" }
            ))
        }
    };
    outcome(&state, &user, result).await
}

pub async fn add_lead(
    State(state): State<AppState>,
    user: PageUser,
    Form(f): Form<TeamForm>,
) -> Result<Response, PageError> {
    require_admin_form(&user, &f.csrf)?;
    let team = f.team.trim().to_owned();
    let email = f.email.trim().to_lowercase();
    if let Err(why) = checked_name("team", &team) {
        return outcome(&state, &user, Err(why)).await;
    }
    let result = match state.store.get_user_by_email(&email).await.or_page(&user)? {
        None => Err(format!(
            "No user {email}: add them on the Users page first."
        )),
        Some(u) if u.role != Role::Lead.as_str() => Err(format!(
            "{email} is a {}; only leads are scoped to teams.",
            u.role
        )),
        Some(u) if u.teams.contains(&team) => Err(format!("{email} already leads {team}.")),
        Some(u) => {
            let mut teams = u.teams.clone();
            teams.push(team.clone());
            state
                .store
                .set_user_teams(u.id, &teams)
                .await
                .or_page(&user)?;
            audit(
                &state,
                &user,
                "user.teams",
                format!("user:{email}"),
                serde_json::json!({"teams": u.teams}),
                serde_json::json!({"teams": teams}),
            )
            .await?;
            Ok(format!("{email} now leads {team}."))
        }
    };
    outcome(&state, &user, result).await
}

pub async fn create_feature(
    State(state): State<AppState>,
    user: PageUser,
    Form(f): Form<TeamForm>,
) -> Result<Response, PageError> {
    require_admin_form(&user, &f.csrf)?;
    let team = f.team.trim().to_owned();
    let result = match (
        checked_name("team", &team),
        checked_name("feature", &f.name),
    ) {
        (Err(why), _) | (_, Err(why)) => Err(why),
        (Ok(_), Ok(name)) if name == UNASSIGNED => Err("`Unassigned` is reserved.".into()),
        (Ok(_), Ok(name)) => match state.store.add_feature(&team, &name).await {
            Ok(()) => {
                audit(
                    &state,
                    &user,
                    "feature.create",
                    format!("feature:{team}/{name}"),
                    serde_json::Value::Null,
                    serde_json::json!({"team": team, "name": name}),
                )
                .await?;
                Ok(format!("Added feature {name} to {team}."))
            }
            Err(StoreError::Conflict(_)) => Err(format!("{team} has a feature named `{name}`.")),
            Err(e) => Err(refused(e)?),
        },
    };
    outcome(&state, &user, result).await
}

pub async fn rename_feature(
    State(state): State<AppState>,
    user: PageUser,
    Form(f): Form<TeamForm>,
) -> Result<Response, PageError> {
    require_admin_form(&user, &f.csrf)?;
    let (team, old) = (f.team.trim().to_owned(), f.feature.trim().to_owned());
    let result = match checked_name("feature", &f.new_name) {
        Err(why) => Err(why),
        Ok(new) if new == old => Err("The new name is the same as the old one.".into()),
        Ok(new) => {
            // A feature only seen in usage is registered under its new name.
            let registered = state
                .store
                .list_features()
                .await
                .or_page(&user)?
                .iter()
                .any(|x| x.team == team && x.name == old);
            if !registered && let Err(e) = state.store.add_feature(&team, &old).await {
                refused(e)?;
            }
            match state.store.rename_feature(&team, &old, &new).await {
                Ok(()) => {
                    audit(
                        &state,
                        &user,
                        "feature.rename",
                        format!("feature:{team}/{old}"),
                        serde_json::json!({"name": old}),
                        serde_json::json!({"name": new}),
                    )
                    .await?;
                    Ok(format!("Renamed feature {old} of {team} to {new}."))
                }
                Err(e) => Err(refused(e)?),
            }
        }
    };
    outcome(&state, &user, result).await
}

pub async fn archive_feature(
    State(state): State<AppState>,
    user: PageUser,
    Form(f): Form<TeamForm>,
) -> Result<Response, PageError> {
    require_admin_form(&user, &f.csrf)?;
    let (team, name) = (f.team.trim().to_owned(), f.feature.trim().to_owned());
    let archived = f.archived == "1";
    let result = match state
        .store
        .set_feature_archived(&team, &name, archived)
        .await
    {
        Ok(()) => {
            let action = if archived {
                "feature.archive"
            } else {
                "feature.restore"
            };
            audit(
                &state,
                &user,
                action,
                format!("feature:{team}/{name}"),
                serde_json::json!({"archived": !archived}),
                serde_json::json!({"archived": archived}),
            )
            .await?;
            Ok(format!(
                "{} feature {name} of {team}.",
                if archived { "Archived" } else { "Restored" }
            ))
        }
        Err(e) => Err(refused(e)?),
    };
    outcome(&state, &user, result).await
}
