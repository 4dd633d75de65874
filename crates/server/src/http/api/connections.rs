//! Pull connections (admin): `GET`/`POST /api/v1/connections` and
//! `POST /api/v1/connections/{id}/sync`, which pulls now and answers when the pull is done.
//! No answer ever carries the admin key.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;

use crate::app::connections::{self, ConnectionView, NewConnectionInput, SyncReport};
use crate::auth::Principal;
use crate::http::JsonBody;
use crate::http::error::ApiError;
use crate::state::AppState;

pub async fn list(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<Vec<ConnectionView>>, ApiError> {
    Ok(Json(connections::list_as(&state, &principal).await?))
}

pub async fn post(
    State(state): State<AppState>,
    principal: Principal,
    JsonBody(body): JsonBody<NewConnectionInput>,
) -> Result<(StatusCode, Json<ConnectionView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(connections::create_as(&state, &principal, &body).await?),
    ))
}

pub async fn sync(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<i64>,
) -> Result<Json<SyncReport>, ApiError> {
    Ok(Json(
        Box::pin(connections::sync_as(&state, &principal, id)).await?,
    ))
}

/// `GET /api/v1/reconciliation/provider-costs?month=` (admin, finance): the providers' own
/// cost per model and day beside the computed cost, differences over the threshold flagged.
pub async fn provider_costs(
    State(state): State<AppState>,
    principal: Principal,
    axum::extract::Query(q): axum::extract::Query<crate::http::MonthQuery>,
) -> Result<Json<Vec<connections::compare::CostDay>>, ApiError> {
    let month = q.month()?;
    Ok(Json(
        connections::compare::provider_costs(&state, &principal, month).await?,
    ))
}

/// `GET /api/v1/reconciliation/provider-costs/units?month=`: the same, per unit billed.
pub async fn provider_costs_by_unit(
    State(state): State<AppState>,
    principal: Principal,
    axum::extract::Query(q): axum::extract::Query<crate::http::MonthQuery>,
) -> Result<Json<Vec<connections::compare::UnitCost>>, ApiError> {
    let month = q.month()?;
    Ok(Json(
        connections::compare::provider_costs_by_unit(&state, &principal, month).await?,
    ))
}
