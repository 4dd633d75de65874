//! Login, logout and the account page.

use axum::Form;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use std::net::SocketAddr;
use tokentally_web::pages::account_page::{AccountPage, account_page};
use tokentally_web::pages::login_page::{LoginPage, login_page};

use super::{OrPage, PageError, viewer_of};
use crate::auth::passwords;
use crate::auth::session::{self, PageUser};
use crate::error::ApiError;
use crate::startup::AppState;

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
) -> Result<Response, Response> {
    let fail = |e: ApiError| super::error_response(&state, None, e);
    if !session::same_origin(&headers) {
        return Ok(login_again(
            StatusCode::FORBIDDEN,
            &form,
            "This form must be sent from this site.",
        ));
    }
    let email = form.email.trim().to_lowercase();
    let address = peer.ip().to_string();
    let since = chrono::Utc::now().timestamp_millis() - session::THROTTLE_WINDOW_MS;
    let (by_email, by_address) = state
        .store
        .count_login_failures(&email, &address, since)
        .await
        .map_err(|e| fail(e.into()))?;
    if by_email >= session::MAX_FAILURES_PER_ACCOUNT
        || by_address >= session::MAX_FAILURES_PER_ADDRESS
    {
        return Ok(login_again(
            StatusCode::TOO_MANY_REQUESTS,
            &form,
            "Too many failed attempts. Wait 15 minutes and try again.",
        ));
    }
    let user = state
        .store
        .get_user_by_email(&email)
        .await
        .map_err(|e| fail(e.into()))?;
    // Verify against a dummy hash for unknown accounts too, so timing does not tell them apart.
    let hash = user
        .as_ref()
        .map(|u| u.password_hash.as_str())
        .unwrap_or(DUMMY_HASH);
    let ok = passwords::verify(&form.password, hash) && user.is_some();
    let Some(user) = user.filter(|_| ok) else {
        state
            .store
            .add_login_failure(&email, &address)
            .await
            .map_err(|e| fail(e.into()))?;
        return Ok(login_again(
            StatusCode::UNAUTHORIZED,
            &form,
            "That email and password do not match.",
        ));
    };
    state
        .store
        .clear_login_failures(&email)
        .await
        .map_err(|e| fail(e.into()))?;
    let cookie = session::start(&state.store, user.id, session::is_https(&headers))
        .await
        .map_err(|e| fail(e.into()))?;
    let mut r = Redirect::to(&safe_next(&form.next)).into_response();
    r.headers_mut().insert(header::SET_COOKIE, cookie);
    Ok(r)
}

/// A valid argon2id hash of a random password, checked when the account does not exist.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$W0Vb2uo0aVvvJjS0ZbUAkT0fA2CkcpOtNsmmvkXQj0o";

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

#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    pub csrf: String,
}

pub async fn post_logout(
    State(state): State<AppState>,
    user: PageUser,
    Form(form): Form<CsrfForm>,
) -> Result<Response, PageError> {
    user.check_csrf(&form.csrf).or_page(&user)?;
    state
        .store
        .delete_session(&user.session_token_hash)
        .await
        .or_page(&user)?;
    let mut r = Redirect::to("/login").into_response();
    r.headers_mut()
        .insert(header::SET_COOKIE, session::clear_cookie());
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
    #[serde(default)]
    pub csrf: String,
    pub current: String,
    pub new: String,
    pub confirm: String,
}

pub async fn post_password(
    State(state): State<AppState>,
    user: PageUser,
    Form(form): Form<PasswordForm>,
) -> Result<Response, PageError> {
    user.check_csrf(&form.csrf).or_page(&user)?;
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
    let record = state
        .store
        .get_user_by_email(&user.principal.name)
        .await
        .or_page(&user)?;
    let Some(record) = record.filter(|r| passwords::verify(&form.current, &r.password_hash)) else {
        return Ok(again("The current password is not right."));
    };
    if form.new.chars().count() < 8 {
        return Ok(again("The new password needs at least 8 characters."));
    }
    if form.new != form.confirm {
        return Ok(again("The two new passwords differ."));
    }
    let hash = passwords::hash(&form.new)
        .map_err(ApiError::Internal)
        .or_page(&user)?;
    state
        .store
        .set_password_hash(record.id, &hash)
        .await
        .or_page(&user)?;
    // Other browsers signed in with the old password are signed out.
    state
        .store
        .delete_other_sessions(record.id, user.session_id)
        .await
        .or_page(&user)?;
    state
        .store
        .add_audit(
            &user.principal.name,
            "user.password_change",
            &format!("user:{}", record.email),
            None,
            None,
        )
        .await
        .or_page(&user)?;
    let page = AccountPage {
        teams: user.principal.teams.clone(),
        notice: Some("Password changed. Other sessions were signed out.".into()),
        error: None,
    };
    Ok(Html(account_page(&viewer, page)).into_response())
}
