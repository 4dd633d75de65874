//! `GET /api/v1/teams/{team}/features/{feature}/users?month=[&limit=&format=csv]`: the
//! feature's users in the month, heaviest (largest token cost) first, with their share of the
//! feature's token cost. `format=csv` downloads every user.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::customers::{limit, wants_csv};
use crate::app::feature_users::feature_users;
use crate::auth::Principal;
use crate::http::MonthQuery;
use crate::http::csv::{Csv, TOKEN_HEADERS, optional, token_cells};
use crate::http::error::ApiError;
use crate::state::AppState;

#[derive(Debug, Deserialize)]
pub struct FeatureUsersQuery {
    pub month: Option<String>,
    /// At most this many users in JSON (default 100, at most 10,000).
    pub limit: Option<String>,
    /// `csv` for a download of every user.
    pub format: Option<String>,
}

pub async fn get(
    State(state): State<AppState>,
    principal: Principal,
    Path((team, feature)): Path<(String, String)>,
    Query(q): Query<FeatureUsersQuery>,
) -> Result<Response, ApiError> {
    let month = MonthQuery { month: q.month }.month()?;
    let limit = limit(q.limit.as_deref())?;
    let csv = wants_csv(q.format.as_deref())?;
    let mut view = feature_users(&state, &principal, month, &team, &feature).await?;
    if csv {
        let headers: Vec<&str> = [
            "month",
            "team",
            "feature",
            "user",
            "token_cost",
            "share_of_feature_cost",
            "requests",
            "events",
        ]
        .into_iter()
        .chain(TOKEN_HEADERS)
        .chain(["currency"])
        .collect();
        let mut out = Csv::new(&headers);
        for u in &view.users {
            let mut row = vec![
                month.to_string(),
                view.team.clone(),
                view.feature.clone(),
                u.user.clone(),
                u.token_cost.to_string(),
                optional(u.share_of_feature_cost),
                u.requests.to_string(),
                u.events.to_string(),
            ];
            row.extend(token_cells(&u.tokens));
            row.push(view.currency.clone());
            out.row(row);
        }
        return Ok(out.into_download(&format!("users-{team}-{feature}-{month}.csv")));
    }
    view.users.truncate(limit);
    Ok(Json(view).into_response())
}
