//! `GET /api/v1/planning/scenarios?team=&feature=&model=&volume=&tokens_per_interaction=
//! [&overhead_multiplier=&spread_pct=&tier=]`: a feature's month at a planned volume in
//! three scenarios, on the model's card (a lead plans for their own teams); and
//! `GET /api/v1/planning/commitment-sizing?model=[&fee_per_million=]`: the capacity that
//! would have cost least over the last 90 days (those who read the whole organisation).

use axum::Json;
use axum::extract::{Query, State};

use crate::app::governance::today;
use crate::app::planning::{self, PlanFields, ScenarioAnswer, SizingAnswer, SizingFields};
use crate::auth::{Capability, Principal};
use crate::http::error::ApiError;
use crate::state::AppState;

pub async fn scenarios(
    State(state): State<AppState>,
    principal: Principal,
    Query(q): Query<PlanFields>,
) -> Result<Json<ScenarioAnswer>, ApiError> {
    principal.ensure(Capability::ReadReports)?;
    let req = q.parse().map_err(|(_, m)| ApiError::BadRequest(m))?;
    Ok(Json(
        planning::scenarios(&state, &principal, &req, today()).await?,
    ))
}

pub async fn commitment_sizing(
    State(state): State<AppState>,
    principal: Principal,
    Query(q): Query<SizingFields>,
) -> Result<Json<SizingAnswer>, ApiError> {
    principal.ensure(Capability::ReadReports)?;
    let (model, fee) = q.parse().map_err(|(_, m)| ApiError::BadRequest(m))?;
    Ok(Json(
        planning::commitment_sizing(&state, &principal, &model, fee, today()).await?,
    ))
}
