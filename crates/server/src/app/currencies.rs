//! Currencies: exchange rates (one per pair and month, with their source), the organisation's
//! reporting currency, a team's statement currency, and statements converted with them.
//!
//! A rate for a closed month is refused: what a closed month's statements were converted at
//! stands. A batch of rates (a CSV import) is checked whole before any is stored.

use serde::Deserialize;
use tokentally_domain::fx::{self, ConvertedStatement, FxRate};
use tokentally_domain::month::Month;
use tokentally_domain::statement::Statement;

use super::{AppError, audit, statements};
use crate::state::AppState;

/// The most rates one import holds.
pub const MAX_IMPORT: usize = 10_000;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewRate {
    pub base: String,
    pub quote: String,
    pub month: String,
    pub rate: rust_decimal::Decimal,
    pub source: String,
}

impl NewRate {
    pub fn into_domain(self) -> Result<FxRate, AppError> {
        let month: Month =
            self.month
                .trim()
                .parse()
                .map_err(|e: tokentally_domain::month::MonthParseError| {
                    AppError::invalid(format!("`month`: {e}"))
                })?;
        let r = FxRate {
            base: self.base.trim().to_owned(),
            quote: self.quote.trim().to_owned(),
            month,
            rate: self.rate.normalize(),
            source: self.source.trim().to_owned(),
        };
        r.validate().map_err(|e| AppError::invalid(e.to_string()))?;
        Ok(r)
    }
}

/// Rates from CSV text: a header `base,quote,month,rate,source`, then one rate a line. The
/// first bad line is named; nothing is stored from a file with one.
pub fn parse_csv(text: &str) -> Result<Vec<FxRate>, AppError> {
    let mut lines = text
        .lines()
        .map(str::trim_end)
        .filter(|l| !l.trim().is_empty());
    let header = lines
        .next()
        .ok_or_else(|| AppError::invalid("the file is empty"))?;
    let names: Vec<&str> = header.split(',').map(str::trim).collect();
    if names != ["base", "quote", "month", "rate", "source"] {
        return Err(AppError::invalid(
            "the header must be `base,quote,month,rate,source`",
        ));
    }
    let mut out = Vec::new();
    for (n, line) in lines.enumerate() {
        let at = n + 2;
        if out.len() == MAX_IMPORT {
            return Err(AppError::invalid(format!(
                "at most {MAX_IMPORT} rates per import"
            )));
        }
        // The source is the rest of the line, so it may hold commas.
        let cells: Vec<&str> = line.splitn(5, ',').map(str::trim).collect();
        let [base, quote, month, rate, source] = cells[..] else {
            return Err(AppError::invalid(format!(
                "line {at}: five fields expected"
            )));
        };
        let rate = rate.parse().map_err(|_| {
            AppError::invalid(format!("line {at}: `rate` `{rate}` is not a decimal"))
        })?;
        let r = NewRate {
            base: base.into(),
            quote: quote.into(),
            month: month.into(),
            rate,
            source: source.trim_matches('"').into(),
        }
        .into_domain()
        .map_err(|e| AppError::invalid(format!("line {at}: {e}")))?;
        if out
            .iter()
            .any(|o: &FxRate| o.base == r.base && o.quote == r.quote && o.month == r.month)
        {
            return Err(AppError::invalid(format!(
                "line {at}: a second rate for {} to {} in {}",
                r.base, r.quote, r.month
            )));
        }
        out.push(r);
    }
    if out.is_empty() {
        return Err(AppError::invalid("the file holds no rate"));
    }
    Ok(out)
}

/// Stores rates, all or none: every one valid, none for a closed month.
pub async fn set_rates(state: &AppState, actor: &str, rates: &[FxRate]) -> Result<(), AppError> {
    for r in rates {
        r.validate().map_err(|e| AppError::invalid(e.to_string()))?;
        if state.store.month_close(r.month).await?.is_some() {
            return Err(AppError::Conflict(format!(
                "{} is closed: its statements were converted at the rate it had",
                r.month
            )));
        }
    }
    let before = state.store.list_fx_rates().await?;
    state.store.set_fx_rates(rates, actor).await?;
    for r in rates {
        let old = before
            .iter()
            .find(|b| b.base == r.base && b.quote == r.quote && b.month == r.month);
        audit::record(
            &state.store,
            actor,
            "fx_rate.set",
            &format!("fx_rate:{}:{}:{}", r.base, r.quote, r.month),
            old,
            Some(r),
        )
        .await?;
    }
    Ok(())
}

fn code(field: &'static str, value: &str) -> Result<String, AppError> {
    fx::currency(field, value.trim()).map_err(|e| AppError::invalid(e.to_string()))
}

pub async fn set_reporting_currency(
    state: &AppState,
    actor: &str,
    currency: &str,
) -> Result<String, AppError> {
    let c = code("reporting_currency", currency)?;
    let before = state.store.reporting_currency().await?;
    state.store.set_reporting_currency(&c).await?;
    audit::record(
        &state.store,
        actor,
        "currency.reporting",
        "currency:reporting",
        before,
        Some(&c),
    )
    .await?;
    Ok(c)
}

pub async fn set_team_currency(
    state: &AppState,
    actor: &str,
    team: &str,
    currency: Option<&str>,
) -> Result<Option<String>, AppError> {
    let team = team.trim();
    if team.is_empty() {
        return Err(AppError::invalid("`team` must not be empty"));
    }
    let c = currency.map(|c| code("currency", c)).transpose()?;
    let before = state
        .store
        .team_currencies()
        .await?
        .into_iter()
        .find(|(t, _)| t == team)
        .map(|(_, c)| c);
    state.store.set_team_currency(team, c.as_deref()).await?;
    audit::record(
        &state.store,
        actor,
        "currency.team",
        &format!("team:{team}"),
        before,
        c.as_ref(),
    )
    .await?;
    Ok(c)
}

/// The currency a team's statement is shown in: its own, else the reporting currency, else
/// the billing currency.
pub async fn statement_currency(state: &AppState, team: &str) -> Result<String, AppError> {
    if let Some((_, c)) = state
        .store
        .team_currencies()
        .await?
        .into_iter()
        .find(|(t, _)| t == team)
    {
        return Ok(c);
    }
    Ok(match state.store.reporting_currency().await? {
        Some(c) => c,
        None => state.config.currency.clone(),
    })
}

/// The team's statement (issued, else draft) in `currency` (default: its statement
/// currency) at the month's rate.
pub async fn converted_statement(
    state: &AppState,
    team: &str,
    month: Month,
    currency: Option<&str>,
) -> Result<ConvertedStatement, AppError> {
    let current = statements::current(state, team, month)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("team `{team}` has nothing in {month}")))?;
    let s: Statement = serde_json::from_str(&current.content)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("statement unreadable: {e}")))?;
    let target = match currency {
        Some(c) => code("currency", c)?,
        None => statement_currency(state, team).await?,
    };
    if target == s.currency {
        let same = FxRate {
            base: s.currency.clone(),
            quote: target,
            month,
            rate: rust_decimal::Decimal::ONE,
            source: "billing currency, not converted".into(),
        };
        return fx::convert(&s, &same).map_err(|e| AppError::invalid(e.to_string()));
    }
    let rates = state.store.list_fx_rates().await?;
    let rate = fx::rate_for(&rates, &s.currency, &target, month)
        .map_err(|e| AppError::Conflict(format!("{e}; post one to /api/v1/fx-rates")))?;
    fx::convert(&s, rate).map_err(|e| AppError::invalid(e.to_string()))
}
