//! `POST /api/v1/budgets` (admin, finance) and `GET /api/v1/budgets?month=` (readers; a lead
//! sees their teams' budgets and those of keys their teams own).

use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use tokentally_domain::budget::Budget;

use crate::app::governance::budgets::{NewBudget, record};
use crate::app::governance::{self, BudgetView};
use crate::auth::{Capability, Principal};
use crate::http::error::ApiError;
use crate::http::{JsonBody, MonthQuery};
use crate::state::AppState;

pub async fn post(
    State(state): State<AppState>,
    principal: Principal,
    JsonBody(body): JsonBody<NewBudget>,
) -> Result<(StatusCode, Json<Budget>), ApiError> {
    principal.ensure(Capability::ManageCosts)?;
    let b = body.into_budget()?;
    record(&state, &principal.name, &b).await?;
    Ok((StatusCode::CREATED, Json(b)))
}

pub async fn list(
    State(state): State<AppState>,
    principal: Principal,
    Query(q): Query<MonthQuery>,
) -> Result<Json<Vec<BudgetView>>, ApiError> {
    principal.ensure(Capability::ReadReports)?;
    Ok(Json(
        governance::budgets(&state, q.month()?, &principal).await?,
    ))
}
