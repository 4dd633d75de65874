//! `GET /transactions` and `POST /transactions`: business transactions per team and feature.
//! Admin and finance report for any team, a lead for theirs; viewers only read.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use tokentally_domain::month::Month;
use tokentally_web::components::form::FieldErrors;
use tokentally_web::pages::transactions_page::{
    TransactionForm, TransactionRow, TransactionsPage, transactions_page,
};

use super::{PageError, reason, viewer_of};
use crate::app::AppError;
use crate::app::transactions::{NewTransactions, may_report, record};
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
    let notice = q.saved.map(|_| "Count saved.".to_owned());
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
        }
        .into_domain()
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
