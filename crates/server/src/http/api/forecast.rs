//! `GET /api/v1/forecast?month=&horizon=month_end|next_month|next_quarter`: conservative,
//! expected and peak spend per team and for the organisation (Σ teams exactly), with last
//! month's back-test.

use axum::Json;
use axum::extract::{Query, State};
use serde::Deserialize;
use tokentally_domain::forecast::Horizon;

use crate::app::governance::forecasts::{ForecastView, forecast_view};
use crate::auth::{Capability, Principal};
use crate::http::MonthQuery;
use crate::http::error::ApiError;
use crate::state::AppState;

#[derive(Debug, Deserialize)]
pub struct ForecastQuery {
    pub month: Option<String>,
    pub horizon: Option<String>,
}

pub async fn get(
    State(state): State<AppState>,
    principal: Principal,
    Query(q): Query<ForecastQuery>,
) -> Result<Json<ForecastView>, ApiError> {
    principal.ensure(Capability::ReadReports)?;
    // The month forecast from: the current one unless named.
    let month = match q.month.filter(|m| !m.is_empty()) {
        Some(m) => MonthQuery { month: Some(m) }.month()?,
        None => tokentally_domain::month::Month::of(crate::app::governance::today()),
    };
    let horizon = match q.horizon.as_deref().filter(|h| !h.is_empty()) {
        None => Horizon::MonthEnd,
        Some(h) => h
            .parse::<Horizon>()
            .map_err(|e| ApiError::BadRequest(e.to_string()))?,
    };
    Ok(Json(
        Box::pin(forecast_view(&state, month, horizon, &principal)).await?,
    ))
}
