//! `POST /api/v1/rules` (admin) and `GET /api/v1/rules`: virtual-tag rules.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use tokentally_domain::attribution::Rule;

use super::JsonBody;
use crate::auth::{Principal, Role};
use crate::error::ApiError;
use crate::startup::AppState;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewRule {
    #[serde(default)]
    pub priority: i64,
    pub provider: Option<String>,
    pub model: Option<String>,
    pub key_prefix: Option<String>,
    pub tag: Option<String>,
    pub tag_value: Option<String>,
    pub team: Option<String>,
    pub feature: Option<String>,
}

impl NewRule {
    pub fn into_rule(self) -> Result<Rule, ApiError> {
        let clean = |s: Option<String>| s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
        let tag = match (clean(self.tag), clean(self.tag_value)) {
            (Some(k), Some(v)) => Some((k, v)),
            (None, None) => None,
            _ => return Err(ApiError::invalid("`tag` and `tag_value` go together")),
        };
        let rule = Rule {
            id: 0,
            priority: self.priority,
            provider: clean(self.provider),
            model: clean(self.model),
            key_prefix: clean(self.key_prefix),
            tag,
            team: clean(self.team),
            feature: clean(self.feature),
        };
        rule.validate()
            .map_err(|e| ApiError::invalid(e.to_string()))?;
        Ok(rule)
    }
}

pub async fn post(
    State(state): State<AppState>,
    principal: Principal,
    JsonBody(body): JsonBody<NewRule>,
) -> Result<(StatusCode, Json<Rule>), ApiError> {
    principal.require(&[Role::Admin])?;
    let mut rule = body.into_rule()?;
    rule.id = state.store.add_rule(&rule).await?;
    state
        .store
        .add_audit(
            &principal.name,
            "rule.add",
            &format!("rule:{}", rule.id),
            None,
            Some(serde_json::to_value(&rule).unwrap_or_default()),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(rule)))
}

pub async fn list(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<Vec<Rule>>, ApiError> {
    principal.require(&[Role::Admin, Role::Finance])?;
    Ok(Json(state.store.list_rules().await?))
}
