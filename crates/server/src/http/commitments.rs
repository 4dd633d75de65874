//! Commitments and negotiated discounts: `GET`/`POST /api/v1/commitments` and
//! `GET`/`POST /api/v1/discounts`. Admin and finance set them; readers of the whole
//! organisation may list them.

use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Deserialize;
use tokentally_domain::commitment::{Commitment, DEFAULT_UTILISATION_FLOOR};
use tokentally_domain::discount::Discount;
use tokentally_domain::month::Month;

use super::{JsonBody, MonthQuery};
use crate::auth::{Principal, Role};
use crate::error::ApiError;
use crate::startup::AppState;

pub const MANAGERS: &[Role] = &[Role::Admin, Role::Finance];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewCommitment {
    pub month: Month,
    pub provider: String,
    pub model: String,
    pub fee: Decimal,
    pub capacity_tokens: u64,
    pub utilisation_floor: Option<Decimal>,
}

impl NewCommitment {
    pub fn into_domain(self) -> Result<Commitment, ApiError> {
        let c = Commitment {
            month: self.month,
            provider: self.provider.trim().to_owned(),
            model: self.model.trim().to_owned(),
            fee: self.fee,
            capacity_tokens: self.capacity_tokens,
            utilisation_floor: self.utilisation_floor.unwrap_or(DEFAULT_UTILISATION_FLOOR),
        };
        c.validate().map_err(|e| ApiError::invalid(e.to_string()))?;
        Ok(c)
    }
}

fn require_org_reader(principal: &Principal) -> Result<(), ApiError> {
    principal.require_read()?;
    if principal.sees_everything() {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "commitments and discounts are the organisation's; a lead reads their teams' shares on the showback".into(),
        ))
    }
}

pub async fn post_commitment(
    State(state): State<AppState>,
    principal: Principal,
    JsonBody(body): JsonBody<NewCommitment>,
) -> Result<(StatusCode, Json<Commitment>), ApiError> {
    principal.require(MANAGERS)?;
    let c = body.into_domain()?;
    record_commitment(&state, &principal.name, &c).await?;
    Ok((StatusCode::CREATED, Json(c)))
}

pub async fn record_commitment(
    state: &AppState,
    actor: &str,
    c: &Commitment,
) -> Result<(), ApiError> {
    let before = state.store.set_commitment(c).await?;
    state
        .store
        .add_audit(
            actor,
            "commitment.set",
            &format!("commitment:{}:{}", c.month, c.label()),
            before.map(|b| serde_json::to_value(b).unwrap_or_default()),
            Some(serde_json::to_value(c).unwrap_or_default()),
        )
        .await?;
    Ok(())
}

pub async fn list_commitments(
    State(state): State<AppState>,
    principal: Principal,
    Query(q): Query<MonthQuery>,
) -> Result<Json<Vec<Commitment>>, ApiError> {
    require_org_reader(&principal)?;
    Ok(Json(state.store.list_commitments(q.month()?).await?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewDiscount {
    pub provider: String,
    pub percent: Decimal,
    pub effective_from: NaiveDate,
}

impl NewDiscount {
    pub fn into_domain(self) -> Result<Discount, ApiError> {
        let d = Discount {
            provider: self.provider.trim().to_owned(),
            percent: self.percent,
            effective_from: self.effective_from,
        };
        d.validate().map_err(|e| ApiError::invalid(e.to_string()))?;
        Ok(d)
    }
}

pub async fn post_discount(
    State(state): State<AppState>,
    principal: Principal,
    JsonBody(body): JsonBody<NewDiscount>,
) -> Result<(StatusCode, Json<Discount>), ApiError> {
    principal.require(MANAGERS)?;
    let d = body.into_domain()?;
    record_discount(&state, &principal.name, &d).await?;
    Ok((StatusCode::CREATED, Json(d)))
}

pub async fn record_discount(state: &AppState, actor: &str, d: &Discount) -> Result<(), ApiError> {
    let before = state.store.set_discount(d).await?;
    state
        .store
        .add_audit(
            actor,
            "discount.set",
            &format!("discount:{}:{}", d.provider, d.effective_from),
            before.map(|b| serde_json::to_value(b).unwrap_or_default()),
            Some(serde_json::to_value(d).unwrap_or_default()),
        )
        .await?;
    Ok(())
}

pub async fn list_discounts(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<Vec<Discount>>, ApiError> {
    require_org_reader(&principal)?;
    Ok(Json(state.store.list_discounts().await?))
}
