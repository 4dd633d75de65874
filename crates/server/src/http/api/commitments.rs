//! Commitments and negotiated discounts: `GET`/`POST /api/v1/commitments` and
//! `GET`/`POST /api/v1/discounts`. Admin and finance set them; readers of the whole
//! organisation may list them.

use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use tokentally_domain::commitment::Commitment;
use tokentally_domain::discount::Discount;

use crate::app::costs::{self, NewCommitment, NewDiscount};
use crate::auth::{Capability, Principal};
use crate::http::error::ApiError;
use crate::http::{JsonBody, MonthQuery};
use crate::state::AppState;

fn require_org_reader(principal: &Principal) -> Result<(), ApiError> {
    principal.ensure(Capability::ReadReports)?;
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
    principal.ensure(Capability::ManageCosts)?;
    let c = body.into_domain()?;
    costs::record_commitment(&state, &principal.name, &c).await?;
    Ok((StatusCode::CREATED, Json(c)))
}

pub async fn list_commitments(
    State(state): State<AppState>,
    principal: Principal,
    Query(q): Query<MonthQuery>,
) -> Result<Json<Vec<Commitment>>, ApiError> {
    require_org_reader(&principal)?;
    Ok(Json(state.store.list_commitments(q.month()?).await?))
}

pub async fn post_discount(
    State(state): State<AppState>,
    principal: Principal,
    JsonBody(body): JsonBody<NewDiscount>,
) -> Result<(StatusCode, Json<Discount>), ApiError> {
    principal.ensure(Capability::ManageCosts)?;
    let d = body.into_domain()?;
    costs::record_discount(&state, &principal.name, &d).await?;
    Ok((StatusCode::CREATED, Json(d)))
}

pub async fn list_discounts(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<Vec<Discount>>, ApiError> {
    require_org_reader(&principal)?;
    Ok(Json(state.store.list_discounts().await?))
}
