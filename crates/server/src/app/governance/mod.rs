//! Governance use cases: budget status, scorecards, alert evaluation and webhook
//! delivery. The rules live in the domain; this module loads what they read.
//!
//! Alerts are evaluated by a background task on an interval ([`run_periodically`]) and on
//! demand (`POST /api/v1/alerts/evaluate`), never on the ingest path. Each evaluation records
//! new crossings (one row per crossing, so it is idempotent across runs and servers), queues
//! one webhook delivery per new alert, and attempts the deliveries that are due.

pub mod alerts;
pub mod budgets;
pub mod forecasts;
pub mod settings;
pub mod webhook_target;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use tokentally_domain::anomaly::{self, AnomalySettings};
use tokentally_domain::attribution::{UNALLOCATED, UNASSIGNED};
use tokentally_domain::budget::{self, BudgetStatus, Scope, Status};
use tokentally_domain::drilldown::Shares;
use tokentally_domain::month::Month;
use tokentally_domain::scorecard::{self, Facts, FeatureUnitCost, Scorecard, Thresholds};
use tokentally_domain::showback::Showback;

use crate::app::kept;
use crate::app::reports::MonthContext;
use crate::auth::Principal;
use crate::cache::PriceBookCache;
use crate::state::AppState;
use crate::storage::{NewAlert, Store, StoreError};
use tokentally_web::format::money;

pub const THRESHOLDS: &str = "scorecard";
pub const ANOMALY: &str = "anomaly";
pub const WEBHOOK: &str = "webhook";

/// Attempts before a delivery is given up.
pub const MAX_ATTEMPTS: i64 = 8;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Webhook {
    /// Empty: no webhook (for the alerts of teams without a route of their own).
    pub url: String,
    /// The shape of the body sent to `url`.
    #[serde(default)]
    pub format: HookFormat,
    /// A team's own channel: its alerts go there instead of `url`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub teams: BTreeMap<String, Route>,
    /// Finance's channel: month-close reminders go there instead of `url`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finance: Option<Route>,
}

/// Where one team's alerts go.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Route {
    pub url: String,
    #[serde(default)]
    pub format: HookFormat,
}

/// The body of a delivery: tokentally's JSON, a Slack incoming webhook's `{"text"}`, or a
/// Microsoft Teams incoming webhook's MessageCard.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HookFormat {
    #[default]
    Json,
    Slack,
    Teams,
}

impl Webhook {
    /// The URL and format an alert of `team` goes to, if any.
    pub fn route_for(&self, team: &str) -> Option<(&str, HookFormat)> {
        match self.teams.get(team) {
            Some(r) if !r.url.is_empty() => Some((r.url.as_str(), r.format)),
            _ if !self.url.is_empty() => Some((self.url.as_str(), self.format)),
            _ => None,
        }
    }

    /// The URL and format finance's notices (month-close reminders) go to, if any.
    pub fn finance_route(&self) -> Option<(&str, HookFormat)> {
        match &self.finance {
            Some(r) if !r.url.is_empty() => Some((r.url.as_str(), r.format)),
            _ if !self.url.is_empty() => Some((self.url.as_str(), self.format)),
            _ => None,
        }
    }
}

/// An alert's delivery body in `format`.
pub fn alert_body(format: HookFormat, id: i64, a: &NewAlert) -> serde_json::Value {
    let who = if a.team.is_empty() || a.team == a.subject {
        format!("{} {}", a.scope, a.subject)
    } else {
        format!("{} {} (team {})", a.scope, a.subject, a.team)
    };
    let text = format!(
        "tokentally {} alert for {who}, {}: {}",
        a.kind, a.period, a.detail
    );
    match format {
        HookFormat::Json => serde_json::json!({
            "alert_id": id,
            "kind": a.kind,
            "scope": a.scope,
            "subject": a.subject,
            "team": a.team,
            "period": a.period,
            "level": a.level,
            "amount": a.amount,
            "detail": a.detail,
        }),
        HookFormat::Slack => serde_json::json!({ "text": text }),
        HookFormat::Teams => serde_json::json!({
            "@type": "MessageCard",
            "@context": "https://schema.org/extensions",
            "summary": format!("tokentally {} alert", a.kind),
            "title": format!("tokentally {} alert", a.kind),
            "text": text,
        }),
    }
}

pub use super::clock::today;

pub async fn thresholds(store: &Store) -> Result<Thresholds, StoreError> {
    Ok(store.get_setting(THRESHOLDS).await?.unwrap_or_default())
}

pub async fn anomaly_settings(store: &Store) -> Result<AnomalySettings, StoreError> {
    Ok(store.get_setting(ANOMALY).await?.unwrap_or_default())
}

pub async fn webhook(store: &Store) -> Result<Webhook, StoreError> {
    Ok(store.get_setting(WEBHOOK).await?.unwrap_or_default())
}

/// A month's context with daily rows (forecasts and anomalies need days; showback does not
/// care whether rows are daily or stretched).
pub async fn daily_context(
    store: &Store,
    prices: &PriceBookCache,
    month: Month,
) -> Result<MonthContext, StoreError> {
    let mut ctx = MonthContext::load(store, prices, month).await?;
    std::sync::Arc::make_mut(&mut ctx.data).rows = store.list_rollups(month).await?;
    Ok(ctx)
}

/// A budget's status and the team it belongs to (a key's owner this month).
#[derive(Debug, Clone, Serialize)]
pub struct BudgetView {
    #[serde(flatten)]
    pub status: BudgetStatus,
    pub team: String,
}

/// Every budget of the month with its forecast as of `as_of`, by the one forecasting method:
/// a team's fixed costs are its overhead and commitment shares in `sb`.
pub async fn budget_views(
    state: &AppState,
    sb: &Showback,
    budgets: &[tokentally_domain::budget::Budget],
    as_of: NaiveDate,
) -> Result<Vec<BudgetView>, StoreError> {
    if budgets.is_empty() {
        return Ok(Vec::new());
    }
    let anomalies = anomaly_settings(&state.store).await?;
    let mut months = forecasts::History::months_for(
        sb.month,
        tokentally_domain::forecast::Horizon::MonthEnd,
        as_of,
    );
    if !months.contains(&sb.month) {
        months.push(sb.month);
    }
    let history = forecasts::History::load(state, &months).await?;
    let teams = history.teams(sb);
    let keys = history.keys();
    let features = history.features();
    let empty = tokentally_domain::forecast::Owner::default();
    Ok(budgets
        .iter()
        .map(|b| match b.scope {
            Scope::Team => BudgetView {
                status: budget::status(
                    b,
                    teams.get(&b.subject).unwrap_or(&empty),
                    as_of,
                    &anomalies,
                ),
                team: b.subject.clone(),
            },
            Scope::Feature => BudgetView {
                status: budget::status(
                    b,
                    features
                        .get(&(b.subject.clone(), b.feature.clone()))
                        .unwrap_or(&empty),
                    as_of,
                    &anomalies,
                ),
                team: b.subject.clone(),
            },
            Scope::Key => BudgetView {
                status: budget::status(
                    b,
                    keys.get(&b.subject).unwrap_or(&empty),
                    as_of,
                    &anomalies,
                ),
                team: history
                    .key_owner
                    .get(&b.subject)
                    .cloned()
                    .unwrap_or_default(),
            },
        })
        .collect())
}

/// The budgets of a month as `principal` may see them.
pub async fn budgets(
    state: &AppState,
    month: Month,
    principal: &Principal,
) -> Result<Vec<BudgetView>, StoreError> {
    let ctx = MonthContext::load(&state.store, &state.prices, month).await?;
    let sb = ctx.showback(&state.config.currency);
    let budgets = state.store.list_budgets(month).await?;
    Ok(budget_views(state, &sb, &budgets, today())
        .await?
        .into_iter()
        .filter(|v| principal.may_read_team(&v.team))
        .collect())
}

/// The org's scorecard (for those who see everything) and each visible team's.
pub async fn scorecards(
    state: &AppState,
    month: Month,
    principal: &Principal,
) -> Result<(Option<Scorecard>, Vec<Scorecard>), StoreError> {
    // Budgets and forecasts read the day, so a kept answer is one day's.
    let key = format!("scorecards {month} {} {}", today(), kept::scope(principal));
    kept::kept(state, key, scorecards_anew(state, month, principal)).await
}

async fn scorecards_anew(
    state: &AppState,
    month: Month,
    principal: &Principal,
) -> Result<(Option<Scorecard>, Vec<Scorecard>), StoreError> {
    let store = &state.store;
    let ctx = if month.contains(today()) {
        daily_context(store, &state.prices, month).await?
    } else {
        MonthContext::load(store, &state.prices, month).await?
    };
    let sb = ctx.showback(&state.config.currency);
    let previous = ctx.previous_showback(&state.config.currency);
    let t = thresholds(store).await?;
    let budgets = store.list_budgets(month).await?;
    let views = budget_views(state, &sb, &budgets, today()).await?;
    let alerts = store.list_alerts(10_000).await?;
    let acknowledged: BTreeSet<&str> = alerts
        .iter()
        .filter(|a| a.period == month.to_string() && a.ack_by.is_some() && a.scope == "team")
        .filter(|a| a.kind == "forecast" || (a.kind == "budget" && a.level >= 100))
        .map(|a| a.subject.as_str())
        .collect();
    let over: Vec<String> = views
        .iter()
        .filter(|v| v.status.budget.scope == Scope::Team && v.status.status != Status::OnTrack)
        .filter(|v| v.status.forecast.month_end > v.status.budget.amount)
        .map(|v| v.team.clone())
        .filter(|t| !acknowledged.contains(t.as_str()))
        .collect();
    let budgeted: BTreeSet<&str> = budgets
        .iter()
        .filter(|b| b.scope == Scope::Team)
        .map(|b| b.subject.as_str())
        .collect();
    let issued: BTreeSet<String> = store
        .list_statements(month.previous())
        .await?
        .into_iter()
        .filter(|s| s.status == "issued")
        .map(|s| s.team)
        .collect();
    let published = store.showback_publication(month).await?.is_some()
        || store
            .list_statements(month)
            .await?
            .iter()
            .any(|s| s.status == "issued");
    let targets = store.list_unit_targets().await?;
    let spending = |s: &Showback| -> Vec<String> {
        s.teams
            .iter()
            .filter(|t| t.team != UNALLOCATED && !t.blended_cost.is_zero())
            .map(|t| t.team.clone())
            .collect()
    };
    let with_spend = spending(&sb);
    let previously = spending(&previous);
    let views_of = ctx.views();
    let mut features: Vec<(Decimal, FeatureUnitCost)> = Vec::new();
    for team in sb.teams.iter().filter(|t| t.team != UNALLOCATED) {
        let mine = |p: &tokentally_domain::showback::Point<'_>| p.owner.team == team.team;
        let lines = views_of.lines(
            &mine,
            &|p| p.owner.feature.clone(),
            Some(&Shares::of_team(team)),
        );
        for l in lines
            .into_iter()
            .filter(|l| l.name != UNASSIGNED && l.name != tokentally_domain::drilldown::NO_USAGE)
        {
            features.push((
                l.blended_cost,
                FeatureUnitCost {
                    team: team.team.clone(),
                    target: targets
                        .iter()
                        .find(|x| x.team == team.team && x.feature == l.name)
                        .map(|x| x.target),
                    feature: l.name,
                    actual: l.cost_per_successful_outcome,
                },
            ));
        }
    }
    features.sort_by_key(|f| std::cmp::Reverse(f.0));
    let top = |team: Option<&str>| -> Vec<FeatureUnitCost> {
        features
            .iter()
            .filter(|(_, f)| team.is_none_or(|t| f.team == t))
            .take(t.top_features as usize)
            .map(|(_, f)| f.clone())
            .collect()
    };
    let ledger = ctx.ledger();
    let overheads_recorded = !ctx.data.overheads.is_empty();
    let open = Box::pin(super::recommendations::open_savings(state, month)).await?;
    let open_for = |team: Option<&str>| -> BTreeMap<String, Decimal> {
        let mut out: BTreeMap<String, Decimal> = BTreeMap::new();
        for (t, levers) in &open {
            if team.is_none_or(|x| x == t) {
                for (lever, saving) in levers {
                    *out.entry(lever.clone()).or_default() += *saving;
                }
            }
        }
        out
    };
    let facts_for = |team: Option<&str>| -> Facts {
        let only = |names: &[String]| -> Vec<String> {
            names
                .iter()
                .filter(|n| team.is_none_or(|t| t == *n))
                .cloned()
                .collect()
        };
        Facts {
            usage: scorecard::usage_facts(&ledger, team),
            unallocated: team
                .is_none()
                .then(|| (sb.unallocated().blended_cost, sb.org_total)),
            showback_published: published,
            overheads_recorded,
            teams_without_budget: only(
                &with_spend
                    .iter()
                    .filter(|t| !budgeted.contains(t.as_str()))
                    .cloned()
                    .collect::<Vec<_>>(),
            ),
            unacknowledged_over: only(&over),
            missing_statements: only(
                &previously
                    .iter()
                    .filter(|t| !issued.contains(*t))
                    .cloned()
                    .collect::<Vec<_>>(),
            ),
            top_features: top(team),
            open_savings: open_for(team),
        }
    };
    let org = principal
        .sees_everything()
        .then(|| scorecard::score("org", month, &facts_for(None), &t));
    let teams = sb
        .teams
        .iter()
        .filter(|x| x.team != UNALLOCATED && principal.may_read_team(&x.team))
        .map(|x| scorecard::score(&x.team, month, &facts_for(Some(&x.team)), &t))
        .collect();
    Ok((org, teams))
}

/// What one evaluation did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Evaluation {
    pub as_of: NaiveDate,
    pub new_alerts: usize,
    pub delivered: usize,
    pub failed_attempts: usize,
}

/// Records the alerts due as of `as_of` (budget crossings and forecasts of its month,
/// anomalies of it and the day before), queues their webhook deliveries and attempts the
/// deliveries that are due.
pub async fn evaluate(state: &AppState, as_of: NaiveDate) -> anyhow::Result<Evaluation> {
    let store = &state.store;
    let month = Month::of(as_of);
    let ctx = daily_context(store, &state.prices, month).await?;
    let currency = &state.config.currency;
    let sb = ctx.showback(currency);
    let budgets = store.list_budgets(month).await?;
    let mut new = Vec::new();
    for v in Box::pin(budget_views(state, &sb, &budgets, as_of)).await? {
        let s = &v.status;
        let scope = s.budget.scope.as_str().to_owned();
        // One row per crossing: thresholds passed together since the last evaluation (a
        // jump past 50% and 80% at once) are one crossing, recorded at the highest. A
        // threshold is recorded once (the alert's key holds its level), so evaluating again
        // adds nothing until spend passes a higher one.
        if let Some(level) = s.crossed.iter().max() {
            new.push(NewAlert {
                kind: "budget",
                scope: scope.clone(),
                subject: s.budget.label(),
                team: v.team.clone(),
                period: month.to_string(),
                level: i64::from(*level),
                detail: format!(
                    "{}% of the {} budget reached: {} spent of {}",
                    level,
                    month,
                    money(s.forecast.month_to_date, currency),
                    money(s.budget.amount, currency)
                ),
                amount: s.forecast.month_to_date,
            });
        }
        if s.forecast.month_end > s.budget.amount {
            new.push(NewAlert {
                kind: "forecast",
                scope,
                subject: s.budget.label(),
                team: v.team.clone(),
                period: month.to_string(),
                level: 0,
                detail: format!(
                    "forecast {} for {} against a budget of {}",
                    money(s.forecast.month_end, currency),
                    month,
                    money(s.budget.amount, currency)
                ),
                amount: s.forecast.month_end,
            });
        }
    }
    // Anomalies need the trailing 28 days: this month's days and the month before's.
    let before = daily_context(store, &state.prices, month.previous()).await?;
    let (l1, l0) = (ctx.ledger(), before.ledger());
    let settings = anomaly_settings(store).await?;
    let days = [as_of - chrono::Duration::days(1), as_of];
    let mut key_owner: BTreeMap<String, String> = BTreeMap::new();
    for r in l0.rows.iter().chain(l1.rows.iter()) {
        key_owner.insert(r.row.key.api_key.clone(), r.owner.team.clone());
    }
    for (scope, team) in [("team", true), ("key", false)] {
        let mut series = forecasts::daily_by(&l0, team);
        for (who, days) in forecasts::daily_by(&l1, team) {
            series.entry(who).or_default().extend(days);
        }
        for (who, a) in anomaly::scan(&series, &days, &settings) {
            let owner = if team {
                who.clone()
            } else {
                key_owner.get(&who).cloned().unwrap_or_default()
            };
            new.push(NewAlert {
                kind: "anomaly",
                scope: scope.to_owned(),
                subject: who,
                team: owner,
                period: a.day.to_string(),
                level: 0,
                detail: format!(
                    "spent {} against a median of {} (robust z {})",
                    money(a.amount, currency),
                    money(a.median, currency),
                    a.z_score
                ),
                amount: a.amount.round_dp(2),
            });
        }
    }
    let hook = webhook(store).await?;
    let mut out = Evaluation {
        as_of,
        ..Evaluation::default()
    };
    for a in &new {
        if let Some(id) = store.add_alert(a).await? {
            out.new_alerts += 1;
            if let Some((url, format)) = hook.route_for(&a.team) {
                let body = alert_body(format, id, a);
                store.add_delivery(id, url, &body.to_string()).await?;
            }
        }
    }
    let (delivered, failed) =
        deliver_due(store, &state.http, state.config.allow_private_webhooks).await?;
    out.delivered = delivered;
    out.failed_attempts = failed;
    Ok(out)
}

/// The wait before attempt `n + 1` after `n` failed ones: 1 s, 2 s, 4 s ... up to an hour.
pub fn backoff(attempts: i64) -> Duration {
    Duration::from_secs(1u64 << attempts.clamp(0, 12) as u32).min(Duration::from_secs(3600))
}

/// Attempts every due delivery once; answers (delivered, failed attempts). A delivery to an
/// address inside the network fails unless `allow_private` (see [`webhook_target`]).
pub async fn deliver_due(
    store: &Store,
    client: &reqwest::Client,
    allow_private: bool,
) -> anyhow::Result<(usize, usize)> {
    let (mut delivered, mut failed) = (0, 0);
    for d in store.due_deliveries().await? {
        if !store.claim_delivery(&d).await? {
            continue;
        }
        let refused = if allow_private {
            None
        } else {
            webhook_target::refused_delivery(&d.url).await
        };
        let sent = match refused {
            Some(reason) => Err(reason),
            None => client
                .post(&d.url)
                .header("content-type", "application/json")
                .body(d.body.clone())
                .send()
                .await
                .map_err(|e| e.to_string()),
        };
        let (code, error) = match sent {
            Ok(r) if r.status().is_success() => (Some(r.status().as_u16()), None),
            Ok(r) => (
                Some(r.status().as_u16()),
                Some(format!("answered {}", r.status())),
            ),
            Err(e) => (None, Some(e)),
        };
        if error.is_none() {
            delivered += 1;
            store.record_attempt(d.id, code, None, true, None).await?;
        } else {
            failed += 1;
            let attempts = d.attempts + 1;
            let retry = (attempts < MAX_ATTEMPTS)
                .then(|| crate::storage::now_ms_pub() + backoff(attempts - 1).as_millis() as i64);
            store
                .record_attempt(d.id, code, error.as_deref(), false, retry)
                .await?;
        }
    }
    Ok((delivered, failed))
}

/// Evaluates alerts every `every`, the first time one interval after start.
pub async fn run_periodically(state: AppState, every: Duration) {
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    loop {
        tick.tick().await;
        if let Err(e) = evaluate(&state, today()).await {
            tracing::warn!(error = ?e, "alert evaluation failed");
        }
    }
}
