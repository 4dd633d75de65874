//! Business transactions: `POST /api/v1/transactions` and `GET /api/v1/transactions?month=`.

use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use serde::Deserialize;
use tokentally_domain::transaction::{BusinessTransactions, Period};

use super::{JsonBody, MonthQuery};
use crate::auth::{Principal, Role};
use crate::error::ApiError;
use crate::startup::AppState;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewTransactions {
    /// `YYYY-MM`, or a day `YYYY-MM-DD`; `month` and `day` are accepted as its other names.
    pub period: Option<String>,
    pub month: Option<String>,
    pub day: Option<String>,
    pub team: String,
    pub feature: Option<String>,
    pub name: String,
    pub count: u64,
}

impl NewTransactions {
    pub fn into_domain(self) -> Result<BusinessTransactions, ApiError> {
        let period = match (self.period, self.month, self.day) {
            (Some(p), None, None) | (None, Some(p), None) | (None, None, Some(p)) => p,
            (None, None, None) => {
                return Err(ApiError::invalid(
                    "give the period: `month` (YYYY-MM) or `day` (YYYY-MM-DD)",
                ));
            }
            _ => {
                return Err(ApiError::invalid(
                    "give one of `period`, `month` or `day`, not several",
                ));
            }
        };
        let t = BusinessTransactions {
            period: period
                .parse::<Period>()
                .map_err(|e| ApiError::invalid(e.to_string()))?,
            team: self.team.trim().to_owned(),
            feature: self.feature.unwrap_or_default().trim().to_owned(),
            name: self.name.trim().to_owned(),
            count: self.count,
        };
        t.validate().map_err(|e| ApiError::invalid(e.to_string()))?;
        Ok(t)
    }
}

/// Who may report a team's transactions: admin and finance for any team, a lead for theirs.
pub fn may_report(principal: &Principal, team: &str) -> Result<(), ApiError> {
    principal.require(&[Role::Admin, Role::Finance, Role::Lead])?;
    if principal.may_read_team(team) {
        Ok(())
    } else {
        Err(ApiError::Forbidden(format!(
            "you may not report transactions for team `{team}`"
        )))
    }
}

pub async fn post(
    State(state): State<AppState>,
    principal: Principal,
    JsonBody(body): JsonBody<NewTransactions>,
) -> Result<(StatusCode, Json<BusinessTransactions>), ApiError> {
    let t = body.into_domain()?;
    may_report(&principal, &t.team)?;
    record(&state, &principal.name, &t).await?;
    Ok((StatusCode::CREATED, Json(t)))
}

/// Stores a report and audits it.
pub async fn record(
    state: &AppState,
    actor: &str,
    t: &BusinessTransactions,
) -> Result<(), ApiError> {
    let before = state.store.set_transactions(t).await?;
    state
        .store
        .add_audit(
            actor,
            "transactions.set",
            &format!(
                "transactions:{}:{}:{}:{}",
                t.period, t.team, t.feature, t.name
            ),
            before.map(|c| serde_json::json!({"count": c})),
            Some(serde_json::to_value(t).unwrap_or_default()),
        )
        .await?;
    Ok(())
}

pub async fn list(
    State(state): State<AppState>,
    principal: Principal,
    Query(q): Query<MonthQuery>,
) -> Result<Json<Vec<BusinessTransactions>>, ApiError> {
    principal.require_read()?;
    let mut all = state.store.list_transactions(q.month()?).await?;
    all.retain(|t| principal.may_read_team(&t.team));
    Ok(Json(all))
}
