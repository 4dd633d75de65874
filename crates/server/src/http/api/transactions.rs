//! Business transactions: `POST /api/v1/transactions` and `GET /api/v1/transactions?month=`.

use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use tokentally_domain::transaction::BusinessTransactions;

use crate::app::transactions::{NewTransactions, may_report, record};
use crate::auth::{Capability, Principal};
use crate::http::error::ApiError;
use crate::http::{JsonBody, MonthQuery};
use crate::state::AppState;

pub async fn post(
    State(state): State<AppState>,
    principal: Principal,
    JsonBody(body): JsonBody<NewTransactions>,
) -> Result<(StatusCode, Json<BusinessTransactions>), ApiError> {
    let t = body.into_domain()?;
    may_report(&principal, &t.team)?;
    record(&state, &principal.name, &t).await?;
    Ok((StatusCode::CREATED, Json(t)))
}

pub async fn list(
    State(state): State<AppState>,
    principal: Principal,
    Query(q): Query<MonthQuery>,
) -> Result<Json<Vec<BusinessTransactions>>, ApiError> {
    principal.ensure(Capability::ReadReports)?;
    let mut all = state.store.list_transactions(q.month()?).await?;
    all.retain(|t| principal.may_read_team(&t.team));
    Ok(Json(all))
}
