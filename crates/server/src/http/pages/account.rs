//! Login, logout and the account page.

use axum::Form;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use std::net::SocketAddr;
use tokentally_web::pages::account_page::{AccountPage, account_page};
use tokentally_web::pages::login_page::{LoginPage, login_page};

use super::{PageError, viewer_of};
use crate::app::accounts::{self, SignIn};
use crate::auth::passwords;
use crate::http::client_address::client_address;
use crate::http::cookies;
use crate::http::error::ApiError;
use crate::http::extract::{CsrfForm, NoFields, PageUser};
use crate::state::AppState;

#[derive(Debug, Deserialize, Default)]
pub struct NextQuery {
    #[serde(default)]
    pub next: String,
}

/// Only local paths may follow a login, so the form cannot send users elsewhere.
fn safe_next(next: &str) -> String {
    let local = next.starts_with('/')
        && !next.starts_with("//")
        && next.chars().all(|c| c.is_ascii_graphic() && c != '\\');
    if local {
        next.to_owned()
    } else {
        "/".to_owned()
    }
}

pub async fn get_login(Query(q): Query<NextQuery>) -> Html<String> {
    Html(login_page(LoginPage {
        next: safe_next(&q.next),
        ..Default::default()
    }))
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    pub email: String,
    pub password: String,
    #[serde(default)]
    pub next: String,
}

fn login_again(status: StatusCode, form: &LoginForm, error: &str) -> Response {
    let page = LoginPage {
        email: form.email.clone(),
        next: safe_next(&form.next),
        error: Some(error.to_owned()),
    };
    (status, Html(login_page(page))).into_response()
}

pub async fn post_login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Result<Response, PageError> {
    if !cookies::same_origin(&headers) {
        return Ok(login_again(
            StatusCode::FORBIDDEN,
            &form,
            "This form must be sent from this site.",
        ));
    }
    let address = client_address(peer.ip(), &headers, &state.config.trusted_proxies).to_string();
    match accounts::sign_in(&state.store, &form.email, &form.password, &address).await? {
        SignIn::Throttled { retry_after_secs } => {
            let mut r = login_again(
                StatusCode::TOO_MANY_REQUESTS,
                &form,
                &format!(
                    "Too many failed attempts. Wait {retry_after_secs} second(s) and try again."
                ),
            );
            r.headers_mut().insert(
                header::RETRY_AFTER,
                header::HeaderValue::from(retry_after_secs),
            );
            Ok(r)
        }
        SignIn::Refused => Ok(login_again(
            StatusCode::UNAUTHORIZED,
            &form,
            "That email and password do not match.",
        )),
        SignIn::Started { session_token } => {
            let cookie = cookies::session_cookie_for(&session_token, cookies::is_https(&headers));
            let mut r = Redirect::to(&safe_next(&form.next)).into_response();
            r.headers_mut().insert(header::SET_COOKIE, cookie);
            Ok(r)
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_plain_local_paths_follow_a_login() {
        assert_eq!(
            super::safe_next("/teams/search?month=2026-03"),
            "/teams/search?month=2026-03"
        );
        assert_eq!(
            super::safe_next("/%0A"),
            "/%0A",
            "percent-encoded text is harmless"
        );
        for bad in [
            "//evil.example",
            "/\t/evil.example",
            "/\\evil.example",
            "https://evil.example",
            "/a b",
            "/\n",
            "",
        ] {
            assert_eq!(super::safe_next(bad), "/", "{bad:?}");
        }
    }
}

pub async fn post_logout(
    State(state): State<AppState>,
    CsrfForm { user, .. }: CsrfForm<NoFields>,
) -> Result<Response, PageError> {
    state.store.delete_session(&user.session_token_hash).await?;
    let mut r = Redirect::to("/login").into_response();
    r.headers_mut()
        .insert(header::SET_COOKIE, cookies::clear_cookie());
    Ok(r)
}

pub async fn get_account(user: PageUser) -> Html<String> {
    Html(account_page(
        &viewer_of(&user),
        AccountPage {
            teams: user.principal.teams.clone(),
            ..Default::default()
        },
    ))
}

#[derive(Debug, Deserialize)]
pub struct PasswordForm {
    pub current: String,
    pub new: String,
    pub confirm: String,
}

pub async fn post_password(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    CsrfForm { user, form }: CsrfForm<PasswordForm>,
) -> Result<Response, PageError> {
    let viewer = viewer_of(&user);
    let again = |error: &str| {
        let page = AccountPage {
            teams: user.principal.teams.clone(),
            notice: None,
            error: Some(error.to_owned()),
        };
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Html(account_page(&viewer, page)),
        )
            .into_response()
    };
    // Guesses at the current password are throttled like logins, in a scope of their own.
    let address = client_address(peer.ip(), &headers, &state.config.trusted_proxies).to_string();
    let scope = format!("password-change:{}", user.principal.name);
    let attempt = match accounts::begin_guess(&state.store, &scope, &address).await? {
        accounts::Guess::Allowed(attempt) => attempt,
        accounts::Guess::Throttled { retry_after_secs } => {
            let mut r = again(&format!(
                "Too many wrong current passwords. Wait {retry_after_secs} second(s) and try again."
            ));
            *r.status_mut() = StatusCode::TOO_MANY_REQUESTS;
            r.headers_mut().insert(
                header::RETRY_AFTER,
                header::HeaderValue::from(retry_after_secs),
            );
            return Ok(r);
        }
    };
    let record = state.store.get_user_by_email(&user.principal.name).await?;
    let Some(record) = record.filter(|r| passwords::verify(&form.current, &r.password_hash)) else {
        return Ok(again("The current password is not right."));
    };
    accounts::right_guess(&state.store, attempt, &scope, &address).await?;
    if form.new.chars().count() < 8 {
        return Ok(again("The new password needs at least 8 characters."));
    }
    if form.new != form.confirm {
        return Ok(again("The two new passwords differ."));
    }
    let hash = passwords::hash(&form.new).map_err(ApiError::Internal)?;
    state.store.set_password_hash(record.id, &hash).await?;
    // Other browsers signed in with the old password are signed out.
    state
        .store
        .delete_other_sessions(record.id, user.session_id)
        .await?;
    state
        .store
        .add_audit(
            &user.principal.name,
            "user.password_change",
            &format!("user:{}", record.email),
            None,
            None,
        )
        .await?;
    let page = AccountPage {
        teams: user.principal.teams.clone(),
        notice: Some("Password changed. Other sessions were signed out.".into()),
        error: None,
    };
    Ok(Html(account_page(&viewer, page)).into_response())
}
