//! `GET /api/v1/movement?from=YYYY-MM&to=YYYY-MM[&team=&feature=]`: why the bill moved,
//! as parts (attribution, new, gone, volume, mix, price, overheads, commitments) that add up
//! to the change in blended cost to the cent. Without months: the last full month against
//! the one before.

use axum::Json;
use axum::extract::{Query, State};
use serde::Deserialize;
use tokentally_domain::month::Month;
use tokentally_domain::movement::{Movement, Scope};

use crate::app::movement;
use crate::app::reports::last_full_month;
use crate::auth::Principal;
use crate::http::error::ApiError;
use crate::state::AppState;

#[derive(Debug, Deserialize)]
pub struct MovementQuery {
    pub from: Option<String>,
    pub to: Option<String>,
    pub team: Option<String>,
    pub feature: Option<String>,
}

fn month(field: &str, value: Option<&str>) -> Result<Option<Month>, ApiError> {
    value
        .map(|v| {
            v.parse()
                .map_err(|e| ApiError::BadRequest(format!("`{field}`: {e}")))
        })
        .transpose()
}

pub async fn get(
    State(state): State<AppState>,
    principal: Principal,
    Query(q): Query<MovementQuery>,
) -> Result<Json<Movement>, ApiError> {
    let to = month("to", q.to.as_deref())?.unwrap_or_else(last_full_month);
    let from = month("from", q.from.as_deref())?.unwrap_or_else(|| to.previous());
    let scope = Scope::parse(q.team.as_deref(), q.feature.as_deref())
        .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    Ok(Json(
        movement::movement(&state, &principal, from, to, scope).await?,
    ))
}
