//! Alerts: `GET /api/v1/alerts` (readers; a lead sees their teams'),
//! `POST /api/v1/alerts/{id}/acknowledge` (admin, finance, a lead of the alert's team),
//! `POST /api/v1/alerts/evaluate?as_of=` (admin, finance), and the webhook:
//! `GET`/`POST /api/v1/webhook` and `GET /api/v1/webhook/deliveries` (admin).

use axum::Json;
use axum::extract::{Path, Query, State};
use chrono::NaiveDate;
use serde::Deserialize;

use super::JsonBody;
use crate::auth::{Principal, Role};
use crate::error::ApiError;
use crate::governance::{self, Evaluation, Webhook};
use crate::startup::AppState;
use crate::storage::{AlertRecord, Delivery};

pub async fn visible_alerts(
    state: &AppState,
    principal: &Principal,
) -> Result<Vec<AlertRecord>, ApiError> {
    principal.require_read()?;
    Ok(state
        .store
        .list_alerts(500)
        .await?
        .into_iter()
        .filter(|a| principal.sees_everything() || principal.may_read_team(&a.team))
        .collect())
}

pub async fn list(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<Vec<AlertRecord>>, ApiError> {
    Ok(Json(visible_alerts(&state, &principal).await?))
}

/// Acknowledges an alert for `principal`, audited.
pub async fn acknowledge_as(
    state: &AppState,
    principal: &Principal,
    id: i64,
) -> Result<AlertRecord, ApiError> {
    principal.require(&[Role::Admin, Role::Finance, Role::Lead])?;
    let alert = state
        .store
        .get_alert(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no alert {id}")))?;
    if !principal.may_read_team(&alert.team) {
        return Err(ApiError::Forbidden(format!(
            "alert {id} belongs to another team"
        )));
    }
    if !state.store.acknowledge_alert(id, &principal.name).await? {
        return Err(ApiError::Conflict(format!(
            "alert {id} was acknowledged already by {}",
            alert.ack_by.unwrap_or_default()
        )));
    }
    state
        .store
        .add_audit(
            &principal.name,
            "alert.acknowledge",
            &format!("alert:{id}"),
            None,
            Some(serde_json::json!({"kind": alert.kind, "subject": alert.subject, "period": alert.period})),
        )
        .await?;
    state
        .store
        .get_alert(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no alert {id}")))
}

pub async fn acknowledge(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<i64>,
) -> Result<Json<AlertRecord>, ApiError> {
    Ok(Json(acknowledge_as(&state, &principal, id).await?))
}

#[derive(Debug, Deserialize)]
pub struct EvaluateQuery {
    /// The day to evaluate as of (YYYY-MM-DD); today by default.
    pub as_of: Option<String>,
}

pub fn parse_day(s: Option<&str>) -> Result<NaiveDate, ApiError> {
    match s.filter(|s| !s.is_empty()) {
        None => Ok(governance::today()),
        Some(s) => s
            .parse()
            .map_err(|_| ApiError::BadRequest(format!("`{s}` is not a day (YYYY-MM-DD)"))),
    }
}

pub async fn evaluate(
    State(state): State<AppState>,
    principal: Principal,
    Query(q): Query<EvaluateQuery>,
) -> Result<Json<Evaluation>, ApiError> {
    principal.require(&[Role::Admin, Role::Finance])?;
    let as_of = parse_day(q.as_of.as_deref())?;
    Ok(Json(governance::evaluate(&state, as_of).await?))
}

pub async fn get_webhook(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<Webhook>, ApiError> {
    principal.require(&[Role::Admin])?;
    Ok(Json(governance::webhook(&state.store).await?))
}

/// Checks a webhook URL: empty (none) or an `http://` URL with a host.
pub fn checked(url: &str) -> Result<Webhook, ApiError> {
    let url = url.trim();
    if url.is_empty() {
        return Ok(Webhook::default());
    }
    let parsed = url::Url::parse(url)
        .map_err(|e| ApiError::invalid(format!("`{url}` is not a URL: {e}")))?;
    if parsed.scheme() != "http" || parsed.host_str().is_none() {
        return Err(ApiError::invalid(
            "the webhook URL must be http://HOST/...; this build sends no TLS (put a relay in front for https)",
        ));
    }
    Ok(Webhook {
        url: url.to_owned(),
    })
}

pub async fn set_webhook_as(
    state: &AppState,
    principal: &Principal,
    url: &str,
) -> Result<Webhook, ApiError> {
    principal.require(&[Role::Admin])?;
    let hook = checked(url)?;
    let before = governance::webhook(&state.store).await?;
    state.store.set_setting(governance::WEBHOOK, &hook).await?;
    state
        .store
        .add_audit(
            &principal.name,
            "webhook.set",
            "setting:webhook",
            Some(serde_json::to_value(before).unwrap_or_default()),
            Some(serde_json::to_value(&hook).unwrap_or_default()),
        )
        .await?;
    Ok(hook)
}

pub async fn post_webhook(
    State(state): State<AppState>,
    principal: Principal,
    JsonBody(body): JsonBody<Webhook>,
) -> Result<Json<Webhook>, ApiError> {
    Ok(Json(set_webhook_as(&state, &principal, &body.url).await?))
}

pub async fn deliveries(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<Vec<Delivery>>, ApiError> {
    principal.require(&[Role::Admin])?;
    Ok(Json(state.store.list_deliveries(200).await?))
}
