//! Server-rendered pages: load data, build a view model, render with `tokentally_web`.

pub mod account;
pub mod admin;
pub mod alerts;
pub mod breakdowns;
pub mod costs;
pub mod scorecard;
pub mod showback;
pub mod statements;
pub mod transactions;

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use tokentally_web::pages::error_page::error_page;
use tokentally_web::shell::Viewer;

use crate::auth::Role;
use crate::auth::session::PageUser;
use crate::error::ApiError;
use crate::startup::AppState;

pub fn viewer_of(u: &PageUser) -> Viewer {
    Viewer {
        email: u.principal.name.clone(),
        role: u.principal.role.to_string(),
        is_admin: u.principal.role == Role::Admin,
        sees_everything: u.principal.sees_everything(),
        csrf: u.csrf.clone(),
    }
}

/// An error as an HTML page with the same status the API would answer.
pub fn error_response(_state: &AppState, viewer: Option<&Viewer>, error: ApiError) -> Response {
    PageError {
        viewer: viewer.cloned(),
        error,
    }
    .into_response()
}

/// The sentence for a person in an error.
pub fn reason(e: &ApiError) -> String {
    match e {
        ApiError::Unprocessable(v) => v["error"].as_str().unwrap_or("invalid request").to_owned(),
        other => other.to_string(),
    }
}

/// A page handler's failure, rendered as an HTML error page.
pub struct PageError {
    pub viewer: Option<Viewer>,
    pub error: ApiError,
}

impl PageError {
    pub fn new(user: &PageUser, error: impl Into<ApiError>) -> Self {
        Self {
            viewer: Some(viewer_of(user)),
            error: error.into(),
        }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let status = self.error.status();
        let reason = match &self.error {
            ApiError::Internal(e) => {
                tracing::error!(error = ?e, "page failed");
                "Something went wrong on our side; the cause is in the server log.".to_owned()
            }
            ApiError::Unavailable(_) => {
                "The database is unavailable. Try again in a moment.".to_owned()
            }
            other => reason(other),
        };
        let title = status.canonical_reason().unwrap_or("Error");
        let mut r = (
            status,
            Html(error_page(
                self.viewer.as_ref(),
                status.as_u16(),
                title,
                &reason,
            )),
        )
            .into_response();
        if status == StatusCode::SERVICE_UNAVAILABLE {
            r.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from_static("5"),
            );
        }
        r
    }
}

/// Attaches the page user to an error.
pub trait OrPage<T> {
    fn or_page(self, user: &PageUser) -> Result<T, PageError>;
}

impl<T, E: Into<ApiError>> OrPage<T> for Result<T, E> {
    fn or_page(self, user: &PageUser) -> Result<T, PageError> {
        self.map_err(|e| PageError::new(user, e))
    }
}

/// The stylesheet, served as written: plain CSS needs no build step.
pub async fn stylesheet() -> impl IntoResponse {
    (
        [
            (axum::http::header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (axum::http::header::CACHE_CONTROL, "public, max-age=300"),
        ],
        include_str!("../../../../../style/tokentally.css"),
    )
}
