//! `GET /api/v1/models?month=`: every model and provider of the month (readers; a lead sees
//! their teams' part): token cost, tokens by class, requests, successes, success rate, cost
//! per successful outcome, and the teams using each model.

use axum::Json;
use axum::extract::{Query, State};
use axum::http::HeaderMap;

use crate::app::models::{ModelsReport, models};
use crate::app::reports::MonthContext;
use crate::auth::{Capability, Principal};
use crate::http::MonthQuery;
use crate::http::api::asks_for_fresh;
use crate::http::error::ApiError;
use crate::state::AppState;

pub async fn get(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    Query(q): Query<MonthQuery>,
) -> Result<Json<ModelsReport>, ApiError> {
    principal.ensure(Capability::ReadReports)?;
    let month = q.month()?;
    let ctx = Box::pin(MonthContext::load_with_users(
        &state,
        month,
        asks_for_fresh(&headers),
    ))
    .await?;
    let keep = |p: &tokentally_domain::showback::Point<'_>| principal.may_read_team(&p.owner.team);
    Ok(Json(models(&ctx, &state.config.currency, &keep)))
}
