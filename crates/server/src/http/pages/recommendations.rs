//! `GET /recommendations` (ranked, filtered by team and lever; a lead sees their teams'),
//! `GET /recommendations.csv`, the accept and dismiss forms
//! (`POST /recommendations/{id}/accept|dismiss`, CSRF-checked), and `GET /waste`, which now
//! leads here.

use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use rust_decimal::Decimal;
use serde::Deserialize;
use tokentally_domain::month::Month;
use tokentally_domain::recommendation::Lever;
use tokentally_web::money::Money;
use tokentally_web::pages::breakdown_page::{Cell, PlainTable, Section};
use tokentally_web::pages::recommendations_page::{
    DecisionView, RecommendationRow, RecommendationsPage, recommendations_page,
};
use tokentally_web::pages::showback_page::urlencode;

use super::{PageError, viewer_of};
use crate::app::recommendations::{self, Decision, Filter, Listing};
use crate::auth::{Capability, Principal};
use crate::http::MonthQuery;
use crate::http::csv::{Csv, optional};
use crate::http::extract::{CsrfForm, PageUser};
use crate::state::AppState;

#[derive(Debug, Default, Deserialize)]
pub struct PageQuery {
    pub month: Option<String>,
    pub team: Option<String>,
    pub lever: Option<String>,
    pub saved: Option<String>,
}

async fn listing(
    state: &AppState,
    principal: &Principal,
    q: &PageQuery,
) -> Result<(Listing, Filter), PageError> {
    let month = MonthQuery {
        month: q.month.clone().filter(|m| !m.is_empty()),
    }
    .month()?;
    let filter = recommendations::filter(q.team.as_deref(), q.lever.as_deref())?;
    let listing = Box::pin(recommendations::list(state, principal, month, &filter)).await?;
    Ok((listing, filter))
}

/// Whether `principal` may decide on a recommendation of `team` (empty: the organisation's).
pub fn may_decide(principal: &Principal, team: &str) -> bool {
    principal.may(Capability::DecideRecommendations)
        && if team.is_empty() {
            principal.may(Capability::Govern)
        } else {
            principal.may_read_team(team)
        }
}

pub async fn page(
    State(state): State<AppState>,
    user: PageUser,
    Query(q): Query<PageQuery>,
) -> Result<Html<String>, PageError> {
    let (listing, filter) = listing(&state, &user.principal, &q).await?;
    let mut teams: Vec<String> = state
        .store
        .list_teams()
        .await?
        .into_iter()
        .map(|t| t.name)
        .filter(|t| user.principal.may_read_team(t))
        .collect();
    teams.sort();
    let rows = listing
        .items
        .into_iter()
        .map(|i| RecommendationRow {
            may_decide: may_decide(&user.principal, &i.recommendation.team),
            decision: i.decision.map(|d| DecisionView {
                decision: d.decision,
                note: d.note,
                by: d.decided_by,
                day: d.decided_day,
            }),
            recommendation: i.recommendation,
        })
        .collect();
    let page = RecommendationsPage {
        month: listing.month,
        months: state.store.list_months().await?,
        currency: listing.currency,
        rows,
        total: listing.total,
        ceiling: listing.token_cost + listing.commitments,
        teams,
        team: filter.team,
        lever: filter.lever,
        notice: q.saved.as_deref().map(|s| match s {
            "accepted" => "Accepted: it is followed from today.".to_owned(),
            "settings" => "Thresholds saved.".to_owned(),
            _ => "Dismissed.".to_owned(),
        }),
        error: None,
        settings: if user.principal.may(Capability::Administer) {
            Some(recommendations::settings(&state.store).await?)
        } else {
            None
        },
    };
    Ok(Html(recommendations_page(&viewer_of(&user), page)))
}

pub async fn csv(
    State(state): State<AppState>,
    user: PageUser,
    Query(q): Query<PageQuery>,
) -> Result<Response, PageError> {
    let (listing, _) = listing(&state, &user.principal, &q).await?;
    let mut csv = Csv::new(&[
        "id",
        "month",
        "lever",
        "team",
        "feature",
        "key",
        "model",
        "candidate",
        "action",
        "monthly_saving",
        "basis",
        "cost_per_success",
        "implied_cost_per_success",
        "break_even_success_pct",
        "evidence",
        "decision",
    ]);
    for i in &listing.items {
        let r = &i.recommendation;
        let evidence = r
            .evidence
            .iter()
            .map(|e| format!("{}: {}", e.label, e.value))
            .collect::<Vec<_>>()
            .join("; ");
        csv.row([
            r.id.clone(),
            r.month.to_string(),
            r.lever.to_string(),
            r.team.clone(),
            r.feature.clone(),
            r.key.clone(),
            r.model.clone(),
            r.candidate.clone().unwrap_or_default(),
            r.action.clone(),
            r.monthly_saving.to_string(),
            serde_json::to_value(r.basis)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            optional(r.cost_per_success),
            optional(r.implied_cost_per_success),
            optional(r.break_even_success_pct),
            evidence,
            i.decision
                .as_ref()
                .map(|d| d.decision.clone())
                .unwrap_or_default(),
        ]);
    }
    Ok(csv.into_download(&format!("recommendations-{}.csv", listing.month)))
}

#[derive(Debug, Deserialize)]
pub struct NoteForm {
    #[serde(default)]
    pub note: String,
}

async fn decide(
    state: &AppState,
    form: CsrfForm<NoteForm>,
    id: &str,
    decision: Decision,
) -> Result<Response, PageError> {
    let d = Box::pin(recommendations::decide(
        state,
        &form.user.principal,
        id,
        decision,
        &form.form.note,
    ))
    .await?;
    Ok(Redirect::to(&format!(
        "/recommendations?month={}&saved={}#r-{}",
        d.month, d.decision, d.id
    ))
    .into_response())
}

pub async fn accept(
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: CsrfForm<NoteForm>,
) -> Result<Response, PageError> {
    decide(&state, form, &id, Decision::Accepted).await
}

pub async fn dismiss(
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: CsrfForm<NoteForm>,
) -> Result<Response, PageError> {
    decide(&state, form, &id, Decision::Dismissed).await
}

/// The thresholds form (admins): each field as the API's settings take it; an unknown,
/// malformed or out-of-range field re-renders as a 422 and changes nothing.
pub async fn post_settings(
    State(state): State<AppState>,
    form: CsrfForm<std::collections::BTreeMap<String, String>>,
) -> Result<Response, PageError> {
    let mut patch = serde_json::Map::new();
    for (name, value) in form.form.into_iter().filter(|(n, _)| n != "csrf") {
        let value = value.trim().to_owned();
        let json = if name == "not_latency_bound" {
            let list: Vec<serde_json::Value> = value
                .split(',')
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(|v| {
                    let (team, feature) = v.split_once('/').unwrap_or((v, ""));
                    serde_json::json!({"team": team.trim(), "feature": feature.trim()})
                })
                .collect();
            serde_json::Value::Array(list)
        } else if let Ok(n) = value.parse::<i64>() {
            serde_json::Value::from(n)
        } else {
            serde_json::Value::String(value)
        };
        patch.insert(name, json);
    }
    recommendations::patch_settings_as(&state, &form.user.principal, patch).await?;
    Ok(Redirect::to("/recommendations?saved=settings").into_response())
}

/// The old waste page's address leads to the recommendations of the same month.
pub async fn waste(Query(q): Query<MonthQuery>) -> Redirect {
    match q.month {
        Some(m) if m.parse::<tokentally_domain::month::Month>().is_ok() => {
            Redirect::permanent(&format!("/recommendations?month={m}"))
        }
        _ => Redirect::permanent("/recommendations"),
    }
}

/// How many recommendations a team or feature page shows.
const TOP: usize = 3;

/// The top recommendations of a team (or one of its features) for its page: the counted ones,
/// largest saving first, each linking to its row (evidence, accept, dismiss) on the list.
pub async fn top_section(
    state: &AppState,
    user: &PageUser,
    month: Month,
    team: &str,
    feature: Option<&str>,
) -> Result<Section, PageError> {
    let filter = Filter {
        team: Some(team.to_owned()),
        lever: None,
    };
    let listing = Box::pin(recommendations::list(
        state,
        &user.principal,
        month,
        &filter,
    ))
    .await?;
    let cur = &listing.currency;
    let rows = listing
        .items
        .iter()
        .map(|i| &i.recommendation)
        .filter(|r| r.counts() && !r.monthly_saving.is_zero())
        .filter(|r| feature.is_none_or(|f| r.feature == f))
        .take(TOP)
        .map(|r| {
            (
                Some(format!(
                    "/recommendations?month={month}&team={}#r-{}",
                    urlencode(team),
                    r.id
                )),
                vec![
                    Cell::Text(r.lever.label().to_owned()),
                    Cell::Text(r.action.clone()),
                    Cell::Money(Money::new(r.monthly_saving, cur)),
                ],
            )
        })
        .collect();
    Ok(Section::Plain(PlainTable {
        id: "recommendations".into(),
        title: "Top recommendations".into(),
        headers: vec![
            ("Lever".into(), false),
            ("What to do".into(), false),
            ("Saving / month".into(), true),
        ],
        rows,
        empty: "Nothing to recommend this month.".into(),
    }))
}

/// A feature's accepted recommendations and how they paid: cost per success and tokens per
/// outcome since the accept day against the 30 days before, realised against expected.
pub async fn followed_section(
    state: &AppState,
    user: &PageUser,
    team: &str,
    feature: &str,
) -> Result<Section, PageError> {
    let cur = state.config.currency.clone();
    let followed = Box::pin(recommendations::followed(
        state,
        &user.principal,
        team,
        feature,
    ))
    .await?;
    let money =
        |d: Option<Decimal>| d.map_or(Cell::Blank, |d| Cell::Money(Money::new(d, cur.clone())));
    let text = |d: Option<Decimal>| d.map_or(Cell::Blank, |d| Cell::Text(d.to_string()));
    let rows = followed
        .into_iter()
        .map(|(d, f)| {
            (
                None,
                vec![
                    Cell::Date(f.accepted_on),
                    Cell::Text(
                        d.lever
                            .parse::<Lever>()
                            .map_or(d.lever.clone(), |l| l.label().to_owned()),
                    ),
                    money(f.before.cost_per_success),
                    money(f.after.cost_per_success),
                    text(f.before.tokens_per_outcome),
                    text(f.after.tokens_per_outcome),
                    money(Some(f.expected)),
                    money(f.realised),
                ],
            )
        })
        .collect();
    Ok(Section::Plain(PlainTable {
        id: "followed".into(),
        title: "Accepted recommendations: did they pay?".into(),
        headers: vec![
            ("Accepted".into(), false),
            ("Lever".into(), false),
            ("Cost per success, 30 days before".into(), true),
            ("Cost per success since".into(), true),
            ("Tokens per outcome before".into(), true),
            ("Tokens per outcome since".into(), true),
            ("Expected saving since".into(), true),
            ("Realised saving since".into(), true),
        ],
        rows,
        empty: "No accepted recommendation on this feature.".into(),
    }))
}
