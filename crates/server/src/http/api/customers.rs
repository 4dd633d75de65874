//! `GET /api/v1/customers?month=[&team=&feature=&limit=&format=csv]`: each customer's token
//! cost in the month, largest first; with `team` (and `feature`), that team's (feature's) top
//! customers. `format=csv` downloads every customer.

use axum::Json;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::app::customers::{MAX_LIMIT, customers};
use crate::auth::Principal;
use crate::http::MonthQuery;
use crate::http::csv::{Csv, TOKEN_HEADERS, token_cells};
use crate::http::error::ApiError;
use crate::state::AppState;

#[derive(Debug, Deserialize)]
pub struct CustomersQuery {
    pub month: Option<String>,
    pub team: Option<String>,
    pub feature: Option<String>,
    /// At most this many customers in JSON (default 100, at most 10,000).
    pub limit: Option<String>,
    /// `csv` for a download of every customer.
    pub format: Option<String>,
}

pub async fn get(
    State(state): State<AppState>,
    principal: Principal,
    Query(q): Query<CustomersQuery>,
) -> Result<Response, ApiError> {
    let month = MonthQuery { month: q.month }.month()?;
    let limit = limit(q.limit.as_deref())?;
    let csv = wants_csv(q.format.as_deref())?;
    let mut view = customers(&state, &principal, month, q.team, q.feature).await?;
    if csv {
        let headers: Vec<&str> = ["month", "customer", "token_cost", "requests", "events"]
            .into_iter()
            .chain(TOKEN_HEADERS)
            .chain(["teams", "currency"])
            .collect();
        let mut out = Csv::new(&headers);
        for c in &view.customers {
            let mut row = vec![
                month.to_string(),
                c.customer.clone(),
                c.token_cost.to_string(),
                c.requests.to_string(),
                c.events.to_string(),
            ];
            row.extend(token_cells(&c.tokens));
            let mut teams: Vec<&str> = c.owners.iter().map(|o| o.team.as_str()).collect();
            teams.dedup();
            row.push(teams.join(" "));
            row.push(view.currency.clone());
            out.row(row);
        }
        return Ok(out.into_download(&format!("customers-{month}.csv")));
    }
    view.customers.truncate(limit);
    Ok(Json(view).into_response())
}

/// `limit`: 1 to [`MAX_LIMIT`], 100 when absent.
pub(super) fn limit(l: Option<&str>) -> Result<usize, ApiError> {
    match l.filter(|l| !l.is_empty()) {
        None => Ok(100),
        Some(l) => l
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_LIMIT).contains(n))
            .ok_or_else(|| {
                ApiError::BadRequest(format!(
                    "`limit` must be a whole number from 1 to {MAX_LIMIT}, got `{l}`"
                ))
            }),
    }
}

/// `format`: whether it asks for CSV (`json` or nothing: JSON).
pub(super) fn wants_csv(f: Option<&str>) -> Result<bool, ApiError> {
    match f {
        None | Some("") | Some("json") => Ok(false),
        Some("csv") => Ok(true),
        Some(f) => Err(ApiError::BadRequest(format!(
            "`format` must be `json` or `csv`, got `{f}`"
        ))),
    }
}
