//! How a use case fails. The HTTP edge maps each kind to a status (`http::error`), the CLI
//! prints the sentence; neither needs to know what went wrong inside.

use crate::auth::Denied;
use crate::storage::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The request cannot be read (a malformed month, an unknown option).
    #[error("{0}")]
    BadRequest(String),
    /// Well-formed but invalid: the sentence says what to change.
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    /// The database cannot be reached; worth retrying.
    #[error("{0}")]
    Unavailable(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::Invalid(message.into())
    }

    /// Whether the caller can mend it (bad input, a refusal), rather than the server.
    pub fn is_callers_fault(&self) -> bool {
        !matches!(self, Self::Unavailable(_) | Self::Internal(_))
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => Self::NotFound("not found".into()),
            StoreError::Conflict(m) => Self::Conflict(m),
            StoreError::Unavailable(m) => Self::Unavailable(m),
            other => Self::Internal(anyhow::Error::new(other)),
        }
    }
}

impl From<Denied> for AppError {
    fn from(e: Denied) -> Self {
        Self::Forbidden(e.0)
    }
}

pub type AppResult<T> = Result<T, AppError>;
