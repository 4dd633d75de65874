//! The drill-down pages: team → feature → key, and model. Each page's model is built once and
//! serves both the HTML and the CSV of any of its tables, so a download is exactly what the
//! page shows.

use axum::extract::{Path, Query, State};
use axum::response::{Html, Response};
use rust_decimal::Decimal;
use serde::Deserialize;
use tokentally_domain::attribution::UNALLOCATED;
use tokentally_domain::drilldown::{Line, feature_drilldown, team_drilldown};
use tokentally_domain::event::Outcome;
use tokentally_domain::pricing::TokenClass;
use tokentally_domain::showback::{Point, TeamShowback};
use tokentally_web::money::Money;
use tokentally_web::pages::breakdown_page::{
    BreakdownPage, Cell, LinesTable, PlainTable, Rates, Section, Summary, breakdown_page,
};
use tokentally_web::pages::showback_page::urlencode;

use super::{PageError, viewer_of};
use crate::app::reports::MonthContext;
use crate::http::MonthQuery;
use crate::http::csv::{Csv, TOKEN_HEADERS, optional, token_cells};
use crate::http::error::ApiError;
use crate::http::extract::PageUser;
use crate::state::AppState;

#[derive(Debug, Deserialize)]
pub struct ExportQuery {
    pub month: Option<String>,
    pub table: String,
}

fn lines_section(
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
    })
}

fn sorted_by_day(mut lines: Vec<Line>) -> Vec<Line> {
    lines.sort_by(|a, b| a.name.cmp(&b.name));
    lines
}

async fn context(
    state: &AppState,
    month: &Option<String>,
) -> Result<(MonthContext, Vec<tokentally_domain::month::Month>), PageError> {
    let month = MonthQuery {
        month: month.clone().filter(|m| !m.is_empty()),
    }
    .month()?;
    let ctx = MonthContext::load_with_users(&state.store, &state.prices, month).await?;
    let months = state.store.list_months().await?;
    Ok((ctx, months))
}

fn forbid_team(user: &PageUser, team: &str) -> Result<(), PageError> {
    if user.principal.may_read_team(team) {
        Ok(())
    } else {
        Err(PageError::from(ApiError::Forbidden(format!(
            "you may not see team `{team}`"
        ))))
    }
}

// ---------------------------------------------------------------- team

async fn team_model(
    state: &AppState,
    user: &PageUser,
    team: &str,
    month: &Option<String>,
) -> Result<BreakdownPage, PageError> {
    forbid_team(user, team)?;
    let (ctx, months) = context(state, month).await?;
    let cur = state.config.currency.clone();
    let sb = ctx.showback(&cur);
    let row: TeamShowback = sb.team(team).cloned().ok_or_else(|| {
        PageError::from(ApiError::NotFound(format!(
            "team `{team}` has no usage or overhead in {}",
            ctx.month
        )))
    })?;
    let drill = team_drilldown(&row, ctx.month, &cur, &ctx.data, &ctx.book, &ctx.attributor);
    let budget = super::showback::team_budgets(state, user, ctx.month)
        .await?
        .remove(team);
    let previous = ctx.previous_showback(&cur);
    let before = previous.team(team).map(|t| {
        team_drilldown(
            t,
            ctx.month.previous(),
            &cur,
            &ctx.previous,
            &ctx.book,
            &ctx.attributor,
        )
    });
    let movers = movers(
        &drill.features,
        before
            .as_ref()
            .map(|b| b.features.as_slice())
            .unwrap_or(&[]),
        &cur,
    );
    let t = urlencode(team);
    Ok(BreakdownPage {
        title: format!("Team {team}"),
        crumbs: vec![("Showback".into(), format!("/?month={}", ctx.month))],
        month: ctx.month,
        months,
        path: format!("/teams/{t}"),
        currency: cur.clone(),
        daily: Some(drill.days.clone()),
        summary: Summary::Team {
            row: Box::new(row),
            total: Box::new(drill.total),
            budget,
        },
        sections: vec![
            lines_section(
                "features",
                "Features",
                "Feature",
                drill.features,
                Some(format!("/teams/{t}/features/")),
            ),
            movers,
            lines_section(
                "models",
                "Models",
                "Model",
                drill.models,
                Some("/models/".into()),
            ),
            lines_section("keys", "API keys", "Key", drill.keys, Some("/keys/".into())),
            lines_section("days", "Days", "Day", sorted_by_day(drill.days), None),
        ],
    })
}

/// The features whose blended cost moved most against last month.
fn movers(now: &[Line], before: &[Line], cur: &str) -> Section {
    let mut names: Vec<&str> = now.iter().chain(before).map(|l| l.name.as_str()).collect();
    names.sort();
    names.dedup();
    let cost = |lines: &[Line], n: &str| {
        lines
            .iter()
            .find(|l| l.name == n)
            .map(|l| l.blended_cost)
            .unwrap_or_default()
    };
    let mut changes: Vec<(&str, Decimal, Decimal)> = names
        .into_iter()
        .map(|n| (n, cost(before, n), cost(now, n)))
        .collect();
    changes.sort_by(|a, b| (b.2 - b.1).abs().cmp(&(a.2 - a.1).abs()).then(a.0.cmp(b.0)));
    let rows = changes
        .into_iter()
        .take(5)
        .filter(|(_, b, n)| b != n)
        .map(|(name, b, n)| {
            (
                None,
                vec![
                    Cell::Text(name.to_owned()),
                    Cell::Money(Money::new(b, cur)),
                    Cell::Money(Money::new(n, cur)),
                    Cell::Money(Money::new(n - b, cur)),
                ],
            )
        })
        .collect();
    Section::Plain(PlainTable {
        id: "movers".into(),
        title: "Biggest movers against last month".into(),
        headers: vec![
            ("Feature".into(), false),
            ("Last month".into(), true),
            ("This month".into(), true),
            ("Change".into(), true),
        ],
        rows,
        empty: "No change against last month.".into(),
    })
}

pub async fn team_page(
    State(state): State<AppState>,
    user: PageUser,
    Path(team): Path<String>,
    Query(q): Query<MonthQuery>,
) -> Result<Html<String>, PageError> {
    let page = team_model(&state, &user, &team, &q.month).await?;
    Ok(Html(breakdown_page(&viewer_of(&user), page)))
}

pub async fn team_csv(
    State(state): State<AppState>,
    user: PageUser,
    Path(team): Path<String>,
    Query(q): Query<ExportQuery>,
) -> Result<Response, PageError> {
    let page = team_model(&state, &user, &team, &q.month).await?;
    export(page, &q.table, &format!("team-{team}"))
}

// ---------------------------------------------------------------- feature

async fn feature_model(
    state: &AppState,
    user: &PageUser,
    team: &str,
    feature: &str,
    month: &Option<String>,
) -> Result<BreakdownPage, PageError> {
    forbid_team(user, team)?;
    let (ctx, months) = context(state, month).await?;
    let cur = state.config.currency.clone();
    let sb = ctx.showback(&cur);
    let not_found = || {
        PageError::from(ApiError::NotFound(format!(
            "feature `{feature}` of team `{team}` has no usage in {}",
            ctx.month
        )))
    };
    let row = sb.team(team).cloned().ok_or_else(not_found)?;
    let drill = team_drilldown(&row, ctx.month, &cur, &ctx.data, &ctx.book, &ctx.attributor);
    let fd = feature_drilldown(&drill, feature, &ctx.data, &ctx.book, &ctx.attributor)
        .ok_or_else(not_found)?;
    let line = fd.total.clone();
    let views = ctx.views();
    let summary = views.summary(&|p| p.owner.team == team && p.owner.feature == feature);
    let outcomes = fd.outcomes.clone();
    let days = sorted_by_day(fd.days.clone());
    let outcome_rows = Outcome::ALL
        .iter()
        .filter_map(|o| outcomes.iter().find(|l| l.name == o.as_str()))
        .map(|l| {
            (
                None,
                vec![
                    Cell::Text(l.name.clone()),
                    Cell::Count(l.requests),
                    Cell::Share {
                        part: l.requests,
                        whole: line.requests,
                    },
                    Cell::Money(Money::new(l.blended_cost, &cur)),
                ],
            )
        })
        .collect();
    let class_rows = TokenClass::ALL
        .iter()
        .map(|c| {
            (
                None,
                vec![
                    Cell::Text(c.label().to_owned()),
                    Cell::Count(c.quantity(&summary.tokens)),
                    Cell::Money(Money::new(summary.cost.of(*c), &cur)),
                ],
            )
        })
        .collect();
    let t = urlencode(team);
    Ok(BreakdownPage {
        title: format!("Feature {feature}"),
        crumbs: vec![
            ("Showback".into(), format!("/?month={}", ctx.month)),
            (
                format!("Team {team}"),
                format!("/teams/{t}?month={}", ctx.month),
            ),
        ],
        month: ctx.month,
        months,
        path: format!("/teams/{t}/features/{}", urlencode(feature)),
        currency: cur.clone(),
        daily: Some(days.clone()),
        summary: Summary::Feature {
            line: Box::new(line),
        },
        sections: vec![
            lines_section(
                "models",
                "Model mix",
                "Model",
                fd.models.clone(),
                Some("/models/".into()),
            ),
            Section::Plain(PlainTable {
                id: "outcomes".into(),
                title: "Outcomes".into(),
                headers: vec![
                    ("Outcome".into(), false),
                    ("Requests".into(), true),
                    ("Share".into(), true),
                    ("Cost".into(), true),
                ],
                rows: outcome_rows,
                empty: "No calls.".into(),
            }),
            Section::Plain(PlainTable {
                id: "classes".into(),
                title: "Tokens by class".into(),
                headers: vec![
                    ("Class".into(), false),
                    ("Tokens".into(), true),
                    ("Token cost".into(), true),
                ],
                rows: class_rows,
                empty: "No tokens.".into(),
            }),
            lines_section(
                "keys",
                "API keys",
                "Key",
                fd.keys.clone(),
                Some("/keys/".into()),
            ),
            lines_section("days", "Days", "Day", days, None),
        ],
    })
}

pub async fn feature_page(
    State(state): State<AppState>,
    user: PageUser,
    Path((team, feature)): Path<(String, String)>,
    Query(q): Query<MonthQuery>,
) -> Result<Html<String>, PageError> {
    let page = feature_model(&state, &user, &team, &feature, &q.month).await?;
    Ok(Html(breakdown_page(&viewer_of(&user), page)))
}

pub async fn feature_csv(
    State(state): State<AppState>,
    user: PageUser,
    Path((team, feature)): Path<(String, String)>,
    Query(q): Query<ExportQuery>,
) -> Result<Response, PageError> {
    let page = feature_model(&state, &user, &team, &feature, &q.month).await?;
    export(page, &q.table, &format!("feature-{team}-{feature}"))
}

// ---------------------------------------------------------------- key and model

/// Whether a lead may see a row: only their teams' rows.
fn visible(user: &PageUser, p: &Point<'_>) -> bool {
    user.principal.may_read_team(&p.owner.team)
}

async fn key_model(
    state: &AppState,
    user: &PageUser,
    key: &str,
    month: &Option<String>,
) -> Result<BreakdownPage, PageError> {
    let (ctx, months) = context(state, month).await?;
    let cur = state.config.currency.clone();
    let views = ctx.views();
    let keep = |p: &Point<'_>| p.api_key == key && visible(user, p);
    let view = |by: &dyn Fn(&Point<'_>) -> String| views.lines(&keep, by, None);
    let teams = view(&|p| p.owner.team.clone());
    let mappings: Vec<_> = state
        .store
        .list_key_mappings()
        .await?
        .into_iter()
        .filter(|m| m.api_key == key)
        .collect();
    let owns = mappings
        .iter()
        .any(|m| user.principal.may_read_team(&m.team));
    // A lead sees the key's history only while it was one of their teams'.
    let mappings: Vec<_> = mappings
        .into_iter()
        .filter(|m| user.principal.may_read_team(&m.team))
        .collect();
    if teams.is_empty() && !(user.principal.sees_everything() || owns) {
        return Err(PageError::from(ApiError::Forbidden(format!(
            "key `{key}` is not one of your teams' keys"
        ))));
    }
    let audit = if user.principal.sees_everything() {
        state
            .store
            .list_audit(Some(&format!("key:{key}")), 50)
            .await?
    } else {
        Vec::new()
    };
    let history = mappings
        .iter()
        .rev()
        .map(|m| {
            let who = audit
                .iter()
                .find(|a| {
                    a.after.as_deref().is_some_and(|after| {
                        after.contains(&format!("\"valid_from\":\"{}\"", m.valid_from))
                    })
                })
                .and_then(|a| {
                    chrono::DateTime::from_timestamp_millis(a.at_ms).map(|at| Cell::By {
                        actor: a.actor.clone(),
                        at,
                    })
                })
                .unwrap_or(Cell::Blank);
            (
                None,
                vec![
                    Cell::Date(m.valid_from),
                    Cell::Text(m.team.clone()),
                    Cell::Text(m.feature.clone().unwrap_or_default()),
                    Cell::Text(m.environment.clone().unwrap_or_default()),
                    who,
                ],
            )
        })
        .collect();
    let total: Decimal = teams.iter().map(|l| l.token_cost).sum();
    let requests: u64 = teams.iter().map(|l| l.requests).sum();
    let owner = ctx
        .attributor
        .mapping(key, ctx.month.last_day())
        .map(|m| m.team.clone())
        .unwrap_or_else(|| UNALLOCATED.to_owned());
    let owner = if user.principal.may_read_team(&owner) {
        owner
    } else {
        "another team".to_owned()
    };
    Ok(BreakdownPage {
        title: format!("Key {key}"),
        crumbs: vec![("Showback".into(), format!("/?month={}", ctx.month))],
        month: ctx.month,
        months,
        path: format!("/keys/{}", urlencode(key)),
        currency: cur.clone(),
        summary: Summary::Key {
            token_cost: total,
            requests,
            owner,
        },
        daily: None,
        sections: vec![
            Section::Plain(PlainTable {
                id: "owners".into(),
                title: "Owner history".into(),
                headers: vec![
                    ("From".into(), false),
                    ("Team".into(), false),
                    ("Feature".into(), false),
                    ("Environment".into(), false),
                    ("Mapped by".into(), false),
                ],
                rows: history,
                empty: "Never mapped: its spend is attributed by tags or rules, else Unallocated."
                    .into(),
            }),
            lines_section("teams", "Teams", "Team", teams, Some("/teams/".into())),
            lines_section(
                "models",
                "Models",
                "Model",
                view(&|p| p.model.to_owned()),
                Some("/models/".into()),
            ),
            lines_section(
                "days",
                "Days",
                "Day",
                sorted_by_day(view(&|p| p.day.to_string())),
                None,
            ),
        ],
    })
}

pub async fn key_page(
    State(state): State<AppState>,
    user: PageUser,
    Path(key): Path<String>,
    Query(q): Query<MonthQuery>,
) -> Result<Html<String>, PageError> {
    let page = key_model(&state, &user, &key, &q.month).await?;
    Ok(Html(breakdown_page(&viewer_of(&user), page)))
}

pub async fn key_csv(
    State(state): State<AppState>,
    user: PageUser,
    Path(key): Path<String>,
    Query(q): Query<ExportQuery>,
) -> Result<Response, PageError> {
    let page = key_model(&state, &user, &key, &q.month).await?;
    export(page, &q.table, &format!("key-{key}"))
}

async fn model_model(
    state: &AppState,
    user: &PageUser,
    model: &str,
    month: &Option<String>,
) -> Result<BreakdownPage, PageError> {
    let (ctx, months) = context(state, month).await?;
    let cur = state.config.currency.clone();
    let views = ctx.views();
    let ledger = &views.ledger;
    let keep = |p: &Point<'_>| p.model == model && visible(user, p);
    let view = |by: &dyn Fn(&Point<'_>) -> String| views.lines(&keep, by, None);
    let teams = view(&|p| p.owner.team.clone());
    let total: Decimal = teams.iter().map(|l| l.token_cost).sum();
    let requests: u64 = teams.iter().map(|l| l.requests).sum();
    let priced = ledger
        .rows
        .iter()
        .find(|r| r.row.key.model == model)
        .and_then(|r| r.card)
        .map(|c| ctx.book.card(c).clone());
    let rates = priced.map(|c| {
        let r = c.resolve(tokentally_domain::event::ServiceTier::Standard, 0);
        Rates {
            input: r.input,
            output: r.output,
        }
    });
    Ok(BreakdownPage {
        title: format!("Model {model}"),
        crumbs: vec![("Showback".into(), format!("/?month={}", ctx.month))],
        month: ctx.month,
        months,
        path: format!("/models/{}", urlencode(model)),
        currency: cur.clone(),
        summary: Summary::Model {
            token_cost: total,
            requests,
            rates,
        },
        daily: None,
        sections: vec![
            lines_section("teams", "Teams", "Team", teams, Some("/teams/".into())),
            lines_section(
                "providers",
                "Providers",
                "Provider",
                view(&|p| p.provider.to_owned()),
                None,
            ),
            lines_section(
                "days",
                "Days",
                "Day",
                sorted_by_day(view(&|p| p.day.to_string())),
                None,
            ),
        ],
    })
}

pub async fn model_page(
    State(state): State<AppState>,
    user: PageUser,
    Path(model): Path<String>,
    Query(q): Query<MonthQuery>,
) -> Result<Html<String>, PageError> {
    let page = model_model(&state, &user, &model, &q.month).await?;
    Ok(Html(breakdown_page(&viewer_of(&user), page)))
}

pub async fn model_csv(
    State(state): State<AppState>,
    user: PageUser,
    Path(model): Path<String>,
    Query(q): Query<ExportQuery>,
) -> Result<Response, PageError> {
    let page = model_model(&state, &user, &model, &q.month).await?;
    export(page, &q.table, &format!("model-{model}"))
}

// ---------------------------------------------------------------- CSV

/// One table of a page as CSV.
fn export(page: BreakdownPage, table: &str, name: &str) -> Result<Response, PageError> {
    let section = page.sections.into_iter().find(|s| match s {
        Section::Lines(t) => t.id == table,
        Section::Plain(t) => t.id == table,
    });
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
            Section::Plain(_) => None,
        })
        .ok_or_else(|| {
            PageError::from(ApiError::NotFound(format!(
                "this page has no table `{table}`"
            )))
        })?;
    let headers: Vec<&str> = [
        "month",
        lines.id.as_str(),
        "blended_cost",
        "token_cost",
        "overhead",
        "requests",
    ]
    .into_iter()
    .chain(TOKEN_HEADERS)
    .chain([
        "successful_outcomes",
        "cost_per_query",
        "cost_per_successful_outcome",
        "active_users",
        "cost_per_active_user",
        "currency",
    ])
    .collect();
    let mut csv = Csv::new(&headers);
    for l in &lines.lines {
        let mut row = vec![
            page.month.to_string(),
            l.name.clone(),
            l.blended_cost.to_string(),
            l.token_cost.to_string(),
            l.overhead.to_string(),
            l.requests.to_string(),
        ];
        row.extend(token_cells(&l.tokens));
        row.extend([
            l.successful_outcomes.to_string(),
            optional(l.cost_per_query),
            optional(l.cost_per_successful_outcome),
            l.active_users.to_string(),
            optional(l.cost_per_active_user),
            page.currency.clone(),
        ]);
        csv.row(row);
    }
    Ok(csv.into_download(&format!("{name}-{}-{}.csv", lines.id, page.month)))
}
