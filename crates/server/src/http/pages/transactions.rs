//! `GET /transactions` and `POST /transactions`: business transactions per team and feature.
//! Admin and finance report for any team, a lead for theirs; viewers only read.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use tokentally_domain::month::Month;
use tokentally_domain::transaction::ValueBasis;
use tokentally_web::components::form::FieldErrors;
use tokentally_web::pages::transactions_page::{
    TransactionForm, TransactionRow, TransactionsPage, transactions_page,
};

use super::{PageError, reason, viewer_of};
use crate::app::AppError;
use crate::app::transactions::{NewTransactions, may_report, parse_csv, record, record_all};
use crate::auth::Capability;
use crate::http::MonthQuery;
use crate::http::extract::{CsrfForm, PageUser};
use crate::state::AppState;

async fn model(
    state: &AppState,
    user: &PageUser,
    month: Month,
    form: TransactionForm,
    errors: FieldErrors,
    notice: Option<String>,
) -> Result<TransactionsPage, PageError> {
    let rows = state
        .store
        .list_transactions(month)
        .await?
        .into_iter()
        .filter(|t| user.principal.may_read_team(&t.team))
        .map(|t| TransactionRow {
            period: t.period.to_string(),
            value: t
                .value_total()
                .zip(t.value.as_ref().map(|v| v.currency.clone())),
            basis: t.value.as_ref().map(|v| match v.basis {
                ValueBasis::PerTransaction => format!("{} per transaction", v.amount),
                ValueBasis::Total => "total".to_owned(),
            }),
            team: t.team,
            feature: t.feature,
            name: t.name,
            count: t.count,
        })
        .collect();
    Ok(TransactionsPage {
        month,
        months: state.store.list_months().await?,
        rows,
        form,
        errors,
        notice,
        currency: state.config.currency.clone(),
    })
}

#[derive(Debug, Deserialize)]
pub struct PageQuery {
    pub month: Option<String>,
    pub saved: Option<String>,
}

pub async fn page(
    State(state): State<AppState>,
    user: PageUser,
    Query(q): Query<PageQuery>,
) -> Result<Html<String>, PageError> {
    user.principal.ensure(Capability::ReadReports)?;
    let month = MonthQuery {
        month: q.month.filter(|m| !m.is_empty()),
    }
    .month()?;
    let notice = q.saved.map(|n| match n.parse::<usize>() {
        Ok(many) if many > 1 => format!("{many} reports saved."),
        _ => "Count saved.".to_owned(),
    });
    let form = TransactionForm {
        period: month.to_string(),
        ..TransactionForm::default()
    };
    let p = model(&state, &user, month, form, FieldErrors::new(), notice).await?;
    Ok(Html(transactions_page(&viewer_of(&user), p)))
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct TransactionPost {
    pub period: String,
    pub team: String,
    pub feature: String,
    pub name: String,
    pub count: String,
    pub value: String,
    pub value_basis: String,
    pub currency: String,
}

pub async fn post(
    State(state): State<AppState>,
    CsrfForm { user, form: f }: CsrfForm<TransactionPost>,
) -> Result<Response, PageError> {
    let form = TransactionForm {
        period: f.period.clone(),
        team: f.team.clone(),
        feature: f.feature.clone(),
        name: f.name.clone(),
        count: f.count.clone(),
        value: f.value.clone(),
        value_basis: f.value_basis.clone(),
        currency: f.currency.clone(),
        csv: String::new(),
    };
    let parsed = (|| {
        let count = f.count.trim().parse::<u64>().map_err(|_| {
            AppError::invalid(format!("count `{}` is not a whole number ≥ 0", f.count))
        })?;
        NewTransactions {
            period: Some(f.period.clone()),
            month: None,
            day: None,
            team: f.team.clone(),
            feature: Some(f.feature.clone()),
            name: f.name.clone(),
            count,
            value: Some(serde_json::Value::String(f.value.clone())),
            value_basis: (!f.value.trim().is_empty()).then(|| f.value_basis.clone()),
            currency: (!f.value.trim().is_empty()).then(|| f.currency.clone()),
        }
        .into_domain(&state.config.currency)
    })();
    let t = match parsed {
        Ok(t) => t,
        Err(e) => {
            let month = f
                .period
                .parse::<tokentally_domain::transaction::Period>()
                .map(|p| p.month())
                .unwrap_or_else(|_| crate::app::reports::last_full_month());
            let mut errors = FieldErrors::new();
            errors.insert("form".into(), reason(&e));
            let p = model(&state, &user, month, form, errors, None).await?;
            return Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                Html(transactions_page(&viewer_of(&user), p)),
            )
                .into_response());
        }
    };
    may_report(&user.principal, &t.team)?;
    record(&state, &user.principal.name, &t).await?;
    Ok(Redirect::to(&format!("/transactions?month={}&saved=1", t.period.month())).into_response())
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct CsvPost {
    pub csv: String,
}

/// A pasted CSV of reports: all stored, or none with the first bad line named (a line for a
/// team the user may not report for answers 403, like the single form).
pub async fn post_csv(
    State(state): State<AppState>,
    CsrfForm { user, form: f }: CsrfForm<CsvPost>,
) -> Result<Response, PageError> {
    user.principal.ensure(Capability::ReportTransactions)?;
    let all = match parse_csv(&user.principal, &f.csv, &state.config.currency) {
        Ok(all) => all,
        Err(e @ AppError::Forbidden(_)) => return Err(e.into()),
        Err(e) => {
            let month = crate::app::reports::last_full_month();
            let mut errors = FieldErrors::new();
            errors.insert("form".into(), reason(&e));
            let form = TransactionForm {
                period: month.to_string(),
                csv: f.csv.clone(),
                ..TransactionForm::default()
            };
            let p = model(&state, &user, month, form, errors, None).await?;
            return Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                Html(transactions_page(&viewer_of(&user), p)),
            )
                .into_response());
        }
    };
    record_all(&state, &user.principal.name, &all).await?;
    let month = all[0].period.month();
    Ok(Redirect::to(&format!("/transactions?month={month}&saved={}", all.len())).into_response())
}
