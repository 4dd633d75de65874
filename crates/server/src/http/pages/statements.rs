//! `GET /statements?month=` (the month's statements; issue, void and close for finance),
//! `GET /statements/{team}/{month}` (one statement, print-friendly) and
//! `GET /reconciliation?month=` (finance).

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use tokentally_domain::month::Month;
use tokentally_domain::statement::Statement;
use tokentally_web::components::form::FieldErrors;
use tokentally_web::pages::statements_page::{
    ProviderRow, ReconciliationPage, ReportedCostRow, SenderCostRow, StatementDocument,
    StatementRow, StatementsPage, reconciliation_page, statement_document, statements_page,
};
use tokentally_web::stamp::Stamp;

use super::{PageError, reason, require, viewer_of};
use crate::app::AppError;
use crate::app::statements;
use crate::app::statements::{NewInvoice, record_invoice};
use crate::auth::Capability;
use crate::http::MonthQuery;
use crate::http::error::ApiError;
use crate::http::extract::{CsrfForm, PageUser};
use crate::state::AppState;

fn manages(user: &PageUser) -> bool {
    user.principal.may(Capability::IssueStatements)
}

fn require_manager(user: &PageUser) -> Result<(), PageError> {
    require(
        user,
        Capability::IssueStatements,
        "only finance and admins issue, void and close",
    )
}

fn month_of(m: &Option<String>) -> Result<Month, PageError> {
    MonthQuery {
        month: m.clone().filter(|m| !m.is_empty()),
    }
    .month()
    .map_err(PageError::from)
}

fn when(ms: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    pub month: Option<String>,
    pub done: Option<String>,
}

pub async fn list(
    State(state): State<AppState>,
    user: PageUser,
    Query(q): Query<ListQuery>,
) -> Result<Html<String>, PageError> {
    user.principal.ensure(Capability::ReadReports)?;
    let month = month_of(&q.month)?;
    let (sb, all) = statements::month(&state, month).await?;
    let close = state.store.month_close(month).await?;
    let rows = all
        .into_iter()
        .filter(|(_, s)| user.principal.may_read_team(&s.team))
        .map(|(c, s)| StatementRow {
            team: s.team,
            status: c.status.to_owned(),
            version: c.version,
            mode: c.mode.as_str().to_owned(),
            total: c.total,
            total_now: c.changed_since_issue,
        })
        .collect();
    let notice = q.done.as_deref().and_then(|d| match d {
        "issued" => Some("Statement issued.".to_owned()),
        "voided" => Some("Statement voided; the draft follows the data again.".to_owned()),
        "closed" => Some("Month closed.".to_owned()),
        "reopened" => Some(
            "Month reopened; its issued statements are voided and drafts follow the data again."
                .to_owned(),
        ),
        _ => None,
    });
    let p = StatementsPage {
        month,
        months: state.store.list_months().await?,
        currency: sb.currency,
        rows,
        closed: close.map(|c| Stamp {
            by: c.closed_by,
            at: when(c.closed_ms),
        }),
        manage: manages(&user),
        reopen: user.principal.may(Capability::Administer),
        notice,
    };
    Ok(Html(statements_page(&viewer_of(&user), p)))
}

pub async fn document(
    State(state): State<AppState>,
    user: PageUser,
    Path((team, month)): Path<(String, String)>,
) -> Result<Html<String>, PageError> {
    user.principal.ensure(Capability::ReadReports)?;
    if !user.principal.may_read_team(&team) {
        return Err(PageError::from(ApiError::Forbidden(format!(
            "you may not read team `{team}`'s statements"
        ))));
    }
    let month: Month = month_of(&Some(month))?;
    let c = statements::current(&state, &team, month)
        .await?
        .ok_or_else(|| {
            PageError::from(ApiError::NotFound(format!(
                "team `{team}` has nothing in {month}"
            )))
        })?;
    let statement: Statement = serde_json::from_str(&c.content)
        .map_err(|e| PageError::from(ApiError::Internal(anyhow::anyhow!("{e}"))))?;
    let d = StatementDocument {
        statement,
        status: c.status.to_owned(),
        version: c.version,
        sha256: c.sha256.clone(),
        issued: c.issued_ms.map(|ms| Stamp {
            by: c.issued_by.clone().unwrap_or_default(),
            at: when(ms),
        }),
    };
    Ok(Html(statement_document(&viewer_of(&user), d)))
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct ActionForm {
    pub reason: String,
    /// `yes` when the person confirmed that issuing closes the month.
    pub confirm_close: String,
}

fn back(month: Month, done: &str) -> Response {
    Redirect::to(&format!("/statements?month={month}&done={done}")).into_response()
}

pub async fn issue(
    State(state): State<AppState>,
    Path((team, month)): Path<(String, String)>,
    CsrfForm { user, form: f }: CsrfForm<ActionForm>,
) -> Result<Response, PageError> {
    require_manager(&user)?;
    let month = month_of(&Some(month))?;
    if f.confirm_close != "yes" && state.store.month_close(month).await?.is_none() {
        return Err(PageError::from(ApiError::BadRequest(format!(
            "Issuing closes {month} for everyone: nothing dated inside it can change afterwards, and usage arriving late goes on the next open month. Tick \"and close {month}\" beside Issue to confirm."
        ))));
    }
    statements::issue(&state, &team, month, &user.principal.name).await?;
    Ok(back(month, "issued"))
}

pub async fn void(
    State(state): State<AppState>,
    Path((team, month)): Path<(String, String)>,
    CsrfForm { user, form: f }: CsrfForm<ActionForm>,
) -> Result<Response, PageError> {
    require_manager(&user)?;
    let month = month_of(&Some(month))?;
    statements::void(&state, &team, month, &f.reason, &user.principal.name).await?;
    Ok(back(month, "voided"))
}

pub async fn close(
    State(state): State<AppState>,
    Path(month): Path<String>,
    CsrfForm { user, .. }: CsrfForm<ActionForm>,
) -> Result<Response, PageError> {
    require_manager(&user)?;
    let month = month_of(&Some(month))?;
    statements::close(&state, month, &user.principal.name).await?;
    Ok(back(month, "closed"))
}

pub async fn reopen(
    State(state): State<AppState>,
    Path(month): Path<String>,
    CsrfForm { user, form: f }: CsrfForm<ActionForm>,
) -> Result<Response, PageError> {
    require(
        &user,
        Capability::Administer,
        "only admins reopen a closed month",
    )?;
    let month = month_of(&Some(month))?;
    crate::app::closed_months::reopen(&state.store, month, &f.reason, &user.principal.name).await?;
    Ok(back(month, "reopened"))
}

async fn reconciliation_model(
    state: &AppState,
    principal: &crate::auth::Principal,
    month: Month,
    errors: FieldErrors,
    notice: Option<String>,
) -> Result<ReconciliationPage, PageError> {
    let r = statements::reconcile(state, month).await?;
    let reported_costs = crate::app::connections::compare::provider_costs(state, principal, month)
        .await?
        .into_iter()
        .map(|c| ReportedCostRow {
            provider: c.provider,
            model: c.model,
            day: c.day,
            computed: c.computed,
            reported: c.reported,
            difference: c.difference,
            flagged: c.flagged,
        })
        .collect();
    let mut sender_costs = Vec::new();
    for m in &r.reported_costs.by_model {
        let row =
            |l: &crate::app::reported_costs::ReportedCostLine, key: Option<String>| SenderCostRow {
                source: l.source.clone(),
                provider: l.provider.clone(),
                model: l.model.clone(),
                api_key: key,
                calls: l.calls,
                reported: l.reported,
                computed: l.computed,
                difference: l.difference,
                flagged: l.flagged,
            };
        sender_costs.push(row(m, None));
        for k in r
            .reported_costs
            .by_key
            .iter()
            .filter(|k| k.source == m.source && k.provider == m.provider && k.model == m.model)
        {
            sender_costs.push(row(k, Some(k.api_key.clone())));
        }
    }
    Ok(ReconciliationPage {
        reported_costs,
        sender_costs,
        month,
        months: state.store.list_months().await?,
        currency: r.currency,
        providers: r
            .providers
            .into_iter()
            .map(|p| ProviderRow {
                provider: p.provider,
                list_cost: p.list_cost,
                effective_cost: p.effective_cost,
                invoiced: p.invoiced,
                difference: p.difference,
            })
            .collect(),
        statements: r.statements,
        unallocated: r.unallocated,
        unpriced: r.unpriced,
        idle: r.idle_commitment,
        org_total: r.org_total,
        adjustments: r.adjustments,
        carried_forward: r.carried_forward,
        balanced: r.balanced,
        breaks: r.breaks,
        errors,
        notice,
    })
}

pub async fn reconciliation(
    State(state): State<AppState>,
    user: PageUser,
    Query(q): Query<ListQuery>,
) -> Result<Html<String>, PageError> {
    if !manages(&user) {
        return Err(PageError::from(ApiError::Forbidden(
            "reconciliation is for finance and admins".into(),
        )));
    }
    let month = month_of(&q.month)?;
    let notice = q.done.map(|_| "Invoice saved.".to_owned());
    let p =
        reconciliation_model(&state, &user.principal, month, FieldErrors::new(), notice).await?;
    Ok(Html(reconciliation_page(&viewer_of(&user), p)))
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct InvoiceForm {
    pub month: String,
    pub provider: String,
    pub amount: String,
}

pub async fn post_invoice(
    State(state): State<AppState>,
    CsrfForm { user, form: f }: CsrfForm<InvoiceForm>,
) -> Result<Response, PageError> {
    require_manager(&user)?;
    let month = month_of(&Some(f.month.clone()))?;
    let saved = match tokentally_domain::typed_amount::parse_typed_amount(&f.amount) {
        Ok(amount) => {
            record_invoice(
                &state,
                &user.principal.name,
                NewInvoice {
                    month,
                    provider: f.provider.clone(),
                    amount,
                },
            )
            .await
        }
        Err(e) => Err(AppError::invalid(e)),
    };
    match saved {
        Ok(()) => {
            Ok(Redirect::to(&format!("/reconciliation?month={month}&done=1")).into_response())
        }
        Err(e) if e.is_callers_fault() => {
            let mut errors = FieldErrors::new();
            errors.insert("form".into(), reason(&e));
            let p = reconciliation_model(&state, &user.principal, month, errors, None).await?;
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                Html(reconciliation_page(&viewer_of(&user), p)),
            )
                .into_response())
        }
        Err(e) => Err(PageError::from(e)),
    }
}
