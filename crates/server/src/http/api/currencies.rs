//! Currencies: `GET`/`POST /api/v1/fx-rates`, `POST /api/v1/fx-rates/import` (CSV),
//! `GET`/`POST /api/v1/currency` (the reporting currency), `POST
//! /api/v1/teams/{team}/currency` (a team's statement currency) and `GET
//! /api/v1/statements/{team}/{month}/converted?currency=`.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;
use tokentally_domain::fx::{ConvertedStatement, FxRate};
use tokentally_domain::month::Month;

use crate::app::currencies::{self, NewRate};
use crate::auth::{Capability, Principal};
use crate::http::JsonBody;
use crate::http::error::ApiError;
use crate::state::AppState;

fn require_org_reader(principal: &Principal) -> Result<(), ApiError> {
    principal.ensure(Capability::ReadReports)?;
    if principal.sees_everything() {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "exchange rates and currencies are the organisation's".into(),
        ))
    }
}

pub async fn post_rate(
    State(state): State<AppState>,
    principal: Principal,
    JsonBody(body): JsonBody<NewRate>,
) -> Result<(StatusCode, Json<FxRate>), ApiError> {
    principal.ensure(Capability::ManageCosts)?;
    let r = body.into_domain()?;
    currencies::set_rates(&state, &principal.name, std::slice::from_ref(&r)).await?;
    Ok((StatusCode::CREATED, Json(r)))
}

/// A CSV file of rates (`base,quote,month,rate,source`), stored whole or not at all.
pub async fn import_rates(
    State(state): State<AppState>,
    principal: Principal,
    body: String,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    principal.ensure(Capability::ManageCosts)?;
    let rates = currencies::parse_csv(&body)?;
    currencies::set_rates(&state, &principal.name, &rates).await?;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({"saved": rates.len()})),
    ))
}

pub async fn list_rates(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<Vec<FxRate>>, ApiError> {
    require_org_reader(&principal)?;
    Ok(Json(state.store.list_fx_rates().await?))
}

pub async fn get_currency(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<serde_json::Value>, ApiError> {
    require_org_reader(&principal)?;
    let teams: serde_json::Map<String, serde_json::Value> = state
        .store
        .team_currencies()
        .await?
        .into_iter()
        .map(|(t, c)| (t, c.into()))
        .collect();
    Ok(Json(serde_json::json!({
        "billing_currency": state.config.currency,
        "reporting_currency": state.store.reporting_currency().await?
            .unwrap_or_else(|| state.config.currency.clone()),
        "teams": teams,
    })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportingBody {
    pub reporting_currency: String,
}

pub async fn post_currency(
    State(state): State<AppState>,
    principal: Principal,
    JsonBody(body): JsonBody<ReportingBody>,
) -> Result<Json<serde_json::Value>, ApiError> {
    principal.ensure(Capability::ManageCosts)?;
    let c = currencies::set_reporting_currency(&state, &principal.name, &body.reporting_currency)
        .await?;
    Ok(Json(serde_json::json!({"reporting_currency": c})))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TeamBody {
    pub currency: Option<String>,
}

pub async fn post_team_currency(
    State(state): State<AppState>,
    principal: Principal,
    Path(team): Path<String>,
    JsonBody(body): JsonBody<TeamBody>,
) -> Result<Json<serde_json::Value>, ApiError> {
    principal.ensure(Capability::ManageCosts)?;
    let c = currencies::set_team_currency(&state, &principal.name, &team, body.currency.as_deref())
        .await?;
    Ok(Json(
        serde_json::json!({"team": team.trim(), "currency": c}),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConvertQuery {
    pub currency: Option<String>,
}

/// A team's statement in its statement currency (or `?currency=`), with the rate and source.
pub async fn converted(
    State(state): State<AppState>,
    principal: Principal,
    Path((team, month)): Path<(String, String)>,
    Query(q): Query<ConvertQuery>,
) -> Result<Json<serde_json::Value>, ApiError> {
    principal.ensure(Capability::ReadReports)?;
    if !principal.may_read_team(&team) {
        return Err(ApiError::Forbidden(format!(
            "you may not read team `{team}`'s statements"
        )));
    }
    let month: Month = month
        .parse()
        .map_err(|e: tokentally_domain::month::MonthParseError| {
            ApiError::BadRequest(e.to_string())
        })?;
    let c: ConvertedStatement =
        currencies::converted_statement(&state, &team, month, q.currency.as_deref()).await?;
    let reconciled = c.reconciled();
    let mut v = serde_json::to_value(&c)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("converted statement: {e}")))?;
    v["reconciled_billing_total"] = serde_json::Value::String(reconciled.to_string());
    Ok(Json(v))
}
