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

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CopyBudgets {
    pub from: tokentally_domain::month::Month,
    pub to: tokentally_domain::month::Month,
}

/// `POST /api/v1/budgets/copy {from, to}` (admin, finance): the budgets in force in `from`
/// that `to` lacks, copied; answers the copies.
pub async fn copy(
    State(state): State<AppState>,
    principal: Principal,
    JsonBody(body): JsonBody<CopyBudgets>,
) -> Result<(StatusCode, Json<Vec<Budget>>), ApiError> {
    principal.ensure(Capability::ManageCosts)?;
    let copied =
        crate::app::governance::budgets::copy(&state, &principal.name, body.from, body.to).await?;
    Ok((StatusCode::CREATED, Json(copied)))
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
