//! Forecasts as every caller reads them (the showback card and API, team and key budgets,
//! `GET /api/v1/forecast`): the daily series are loaded here, the one method is
//! `tokentally_domain::forecast`.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;
use tokentally_domain::anomaly::AnomalySettings;
use tokentally_domain::forecast::{self, Backtest, Daily, Forecast, HISTORY_DAYS, Horizon, Owner};
use tokentally_domain::month::Month;
use tokentally_domain::showback::{Ledger, Showback};

use super::{anomaly_settings, daily_context, today};
use crate::auth::Principal;
use crate::state::AppState;
use crate::storage::StoreError;

/// The line that carries idle commitments: spend no team carries, in the organisation's sum.
pub const IDLE_COMMITMENT: &str = "Idle commitment";

/// Token cost per day of each team (or each key).
pub fn daily_by(ledger: &Ledger<'_>, team: bool) -> BTreeMap<String, Daily> {
    let mut out: BTreeMap<String, Daily> = BTreeMap::new();
    let sums = ledger.summarize(|r| {
        let who = if team {
            r.owner.team.clone()
        } else {
            r.row.key.api_key.clone()
        };
        (!who.is_empty()).then(|| (who, r.day()))
    });
    for ((who, day), s) in sums {
        *out.entry(who).or_default().entry(day).or_default() += s.token_cost();
    }
    out
}

/// Daily token cost per team and per key over some months, each month attributed and
/// priced as of itself; and each key's owner on its last day seen.
#[derive(Debug, Default)]
pub struct History {
    pub teams: BTreeMap<String, Daily>,
    pub keys: BTreeMap<String, Daily>,
    /// Token cost per day of each (team, feature), for feature budgets.
    pub features: BTreeMap<(String, String), Daily>,
    pub key_owner: BTreeMap<String, String>,
}

impl History {
    /// The history of `months`, merged in order (a key's owner is its owner in the last of
    /// them). Each month's part is kept until the data changes: the showback card, its API,
    /// budgets and the back-test read the same months on every request, and a month's part
    /// is a daily read and pricing of the whole month.
    pub async fn load(state: &AppState, months: &[Month]) -> Result<History, StoreError> {
        let mut h = History::default();
        for m in months {
            let part = crate::app::kept::kept(
                state,
                format!("daily history {m}"),
                Self::of_month(state, *m),
            )
            .await?;
            for (key, team) in &part.key_owner {
                h.key_owner.insert(key.clone(), team.clone());
            }
            for (who, days) in &part.teams {
                h.teams.entry(who.clone()).or_default().extend(days);
            }
            for (who, days) in &part.keys {
                h.keys.entry(who.clone()).or_default().extend(days);
            }
            for (who, days) in &part.features {
                h.features.entry(who.clone()).or_default().extend(days);
            }
        }
        Ok(h)
    }

    /// One month's daily token cost per team, key and feature, attributed and priced as of
    /// itself.
    async fn of_month(state: &AppState, m: Month) -> Result<Arc<History>, StoreError> {
        let mut h = History::default();
        let ctx = daily_context(&state.store, &state.prices, m).await?;
        let ledger = ctx.ledger();
        for r in &ledger.rows {
            h.key_owner
                .insert(r.row.key.api_key.clone(), r.owner.team.clone());
        }
        h.teams = daily_by(&ledger, true);
        h.keys = daily_by(&ledger, false);
        let by_feature = ledger.summarize(|r| {
            (!r.owner.team.is_empty())
                .then(|| (r.owner.team.clone(), r.owner.feature.clone(), r.day()))
        });
        for ((team, feature, day), s) in by_feature {
            *h.features
                .entry((team, feature))
                .or_default()
                .entry(day)
                .or_default() += s.token_cost();
        }
        Ok(Arc::new(h))
    }

    /// The months a forecast of `horizon` from `month`, seen on `as_of`, reads days of: the
    /// history before `as_of` and the horizon's days up to it. None when no day is ahead (the
    /// showback's month totals are then all there is to count).
    pub fn months_for(month: Month, horizon: Horizon, as_of: NaiveDate) -> Vec<Month> {
        let months = horizon.months(month);
        if months.iter().all(|m| m.last_day() <= as_of) {
            return Vec::new();
        }
        let mut m = Month::of(as_of - chrono::Duration::days(HISTORY_DAYS));
        let last = Month::of(as_of);
        let mut out = vec![m];
        while m < last {
            m = m.next();
            out.push(m);
        }
        out
    }

    /// Each team of `sb` (and any with history) with its fixed costs of the month.
    pub fn teams(&self, sb: &Showback) -> BTreeMap<String, Owner> {
        let mut out: BTreeMap<String, Owner> = self
            .teams
            .iter()
            .map(|(t, d)| {
                (
                    t.clone(),
                    Owner {
                        daily: d.clone(),
                        fixed: Decimal::ZERO,
                    },
                )
            })
            .collect();
        for t in &sb.teams {
            out.entry(t.team.clone()).or_default().fixed = t.overhead + t.commitment;
        }
        out
    }

    /// Each (team, feature) with its daily token cost (a feature budget limits token cost).
    pub fn features(&self) -> BTreeMap<(String, String), Owner> {
        without_fixed_costs(&self.features)
    }

    pub fn keys(&self) -> BTreeMap<String, Owner> {
        without_fixed_costs(&self.keys)
    }
}

/// Owners whose budgets limit token cost: their daily series, no fixed costs.
fn without_fixed_costs<K: Ord + Clone>(series: &BTreeMap<K, Daily>) -> BTreeMap<K, Owner> {
    series
        .iter()
        .map(|(k, d)| {
            (
                k.clone(),
                Owner {
                    daily: d.clone(),
                    fixed: Decimal::ZERO,
                },
            )
        })
        .collect()
}

/// A month that is over, as the method sees it without its days: each team spent its token
/// cost (counted on the month's last day) and carries its fixed costs. Its month-end
/// forecast is then the showback's blended cost, exactly.
fn settled(sb: &Showback) -> BTreeMap<String, Owner> {
    sb.teams
        .iter()
        .map(|t| {
            (
                t.team.clone(),
                Owner {
                    daily: BTreeMap::from([(sb.month.last_day(), t.token_cost)]),
                    fixed: t.overhead + t.commitment,
                },
            )
        })
        .collect()
}

fn idle(sb: &Showback) -> Vec<(String, Decimal)> {
    vec![(IDLE_COMMITMENT.to_owned(), sb.idle_commitment)]
}

/// A forecast with its back-test: last month's month-end forecast made mid-month against
/// what it came to.
#[derive(Debug, Clone, Serialize)]
pub struct ForecastView {
    #[serde(flatten)]
    pub forecast: Forecast,
    pub currency: String,
    pub backtest: Option<Backtest>,
}

/// The organisation's forecast of `month` over `horizon`, by team, as the principal may see
/// it (a lead: their teams, the total being theirs); with the back-test of the month before.
pub async fn forecast_view(
    state: &AppState,
    month: Month,
    horizon: Horizon,
    principal: &Principal,
) -> Result<ForecastView, StoreError> {
    let anomalies = anomaly_settings(&state.store).await?;
    let as_of = forecast::as_of(month, today());
    let ctx = crate::app::reports::MonthContext::load(&state.store, &state.prices, month).await?;
    let sb = ctx.showback(&state.config.currency);
    let months = History::months_for(month, horizon, as_of);
    let owners = if months.is_empty() {
        settled(&sb)
    } else {
        History::load(state, &months).await?.teams(&sb)
    };
    let mut f = forecast::forecast(month, horizon, &owners, &idle(&sb), as_of, &anomalies);
    let backtest = backtest(state, month.previous(), &anomalies).await?;
    if !principal.sees_everything() {
        f.lines.retain(|l| principal.may_read_team(&l.name));
        f.total = Default::default();
        for l in &f.lines {
            f.total.conservative += l.bands.conservative;
            f.total.expected += l.bands.expected;
            f.total.peak += l.bands.peak;
        }
    }
    Ok(ForecastView {
        forecast: f,
        currency: state.config.currency.clone(),
        // The back-test is the organisation's: a lead sees their teams' forecast only.
        backtest: backtest.filter(|_| principal.sees_everything()),
    })
}

/// The month-end forecast of `month` made on its [`forecast::BACKTEST_DAY`], against the
/// month's bill; none for a month without spend.
pub async fn backtest(
    state: &AppState,
    month: Month,
    anomalies: &AnomalySettings,
) -> Result<Option<Backtest>, StoreError> {
    let ctx = crate::app::reports::MonthContext::load(&state.store, &state.prices, month).await?;
    let sb = ctx.showback(&state.config.currency);
    if sb.org_total.is_zero() {
        return Ok(None);
    }
    let day = month
        .first_day()
        .checked_add_days(chrono::Days::new(u64::from(forecast::BACKTEST_DAY) - 1))
        .unwrap_or(month.first_day());
    let months = History::months_for(month, Horizon::MonthEnd, day);
    let owners = History::load(state, &months).await?.teams(&sb);
    Ok(Some(forecast::backtest(
        month,
        &owners,
        &idle(&sb),
        sb.org_total,
        anomalies,
    )))
}

/// Month-end expected forecast per team of `sb` (its month), from one forecast: what the
/// showback API and page carry. With the organisation's (Σ lines, idle commitments in).
pub async fn month_end(
    state: &AppState,
    sb: &Showback,
) -> Result<(BTreeMap<String, Decimal>, Decimal), StoreError> {
    let anomalies = anomaly_settings(&state.store).await?;
    let as_of = forecast::as_of(sb.month, today());
    let months = History::months_for(sb.month, Horizon::MonthEnd, as_of);
    let owners = if months.is_empty() {
        settled(sb)
    } else {
        History::load(state, &months).await?.teams(sb)
    };
    let f = forecast::forecast(
        sb.month,
        Horizon::MonthEnd,
        &owners,
        &idle(sb),
        as_of,
        &anomalies,
    );
    let by_team = f
        .lines
        .iter()
        .map(|l| (l.name.clone(), l.bands.expected))
        .collect();
    Ok((by_team, f.total.expected))
}
