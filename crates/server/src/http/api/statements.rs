//! Statements, month close, reconciliation and the FOCUS export:
//! `GET /api/v1/statements?month=`, `GET /api/v1/statements/{team}/{month}` (and `.csv`),
//! `POST .../issue`, `POST .../void`, `POST /api/v1/months/{month}/close` (and `/reopen`),
//! `GET /api/v1/reconciliation?month=`, `POST /api/v1/invoices`,
//! `POST /api/v1/teams/{team}/statement-mode` (the FOCUS downloads are in [`super::focus`]).

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use tokentally_domain::month::Month;
use tokentally_domain::statement::{Mode, Statement};

use crate::app::statements::{self, Current, NewInvoice, Reconciliation, record_invoice};
use crate::auth::{Capability, Principal};
use crate::http::csv::{Csv, optional};
use crate::http::error::ApiError;
use crate::http::{JsonBody, MonthQuery};
use crate::state::AppState;

fn month_of(s: &str) -> Result<Month, ApiError> {
    s.parse()
        .map_err(|e: tokentally_domain::month::MonthParseError| ApiError::BadRequest(e.to_string()))
}

fn may_read(principal: &Principal, team: &str) -> Result<(), ApiError> {
    principal.ensure(Capability::ReadReports)?;
    if principal.may_read_team(team) {
        Ok(())
    } else {
        Err(ApiError::Forbidden(format!(
            "you may not read team `{team}`'s statements"
        )))
    }
}

fn json_body(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

#[derive(Debug, Serialize)]
pub struct Listed {
    pub team: String,
    pub status: &'static str,
    pub version: Option<i64>,
    pub mode: Mode,
    pub total: Decimal,
    pub sha256: String,
    /// An issued statement whose inputs now give another draft.
    pub changed_since_issue: bool,
    /// What the inputs give now, when they changed since issue.
    pub total_now: Option<Decimal>,
}

pub async fn list(
    State(state): State<AppState>,
    principal: Principal,
    Query(q): Query<MonthQuery>,
) -> Result<Json<Vec<Listed>>, ApiError> {
    principal.ensure(Capability::ReadReports)?;
    let month = q.month()?;
    let (_, all) = statements::month(&state, month).await?;
    Ok(Json(
        all.into_iter()
            .filter(|(_, s)| principal.may_read_team(&s.team))
            .map(|(c, s)| Listed {
                team: s.team,
                status: c.status,
                version: c.version,
                mode: c.mode,
                total: c.total,
                sha256: c.sha256,
                changed_since_issue: c.changed_since_issue.is_some(),
                total_now: c.changed_since_issue,
            })
            .collect(),
    ))
}

async fn current(state: &AppState, team: &str, month: Month) -> Result<Current, ApiError> {
    statements::current(state, team, month)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("team `{team}` has nothing in {month}")))
}

pub async fn get(
    State(state): State<AppState>,
    principal: Principal,
    Path((team, month)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    may_read(&principal, &team)?;
    let month = month_of(&month)?;
    Ok(json_body(
        StatusCode::OK,
        current(&state, &team, month).await?.to_json(),
    ))
}

pub async fn csv(
    State(state): State<AppState>,
    principal: Principal,
    Path((team, month)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    may_read(&principal, &team)?;
    let month = month_of(&month)?;
    let c = current(&state, &team, month).await?;
    let s: Statement = serde_json::from_str(&c.content)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("statement unreadable: {e}")))?;
    Ok(statement_csv(&s, &c).into_download(&format!("statement-{team}-{month}.csv")))
}

/// A statement as CSV: one row per line, then the total.
pub fn statement_csv(s: &Statement, c: &Current) -> Csv {
    let mut csv = Csv::new(&[
        "team",
        "month",
        "status",
        "kind",
        "description",
        "provider",
        "model",
        "token_class",
        "quantity",
        "rate_per_million",
        "amount",
        "belongs_to",
        "currency",
    ]);
    let kind = |l: &tokentally_domain::statement::StatementLine| {
        serde_json::to_value(l.kind)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    };
    for l in &s.lines {
        csv.row([
            s.team.clone(),
            s.month.to_string(),
            c.status.to_owned(),
            kind(l),
            l.description.clone(),
            l.provider.clone().unwrap_or_default(),
            l.model.clone().unwrap_or_default(),
            l.token_class
                .map(|t| t.as_str().to_owned())
                .unwrap_or_default(),
            l.quantity.map(|q| q.to_string()).unwrap_or_default(),
            optional(l.rate_per_million),
            l.amount.to_string(),
            l.belongs_to.map(|m| m.to_string()).unwrap_or_default(),
            s.currency.clone(),
        ]);
    }
    csv.row([
        s.team.clone(),
        s.month.to_string(),
        c.status.to_owned(),
        "total".into(),
        "Total".into(),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        s.total.to_string(),
        String::new(),
        s.currency.clone(),
    ]);
    csv
}

pub async fn issue(
    State(state): State<AppState>,
    principal: Principal,
    Path((team, month)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    principal.ensure(Capability::IssueStatements)?;
    let month = month_of(&month)?;
    let c = statements::issue(&state, &team, month, &principal.name).await?;
    Ok(json_body(StatusCode::CREATED, c.to_json()))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VoidBody {
    pub reason: String,
}

pub async fn void(
    State(state): State<AppState>,
    principal: Principal,
    Path((team, month)): Path<(String, String)>,
    JsonBody(body): JsonBody<VoidBody>,
) -> Result<Response, ApiError> {
    principal.ensure(Capability::IssueStatements)?;
    let month = month_of(&month)?;
    let version = statements::void(&state, &team, month, &body.reason, &principal.name).await?;
    Ok(Json(serde_json::json!({
        "team": team, "month": month, "version": version, "status": "void", "reason": body.reason.trim(),
    }))
    .into_response())
}

pub async fn close(
    State(state): State<AppState>,
    principal: Principal,
    Path(month): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    principal.ensure(Capability::IssueStatements)?;
    let month = month_of(&month)?;
    let newly = statements::close(&state, month, &principal.name).await?;
    let close = state.store.month_close(month).await?;
    Ok(Json(serde_json::json!({
        "month": month,
        "closed": true,
        "newly_closed": newly,
        "closed_at": close.and_then(|c| chrono::DateTime::from_timestamp_millis(c.closed_ms)),
    })))
}

/// `POST /api/v1/months/{month}/issue-all`: closes the month if open and issues every draft.
pub async fn issue_all(
    State(state): State<AppState>,
    principal: Principal,
    Path(month): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    principal.ensure(Capability::IssueStatements)?;
    let month = month_of(&month)?;
    let issued = statements::issue_all(&state, month, &principal.name).await?;
    Ok(Json(serde_json::json!({"month": month, "issued": issued})))
}

/// `POST /api/v1/months/{month}/reopen` `{reason}`: admins only; voids the month's issued
/// statements.
pub async fn reopen(
    State(state): State<AppState>,
    principal: Principal,
    Path(month): Path<String>,
    JsonBody(body): JsonBody<VoidBody>,
) -> Result<Json<crate::app::closed_months::Reopened>, ApiError> {
    principal.ensure(Capability::Administer)?;
    let month = month_of(&month)?;
    Ok(Json(
        crate::app::closed_months::reopen(&state.store, month, &body.reason, &principal.name)
            .await?,
    ))
}

pub async fn reconciliation(
    State(state): State<AppState>,
    principal: Principal,
    Query(q): Query<MonthQuery>,
) -> Result<Json<Reconciliation>, ApiError> {
    principal.ensure(Capability::IssueStatements)?;
    Ok(Json(statements::reconcile(&state, q.month()?).await?))
}

pub async fn post_invoice(
    State(state): State<AppState>,
    principal: Principal,
    JsonBody(body): JsonBody<NewInvoice>,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    principal.ensure(Capability::IssueStatements)?;
    record_invoice(&state, &principal.name, body).await?;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({"saved": true})),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModeBody {
    pub mode: String,
}

pub async fn set_mode(
    State(state): State<AppState>,
    principal: Principal,
    Path(team): Path<String>,
    JsonBody(body): JsonBody<ModeBody>,
) -> Result<Json<serde_json::Value>, ApiError> {
    principal.ensure(Capability::IssueStatements)?;
    let mode = statements::set_mode(&state, &principal.name, &team, &body.mode).await?;
    Ok(Json(serde_json::json!({"team": team, "mode": mode})))
}
