//! Server-rendered pages: load data, build a view model, render with `tokentally_web`.
//!
//! A page handler returns `Result<_, PageError>` and uses `?` on any failure; the
//! [`render_errors`] layer turns the failure into an HTML page with the signed-in user's
//! navigation, so no handler renders errors itself.

pub mod account;
pub mod admin;
pub mod alerts;
pub mod breakdowns;
pub mod costs;
mod movement;
pub mod planning;
pub mod recommendations;
mod routes;
pub mod scorecard;
pub mod showback;
pub mod statements;
pub mod transactions;
mod trend;
pub mod workflows;

use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use tokentally_web::pages::error_page::error_page;
use tokentally_web::shell::Viewer;

pub use routes::routes;

use super::error::ApiError;
use super::extract::{PageUser, SignedIn};
use crate::app::AppError;
use crate::auth::{Capability, Denied};
use crate::storage::StoreError;

/// A page's model (which serves its HTML and any CSV of it), kept per data version for this
/// viewer: the same page for the same person, role and teams, on the same day (a page
/// without a month shows the day's month), is computed once. `what` names the page and its
/// query. A model holds no form token, so nothing of a session is kept in it.
pub(super) async fn kept_model<T: std::any::Any + Clone + Send + Sync>(
    state: &crate::state::AppState,
    user: &PageUser,
    what: String,
    compute: impl std::future::Future<Output = Result<T, PageError>>,
) -> Result<T, PageError> {
    let p = &user.principal;
    let key = format!(
        "page {what} {} {} {} {}",
        crate::app::clock::today(),
        p.name,
        p.role,
        crate::app::kept::scope(p)
    );
    crate::app::kept::kept(state, key, compute).await
}

pub fn viewer_of(u: &PageUser) -> Viewer {
    Viewer {
        email: u.principal.name.clone(),
        role: u.principal.role.to_string(),
        is_admin: u.principal.may(Capability::Administer),
        sees_everything: u.principal.sees_everything(),
        csrf: u.csrf.clone(),
    }
}

/// An error that can say what went wrong in a sentence for a person.
pub trait Reason {
    fn reason(&self) -> String;
}

impl Reason for ApiError {
    fn reason(&self) -> String {
        match self {
            ApiError::Unprocessable(v) => {
                v["error"].as_str().unwrap_or("invalid request").to_owned()
            }
            other => other.to_string(),
        }
    }
}

impl Reason for AppError {
    fn reason(&self) -> String {
        self.to_string()
    }
}

/// The sentence for a person in an error.
pub fn reason(e: &impl Reason) -> String {
    e.reason()
}

/// Refuses a page user without `capability`, saying `why` in the page's own words.
pub fn require(user: &PageUser, capability: Capability, why: &str) -> Result<(), PageError> {
    if user.principal.may(capability) {
        Ok(())
    } else {
        Err(ApiError::Forbidden(why.to_owned()).into())
    }
}

/// A page handler's failure. Its response carries the failure for [`render_errors`], which
/// renders the page.
#[derive(Debug)]
pub struct PageError(pub ApiError);

impl From<ApiError> for PageError {
    fn from(e: ApiError) -> Self {
        Self(e)
    }
}

impl From<AppError> for PageError {
    fn from(e: AppError) -> Self {
        Self(e.into())
    }
}

impl From<StoreError> for PageError {
    fn from(e: StoreError) -> Self {
        Self(e.into())
    }
}

impl From<Denied> for PageError {
    fn from(e: Denied) -> Self {
        Self(e.into())
    }
}

impl From<anyhow::Error> for PageError {
    fn from(e: anyhow::Error) -> Self {
        Self(ApiError::Internal(e))
    }
}

/// What [`render_errors`] needs of a failed page: its status and the sentence to show.
#[derive(Clone)]
struct Failure {
    reason: String,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let status = self.0.status();
        let reason = match &self.0 {
            ApiError::Internal(e) => {
                tracing::error!(error = ?e, "page failed");
                "Something went wrong on our side; the cause is in the server log.".to_owned()
            }
            ApiError::Unavailable(_) => {
                "The database is unavailable. Try again in a moment.".to_owned()
            }
            other => reason(other),
        };
        let mut r = status.into_response();
        r.extensions_mut().insert(Failure { reason });
        if status == StatusCode::SERVICE_UNAVAILABLE {
            r.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from_static("5"),
            );
        }
        r
    }
}

/// The one place page errors become HTML: a failed page keeps its status and gets the error
/// page, with navigation when someone was signed in.
pub async fn render_errors(mut request: Request, next: Next) -> Response {
    let signed_in = SignedIn::default();
    request.extensions_mut().insert(signed_in.clone());
    let mut response = next.run(request).await;
    let Some(Failure { reason }) = response.extensions_mut().remove::<Failure>() else {
        return response;
    };
    let status = response.status();
    let viewer = signed_in.0.get().map(viewer_of);
    let title = status.canonical_reason().unwrap_or("Error");
    let (mut parts, _) = response.into_parts();
    parts.headers.remove(axum::http::header::CONTENT_LENGTH);
    let page = Html(error_page(viewer.as_ref(), status.as_u16(), title, &reason));
    (parts, page).into_response()
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
