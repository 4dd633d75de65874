//! Extractors: what a handler takes from a request, already checked. Each refuses with a
//! reason in the answer's own shape (JSON for the API, a page for the browser).

use std::sync::{Arc, OnceLock};

use axum::body::{Body, Bytes};
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::Method;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use tokentally_domain::month::Month;

use super::cookies::{LoginRedirect, session_cookie};
use super::error::ApiError;
use super::pages::PageError;
use crate::auth::{Principal, session, tokens};
use crate::state::AppState;
use crate::storage::TokenOwner;

/// `?month=YYYY-MM`; without it, the last full month.
#[derive(Debug, Deserialize)]
pub struct MonthQuery {
    pub month: Option<String>,
}

impl MonthQuery {
    pub fn month(&self) -> Result<Month, ApiError> {
        match &self.month {
            Some(m) => m
                .parse()
                .map_err(|e: tokentally_domain::month::MonthParseError| {
                    ApiError::BadRequest(e.to_string())
                }),
            None => Ok(crate::app::reports::last_full_month()),
        }
    }
}

/// `?month=YYYY-MM&env=NAME` of the reports that can be narrowed to one environment; `env`
/// empty or absent means all of them.
#[derive(Debug, Deserialize, Default)]
pub struct ReportQuery {
    pub month: Option<String>,
    pub env: Option<String>,
}

impl ReportQuery {
    pub fn month(&self) -> Result<Month, ApiError> {
        MonthQuery {
            month: self.month.clone().filter(|m| !m.is_empty()),
        }
        .month()
    }

    /// The environment asked for, if any.
    pub fn environment(&self) -> Option<&str> {
        self.env.as_deref().filter(|e| !e.is_empty())
    }
}

/// A JSON body whose rejections answer with a reason in our error shape.
pub struct JsonBody<T>(pub T);

impl<S, T> FromRequest<S> for JsonBody<T>
where
    axum::Json<T>: FromRequest<S, Rejection = JsonRejection>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(Self(v)),
            Err(JsonRejection::MissingJsonContentType(_)) => Err(ApiError::UnsupportedMediaType(
                "send the body as `Content-Type: application/json`".into(),
            )),
            Err(JsonRejection::JsonDataError(e)) => Err(ApiError::invalid(e.body_text())),
            Err(JsonRejection::JsonSyntaxError(e)) => Err(ApiError::BadRequest(e.body_text())),
            Err(JsonRejection::BytesRejection(e))
                if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE =>
            {
                Err(ApiError::PayloadTooLarge(0))
            }
            Err(e) => Err(ApiError::BadRequest(e.body_text())),
        }
    }
}

/// The caller of an API request: an API token, or a signed-in browser for reads.
impl FromRequestParts<AppState> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let Some(header) = parts.headers.get(AUTHORIZATION) else {
            // A signed-in browser may read the JSON API; changes need a token (no CSRF risk).
            if matches!(parts.method, Method::GET | Method::HEAD)
                && let Some(token) = session_cookie(&parts.headers)
                && let Some((s, _)) = session::load(&state.store, &token).await?
            {
                return Ok(session::principal_of(&s.user));
            }
            return Err(ApiError::Unauthorized(
                "send an API token as `Authorization: Bearer <token>`".into(),
            ));
        };
        let token = header
            .to_str()
            .ok()
            .and_then(|h| {
                // The scheme is case-insensitive (RFC 9110 §11.1).
                let (scheme, token) = h.trim_start().split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then_some(token)
            })
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                ApiError::Unauthorized("the Authorization header must be `Bearer <token>`".into())
            })?;
        let record = state
            .store
            .get_api_token(&tokens::digest(token))
            .await?
            .filter(|t| !t.revoked)
            .ok_or_else(|| ApiError::Unauthorized("unknown or revoked API token".into()))?;
        // Last use is informational, kept to the minute: most requests write nothing, and a
        // failed update never fails the request.
        let stale = record
            .last_used_ms
            .is_none_or(|t| chrono::Utc::now().timestamp_millis() - t > 60_000);
        if stale && let Err(e) = state.store.touch_api_token(record.id).await {
            tracing::warn!(error = %e, "could not record the token's last use");
        }
        // A person's token acts as them, as they are now, and only while they may sign in.
        let (role, teams) = match record.owner {
            None => (record.role, record.teams),
            Some(TokenOwner::Present {
                role,
                teams,
                disabled: false,
            }) => (role, teams),
            Some(TokenOwner::Present { disabled: true, .. }) => {
                return Err(ApiError::Unauthorized(
                    "the account this API token belongs to is disabled".into(),
                ));
            }
            Some(TokenOwner::Deleted) => {
                return Err(ApiError::Unauthorized(
                    "the account this API token belonged to was deleted".into(),
                ));
            }
        };
        let role = role
            .parse()
            .map_err(|e: String| ApiError::Internal(anyhow::anyhow!(e)))?;
        Ok(Principal {
            name: format!("token:{}", record.name),
            role,
            teams,
        })
    }
}

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
    /// Refuses a form whose CSRF token is not this session's (multipart forms check it
    /// themselves; url-encoded ones through [`CsrfForm`]).
    pub fn check_csrf(&self, submitted: &str) -> Result<(), ApiError> {
        if session::csrf_matches(submitted, &self.csrf) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(
                "the form expired or did not come from this site; reload the page and try again"
                    .into(),
            ))
        }
    }
}

/// Where the page-error layer learns who was signed in, so an error page keeps its
/// navigation. The layer puts an empty slot in the request; the [`PageUser`] extractor fills it.
#[derive(Clone, Default)]
pub struct SignedIn(pub Arc<OnceLock<PageUser>>);

impl FromRequestParts<AppState> for PageUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        if let Some(user) = parts.extensions.get::<PageUser>() {
            return Ok(user.clone());
        }
        let here = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_else(|| "/".into());
        let Some(token) = session_cookie(&parts.headers) else {
            return Err(LoginRedirect(here).into_response());
        };
        match session::load(&state.store, &token).await {
            Ok(Some((s, hash))) => {
                let user = PageUser {
                    principal: session::principal_of(&s.user),
                    user_id: s.user.id,
                    session_id: s.id,
                    csrf: s.csrf,
                    session_token_hash: hash,
                };
                // For a form extractor of the same request, and for the page-error layer.
                parts.extensions.insert(user.clone());
                if let Some(slot) = parts.extensions.get::<SignedIn>() {
                    let _ = slot.0.set(user.clone());
                }
                Ok(user)
            }
            Ok(None) => Err(LoginRedirect(here).into_response()),
            Err(e) => Err(PageError::from(e).into_response()),
        }
    }
}

/// A form posted from one of our pages: the session's user, and the fields, once the form's
/// CSRF token matched the session's. Form structs carry no `csrf` field of their own.
pub struct CsrfForm<T> {
    pub user: PageUser,
    pub form: T,
}

/// The fields of a form that is only a button (log out, revoke, acknowledge).
#[derive(Debug, Deserialize)]
pub struct NoFields {}

#[derive(Deserialize)]
struct CsrfToken {
    #[serde(default)]
    csrf: String,
}

impl<T> FromRequest<AppState> for CsrfForm<T>
where
    T: DeserializeOwned + Send,
{
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Response> {
        let (mut parts, body) = req.into_parts();
        let user = PageUser::from_request_parts(&mut parts, state).await?;
        let bytes = Bytes::from_request(Request::from_parts(parts.clone(), body), state)
            .await
            .map_err(IntoResponse::into_response)?;
        // The fields first, so a malformed form answers as axum's `Form` always has.
        let form = form_of::<T>(&parts, bytes.clone(), state).await?;
        let token = form_of::<CsrfToken>(&parts, bytes, state).await?;
        user.check_csrf(&token.csrf)
            .map_err(|e| PageError::from(e).into_response())?;
        Ok(Self { user, form })
    }
}

/// Reads url-encoded `bytes` as `T`, refusing as axum's `Form` does.
async fn form_of<T: DeserializeOwned>(
    parts: &Parts,
    bytes: Bytes,
    state: &AppState,
) -> Result<T, Response> {
    let request = Request::from_parts(parts.clone(), Body::from(bytes));
    axum::Form::<T>::from_request(request, state)
        .await
        .map(|axum::Form(value)| value)
        .map_err(IntoResponse::into_response)
}
