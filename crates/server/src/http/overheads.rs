//! `POST /api/v1/overheads` (admin, finance) and `GET /api/v1/overheads?month=`.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use rust_decimal::Decimal;
use serde::Deserialize;
use tokentally_domain::allocation::{Allocation, Overhead};
use tokentally_domain::month::Month;

use super::{JsonBody, MonthQuery};
use crate::auth::{Principal, Role};
use crate::error::ApiError;
use crate::startup::AppState;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewOverhead {
    pub month: Month,
    pub category: String,
    /// A decimal string ("1250.00") or number, in whole cents.
    pub amount: Decimal,
    /// `proportional` (default), `even`, `fixed` (with `shares`) or `direct` (with `team`).
    pub allocation: Option<String>,
    pub team: Option<String>,
    pub shares: Option<BTreeMap<String, Decimal>>,
}

impl NewOverhead {
    pub fn into_overhead(self) -> Result<Overhead, ApiError> {
        let allocation = match self.allocation.as_deref().unwrap_or("proportional") {
            "proportional" => Allocation::Proportional,
            "even" => Allocation::Even,
            "fixed" => Allocation::Fixed {
                shares: self
                    .shares
                    .ok_or_else(|| ApiError::invalid("a fixed allocation needs `shares`"))?,
            },
            "direct" => Allocation::Direct {
                team: self
                    .team
                    .ok_or_else(|| ApiError::invalid("a direct allocation needs `team`"))?
                    .trim()
                    .to_owned(),
            },
            other => {
                return Err(ApiError::invalid(format!(
                    "unknown allocation `{other}`; expected proportional, even, fixed or direct"
                )));
            }
        };
        let o = Overhead {
            month: self.month,
            category: self.category.trim().to_owned(),
            amount: self.amount,
            allocation,
        };
        o.validate().map_err(|e| ApiError::invalid(e.to_string()))?;
        Ok(o)
    }
}

pub async fn post(
    State(state): State<AppState>,
    principal: Principal,
    JsonBody(body): JsonBody<NewOverhead>,
) -> Result<(StatusCode, Json<Overhead>), ApiError> {
    principal.require(&[Role::Admin, Role::Finance])?;
    let o = body.into_overhead()?;
    record(&state, &principal.name, &o).await?;
    Ok((StatusCode::CREATED, Json(o)))
}

/// Stores a month's overhead (replacing the category's earlier amount) and audits it.
pub async fn record(state: &AppState, actor: &str, o: &Overhead) -> Result<(), ApiError> {
    let before = state.store.set_overhead(o).await?;
    state
        .store
        .add_audit(
            actor,
            "overhead.set",
            &format!("overhead:{}:{}", o.month, o.category),
            before.map(|b| serde_json::to_value(b).unwrap_or_default()),
            Some(serde_json::to_value(o).unwrap_or_default()),
        )
        .await?;
    Ok(())
}

pub async fn list(
    State(state): State<AppState>,
    principal: Principal,
    Query(q): Query<MonthQuery>,
) -> Result<Json<Vec<Overhead>>, ApiError> {
    principal.require(&[Role::Admin, Role::Finance])?;
    Ok(Json(state.store.list_overheads(q.month()?).await?))
}
