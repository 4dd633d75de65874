//! `GET /admin/audit`.

use axum::extract::{Query, State};
use axum::response::Html;
use serde::Deserialize;
use tokentally_web::pages::audit_page::{AuditRow, audit_page};

use super::{require_admin, when};
use crate::http::extract::PageUser;
use crate::http::pages::{PageError, viewer_of};
use crate::state::AppState;

#[derive(Debug, Deserialize, Default)]
pub struct AuditQuery {
    #[serde(default)]
    pub subject: String,
}

pub async fn page(
    State(state): State<AppState>,
    user: PageUser,
    Query(q): Query<AuditQuery>,
) -> Result<Html<String>, PageError> {
    require_admin(&user)?;
    let subject = q.subject.trim();
    let entries = state
        .store
        .list_audit(Some(subject).filter(|s| !s.is_empty()), 500)
        .await?;
    let rows = entries
        .into_iter()
        .map(|e| AuditRow {
            at: when(e.at_ms),
            actor: e.actor,
            action: e.action,
            subject: e.subject,
            before: e.before.unwrap_or_default(),
            after: e.after.unwrap_or_default(),
        })
        .collect();
    Ok(Html(audit_page(&viewer_of(&user), subject, rows)))
}
