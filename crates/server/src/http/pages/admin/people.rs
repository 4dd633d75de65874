//! `GET/POST /admin/users` and `GET/POST /admin/tokens`, `POST /admin/tokens/{id}/revoke`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use tokentally_web::components::form::FieldErrors;
use tokentally_web::pages::tokens_page::{TokenRow, tokens_page};
use tokentally_web::pages::users_page::{UserForm, UserRow, users_page};

use super::{list, require_admin, when};
use crate::app::{AppError, accounts, audit};
use crate::auth::Role;
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
    };
    Ok((
        StatusCode::UNPROCESSABLE_ENTITY,
        Html(users_page(&viewer_of(&user), rows, form, errors, None)),
    )
        .into_response())
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
        })
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
    let role: Result<Role, String> = f.role.parse();
    if let Err(e) = &role {
        errors.insert("role".into(), e.clone());
    }
    let teams = list(&f.teams);
    if matches!(role, Ok(Role::Lead)) && teams.is_empty() {
        errors.insert(
            "teams".into(),
            "A lead token needs at least one team.".into(),
        );
    }
    let (status, shown) = match role {
        Ok(role) if errors.is_empty() => {
            let token = accounts::create_token(&state.store, f.name.trim(), role, &teams).await?;
            let after = serde_json::json!({"name": f.name.trim(), "role": role, "teams": teams});
            let subject = format!("token:{}", f.name.trim());
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
            (StatusCode::OK, Some(token))
        }
        _ => (StatusCode::UNPROCESSABLE_ENTITY, None),
    };
    let rows = token_rows(&state).await?;
    let form = if shown.is_some() {
        UserForm::default()
    } else {
        UserForm {
            email: f.name,
            role: f.role,
            teams: f.teams,
        }
    };
    Ok((
        status,
        Html(tokens_page(&viewer_of(&user), rows, form, errors, shown)),
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
