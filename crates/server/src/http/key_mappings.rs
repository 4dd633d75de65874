//! `POST /api/v1/key-mappings` (admin) and `GET /api/v1/key-mappings`, `GET /api/v1/keys`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::NaiveDate;
use serde::Deserialize;
use tokentally_domain::attribution::KeyMapping;

use super::JsonBody;
use crate::auth::{Principal, Role};
use crate::error::ApiError;
use crate::startup::AppState;
use crate::storage::KeySeen;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewKeyMapping {
    pub api_key: String,
    pub team: String,
    pub feature: Option<String>,
    pub environment: Option<String>,
    /// The UTC day from which the mapping holds (default: today).
    pub valid_from: Option<NaiveDate>,
}

impl NewKeyMapping {
    pub fn into_mapping(self) -> Result<KeyMapping, ApiError> {
        let blank_to_none =
            |s: Option<String>| s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
        let m = KeyMapping {
            api_key: self.api_key.trim().to_owned(),
            team: self.team.trim().to_owned(),
            feature: blank_to_none(self.feature),
            environment: blank_to_none(self.environment),
            valid_from: self
                .valid_from
                .unwrap_or_else(|| chrono::Utc::now().date_naive()),
        };
        m.validate().map_err(|e| ApiError::invalid(e.to_string()))?;
        Ok(m)
    }
}

/// Maps a key to an owner from a day on; audited with what it replaced.
pub async fn set_mapping(state: &AppState, actor: &str, m: &KeyMapping) -> Result<(), ApiError> {
    if state
        .store
        .list_teams()
        .await?
        .iter()
        .any(|t| t.name == m.team && t.archived)
    {
        return Err(ApiError::invalid(format!(
            "team `{}` is archived; restore it on the Teams page first",
            m.team
        )));
    }
    let before = state.store.set_key_mapping(m, actor).await?;
    state
        .store
        .add_audit(
            actor,
            "key_mapping.set",
            &format!("key:{}", m.api_key),
            before.map(|b| serde_json::to_value(b).unwrap_or_default()),
            Some(serde_json::to_value(m).unwrap_or_default()),
        )
        .await?;
    Ok(())
}

pub async fn post(
    State(state): State<AppState>,
    principal: Principal,
    JsonBody(body): JsonBody<NewKeyMapping>,
) -> Result<(StatusCode, Json<KeyMapping>), ApiError> {
    principal.require(&[Role::Admin])?;
    let m = body.into_mapping()?;
    set_mapping(&state, &principal.name, &m).await?;
    Ok((StatusCode::CREATED, Json(m)))
}

pub async fn list(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<Vec<KeyMapping>>, ApiError> {
    principal.require(&[Role::Admin, Role::Finance])?;
    Ok(Json(state.store.list_key_mappings().await?))
}

/// Every key seen in usage (admin and finance: keys reveal who uses what).
pub async fn keys(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<Vec<KeySeen>>, ApiError> {
    principal.require(&[Role::Admin, Role::Finance])?;
    Ok(Json(state.store.list_keys_seen().await?))
}
