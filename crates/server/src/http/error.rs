//! The one mapping from failures to HTTP answers. Users get a reason; the log gets the cause.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::app::AppError;
use crate::auth::Denied;
use crate::storage::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("the request body is larger than the limit of {0} bytes")]
    PayloadTooLarge(usize),
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// Well-formed but invalid; the value is the body to answer with.
    #[error("invalid request")]
    Unprocessable(serde_json::Value),
    #[error("{0}")]
    Unavailable(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        AppError::from(e).into()
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::BadRequest(m) => Self::BadRequest(m),
            AppError::Invalid(m) => Self::invalid(m),
            AppError::Forbidden(m) => Self::Forbidden(m),
            AppError::NotFound(m) => Self::NotFound(m),
            AppError::Conflict(m) => Self::Conflict(m),
            AppError::Unavailable(m) => Self::Unavailable(m),
            AppError::Internal(e) => Self::Internal(e),
        }
    }
}

impl From<Denied> for ApiError {
    fn from(e: Denied) -> Self {
        Self::Forbidden(e.0)
    }
}

impl ApiError {
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::Unprocessable(json!({ "error": message.into() }))
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let body = match self {
            Self::Unprocessable(body) => body,
            Self::Internal(e) => {
                tracing::error!(error = ?e, "request failed");
                json!({ "error": "internal error; the cause is in the server log" })
            }
            Self::Unavailable(m) => {
                tracing::warn!(cause = %m, "database unavailable");
                json!({ "error": "the database is unavailable; retry shortly" })
            }
            other => json!({ "error": other.to_string() }),
        };
        let mut response = (status, Json(body)).into_response();
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        }
        if status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}
