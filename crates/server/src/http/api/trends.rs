//! `GET /api/v1/trends?metric=&team=&feature=&month=`: twelve months of a unit cost (cost
//! per successful outcome, cost per query, tokens per successful outcome) ending with `month`
//! (default: the last full month), for the organisation, a team or a feature. A month
//! without usage is `null`, never zero. Without `metric`, every metric's series.

use axum::Json;
use axum::extract::{Query, State};
use serde::{Deserialize, Serialize};
use tokentally_domain::month::Month;
use tokentally_domain::movement::Scope;
use tokentally_domain::trend::{Metric, Trend};

use crate::app::reports::last_full_month;
use crate::app::trends;
use crate::auth::Principal;
use crate::http::error::ApiError;
use crate::state::AppState;

#[derive(Debug, Deserialize)]
pub struct TrendQuery {
    pub metric: Option<String>,
    pub team: Option<String>,
    pub feature: Option<String>,
    pub month: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Value {
    pub month: Month,
    /// A decimal string; `null` for a month without usage (or without a successful outcome).
    pub value: Option<rust_decimal::Decimal>,
}

#[derive(Debug, Serialize)]
pub struct Series {
    pub metric: Metric,
    pub points: Vec<Value>,
}

#[derive(Debug, Serialize)]
pub struct TrendAnswer {
    pub scope: Scope,
    pub currency: String,
    pub from: Month,
    pub to: Month,
    /// The feature's unit-cost target (cost per successful outcome), and whether its latest
    /// month meets it.
    pub target: Option<rust_decimal::Decimal>,
    pub on_target: Option<bool>,
    pub series: Vec<Series>,
}

/// The answer for `metrics` of a trend.
pub fn answer(trend: Trend, metrics: &[Metric]) -> TrendAnswer {
    let on_target = trend.on_target();
    let series = metrics
        .iter()
        .map(|m| Series {
            metric: *m,
            points: trend
                .points
                .iter()
                .map(|p| Value {
                    month: p.month,
                    value: p.value(*m),
                })
                .collect(),
        })
        .collect();
    let first = trend.points.first().map(|p| p.month);
    let last = trend.points.last().map(|p| p.month);
    TrendAnswer {
        from: first.unwrap_or_else(last_full_month),
        to: last.unwrap_or_else(last_full_month),
        scope: trend.scope,
        currency: trend.currency,
        target: trend.target,
        on_target,
        series,
    }
}

pub async fn get(
    State(state): State<AppState>,
    principal: Principal,
    Query(q): Query<TrendQuery>,
) -> Result<Json<TrendAnswer>, ApiError> {
    let metrics = match q.metric.as_deref().filter(|m| !m.is_empty()) {
        Some(m) => vec![Metric::parse(m).map_err(|e| ApiError::BadRequest(e.to_string()))?],
        None => Metric::ALL.to_vec(),
    };
    let month = match q.month.as_deref().filter(|m| !m.is_empty()) {
        Some(m) => m
            .parse()
            .map_err(|e| ApiError::BadRequest(format!("`month`: {e}")))?,
        None => last_full_month(),
    };
    let scope = Scope::parse(q.team.as_deref(), q.feature.as_deref())
        .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let trend = trends::trend(&state, &principal, month, scope).await?;
    Ok(Json(answer(trend, &metrics)))
}
