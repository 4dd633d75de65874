//! The FOCUS downloads: `GET /api/v1/export/focus?month=&version=` (cost and usage, FOCUS
//! 1.2 or 1.3), and FOCUS 1.4's `GET /api/v1/export/focus/billing-periods?from=&to=` and
//! `GET /api/v1/export/focus/invoice-details?month=` and (FOCUS 1.3)
//! `GET /api/v1/export/focus/contract-commitments?month=`. Each holds every team, so only those
//! who read the whole organisation may download them; each states its FOCUS version in the
//! `x-focus-version` header.

use axum::extract::{Query, State};
use axum::http::header::HeaderValue;
use axum::response::Response;
use serde::Deserialize;
use tokentally_domain::focus::{self, Version};
use tokentally_domain::focus_datasets;
use tokentally_domain::month::Month;

use crate::app::{focus as use_case, statements};
use crate::auth::{Capability, Principal};
use crate::http::MonthQuery;
use crate::http::csv::Csv;
use crate::http::error::ApiError;
use crate::state::AppState;

/// The header that states the FOCUS version of a download (FOCUS's FocusVersion metadata).
pub const FOCUS_VERSION_HEADER: &str = "x-focus-version";

fn may_download(principal: &Principal) -> Result<(), ApiError> {
    principal.ensure(Capability::ReadReports)?;
    if principal.sees_everything() {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "the FOCUS export holds every team; a lead reads their own statements".into(),
        ))
    }
}

fn download(csv: Csv, filename: &str, version: &'static str) -> Response {
    let mut response = csv.into_download(filename);
    response
        .headers_mut()
        .insert(FOCUS_VERSION_HEADER, HeaderValue::from_static(version));
    response
}

fn month_of(s: &str, what: &str) -> Result<Month, ApiError> {
    s.parse()
        .map_err(|e: tokentally_domain::month::MonthParseError| {
            ApiError::BadRequest(format!("`{what}`: {e}"))
        })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CostQuery {
    pub month: Option<String>,
    pub version: Option<String>,
}

/// The month's statements (issued, else draft; Unallocated included) as FOCUS cost-and-usage
/// rows, in the version asked for (default the newest).
pub async fn cost_and_usage(
    State(state): State<AppState>,
    principal: Principal,
    Query(q): Query<CostQuery>,
) -> Result<Response, ApiError> {
    may_download(&principal)?;
    let version = match q.version.as_deref() {
        None => Version::LATEST,
        Some(v) => v
            .parse()
            .map_err(|e: focus::UnknownVersion| ApiError::BadRequest(e.to_string()))?,
    };
    let month = MonthQuery { month: q.month }.month()?;
    let (_, all) = statements::month(&state, month).await?;
    let conversions =
        use_case::conversions(&state, &all.iter().map(|(_, s)| s).collect::<Vec<_>>()).await?;
    let issued: Vec<focus::Issued<'_>> = all
        .iter()
        .zip(&conversions)
        .map(|((c, s), conversion)| focus::Issued {
            statement: s,
            status: c.status,
            invoice_id: c.version.map(|v| use_case::invoice_id(&s.team, s.month, v)),
            conversion: conversion.as_ref(),
        })
        .collect();
    let account = focus::Account {
        id: focus::ISSUER,
        name: focus::ISSUER,
    };
    let mut csv = Csv::new(&version.columns());
    for row in focus::rows(&issued, &account, version) {
        csv.row_exact(row);
    }
    Ok(download(
        csv,
        &format!("focus-{}-{month}.csv", version.as_str()),
        version.as_str(),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeriodsQuery {
    pub from: Option<String>,
    pub to: Option<String>,
}

/// FOCUS 1.4 Billing Period: each month from `from` to `to` (default the twelve months up to
/// this one), Closed once the month is closed.
pub async fn billing_periods(
    State(state): State<AppState>,
    principal: Principal,
    Query(q): Query<PeriodsQuery>,
) -> Result<Response, ApiError> {
    may_download(&principal)?;
    let now = chrono::Utc::now();
    let to = match &q.to {
        Some(t) => month_of(t, "to")?,
        None => Month::of(now.date_naive()),
    };
    let from = match &q.from {
        Some(f) => month_of(f, "from")?,
        None => (0..11).fold(to, |m, _| m.previous()),
    };
    let periods = use_case::billing_periods(&state, from, to).await?;
    let mut csv = Csv::new(focus_datasets::BILLING_PERIOD_COLUMNS);
    for row in focus_datasets::billing_periods(&periods, now) {
        csv.row_exact(row);
    }
    Ok(download(
        csv,
        &format!("focus-billing-periods-{from}-{to}.csv"),
        "1.4",
    ))
}

/// FOCUS 1.4 Invoice Detail: every line of the month's issued (and voided) statements.
pub async fn invoice_details(
    State(state): State<AppState>,
    principal: Principal,
    Query(q): Query<MonthQuery>,
) -> Result<Response, ApiError> {
    may_download(&principal)?;
    let month = q.month()?;
    let stored = use_case::invoices(&state, month).await?;
    let conversions = use_case::conversions(
        &state,
        &stored.iter().map(|i| &i.statement).collect::<Vec<_>>(),
    )
    .await?;
    let invoices: Vec<focus_datasets::Invoice<'_>> = stored
        .iter()
        .zip(&conversions)
        .map(|(i, conversion)| focus_datasets::Invoice {
            statement: &i.statement,
            invoice_id: i.invoice_id.clone(),
            issued_at: i.issued_at,
            voided_at: i.voided_at,
            corrects: i.corrects.clone(),
            conversion: conversion.as_ref(),
        })
        .collect();
    let mut csv = Csv::new(focus_datasets::INVOICE_DETAIL_COLUMNS);
    for row in focus_datasets::invoice_details(&invoices, focus::ISSUER) {
        csv.row_exact(row);
    }
    Ok(download(
        csv,
        &format!("focus-invoice-details-{month}.csv"),
        "1.4",
    ))
}

/// FOCUS 1.3 Contract Commitment: the month's commitments, joining the cost-and-usage rows
/// on ContractCommitmentId.
pub async fn contract_commitments(
    State(state): State<AppState>,
    principal: Principal,
    Query(q): Query<MonthQuery>,
) -> Result<Response, ApiError> {
    may_download(&principal)?;
    let month = q.month()?;
    let commitments = use_case::commitments(&state, month).await?;
    let mut csv = Csv::new(focus_datasets::CONTRACT_COMMITMENT_COLUMNS);
    for row in focus_datasets::contract_commitments(&commitments, &state.config.currency) {
        csv.row_exact(row);
    }
    Ok(download(
        csv,
        &format!("focus-contract-commitments-{month}.csv"),
        "1.3",
    ))
}
