use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;

use crate::http::error::ApiError;
use crate::state::AppState;

/// Ready when the database answers.
pub async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    match state.store.ping().await {
        Ok(()) => (StatusCode::OK, "ok"),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "database unavailable"),
    }
}

pub async fn not_found() -> ApiError {
    ApiError::NotFound("no such route".into())
}
