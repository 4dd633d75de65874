//! `GET /scorecard?month=` and its forms: publish the showback (admin, finance), unit-cost
//! targets (admin, finance), thresholds (admin). Readers see the page; a lead sees their
//! teams only.

use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use tokentally_domain::month::Month;
use tokentally_domain::scorecard::Thresholds;
use tokentally_web::pages::scorecard_page::{ScorecardPage, scorecard_page};

use super::{PageError, reason, viewer_of};
use crate::app::AppError;
use crate::app::governance;
use crate::app::governance::settings::{NewTarget, publish_as, set_target_as, set_thresholds_as};
use crate::auth::Capability;
use crate::http::MonthQuery;
use crate::http::error::ApiError;
use crate::http::extract::{CsrfForm, PageUser};
use crate::state::AppState;

#[derive(Debug, Deserialize, Default)]
pub struct PageQuery {
    pub month: Option<String>,
    pub saved: Option<String>,
}

pub async fn page(
    State(state): State<AppState>,
    user: PageUser,
    Query(q): Query<PageQuery>,
) -> Result<Html<String>, PageError> {
    user.principal.ensure(Capability::ReadReports)?;
    let month = MonthQuery {
        month: q.month.filter(|m| !m.is_empty()),
    }
    .month()?;
    let p = &user.principal;
    let (org, teams) = governance::scorecards(&state, month, p).await?;
    let mut history = Vec::new();
    let months = state.store.list_months().await?;
    let mut m = month;
    for _ in 0..12 {
        m = m.previous();
    }
    for _ in 0..12 {
        m = m.next();
        // A month without usage has no stage: nothing was there to be managed.
        if !months.contains(&m) {
            history.push((m, None, Vec::new()));
            continue;
        }
        let (o, ts) = if m == month {
            (org.clone(), teams.clone())
        } else {
            governance::scorecards(&state, m, p).await?
        };
        history.push((
            m,
            o.map(|c| c.stage),
            ts.into_iter().map(|c| (c.scope, c.stage)).collect(),
        ));
    }
    let page = ScorecardPage {
        month,
        months,
        org,
        teams,
        history,
        published: state
            .store
            .showback_publication(month)
            .await?
            .map(|(by, _)| by),
        thresholds: governance::thresholds(&state.store).await?,
        targets: state
            .store
            .list_unit_targets()
            .await?
            .into_iter()
            .filter(|t| p.may_read_team(&t.team))
            .collect(),
        may_publish: p.may(Capability::Govern),
        may_set_thresholds: p.may(Capability::Administer),
        notice: q.saved.map(|s| format!("Saved: {s}.")),
        error: None,
    };
    Ok(Html(scorecard_page(&viewer_of(&user), page)))
}

fn month_of(s: &str) -> Result<Month, PageError> {
    s.parse()
        .map_err(|_| PageError::from(ApiError::BadRequest(format!("`{s}` is not a month"))))
}

fn back(month: Month, what: &str) -> Response {
    Redirect::to(&format!("/scorecard?month={month}&saved={what}")).into_response()
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct PublishPost {
    pub month: String,
}

pub async fn post_publish(
    State(state): State<AppState>,
    CsrfForm { user, form: f }: CsrfForm<PublishPost>,
) -> Result<Response, PageError> {
    let month = month_of(&f.month)?;
    publish_as(&state, &user.principal, month).await?;
    Ok(back(month, "published"))
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct TargetPost {
    pub month: String,
    pub team: String,
    pub feature: String,
    pub target: String,
}

pub async fn post_target(
    State(state): State<AppState>,
    CsrfForm { user, form: f }: CsrfForm<TargetPost>,
) -> Result<Response, PageError> {
    let month = month_of(&f.month)?;
    let target = f.target.trim().parse().map_err(|_| {
        PageError::from(AppError::invalid(format!(
            "`{}` is not an amount",
            f.target
        )))
    })?;
    set_target_as(
        &state,
        &user.principal,
        NewTarget {
            team: f.team,
            feature: f.feature,
            target,
        },
    )
    .await?;
    Ok(back(month, "target"))
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct ThresholdsPost {
    pub month: String,
    pub max_unpriced_pct: String,
    pub min_feature_pct: String,
    pub min_outcome_pct: String,
    pub max_unallocated_pct: String,
    pub max_waste_pct: String,
    pub top_features: String,
}

pub async fn post_thresholds(
    State(state): State<AppState>,
    CsrfForm { user, form: f }: CsrfForm<ThresholdsPost>,
) -> Result<Response, PageError> {
    let month = month_of(&f.month)?;
    let pct = |s: &str, name: &str| {
        s.trim()
            .parse()
            .map_err(|_| AppError::invalid(format!("{name} `{s}` is not a number")))
    };
    let parsed = (|| {
        Ok::<_, ApiError>(Thresholds {
            max_unpriced_pct: pct(&f.max_unpriced_pct, "unpriced")?,
            min_feature_pct: pct(&f.min_feature_pct, "feature")?,
            min_outcome_pct: pct(&f.min_outcome_pct, "outcome")?,
            max_unallocated_pct: pct(&f.max_unallocated_pct, "unallocated")?,
            max_waste_pct: pct(&f.max_waste_pct, "waste")?,
            top_features: f.top_features.trim().parse().map_err(|_| {
                AppError::invalid(format!("top features `{}` is not a number", f.top_features))
            })?,
        })
    })();
    let t = parsed.map_err(|e| {
        let r = reason(&e);
        PageError::from(AppError::invalid(r))
    })?;
    set_thresholds_as(&state, &user.principal, t).await?;
    Ok(back(month, "thresholds"))
}
