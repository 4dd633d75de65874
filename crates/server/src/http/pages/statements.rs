//! `GET /statements?month=` (the month's statements; issue, void and close for finance),
//! `GET /statements/{team}/{month}` (one statement, print-friendly) and
//! `GET /reconciliation?month=` (finance).

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use rust_decimal::Decimal;
use serde::Deserialize;
use tokentally_domain::month::Month;
use tokentally_domain::statement::Statement;
use tokentally_web::components::form::FieldErrors;
use tokentally_web::pages::statements_page::{
    ProviderRow, ReconciliationPage, ReportedCostRow, ReportedUnitRow, SenderCostRow,
    StatementDocument, StatementRow, StatementsPage, reconciliation_page, statement_document,
    statements_page,
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
    /// How many statements "issue all" issued.
    pub count: Option<usize>,
    /// The team whose mode changed, and to what.
    pub team: Option<String>,
    pub mode: Option<String>,
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
        "issued_all" => Some(match q.count.unwrap_or(0) {
            0 => "Every statement of the month was issued already.".to_owned(),
            1 => "1 statement issued.".to_owned(),
            n => format!("{n} statements issued."),
        }),
        "mode" => Some(format!(
            "{} is now on {}: its drafts from now on say so; issued statements keep the mode they were issued with.",
            q.team.as_deref().unwrap_or("The team"),
            q.mode.as_deref().unwrap_or("the new mode"),
        )),
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
    confirmed_close(&state, month, &f).await?;
    statements::issue(&state, &team, month, &user.principal.name).await?;
    Ok(back(month, "issued"))
}

/// Refuses to close an open month without the box ticked that says so.
async fn confirmed_close(state: &AppState, month: Month, f: &ActionForm) -> Result<(), PageError> {
    if f.confirm_close != "yes" && state.store.month_close(month).await?.is_none() {
        return Err(PageError::from(ApiError::BadRequest(format!(
            "Issuing closes {month} for everyone: nothing dated inside it can change afterwards, and usage arriving late goes on the next open month. Tick \"and close {month}\" beside Issue to confirm."
        ))));
    }
    Ok(())
}

/// `POST /months/{month}/issue-all`: every draft of the month at once.
pub async fn issue_all(
    State(state): State<AppState>,
    Path(month): Path<String>,
    CsrfForm { user, form: f }: CsrfForm<ActionForm>,
) -> Result<Response, PageError> {
    require_manager(&user)?;
    let month = month_of(&Some(month))?;
    confirmed_close(&state, month, &f).await?;
    let issued = statements::issue_all(&state, month, &user.principal.name).await?;
    let to = format!(
        "/statements?month={month}&done=issued_all&count={}",
        issued.len()
    );
    Ok(Redirect::to(&to).into_response())
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct ModeForm {
    pub mode: String,
    /// The month the page showed, to go back to.
    pub month: String,
}

/// `POST /statements/{team}/mode`: a team's statements become chargeback (or showback again).
pub async fn set_mode(
    State(state): State<AppState>,
    Path(team): Path<String>,
    CsrfForm { user, form: f }: CsrfForm<ModeForm>,
) -> Result<Response, PageError> {
    require(
        &user,
        Capability::IssueStatements,
        "only finance and admins set a team's statement mode",
    )?;
    let month = month_of(&Some(f.month.clone()))?;
    let mode = statements::set_mode(&state, &user.principal.name, &team, &f.mode).await?;
    let to = format!(
        "/statements?month={month}&done=mode&team={}&mode={}",
        urlencoding(&team),
        mode.as_str()
    );
    Ok(Redirect::to(&to).into_response())
}

fn urlencoding(s: &str) -> String {
    tokentally_web::pages::showback_page::urlencode(s)
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
    let mut units: std::collections::BTreeMap<(String, String, String), ReportedUnitRow> =
        std::collections::BTreeMap::new();
    for u in
        crate::app::connections::compare::provider_costs_by_unit(state, principal, month).await?
    {
        let row = units
            .entry((u.provider.clone(), u.model.clone(), u.unit.clone()))
            .or_insert_with(|| ReportedUnitRow {
                provider: u.provider,
                model: u.model,
                unit: u.unit,
                priced: u.priced,
                computed: Decimal::ZERO,
                reported: Decimal::ZERO,
                difference: Decimal::ZERO,
                flagged: false,
            });
        row.computed += u.computed;
        row.reported += u.reported;
        row.difference += u.difference;
        row.flagged = crate::app::connections::compare::flagged(row.computed, row.reported);
    }
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
        reported_units: units.into_values().collect(),
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
