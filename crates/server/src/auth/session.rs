//! Browser sessions: a random token in an HttpOnly, SameSite cookie, stored as a digest, with
//! idle and absolute expiry; a per-session CSRF token for every form.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header::{COOKIE, HOST, ORIGIN, REFERER};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};

use super::{Principal, tokens};
use crate::startup::AppState;
use crate::storage::{SessionRecord, Store, StoreError, UserRecord};

pub const COOKIE_NAME: &str = "tt_session";
/// A session unused this long ends.
pub const IDLE_MS: i64 = 12 * 60 * 60 * 1000;
/// A session ends this long after login, used or not.
pub const ABSOLUTE_MS: i64 = 7 * 24 * 60 * 60 * 1000;
/// Failed logins within this window count towards throttling.
pub const THROTTLE_WINDOW_MS: i64 = 15 * 60 * 1000;
pub const MAX_FAILURES_PER_ACCOUNT: i64 = 5;
pub const MAX_FAILURES_PER_ADDRESS: i64 = 20;

/// A signed-in browser user.
#[derive(Debug, Clone)]
pub struct PageUser {
    pub principal: Principal,
    pub user_id: i64,
    pub session_id: i64,
    pub csrf: String,
    pub session_token_hash: String,
}

impl PageUser {
    /// Refuses a form whose CSRF token is not this session's.
    pub fn check_csrf(&self, submitted: &str) -> Result<(), crate::error::ApiError> {
        if constant_time_eq(submitted.as_bytes(), self.csrf.as_bytes()) {
            Ok(())
        } else {
            Err(crate::error::ApiError::Forbidden(
                "the form expired or did not come from this site; reload the page and try again"
                    .into(),
            ))
        }
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The value of our session cookie, if the request has one.
pub fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE_NAME)
        .map(|(_, v)| v.to_owned())
}

/// Looks a session up, refusing expired ones.
pub async fn load(
    store: &Store,
    token: &str,
) -> Result<Option<(SessionRecord, String)>, StoreError> {
    let hash = tokens::digest(token);
    let Some(s) = store.get_session(&hash).await? else {
        return Ok(None);
    };
    let now = chrono::Utc::now().timestamp_millis();
    if now >= s.expires_ms || now - s.last_seen_ms >= IDLE_MS {
        store.delete_session(&hash).await?;
        return Ok(None);
    }
    // Last use only feeds the idle expiry: a failed update must not fail the page.
    if now - s.last_seen_ms > 60_000
        && let Err(e) = store.touch_session(s.id).await
    {
        tracing::warn!(error = %e, "could not record the session's last use");
    }
    Ok(Some((s, hash)))
}

pub fn principal_of(user: &UserRecord) -> Principal {
    Principal {
        name: user.email.clone(),
        role: user.role.parse().unwrap_or(super::Role::Viewer),
        teams: user.teams.clone(),
    }
}

/// Starts a session for a user: the cookie to set.
pub async fn start(store: &Store, user_id: i64, secure: bool) -> Result<HeaderValue, StoreError> {
    let token = tokens::generate();
    let csrf = tokens::generate();
    let expires = chrono::Utc::now().timestamp_millis() + ABSOLUTE_MS;
    store
        .add_session(&tokens::digest(&token), user_id, &csrf, expires)
        .await?;
    let cookie = format!(
        "{COOKIE_NAME}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{}",
        ABSOLUTE_MS / 1000,
        if secure { "; Secure" } else { "" }
    );
    Ok(HeaderValue::from_str(&cookie).expect("a token is a valid header value"))
}

pub fn clear_cookie() -> HeaderValue {
    HeaderValue::from_static("tt_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0")
}

/// Whether the request came over HTTPS (directly or through a proxy that says so).
pub fn is_https(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|p| p.eq_ignore_ascii_case("https"))
}

/// A form posted before there is a session (the login form) must come from this site: its
/// Origin (or Referer) names our host, when the browser sends one.
pub fn same_origin(headers: &HeaderMap) -> bool {
    let host = headers
        .get(HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let from = headers
        .get(ORIGIN)
        .or_else(|| headers.get(REFERER))
        .and_then(|v| v.to_str().ok());
    match from {
        None => true,
        Some(o) => url::Url::parse(o).ok().is_some_and(|u| {
            let authority = match u.port() {
                Some(p) => format!("{}:{p}", u.host_str().unwrap_or("")),
                None => u.host_str().unwrap_or("").to_owned(),
            };
            authority == host
        }),
    }
}

/// The peer address, for throttling by address.
pub fn client_address(parts: &Parts) -> String {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_else(|| "unknown".into())
}

/// Pages answer an anonymous visitor with a redirect to the login form.
pub struct LoginRedirect(String);

impl IntoResponse for LoginRedirect {
    fn into_response(self) -> Response {
        let next = url::form_urlencoded::byte_serialize(self.0.as_bytes()).collect::<String>();
        Redirect::to(&format!("/login?next={next}")).into_response()
    }
}

impl FromRequestParts<AppState> for PageUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let here = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_else(|| "/".into());
        let Some(token) = session_cookie(&parts.headers) else {
            return Err(LoginRedirect(here).into_response());
        };
        match load(&state.store, &token).await {
            Ok(Some((s, hash))) => Ok(PageUser {
                principal: principal_of(&s.user),
                user_id: s.user.id,
                session_id: s.id,
                csrf: s.csrf,
                session_token_hash: hash,
            }),
            Ok(None) => Err(LoginRedirect(here).into_response()),
            Err(e) => Err(crate::http::pages::error_response(state, None, e.into())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_our_cookie_among_others() {
        let mut h = HeaderMap::new();
        h.insert(COOKIE, HeaderValue::from_static("a=1; tt_session=tok; b=2"));
        assert_eq!(session_cookie(&h).as_deref(), Some("tok"));
    }

    #[test]
    fn origin_must_name_our_host() {
        let mut h = HeaderMap::new();
        h.insert(HOST, HeaderValue::from_static("127.0.0.1:8080"));
        assert!(same_origin(&h));
        h.insert(ORIGIN, HeaderValue::from_static("http://127.0.0.1:8080"));
        assert!(same_origin(&h));
        h.insert(ORIGIN, HeaderValue::from_static("https://evil.example"));
        assert!(!same_origin(&h));
    }
}
