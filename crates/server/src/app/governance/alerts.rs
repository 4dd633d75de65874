//! Alerts as people see and acknowledge them.

use crate::app::{AppError, audit};
use crate::auth::{Capability, Principal};
use crate::state::AppState;
use crate::storage::AlertRecord;

pub async fn visible_alerts(
    state: &AppState,
    principal: &Principal,
) -> Result<Vec<AlertRecord>, AppError> {
    principal.ensure(Capability::ReadReports)?;
    Ok(state
        .store
        .list_alerts(500)
        .await?
        .into_iter()
        .filter(|a| principal.sees_everything() || principal.may_read_team(&a.team))
        .collect())
}

/// Acknowledges an alert for `principal`, audited.
pub async fn acknowledge_as(
    state: &AppState,
    principal: &Principal,
    id: i64,
) -> Result<AlertRecord, AppError> {
    principal.ensure(Capability::AcknowledgeAlerts)?;
    let alert = state
        .store
        .get_alert(id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no alert {id}")))?;
    if !principal.may_read_team(&alert.team) {
        return Err(AppError::Forbidden(format!(
            "alert {id} belongs to another team"
        )));
    }
    if !state.store.acknowledge_alert(id, &principal.name).await? {
        return Err(AppError::Conflict(format!(
            "alert {id} was acknowledged already by {}",
            alert.ack_by.unwrap_or_default()
        )));
    }
    audit::record(
        &state.store,
        &principal.name,
        "alert.acknowledge",
        &format!("alert:{id}"),
        None::<()>,
        Some(serde_json::json!({"kind": alert.kind, "subject": alert.subject, "period": alert.period})),
    )
    .await?;
    state
        .store
        .get_alert(id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no alert {id}")))
}
