//! `POST /api/v1/key-mappings` (admin) and `GET /api/v1/key-mappings`, `GET /api/v1/keys`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use tokentally_domain::attribution::KeyMapping;

use crate::app::mappings::{NewKeyMapping, set_mapping};
use crate::auth::{Capability, Principal};
use crate::http::JsonBody;
use crate::http::error::ApiError;
use crate::state::AppState;
use crate::storage::KeySeen;

/// The mapping stored, and a warning when no usage has carried its key yet.
#[derive(Debug, serde::Serialize)]
pub struct MappingAnswer {
    #[serde(flatten)]
    pub mapping: KeyMapping,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
}

pub async fn post(
    State(state): State<AppState>,
    principal: Principal,
    JsonBody(body): JsonBody<NewKeyMapping>,
) -> Result<(StatusCode, Json<MappingAnswer>), ApiError> {
    principal.ensure(Capability::Administer)?;
    let m = body.into_mapping()?;
    let warning = set_mapping(&state, &principal.name, &m).await?;
    Ok((
        StatusCode::CREATED,
        Json(MappingAnswer {
            mapping: m,
            warning,
        }),
    ))
}

pub async fn list(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<Vec<KeyMapping>>, ApiError> {
    principal.ensure(Capability::ReadKeys)?;
    Ok(Json(state.store.list_key_mappings().await?))
}

/// Every key seen in usage (admin and finance: keys reveal who uses what).
pub async fn keys(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<Vec<KeySeen>>, ApiError> {
    principal.ensure(Capability::ReadKeys)?;
    Ok(Json(state.store.list_keys_seen().await?))
}
