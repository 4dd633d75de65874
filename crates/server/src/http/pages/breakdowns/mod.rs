//! The drill-down pages: team → feature → key, and models → model. Each page's model is built once and
//! serves both the HTML and the CSV of any of its tables, so a download is exactly what the
//! page shows.

mod feature;
mod key;
mod model;
mod models;
mod team;
mod value;

pub use feature::{feature_csv, feature_page};
pub use key::{key_csv, key_page};
pub use model::{model_csv, model_page};
pub use models::{models_csv, models_page};
pub use team::{team_csv, team_page};

use axum::response::Response;
use serde::Deserialize;
use tokentally_domain::drilldown::Line;
use tokentally_domain::showback::Point;
use tokentally_web::pages::breakdown_page::{BreakdownPage, Cell, LinesTable, Section};

use super::PageError;
pub(super) use super::kept_model;
use crate::app::reports::MonthContext;
use crate::http::csv::{Csv, TOKEN_HEADERS, optional, token_cells};
use crate::http::error::ApiError;
use crate::http::extract::PageUser;
use crate::http::{MonthQuery, ReportQuery};
use crate::state::AppState;

#[derive(Debug, Deserialize)]
pub struct ExportQuery {
    pub month: Option<String>,
    pub table: String,
    /// One environment's part (team and feature pages); all when absent or empty.
    pub env: Option<String>,
}

impl ExportQuery {
    /// The page's own query: the month and the environment.
    pub fn report(&self) -> ReportQuery {
        ReportQuery {
            month: self.month.clone(),
            env: self.env.clone(),
        }
    }
}

pub(super) fn lines_section(
    id: &str,
    title: &str,
    name_header: &str,
    lines: Vec<Line>,
    link_prefix: Option<String>,
) -> Section {
    Section::Lines(LinesTable {
        id: id.into(),
        title: title.into(),
        name_header: name_header.into(),
        lines,
        link_prefix,
        link_suffix: String::new(),
        shared_costs: true,
    })
}

/// A table of lines of usage alone (no overhead or commitment shares): it shows, and its
/// CSV carries, token cost only, never a "blended" cost that would mean something else here.
pub(super) fn token_lines_section(
    id: &str,
    title: &str,
    name_header: &str,
    lines: Vec<Line>,
    link_prefix: Option<String>,
) -> Section {
    match lines_section(id, title, name_header, lines, link_prefix) {
        Section::Lines(t) => Section::Lines(LinesTable {
            shared_costs: false,
            ..t
        }),
        other => other,
    }
}

pub(super) fn sorted_by_day(mut lines: Vec<Line>) -> Vec<Line> {
    lines.sort_by(|a, b| a.name.cmp(&b.name));
    lines
}

/// What of the month a page reads.
pub(super) enum MonthRead {
    /// The whole month with its users (kept; `fresh` reads it anew): the models page.
    WithUsers { fresh: bool },
    /// Without users, rows summed over stretches of days (`MonthContext::load`): the team and
    /// feature pages, whose active users and days come from their drill-downs, so the page
    /// itself reads about a thirtieth of the month's rows.
    Light,
    /// Only the rows `RowsOf` takes (one key's, one model's), read anew: the page model is
    /// kept, so the month itself need not be.
    Only(crate::storage::RowsOf),
}

/// The page's month as `read` says, and the months that hold usage (for the picker).
pub(super) async fn context(
    state: &AppState,
    month: &Option<String>,
    read: MonthRead,
) -> Result<(MonthContext, Vec<tokentally_domain::month::Month>), PageError> {
    let month = MonthQuery {
        month: month.clone().filter(|m| !m.is_empty()),
    }
    .month()?;
    let ctx = match read {
        MonthRead::WithUsers { fresh } => {
            MonthContext::load_with_users(state, month, fresh).await?
        }
        MonthRead::Light => MonthContext::load(&state.store, &state.prices, month).await?,
        MonthRead::Only(only) => MonthContext::load_rows_of(state, month, only).await?,
    };
    let months = state.store.list_months().await?;
    Ok((ctx, months))
}

pub(super) fn forbid_team(user: &PageUser, team: &str) -> Result<(), PageError> {
    if user.principal.may_read_team(team) {
        Ok(())
    } else {
        Err(PageError::from(ApiError::Forbidden(format!(
            "you may not see team `{team}`"
        ))))
    }
}

// ---------------------------------------------------------------- team

/// One table of a page as CSV.
pub(super) fn export(page: BreakdownPage, table: &str, name: &str) -> Result<Response, PageError> {
    let section = page.sections.into_iter().find(|s| match s {
        Section::Lines(t) => t.id == table,
        Section::Plain(t) => t.id == table,
        Section::Movement(_) => table == super::movement::TABLE,
        Section::Trend(_) => table == super::trend::TABLE,
    });
    if let Some(Section::Movement(v)) = &section {
        return Ok(super::movement::csv(&v.movement, name));
    }
    if let Some(Section::Trend(v)) = &section {
        return Ok(super::trend::csv(&v.trend, name));
    }
    if let Some(Section::Plain(t)) = section {
        let headers: Vec<&str> = std::iter::once("month")
            .chain(t.headers.iter().map(|h| h.0.as_str()))
            .collect();
        let mut csv = Csv::new(&headers);
        for (_, cells) in &t.rows {
            csv.row(
                std::iter::once(page.month.to_string()).chain(cells.iter().map(Cell::to_string)),
            );
        }
        return Ok(csv.into_download(&format!("{name}-{}-{}.csv", t.id, page.month)));
    }
    let lines = section
        .and_then(|s| match s {
            Section::Lines(t) => Some(t),
            Section::Plain(_) | Section::Movement(_) | Section::Trend(_) => None,
        })
        .ok_or_else(|| {
            PageError::from(ApiError::NotFound(format!(
                "this page has no table `{table}`"
            )))
        })?;
    let costs: &[&str] = if lines.shared_costs {
        &["blended_cost", "token_cost", "overhead", "commitment"]
    } else {
        &["token_cost"]
    };
    let headers: Vec<&str> = ["month", lines.id.as_str()]
        .into_iter()
        .chain(costs.iter().copied())
        .chain(["requests"])
        .chain(TOKEN_HEADERS)
        .chain([
            "successful_outcomes",
            "cost_per_query",
            "cost_per_successful_outcome",
            "tokens_per_successful_outcome",
            "active_users",
            "cost_per_active_user",
            "currency",
        ])
        .collect();
    let mut csv = Csv::new(&headers);
    for l in &lines.lines {
        let mut row = vec![page.month.to_string(), l.name.clone()];
        if lines.shared_costs {
            row.extend([
                l.blended_cost.to_string(),
                l.token_cost.to_string(),
                l.overhead.to_string(),
                l.commitment.to_string(),
            ]);
        } else {
            row.push(l.token_cost.to_string());
        }
        row.push(l.requests.to_string());
        row.extend(token_cells(&l.tokens));
        row.extend([
            l.successful_outcomes.to_string(),
            optional(l.cost_per_query),
            optional(l.cost_per_successful_outcome),
            optional(l.tokens_per_successful_outcome),
            l.active_users.to_string(),
            optional(l.cost_per_active_user),
            page.currency.clone(),
        ]);
        csv.row(row);
    }
    Ok(csv.into_download(&format!("{name}-{}-{}.csv", lines.id, page.month)))
}

/// Whether a lead may see a row: only their teams' rows.
pub(super) fn visible(user: &PageUser, p: &Point<'_>) -> bool {
    user.principal.may_read_team(&p.owner.team)
}
