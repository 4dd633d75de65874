//! `POST /api/v1/digests/send?month=` (admin, finance): sends the month's digest by email now
//! to every lead (their teams) and finance user (the organisation), and answers who was
//! reached.

use axum::Json;
use axum::extract::{Query, State};

use crate::app::notify::digest::{self, DigestReport};
use crate::auth::Principal;
use crate::http::MonthQuery;
use crate::http::error::ApiError;
use crate::state::AppState;

pub async fn send(
    State(state): State<AppState>,
    principal: Principal,
    Query(q): Query<MonthQuery>,
) -> Result<Json<DigestReport>, ApiError> {
    let month = q.month()?;
    Ok(Json(
        Box::pin(digest::send_as(&state, &principal, month)).await?,
    ))
}
