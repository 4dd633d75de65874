//! `GET /` (the showback page) and `GET /showback.csv`.

use axum::extract::{Query, State};
use axum::response::{Html, Response};
use rust_decimal::Decimal;
use serde::Deserialize;
use tokentally_domain::month::Month;
use tokentally_domain::movement::Scope;
use tokentally_domain::showback::Showback;
use tokentally_web::components::EnvironmentFilter;
use tokentally_web::pages::showback_page::{
    MonthTotals, OwnBudget, OwnBudgets, ShowbackPage, SortKey, TeamBudget, showback_page,
    sort_teams,
};

use super::{PageError, viewer_of};
use crate::app::environments::{self, Narrowed};
use crate::app::reports;
use crate::app::reports::last_full_month;
use crate::http::csv::{Csv, TOKEN_HEADERS, optional, token_cells};
use crate::http::error::ApiError;
use crate::http::extract::PageUser;
use crate::state::AppState;

#[derive(Debug, Deserialize, Default)]
pub struct ShowbackQuery {
    pub month: Option<String>,
    pub sort: Option<String>,
    pub dir: Option<String>,
    /// `unpriced` for the unpriced-usage table, `movement` for why the bill moved, `trend`
    /// for unit costs over 12 months; the team table otherwise.
    pub table: Option<String>,
    /// One environment's part of the month; all environments when absent or empty.
    pub env: Option<String>,
    /// The team table's filter: only teams whose name holds it (case aside) are listed, on
    /// the page and in its CSV.
    pub q: Option<String>,
}

impl ShowbackQuery {
    fn environment(&self) -> Option<&str> {
        self.env.as_deref().filter(|e| !e.is_empty())
    }

    fn filter(&self) -> Option<String> {
        self.q
            .as_deref()
            .map(str::trim)
            .filter(|q| !q.is_empty())
            .map(str::to_owned)
    }

    fn month(&self) -> Result<Month, ApiError> {
        match self.month.as_deref().filter(|m| !m.is_empty()) {
            Some(m) => m
                .parse()
                .map_err(|e: tokentally_domain::month::MonthParseError| {
                    ApiError::BadRequest(e.to_string())
                }),
            None => Ok(last_full_month()),
        }
    }

    fn order(&self) -> Result<(SortKey, bool), ApiError> {
        let key = match self.sort.as_deref() {
            None | Some("") => SortKey::Blended,
            Some(s) => SortKey::parse(s)
                .ok_or_else(|| ApiError::BadRequest(format!("cannot sort by `{s}`")))?,
        };
        let descending = match self.dir.as_deref() {
            None | Some("") => key != SortKey::Team,
            Some("desc") => true,
            Some("asc") => false,
            Some(d) => {
                return Err(ApiError::BadRequest(format!(
                    "`dir` must be asc or desc, not `{d}`"
                )));
            }
        };
        Ok((key, descending))
    }
}

/// The month's showback as the caller may see it, sorted as asked.
async fn load(
    state: &AppState,
    user: &PageUser,
    q: &ShowbackQuery,
) -> Result<(Showback, SortKey, bool), PageError> {
    let month = q.month()?;
    let (key, descending) = q.order()?;
    let mut sb = match q.environment() {
        // An environment without usage shows an empty month (the page says so).
        Some(env) => Narrowed::load(state, month, env, false).await?.showback,
        None => {
            reports::showback(
                &state.store,
                &state.prices,
                &state.showbacks,
                month,
                &state.config.currency,
                false,
            )
            .await?
        }
    };
    reports::restrict(&user.principal, &mut sb);
    sort_teams(&mut sb.teams, key, descending);
    Ok((sb, key, descending))
}

/// The month-end forecast of the month while it runs (none once it is over): the
/// organisation's for those who see everything, else the sum of the caller's teams', by the
/// one forecasting method; and last month's back-test for those who see everything.
async fn forecast_cards(
    state: &AppState,
    user: &PageUser,
    sb: &Showback,
    today: chrono::NaiveDate,
) -> Result<
    (
        Option<Decimal>,
        Option<tokentally_domain::forecast::Backtest>,
    ),
    PageError,
> {
    use crate::app::governance::{anomaly_settings, forecasts};
    let forecast = if sb.month.contains(today) {
        let full = reports::showback(
            &state.store,
            &state.prices,
            &state.showbacks,
            sb.month,
            &state.config.currency,
            false,
        )
        .await?;
        let (by_team, org) = Box::pin(forecasts::month_end(state, &full)).await?;
        Some(if user.principal.sees_everything() {
            org
        } else {
            sb.teams.iter().filter_map(|t| by_team.get(&t.team)).sum()
        })
    } else {
        None
    };
    let backtest = if user.principal.sees_everything() {
        let anomalies = anomaly_settings(&state.store).await?;
        Box::pin(forecasts::backtest(state, sb.month.previous(), &anomalies)).await?
    } else {
        None
    };
    Ok((forecast, backtest))
}

pub async fn page(
    State(state): State<AppState>,
    user: PageUser,
    Query(q): Query<ShowbackQuery>,
) -> Result<Html<String>, PageError> {
    if q.environment().is_some() {
        let (sb, sort, descending) = load(&state, &user, &q).await?;
        let months = state.store.list_months().await?;
        let environment = EnvironmentFilter {
            current: q.environment().map(str::to_owned),
            choices: environments::visible(&state, &user.principal, sb.month).await?,
        };
        return Ok(Html(
            narrowed_page(
                &state,
                &user,
                sb,
                months,
                (sort, descending),
                environment,
                q.filter(),
            )
            .await?,
        ));
    }
    // The page is the most opened of all, and besides the kept showback it reads a dozen
    // small things (budgets, forecasts, movement, trends, colours): kept whole, a reader
    // between two changes pays for none of them.
    let what = format!(
        "showback {:?} {:?} {:?} {:?}",
        q.month,
        q.sort,
        q.dir,
        q.filter()
    );
    let page =
        super::kept_model(&state, &user, what, Box::pin(whole_page(&state, &user, &q))).await?;
    Ok(Html(showback_page(&viewer_of(&user), page)))
}

/// The page's model for every environment at once.
async fn whole_page(
    state: &AppState,
    user: &PageUser,
    q: &ShowbackQuery,
) -> Result<ShowbackPage, PageError> {
    let (mut sb, sort, descending) = load(state, user, q).await?;
    let months = state.store.list_months().await?;
    let environment = EnvironmentFilter {
        current: None,
        choices: environments::visible(state, &user.principal, sb.month).await?,
    };
    let history: Vec<MonthTotals> = reports::history(
        &state.store,
        &state.prices,
        &state.showbacks,
        sb.month,
        12,
        &state.config.currency,
        &user.principal,
    )
    .await?
    .into_iter()
    .map(|(month, by_team)| MonthTotals { month, by_team })
    .collect();
    if !user.principal.sees_everything() {
        // A lead's last month is their teams' (the organisation's is not theirs to see), so
        // the headline card and the total row can say how their total moved.
        sb.previous_org_total = history
            .iter()
            .rev()
            .nth(1)
            .map(|m| m.by_team.iter().map(|(_, amount)| *amount).sum());
    }
    let today = chrono::Utc::now().date_naive();
    let own_budgets = if user.principal.sees_everything() {
        None
    } else {
        Some(own_budgets(state, user, Month::of(today)).await?)
    };
    let budgets = team_budgets(state, user, sb.month).await?;
    let (forecast, backtest) = forecast_cards(state, user, &sb, today).await?;
    let movement = if user.principal.sees_everything() {
        Some(super::movement::view(state, user, Scope::Org, sb.month, "/showback.csv").await?)
    } else {
        None
    };
    let trend = super::trend::view(state, user, Scope::Org, sb.month, "/showback.csv").await?;
    // The teams drawn: the table's and the chart's. A team drawn for the first time gets the
    // next colour slot here, and keeps it.
    let drawn: Vec<String> = sb
        .teams
        .iter()
        .map(|t| t.team.clone())
        .chain(
            history
                .iter()
                .flat_map(|m| m.by_team.iter().map(|t| t.0.clone())),
        )
        .collect();
    let colour_slots = state
        .store
        .team_colour_slots(&drawn)
        .await?
        .into_iter()
        .filter_map(|(team, slot)| Some((team, usize::try_from(slot).ok()?)))
        .collect();
    let page = ShowbackPage {
        colour_slots,
        movement,
        trend: Some(trend),
        budgets,
        month_to_date: sb.month.contains(today),
        forecast,
        backtest,
        showback: sb,
        months,
        sort,
        descending,
        history,
        own_budgets,
        environment,
        filter: q.filter(),
    };
    Ok(page)
}

/// The page narrowed to one environment: the team table, its totals and the month's bars;
/// what covers all environments (budgets, forecasts, movement, trends) is left out.
async fn narrowed_page(
    state: &AppState,
    user: &PageUser,
    sb: Showback,
    months: Vec<Month>,
    (sort, descending): (SortKey, bool),
    environment: EnvironmentFilter,
    filter: Option<String>,
) -> Result<String, PageError> {
    let drawn: Vec<String> = sb.teams.iter().map(|t| t.team.clone()).collect();
    let colour_slots = state
        .store
        .team_colour_slots(&drawn)
        .await?
        .into_iter()
        .filter_map(|(team, slot)| Some((team, usize::try_from(slot).ok()?)))
        .collect();
    let history = vec![MonthTotals {
        month: sb.month,
        by_team: sb
            .teams
            .iter()
            .map(|t| (t.team.clone(), t.blended_cost))
            .collect(),
    }];
    let page = ShowbackPage {
        colour_slots,
        movement: None,
        trend: None,
        budgets: Default::default(),
        month_to_date: sb.month.contains(chrono::Utc::now().date_naive()),
        forecast: None,
        backtest: None,
        showback: sb,
        months,
        sort,
        descending,
        history,
        own_budgets: None,
        environment,
        filter,
    };
    Ok(showback_page(&viewer_of(user), page))
}

/// The team table as CSV: the same rows, order and month as the page.
pub async fn csv(
    State(state): State<AppState>,
    user: PageUser,
    Query(q): Query<ShowbackQuery>,
) -> Result<Response, PageError> {
    if q.table.as_deref() == Some(super::movement::TABLE) {
        let month = q.month()?;
        let m = crate::app::movement::movement(
            &state,
            &user.principal,
            month.previous(),
            month,
            Scope::Org,
        )
        .await?;
        return Ok(super::movement::csv(&m, "organisation"));
    }
    if q.table.as_deref() == Some(super::trend::TABLE) {
        let month = q.month()?;
        let t = crate::app::trends::trend(&state, &user.principal, month, Scope::Org).await?;
        return Ok(super::trend::csv(&t, "organisation"));
    }
    let (sb, _, _) = load(&state, &user, &q).await?;
    if q.table.as_deref() == Some("unpriced") {
        let headers: Vec<&str> = ["month", "provider", "model", "events", "requests"]
            .into_iter()
            .chain(TOKEN_HEADERS)
            .collect();
        let mut csv = Csv::new(&headers);
        for u in &sb.unpriced {
            let mut row = vec![
                sb.month.to_string(),
                u.provider.clone(),
                u.model.clone(),
                u.events.to_string(),
                u.requests.to_string(),
            ];
            row.extend(token_cells(&u.tokens));
            csv.row(row);
        }
        return Ok(csv.into_download(&format!("unpriced-{}.csv", sb.month)));
    }
    let headers: Vec<&str> = [
        "month",
        "team",
        "blended_cost",
        "token_cost",
        "overhead",
        "commitment",
        "change_vs_last_month",
        "requests",
        "successful_outcomes",
        "cost_per_successful_outcome",
        "tokens_per_successful_outcome",
    ]
    .into_iter()
    .chain(TOKEN_HEADERS)
    .chain(["currency"])
    .collect();
    let mut csv = Csv::new(&headers);
    let filter = q.filter().unwrap_or_default();
    for t in sb
        .teams
        .iter()
        .filter(|t| tokentally_web::islands::order::matches(&t.team, &filter))
    {
        let mut row = vec![
            sb.month.to_string(),
            t.team.clone(),
            t.blended_cost.to_string(),
            t.token_cost.to_string(),
            t.overhead.to_string(),
            t.commitment.to_string(),
            optional(t.mom_change),
            t.requests.to_string(),
            t.successful_outcomes.to_string(),
            optional(t.cost_per_successful_outcome),
            optional(t.tokens_per_successful_outcome),
        ];
        row.extend(token_cells(&t.tokens));
        row.push(sb.currency.clone());
        csv.row(row);
    }
    if !sb.idle_commitment.is_zero() {
        // No team pays it, but the rows must add up to the month's total.
        let mut row = vec![
            sb.month.to_string(),
            "Idle commitment".to_owned(),
            sb.idle_commitment.to_string(),
            "0".to_owned(),
            "0".to_owned(),
            sb.idle_commitment.to_string(),
            String::new(),
            "0".to_owned(),
            "0".to_owned(),
            String::new(),
            String::new(),
        ];
        row.extend(token_cells(&Default::default()));
        row.push(sb.currency.clone());
        csv.row(row);
    }
    Ok(csv.into_download(&format!("showback-{}.csv", sb.month)))
}

/// A lead's teams' budgets for `month` (the one that runs now): spent so far, budget,
/// forecast and status.
async fn own_budgets(
    state: &AppState,
    user: &PageUser,
    month: Month,
) -> Result<OwnBudgets, PageError> {
    let views = crate::app::governance::budgets(state, month, &user.principal).await?;
    let rows = views
        .into_iter()
        .filter(|v| v.status.budget.scope == tokentally_domain::budget::Scope::Team)
        .map(|v| OwnBudget {
            spent: v.status.forecast.month_to_date,
            budget: TeamBudget {
                amount: v.status.budget.amount,
                month_end: v.status.forecast.month_end,
                status: v.status.status.label().to_owned(),
            },
            team: v.team,
        })
        .collect();
    Ok(OwnBudgets { month, rows })
}

/// The month's team budgets with their status, when any is set (reading the days they need
/// is skipped otherwise).
pub async fn team_budgets(
    state: &AppState,
    user: &PageUser,
    month: Month,
) -> Result<std::collections::BTreeMap<String, TeamBudget>, PageError> {
    if state.store.list_budgets(month).await?.is_empty() {
        return Ok(Default::default());
    }
    let views = crate::app::governance::budgets(state, month, &user.principal).await?;
    Ok(views
        .into_iter()
        .filter(|v| v.status.budget.scope == tokentally_domain::budget::Scope::Team)
        .map(|v| {
            (
                v.status.budget.subject.clone(),
                TeamBudget {
                    amount: v.status.budget.amount,
                    month_end: v.status.forecast.month_end,
                    status: v.status.status.label().to_owned(),
                },
            )
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sort_and_direction_are_checked() {
        let q = ShowbackQuery {
            sort: Some("requests".into()),
            dir: Some("asc".into()),
            ..Default::default()
        };
        assert_eq!(q.order().unwrap(), (SortKey::Requests, false));
        assert!(
            ShowbackQuery {
                sort: Some("x".into()),
                ..Default::default()
            }
            .order()
            .is_err()
        );
        assert_eq!(
            ShowbackQuery::default().order().unwrap(),
            (SortKey::Blended, true)
        );
    }
}
