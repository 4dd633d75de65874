//! The monthly digest: each team lead gets their teams' numbers, finance the organisation's
//! (spend, the change against the month before, the top features and models, budgets), by
//! email as HTML and plain text. Sent on a schedule, once a month after it ended (the server
//! whose claim on the month takes sends it, so several servers send it once), and on demand.
//!
//! The figures are showback's: a team's spend is its blended cost on the showback page, the
//! organisation's the month's total, to the cent.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use serde::Serialize;
use tokentally_domain::budget::{Scope, Status};
use tokentally_domain::drilldown::{Line, NO_USAGE};
use tokentally_domain::month::Month;
use tokentally_domain::showback::Showback;
use tokentally_web::email::{DigestBudget, DigestEmail, DigestSection};

use super::mailer::{Email, Mailer};
use crate::app::audit;
use crate::app::error::{AppError, AppResult};
use crate::app::governance::{BudgetView, budget_views};
use crate::app::reports;
use crate::auth::{Capability, Principal, Role};
use crate::state::AppState;
use crate::storage::now_ms_pub;

/// Features and models listed per scope.
pub const TOP: usize = 3;
/// After a failed scheduled run, the next try.
pub const RETRY_LATER: std::time::Duration = std::time::Duration::from_secs(30 * 60);
/// How long a server's claim on a month's run holds.
pub const LEASE: std::time::Duration = std::time::Duration::from_secs(10 * 60);

/// Who gets a digest and of what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    pub email: String,
    /// None: the organisation (finance); else the lead's teams.
    pub teams: Option<Vec<String>>,
}

impl Recipient {
    fn scope(&self) -> String {
        match &self.teams {
            None => "org".to_owned(),
            Some(t) => t.join(","),
        }
    }
}

/// Finance users get the organisation's digest, leads their teams'.
pub async fn recipients(state: &AppState) -> AppResult<Vec<Recipient>> {
    Ok(state
        .store
        .list_users()
        .await?
        .into_iter()
        .filter_map(|u| match u.role.parse::<Role>().ok()? {
            Role::Finance => Some(Recipient {
                email: u.email,
                teams: None,
            }),
            Role::Lead if !u.teams.is_empty() => Some(Recipient {
                email: u.email,
                teams: Some(u.teams),
            }),
            _ => None,
        })
        .collect())
}

/// The month's figures, computed once for every recipient.
struct MonthFigures {
    month: Month,
    currency: String,
    showback: Showback,
    /// Per team: its features and models.
    teams: BTreeMap<String, (Vec<Line>, Vec<Line>)>,
    budgets: Vec<BudgetView>,
}

async fn figures(state: &AppState, month: Month) -> AppResult<MonthFigures> {
    let currency = state.config.currency.clone();
    let showback = reports::showback(
        &state.store,
        &state.prices,
        &state.showbacks,
        month,
        &currency,
        false,
    )
    .await?;
    let mut teams = BTreeMap::new();
    for t in &showback.teams {
        if let Some(d) = Box::pin(reports::team(state, month, &t.team, false)).await? {
            teams.insert(t.team.clone(), (d.features, d.models));
        }
    }
    let listed = state.store.list_budgets(month).await?;
    let as_of = crate::app::clock::today().min(month.last_day());
    let budgets = Box::pin(budget_views(state, &showback, &listed, as_of)).await?;
    Ok(MonthFigures {
        month,
        currency,
        showback,
        teams,
        budgets,
    })
}

/// The largest lines by blended cost, summed by name across `lines`.
fn top(lines: &[&Line]) -> Vec<(String, Decimal)> {
    let mut sums: BTreeMap<&str, Decimal> = BTreeMap::new();
    for l in lines.iter().filter(|l| l.name != NO_USAGE) {
        *sums.entry(l.name.as_str()).or_default() += l.blended_cost;
    }
    let mut v: Vec<(String, Decimal)> = sums
        .into_iter()
        .filter(|(_, c)| !c.is_zero())
        .map(|(n, c)| (n.to_owned(), c))
        .collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    v.truncate(TOP);
    v
}

fn budget_line(v: &BudgetView) -> DigestBudget {
    let s = &v.status;
    DigestBudget {
        subject: format!("{} {}", s.budget.scope.as_str(), s.budget.subject),
        amount: s.budget.amount,
        spent: s.forecast.month_to_date,
        status: match s.status {
            Status::OnTrack => "on track",
            Status::AtRisk => "at risk (forecast over)",
            Status::Over => "over",
        }
        .to_owned(),
    }
}

impl MonthFigures {
    fn team_section(&self, team: &str) -> DigestSection {
        let row = self.showback.team(team);
        let (features, models) = self
            .teams
            .get(team)
            .map(|(f, m)| (f.iter().collect::<Vec<_>>(), m.iter().collect::<Vec<_>>()))
            .unwrap_or_default();
        let spend = row.map(|t| t.blended_cost).unwrap_or_default();
        DigestSection {
            title: team.to_owned(),
            spend,
            previous: row.and_then(|t| t.mom_change).map(|c| spend - c),
            top_features: top(&features),
            top_models: top(&models),
            budgets: self
                .budgets
                .iter()
                .filter(|v| v.team == team)
                .map(budget_line)
                .collect(),
        }
    }

    fn org_section(&self) -> DigestSection {
        let features: Vec<&Line> = self.teams.values().flat_map(|(f, _)| f).collect();
        let models: Vec<&Line> = self.teams.values().flat_map(|(_, m)| m).collect();
        let mut budgets: Vec<&BudgetView> = self.budgets.iter().collect();
        budgets.sort_by_key(|v| v.status.budget.scope != Scope::Team);
        DigestSection {
            title: "Organisation".to_owned(),
            spend: self.showback.org_total,
            previous: self.showback.previous_org_total,
            top_features: top(&features),
            top_models: top(&models),
            budgets: budgets.into_iter().map(budget_line).collect(),
        }
    }

    fn email_for(&self, r: &Recipient) -> Email {
        let (audience, sections) = match &r.teams {
            None => ("the organisation", vec![self.org_section()]),
            Some(teams) => (
                "your teams",
                teams.iter().map(|t| self.team_section(t)).collect(),
            ),
        };
        let digest = DigestEmail {
            month: self.month,
            currency: self.currency.clone(),
            audience: audience.to_owned(),
            sections,
        };
        Email {
            to: r.email.clone(),
            subject: digest.subject(),
            text: digest.text(),
            html: digest.html(),
        }
    }
}

/// One recipient reached, or not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Delivery {
    pub to: String,
    /// `org`, or the lead's teams.
    pub scope: String,
    pub error: Option<String>,
}

/// What a digest run did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DigestReport {
    pub month: Month,
    pub sent: usize,
    pub failed: usize,
    pub deliveries: Vec<Delivery>,
}

/// Sends the month's digest to `recipients`, recording each one reached.
async fn send_to(
    state: &AppState,
    mailer: &Mailer,
    month: Month,
    recipients: &[Recipient],
    by: &str,
) -> AppResult<DigestReport> {
    let mut report = DigestReport {
        month,
        sent: 0,
        failed: 0,
        deliveries: Vec::new(),
    };
    if recipients.is_empty() {
        return Ok(report);
    }
    let f = Box::pin(figures(state, month)).await?;
    for r in recipients {
        let email = f.email_for(r);
        let outcome = mailer.send(&email).await;
        if outcome.is_ok() {
            report.sent += 1;
            state
                .store
                .record_digest_send(&month.to_string(), &r.email, &r.scope(), by)
                .await?;
        } else {
            report.failed += 1;
        }
        if let Err(e) = &outcome {
            tracing::warn!(error = %e, "a digest email failed");
        }
        report.deliveries.push(Delivery {
            to: r.email.clone(),
            scope: r.scope(),
            error: outcome.err(),
        });
    }
    Ok(report)
}

/// Sends a month's digest now to every lead and finance user (admins and finance): the form
/// and `POST /api/v1/digests/send`.
pub async fn send_as(
    state: &AppState,
    principal: &Principal,
    month: Month,
) -> AppResult<DigestReport> {
    principal.ensure(Capability::Govern)?;
    let mailer = Mailer::of(&state.config).map_err(AppError::invalid)?;
    if month > Month::of(crate::app::clock::today()) {
        return Err(AppError::invalid(format!("{month} has not begun")));
    }
    let everyone = recipients(state).await?;
    if everyone.is_empty() {
        return Err(AppError::invalid(
            "nobody to send the digest to: it goes to finance users and to leads with teams",
        ));
    }
    let report = Box::pin(send_to(state, &mailer, month, &everyone, &principal.name)).await?;
    audit::record(
        &state.store,
        &principal.name,
        "digest.send",
        &format!("digest:{month}"),
        None::<()>,
        Some(&report),
    )
    .await?;
    Ok(report)
}

/// The scheduled digest: from `digest_day` on, last month's, once (the server whose claim
/// takes sends it; a run that failed for some recipients tries them again later).
pub async fn run_due(state: &AppState, today: NaiveDate) -> anyhow::Result<Option<DigestReport>> {
    let Ok(mailer) = Mailer::of(&state.config) else {
        return Ok(None);
    };
    if today.day() < state.config.digest_day {
        return Ok(None);
    }
    let month = Month::of(today).previous();
    let key = month.to_string();
    let store = &state.store;
    if !store
        .claim_digest_run(&key, now_ms_pub() + LEASE.as_millis() as i64)
        .await?
    {
        return Ok(None);
    }
    let outcome: AppResult<DigestReport> = async {
        let reached = store.digest_recipients(&key).await?;
        let due: Vec<Recipient> = recipients(state)
            .await?
            .into_iter()
            .filter(|r| !reached.contains(&r.email))
            .collect();
        Box::pin(send_to(state, &mailer, month, &due, "schedule")).await
    }
    .await;
    let error = match &outcome {
        Ok(r) if r.failed == 0 => None,
        Ok(r) => Some(format!(
            "{} of {} digests failed",
            r.failed,
            r.deliveries.len()
        )),
        Err(e) => Some(e.to_string()),
    };
    store
        .finish_digest_run(
            &key,
            error.as_deref(),
            now_ms_pub() + RETRY_LATER.as_millis() as i64,
        )
        .await?;
    Ok(Some(outcome.map_err(|e| anyhow::anyhow!(e.to_string()))?))
}
