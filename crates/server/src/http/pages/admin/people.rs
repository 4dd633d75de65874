//! `GET/POST /admin/users`, `POST /admin/users/{id}/{disable,enable,delete,access,password}`,
//! `GET/POST /admin/tokens` and `POST /admin/tokens/{id}/revoke`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use tokentally_web::components::form::FieldErrors;
use tokentally_web::pages::tokens_page::{TokenRow, tokens_page};
use tokentally_web::pages::users_page::{UserForm, UserRow, users_page};

use super::{list, require_admin, when};
use crate::app::{AppError, accounts, audit, people};
use crate::auth::Role;
use crate::http::error::ApiError;
use crate::http::extract::{CsrfForm, NoFields, PageUser};
use crate::http::pages::{PageError, viewer_of};
use crate::state::AppState;

async fn user_rows(state: &AppState) -> Result<Vec<UserRow>, PageError> {
    Ok(state
        .store
        .list_users()
        .await?
        .into_iter()
        .map(|u| UserRow {
            id: u.id,
            disabled: u.is_disabled(),
            email: u.email,
            role: u.role,
            teams: u.teams.join(", "),
        })
        .collect())
}

pub async fn users(
    State(state): State<AppState>,
    user: PageUser,
) -> Result<Html<String>, PageError> {
    require_admin(&user)?;
    let rows = user_rows(&state).await?;
    Ok(Html(users_page(
        &viewer_of(&user),
        rows,
        UserForm::default(),
        FieldErrors::new(),
        None,
        None,
    )))
}

#[derive(Debug, Deserialize)]
pub struct NewUserForm {
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub password: String,
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub teams: String,
}

pub async fn add_user(
    State(state): State<AppState>,
    CsrfForm { user, form: f }: CsrfForm<NewUserForm>,
) -> Result<Response, PageError> {
    require_admin(&user)?;
    let mut errors = FieldErrors::new();
    let email = f.email.trim().to_lowercase();
    if !email.contains('@') {
        errors.insert("email".into(), "Give an email address.".into());
    }
    if f.password.chars().count() < 8 {
        errors.insert("password".into(), "At least 8 characters.".into());
    }
    let role = accounts::user_role(&f.role);
    if let Err(e) = &role {
        errors.insert("role".into(), e.to_string());
    }
    let teams = list(&f.teams);
    if matches!(role, Ok(Role::Lead)) && teams.is_empty() {
        errors.insert("teams".into(), "A lead needs at least one team.".into());
    }
    if errors.is_empty()
        && let Ok(role) = role
    {
        match accounts::add_user(&state.store, &email, &f.password, role, &teams).await {
            Ok(_) => {
                let after = serde_json::json!({"email": email, "role": role, "teams": teams});
                let subject = format!("user:{email}");
                let actor = &user.principal.name;
                audit::record(
                    &state.store,
                    actor,
                    "user.add",
                    &subject,
                    None::<()>,
                    Some(after),
                )
                .await?;
                let rows = user_rows(&state).await?;
                let notice = Some(format!("Added {email}."));
                return Ok(Html(users_page(
                    &viewer_of(&user),
                    rows,
                    UserForm::default(),
                    FieldErrors::new(),
                    notice,
                    None,
                ))
                .into_response());
            }
            Err(AppError::Conflict(_)) => {
                errors.insert("email".into(), "A user with this email exists.".into());
            }
            Err(e) => return Err(e.into()),
        }
    }
    let rows = user_rows(&state).await?;
    let form = UserForm {
        email: f.email,
        role: f.role,
        teams: f.teams,
        ..UserForm::default()
    };
    Ok((
        StatusCode::UNPROCESSABLE_ENTITY,
        Html(users_page(
            &viewer_of(&user),
            rows,
            form,
            errors,
            None,
            None,
        )),
    )
        .into_response())
}

/// The users page after a change to one account: the notice when it was made, or the
/// refusal (a 409 for the last admin, a 422 for bad input) with nothing changed.
async fn after_change(
    state: &AppState,
    user: &PageUser,
    done: Result<String, AppError>,
) -> Result<Response, PageError> {
    let (status, notice, alert) = match done {
        Ok(notice) => (StatusCode::OK, Some(notice), None),
        Err(e @ (AppError::Conflict(_) | AppError::Invalid(_) | AppError::BadRequest(_))) => {
            let message = e.to_string();
            (ApiError::from(e).status(), None, Some(message))
        }
        Err(e) => return Err(e.into()),
    };
    let rows = user_rows(state).await?;
    let page = users_page(
        &viewer_of(user),
        rows,
        UserForm::default(),
        FieldErrors::new(),
        notice,
        alert,
    );
    Ok((status, Html(page)).into_response())
}

pub async fn disable_user(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm { user, .. }: CsrfForm<NoFields>,
) -> Result<Response, PageError> {
    require_admin(&user)?;
    let done = people::disable(&state.store, &user.principal.name, id).await;
    let done = done.map(|u| {
        format!(
            "Disabled {}: their sessions and own tokens stopped.",
            u.email
        )
    });
    after_change(&state, &user, done).await
}

pub async fn enable_user(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm { user, .. }: CsrfForm<NoFields>,
) -> Result<Response, PageError> {
    require_admin(&user)?;
    let done = people::enable(&state.store, &user.principal.name, id).await;
    let done = done.map(|u| format!("Enabled {}.", u.email));
    after_change(&state, &user, done).await
}

#[derive(Debug, Deserialize)]
pub struct DeleteForm {
    #[serde(default)]
    pub confirm: String,
}

pub async fn delete_user(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm { user, form }: CsrfForm<DeleteForm>,
) -> Result<Response, PageError> {
    require_admin(&user)?;
    let done = if form.confirm == "yes" {
        let done = people::delete(&state.store, &user.principal.name, id).await;
        done.map(|u| format!("Deleted {}.", u.email))
    } else {
        Err(AppError::invalid(
            "Tick the box to confirm the deletion: nothing was deleted.",
        ))
    };
    after_change(&state, &user, done).await
}

#[derive(Debug, Deserialize)]
pub struct AccessForm {
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub teams: String,
}

pub async fn set_access(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm { user, form }: CsrfForm<AccessForm>,
) -> Result<Response, PageError> {
    require_admin(&user)?;
    let done = match accounts::user_role(&form.role) {
        Ok(role) => {
            let teams = list(&form.teams);
            people::set_access(&state.store, &user.principal.name, id, role, &teams)
                .await
                .map(|u| format!("{} is now {role}.", u.email))
        }
        Err(e) => Err(e),
    };
    after_change(&state, &user, done).await
}

#[derive(Debug, Deserialize)]
pub struct ResetForm {
    #[serde(default)]
    pub password: String,
}

pub async fn reset_password(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm { user, form }: CsrfForm<ResetForm>,
) -> Result<Response, PageError> {
    require_admin(&user)?;
    let done = people::reset_password(&state.store, &user.principal.name, id, &form.password).await;
    let done = done.map(|u| format!("New password set for {}; their sessions ended.", u.email));
    after_change(&state, &user, done).await
}

async fn token_rows(state: &AppState) -> Result<Vec<TokenRow>, PageError> {
    Ok(state
        .store
        .list_api_tokens()
        .await?
        .into_iter()
        .map(|t| TokenRow {
            id: t.id,
            name: t.name,
            role: t.role,
            teams: t.teams.join(", "),
            created: when(t.created_ms),
            last_used: t.last_used_ms.map(when),
            revoked: t.revoked_ms.map(when),
            owner: t.owner,
        })
        .collect())
}

/// The people a token may belong to: the enabled accounts.
async fn token_owners(state: &AppState) -> Result<Vec<String>, PageError> {
    let users = state.store.list_users().await?;
    Ok(users
        .into_iter()
        .filter(|u| !u.is_disabled())
        .map(|u| u.email)
        .collect())
}

pub async fn tokens(
    State(state): State<AppState>,
    user: PageUser,
) -> Result<Html<String>, PageError> {
    require_admin(&user)?;
    let rows = token_rows(&state).await?;
    Ok(Html(tokens_page(
        &viewer_of(&user),
        rows,
        UserForm::default(),
        FieldErrors::new(),
        None,
        token_owners(&state).await?,
    )))
}

#[derive(Debug, Deserialize)]
pub struct NewTokenForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub teams: String,
    /// The email of the person the token belongs to; empty for a service token.
    #[serde(default)]
    pub owner: String,
}

pub async fn add_token(
    State(state): State<AppState>,
    CsrfForm { user, form: f }: CsrfForm<NewTokenForm>,
) -> Result<Response, PageError> {
    require_admin(&user)?;
    let mut errors = FieldErrors::new();
    if f.name.trim().is_empty() {
        errors.insert(
            "name".into(),
            "Name the token after what will use it.".into(),
        );
    }
    let owner = f.owner.trim().to_lowercase();
    let role: Result<Role, String> = f.role.parse();
    if let Err(e) = &role
        && owner.is_empty()
    {
        errors.insert("role".into(), e.clone());
    }
    let teams = list(&f.teams);
    if matches!(role, Ok(Role::Lead)) && teams.is_empty() && owner.is_empty() {
        errors.insert(
            "teams".into(),
            "A lead token needs at least one team.".into(),
        );
    }
    let mut shown = None;
    if errors.is_empty() {
        let name = f.name.trim();
        let created = if owner.is_empty() {
            let role = role.clone().map_err(AppError::Invalid)?;
            accounts::create_token(&state.store, name, role, &teams).await
        } else {
            accounts::create_personal_token(&state.store, name, &owner).await
        };
        match created {
            Ok(token) => {
                let after = if owner.is_empty() {
                    serde_json::json!({"name": name, "role": role.as_ref().ok(), "teams": teams})
                } else {
                    serde_json::json!({"name": name, "owner": owner})
                };
                let subject = format!("token:{name}");
                let actor = &user.principal.name;
                audit::record(
                    &state.store,
                    actor,
                    "token.create",
                    &subject,
                    None::<()>,
                    Some(after),
                )
                .await?;
                shown = Some(token);
            }
            Err(AppError::Invalid(m)) => {
                let field = if owner.is_empty() { "role" } else { "owner" };
                errors.insert(field.into(), m);
            }
            Err(e) => return Err(e.into()),
        }
    }
    let status = if shown.is_some() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let rows = token_rows(&state).await?;
    let form = if shown.is_some() {
        UserForm::default()
    } else {
        UserForm {
            email: f.name,
            role: f.role,
            teams: f.teams,
            owner: f.owner,
        }
    };
    let people = token_owners(&state).await?;
    Ok((
        status,
        Html(tokens_page(
            &viewer_of(&user),
            rows,
            form,
            errors,
            shown,
            people,
        )),
    )
        .into_response())
}

pub async fn revoke_token(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm { user, .. }: CsrfForm<NoFields>,
) -> Result<Response, PageError> {
    require_admin(&user)?;
    state.store.revoke_api_token(id).await?;
    state
        .store
        .add_audit(
            &user.principal.name,
            "token.revoke",
            &format!("token-id:{id}"),
            None,
            None,
        )
        .await?;
    Ok(Redirect::to("/admin/tokens").into_response())
}
