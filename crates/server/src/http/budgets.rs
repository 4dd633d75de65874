//! `POST /api/v1/budgets` (admin, finance) and `GET /api/v1/budgets?month=` (readers; a lead
//! sees their teams' budgets and those of keys their teams own).

use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use rust_decimal::Decimal;
use serde::Deserialize;
use tokentally_domain::budget::{Budget, Scope};
use tokentally_domain::month::Month;

use super::{JsonBody, MonthQuery};
use crate::auth::{Principal, Role};
use crate::error::ApiError;
use crate::governance::{self, BudgetView};
use crate::startup::AppState;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewBudget {
    pub month: Month,
    /// `team` (default) or `key`.
    pub scope: Option<String>,
    /// The team (scope `team`) ...
    pub team: Option<String>,
    /// ... or the API key (scope `key`).
    pub api_key: Option<String>,
    /// A decimal string or number, in whole cents.
    pub amount: Decimal,
    /// Percent of the amount at which to alert; default 50, 80, 100.
    pub thresholds: Option<Vec<u32>>,
}

impl NewBudget {
    pub fn into_budget(self) -> Result<Budget, ApiError> {
        let scope: Scope = self.scope.as_deref().unwrap_or("team").parse().map_err(
            |e: tokentally_domain::budget::BudgetError| ApiError::invalid(e.to_string()),
        )?;
        let subject = match scope {
            Scope::Team => self.team,
            Scope::Key => self.api_key,
        }
        .unwrap_or_default();
        Budget {
            month: self.month,
            scope,
            subject,
            amount: self.amount,
            thresholds: self.thresholds.unwrap_or_default(),
        }
        .validated()
        .map_err(|e| ApiError::invalid(e.to_string()))
    }
}

/// Stores a budget and audits the change.
pub async fn record(state: &AppState, actor: &str, b: &Budget) -> Result<(), ApiError> {
    let before = state.store.set_budget(b).await?;
    state
        .store
        .add_audit(
            actor,
            "budget.set",
            &format!("budget:{}:{}:{}", b.month, b.scope.as_str(), b.subject),
            before.map(|x| serde_json::to_value(x).unwrap_or_default()),
            Some(serde_json::to_value(b).unwrap_or_default()),
        )
        .await?;
    Ok(())
}

pub async fn post(
    State(state): State<AppState>,
    principal: Principal,
    JsonBody(body): JsonBody<NewBudget>,
) -> Result<(StatusCode, Json<Budget>), ApiError> {
    principal.require(&[Role::Admin, Role::Finance])?;
    let b = body.into_budget()?;
    record(&state, &principal.name, &b).await?;
    Ok((StatusCode::CREATED, Json(b)))
}

pub async fn list(
    State(state): State<AppState>,
    principal: Principal,
    Query(q): Query<MonthQuery>,
) -> Result<Json<Vec<BudgetView>>, ApiError> {
    principal.require_read()?;
    Ok(Json(
        governance::budgets(&state, q.month()?, &principal).await?,
    ))
}
