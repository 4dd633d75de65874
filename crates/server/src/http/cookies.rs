//! The session cookie and the headers a login reads. The session itself (its token, expiry
//! and CSRF token) is `auth::session`'s.

use axum::http::header::{COOKIE, HOST, ORIGIN, REFERER};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};

use crate::auth::session::ABSOLUTE_MS;

pub const COOKIE_NAME: &str = "tt_session";

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

/// The cookie that carries a new session's token.
pub fn session_cookie_for(token: &str, secure: bool) -> HeaderValue {
    let cookie = format!(
        "{COOKIE_NAME}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{}",
        ABSOLUTE_MS / 1000,
        if secure { "; Secure" } else { "" }
    );
    HeaderValue::from_str(&cookie).expect("a token is a valid header value")
}

/// Pages answer an anonymous visitor with a redirect to the login form.
pub struct LoginRedirect(pub String);

impl IntoResponse for LoginRedirect {
    fn into_response(self) -> Response {
        let next = url::form_urlencoded::byte_serialize(self.0.as_bytes()).collect::<String>();
        Redirect::to(&format!("/login?next={next}")).into_response()
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
