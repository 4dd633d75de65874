//! `GET /alerts` (acknowledge, evaluate now, the webhook, the anomaly thresholds) and `GET`/`POST /budgets`. Readers see them (a lead: their teams only); changes check roles and CSRF.

use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use tokentally_domain::month::Month;
use tokentally_web::pages::alerts_page::{
    AlertRow, AlertsPage, BudgetsPage, DeliveryRow, alerts_page, budgets_page,
};
use tokentally_web::stamp::Stamp;

use super::{PageError, viewer_of};
use crate::app::AppError;
use crate::app::governance;
use crate::app::governance::alerts::{acknowledge_as, visible_alerts};
use crate::app::governance::budgets::{NewBudget, record};
use crate::app::governance::settings::{anomaly_from_text, set_anomaly_as, set_webhook_as};
use crate::auth::Capability;
use crate::http::MonthQuery;
use crate::http::error::ApiError;
use crate::http::extract::{CsrfForm, NoFields, PageUser};
use crate::state::AppState;

fn when(ms: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

#[derive(Debug, Deserialize, Default)]
pub struct Notice {
    pub month: Option<String>,
    pub saved: Option<String>,
}

pub async fn page(
    State(state): State<AppState>,
    user: PageUser,
    Query(q): Query<Notice>,
) -> Result<Html<String>, PageError> {
    let p = &user.principal;
    let alerts = visible_alerts(&state, p).await?;
    let may_ack = p.may(Capability::AcknowledgeAlerts);
    let webhook = if p.may(Capability::Administer) {
        let hook = governance::webhook(&state.store).await?;
        let deliveries = state.store.list_deliveries(50).await?;
        Some((
            hook.url,
            deliveries
                .into_iter()
                .map(|d| DeliveryRow {
                    alert_id: d.alert_id,
                    status: d.status,
                    attempts: d.attempts,
                    last: match (d.last_code, d.last_error) {
                        (_, Some(e)) => e,
                        (Some(c), None) => c.to_string(),
                        (None, None) => "–".into(),
                    },
                })
                .collect(),
        ))
    } else {
        None
    };
    let anomaly = if p.may(Capability::Administer) {
        Some(governance::anomaly_settings(&state.store).await?)
    } else {
        None
    };
    let page = AlertsPage {
        anomaly,
        alerts: alerts
            .into_iter()
            .map(|a| AlertRow {
                id: a.id,
                kind: a.kind,
                subject: format!("{} {}", a.scope, a.subject),
                team: a.team,
                period: a.period,
                detail: a.detail,
                first_seen: when(a.first_seen_ms),
                acknowledged: a.ack_by.map(|by| Stamp {
                    by,
                    at: when(a.ack_ms.unwrap_or_default()),
                }),
                may_acknowledge: may_ack,
            })
            .collect(),
        may_evaluate: p.may(Capability::Govern),
        digest_month: crate::app::reports::last_full_month(),
        webhook,
        notice: q.saved.map(|s| format!("Done: {s}.")),
        error: None,
    };
    Ok(Html(alerts_page(&viewer_of(&user), page)))
}

pub async fn post_acknowledge(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm { user, .. }: CsrfForm<NoFields>,
) -> Result<Response, PageError> {
    acknowledge_as(&state, &user.principal, id).await?;
    Ok(Redirect::to("/alerts?saved=acknowledged").into_response())
}

pub async fn post_evaluate(
    State(state): State<AppState>,
    CsrfForm { user, .. }: CsrfForm<NoFields>,
) -> Result<Response, PageError> {
    user.principal.ensure(Capability::Govern)?;
    governance::evaluate(&state, governance::today())
        .await
        .map_err(ApiError::Internal)?;
    Ok(Redirect::to("/alerts?saved=evaluated").into_response())
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct DigestPost {
    pub month: String,
}

/// The digest form: sends the month's digest now and says to how many it went.
pub async fn post_digest(
    State(state): State<AppState>,
    CsrfForm { user, form: f }: CsrfForm<DigestPost>,
) -> Result<Response, PageError> {
    user.principal.ensure(Capability::Govern)?;
    let month = month_in(Some(f.month))?;
    let r = Box::pin(crate::app::notify::digest::send_as(
        &state,
        &user.principal,
        month,
    ))
    .await?;
    let done = if r.failed == 0 {
        format!("the {month} digest went to {} people", r.sent)
    } else {
        format!(
            "the {month} digest went to {} people and failed for {} (see the server log)",
            r.sent, r.failed
        )
    };
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("saved", &done)
        .finish();
    Ok(Redirect::to(&format!("/alerts?{query}")).into_response())
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct WebhookPost {
    pub url: String,
}

pub async fn post_webhook(
    State(state): State<AppState>,
    CsrfForm { user, form: f }: CsrfForm<WebhookPost>,
) -> Result<Response, PageError> {
    set_webhook_as(&state, &user.principal, &f.url).await?;
    Ok(Redirect::to("/alerts?saved=webhook").into_response())
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct AnomalyPost {
    pub z_threshold: String,
    pub min_amount: String,
    pub min_days: String,
}

/// The anomaly thresholds (admins): a field that is empty, not a number or out of range is
/// refused (422, with the field named) and nothing changes.
pub async fn post_anomaly(
    State(state): State<AppState>,
    CsrfForm { user, form: f }: CsrfForm<AnomalyPost>,
) -> Result<Response, PageError> {
    user.principal.ensure(Capability::Administer)?;
    let settings = anomaly_from_text(&f.z_threshold, &f.min_amount, &f.min_days)?;
    set_anomaly_as(&state, &user.principal, settings).await?;
    Ok(Redirect::to("/alerts?saved=anomaly%20thresholds").into_response())
}

fn month_in(m: Option<String>) -> Result<Month, PageError> {
    MonthQuery {
        month: m.filter(|m| !m.is_empty()),
    }
    .month()
    .map_err(PageError::from)
}

pub async fn budgets(
    State(state): State<AppState>,
    user: PageUser,
    Query(q): Query<Notice>,
) -> Result<Html<String>, PageError> {
    user.principal.ensure(Capability::ReadReports)?;
    let month = month_in(q.month)?;
    let views = governance::budgets(&state, month, &user.principal).await?;
    let page = BudgetsPage {
        month,
        months: state.store.list_months().await?,
        currency: state.config.currency.clone(),
        budgets: views.into_iter().map(|v| v.status).collect(),
        may_edit: user.principal.may(Capability::ManageCosts),
        notice: q.saved.map(|s| format!("Saved: {s}.")),
        error: None,
        team_names: crate::app::catalog::team_names(&state).await?,
        feature_names: crate::app::catalog::feature_names(&state).await?,
    };
    Ok(Html(budgets_page(&viewer_of(&user), page)))
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct BudgetPost {
    pub month: String,
    pub scope: String,
    pub subject: String,
    pub feature: String,
    pub amount: String,
    pub thresholds: String,
    /// `yes` when the box "every month from this one" is ticked.
    pub recurring: String,
}

pub async fn post_budget(
    State(state): State<AppState>,
    CsrfForm { user, form: f }: CsrfForm<BudgetPost>,
) -> Result<Response, PageError> {
    user.principal.ensure(Capability::ManageCosts)?;
    let parsed = (|| {
        let month: Month = f
            .month
            .parse()
            .map_err(|_| AppError::invalid(format!("`{}` is not a month", f.month)))?;
        let amount = tokentally_domain::typed_amount::parse_typed_amount(&f.amount)
            .map_err(AppError::invalid)?;
        let thresholds = f
            .thresholds
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.trim_end_matches('%').parse().map_err(|_| {
                    AppError::invalid(format!("threshold `{s}` is not a whole percent"))
                })
            })
            .collect::<Result<Vec<u32>, _>>()?;
        let key = f.scope == "key";
        NewBudget {
            month,
            scope: Some(f.scope.clone()).filter(|s| !s.is_empty()),
            team: (!key).then(|| f.subject.clone()),
            feature: Some(f.feature.clone()).filter(|s| !s.trim().is_empty()),
            api_key: key.then(|| f.subject.clone()),
            amount,
            thresholds: Some(thresholds),
            recurring: f.recurring == "yes",
        }
        .into_budget()
    })();
    let b = parsed?;
    // Owners come from the lists: a typo must not budget a team or feature nobody has.
    if b.scope != tokentally_domain::budget::Scope::Key {
        crate::app::catalog::require_existing_team(&state, &b.subject).await?;
    }
    if b.scope == tokentally_domain::budget::Scope::Feature {
        crate::app::catalog::require_existing_feature(&state, &b.subject, &b.feature).await?;
    }
    record(&state, &user.principal.name, &b).await?;
    Ok(Redirect::to(&format!("/budgets?month={}&saved=budget", b.month)).into_response())
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct CopyBudgetsPost {
    pub from: String,
    pub to: String,
}

/// "Copy last month's budgets": every budget in force in `from` that `to` lacks.
pub async fn post_copy_budgets(
    State(state): State<AppState>,
    CsrfForm { user, form: f }: CsrfForm<CopyBudgetsPost>,
) -> Result<Response, PageError> {
    user.principal.ensure(Capability::ManageCosts)?;
    let month = |s: &str| -> Result<Month, AppError> {
        s.parse()
            .map_err(|_| AppError::invalid(format!("`{s}` is not a month")))
    };
    let (from, to) = (month(&f.from)?, month(&f.to)?);
    let copied =
        crate::app::governance::budgets::copy(&state, &user.principal.name, from, to).await?;
    Ok(Redirect::to(&format!(
        "/budgets?month={to}&saved={}+budgets+copied+from+{from}",
        copied.len()
    ))
    .into_response())
}
