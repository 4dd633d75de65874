//! `POST /api/v1/overheads` (admin, finance) and `GET /api/v1/overheads?month=`.

use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use tokentally_domain::allocation::Overhead;

use crate::app::costs::{self, NewOverhead};
use crate::auth::{Capability, Principal};
use crate::http::error::ApiError;
use crate::http::{JsonBody, MonthQuery};
use crate::state::AppState;

pub async fn post(
    State(state): State<AppState>,
    principal: Principal,
    JsonBody(body): JsonBody<NewOverhead>,
) -> Result<(StatusCode, Json<Overhead>), ApiError> {
    principal.ensure(Capability::ManageCosts)?;
    let o = body.into_overhead()?;
    costs::record_overhead(&state, &principal.name, &o).await?;
    Ok((StatusCode::CREATED, Json(o)))
}

pub async fn list(
    State(state): State<AppState>,
    principal: Principal,
    Query(q): Query<MonthQuery>,
) -> Result<Json<Vec<Overhead>>, ApiError> {
    principal.ensure(Capability::ManageCosts)?;
    Ok(Json(state.store.list_overheads(q.month()?).await?))
}
