//! The FOCUS downloads: the cost-and-usage export of a month's statements, and FOCUS 1.4's
//! Billing Period and Invoice Detail datasets (from month closes and issued statements).

use chrono::{DateTime, Utc};
use tokentally_domain::focus_datasets::Period;
use tokentally_domain::month::Month;
use tokentally_domain::statement::Statement;

use crate::app::error::AppError;
use crate::state::AppState;

/// The most months one Billing Period download holds.
pub const MAX_PERIODS: u32 = 120;

fn instant(ms: i64) -> Result<DateTime<Utc>, AppError> {
    DateTime::from_timestamp_millis(ms)
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("a stored instant is out of range")))
}

/// Each month from `from` to `to`, open or closed.
pub async fn billing_periods(
    state: &AppState,
    from: Month,
    to: Month,
) -> Result<Vec<Period>, AppError> {
    if from > to {
        return Err(AppError::BadRequest(format!(
            "`from` ({from}) is after `to` ({to})"
        )));
    }
    // A period that has not started has no creation time yet (and LastUpdated would come
    // before Created, which FOCUS forbids).
    let current = Month::of(crate::app::clock::today());
    if to > current {
        return Err(AppError::BadRequest(format!(
            "`to` ({to}) has not started; the latest billing period is {current}"
        )));
    }
    let mut out = Vec::new();
    let mut m = from;
    loop {
        if out.len() as u32 >= MAX_PERIODS {
            return Err(AppError::BadRequest(format!(
                "at most {MAX_PERIODS} months at once"
            )));
        }
        let closed_at = match state.store.month_close(m).await? {
            Some(c) => Some(instant(c.closed_ms)?),
            None => None,
        };
        out.push(Period {
            month: m,
            closed_at,
        });
        if m == to {
            return Ok(out);
        }
        m = m.next();
    }
}

/// An issued or voided statement with what its invoice needs.
pub struct StoredInvoice {
    pub statement: Statement,
    pub invoice_id: String,
    pub issued_at: DateTime<Utc>,
    pub voided_at: Option<DateTime<Utc>>,
    /// For each month an adjustment line corrects, the team's issued statement of it.
    pub corrects: Vec<(Month, String)>,
}

/// The invoice id of a statement version, as the cost-and-usage rows carry it.
pub fn invoice_id(team: &str, month: Month, version: i64) -> String {
    format!("{team}/{month}/v{version}")
}

/// The month's issued and voided statements, every version.
pub async fn invoices(state: &AppState, month: Month) -> Result<Vec<StoredInvoice>, AppError> {
    let mut out = Vec::new();
    for stored in state.store.list_statements(month).await? {
        if stored.status != "issued" && stored.status != "void" {
            continue;
        }
        let statement: Statement = serde_json::from_str(&stored.content)
            .map_err(|e| AppError::Internal(anyhow::anyhow!("stored statement unreadable: {e}")))?;
        let mut corrects = Vec::new();
        for m in statement.lines.iter().filter_map(|l| l.belongs_to) {
            if corrects.iter().any(|(c, _)| *c == m) {
                continue;
            }
            if let Some(s) = state.store.issued_statement(&statement.team, m).await? {
                corrects.push((m, invoice_id(&s.team, m, s.version)));
            }
        }
        out.push(StoredInvoice {
            invoice_id: invoice_id(&stored.team, month, stored.version),
            issued_at: instant(stored.issued_ms)?,
            voided_at: stored.void_ms.map(instant).transpose()?,
            corrects,
            statement,
        });
    }
    Ok(out)
}

/// Each statement in its team's statement currency, where the team has one other than the
/// statement's and the month has a rate for it; `None` leaves the statement's currency.
pub async fn conversions(
    state: &AppState,
    statements: &[&Statement],
) -> Result<Vec<Option<tokentally_domain::fx::ConvertedStatement>>, AppError> {
    let teams = state.store.team_currencies().await?;
    let rates = state.store.list_fx_rates().await?;
    Ok(statements
        .iter()
        .map(|s| {
            let (_, currency) = teams.iter().find(|(t, _)| *t == s.team)?;
            if *currency == s.currency {
                return None;
            }
            let rate =
                tokentally_domain::fx::rate_for(&rates, &s.currency, currency, s.month).ok()?;
            tokentally_domain::fx::convert(s, rate).ok()
        })
        .collect())
}

/// The month's commitments, for FOCUS's Contract Commitment dataset.
pub async fn commitments(
    state: &AppState,
    month: Month,
) -> Result<Vec<tokentally_domain::commitment::Commitment>, AppError> {
    Ok(state.store.list_commitments(month).await?)
}
