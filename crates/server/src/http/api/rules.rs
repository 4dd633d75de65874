//! `POST /api/v1/rules` (admin) and `GET /api/v1/rules`: virtual-tag rules.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use tokentally_domain::attribution::Rule;

use crate::app::mappings::{self, NewRule};
use crate::auth::{Capability, Principal};
use crate::http::JsonBody;
use crate::http::error::ApiError;
use crate::state::AppState;

pub async fn post(
    State(state): State<AppState>,
    principal: Principal,
    JsonBody(body): JsonBody<NewRule>,
) -> Result<(StatusCode, Json<Rule>), ApiError> {
    principal.ensure(Capability::Administer)?;
    let rule = mappings::add_rule(&state, &principal.name, body.into_rule()?).await?;
    Ok((StatusCode::CREATED, Json(rule)))
}

pub async fn list(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<Vec<Rule>>, ApiError> {
    principal.ensure(Capability::ReadKeys)?;
    Ok(Json(state.store.list_rules().await?))
}
