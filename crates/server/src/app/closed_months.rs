//! A closed month is closed. Issuing a statement closes its month; from then on nothing
//! dated inside it may change what its statements say:
//!
//! - usage of a closed month that arrives late is carried to the first open month's
//!   statements as an adjustment (ingest notes it; see `storage::events`);
//! - everything a person dates (overheads, commitments, discounts, key mappings, price
//!   cards) is refused when it would reach into a closed month, with a message naming the
//!   month, who closed it, and the first day it may be dated from instead;
//! - reopening is a separate admin action, audited, that voids every statement issued for
//!   the month (their snapshots stay readable as voided versions).
//!
//! Something dated from a day holds from that day on, so it reaches every later month until
//! it is replaced: a key mapping from August changes a closed September. Such a change is
//! refused when any closed month lies on or after its day. Undated inputs (attribution rules,
//! team renames) cannot be refused this way; an issued statement whose draft no longer
//! matches it is marked as changed instead (see `statements::month`).

use chrono::NaiveDate;
use tokentally_domain::month::Month;

use super::{AppError, AppResult, audit};
use crate::storage::{MonthClose, Store};

fn closed_on(c: &MonthClose) -> String {
    chrono::DateTime::from_timestamp_millis(c.closed_ms)
        .map(|t| t.date_naive().to_string())
        .unwrap_or_default()
}

/// The first day after every closed month from `from` on.
fn first_open_day(closes: &[MonthClose], from: NaiveDate) -> NaiveDate {
    let mut day = from;
    for c in closes {
        if c.month >= Month::of(day) {
            day = c.month.end_exclusive();
        }
    }
    day
}

/// Refuses `what`, dated from `from`, when it would change a closed month.
pub async fn refuse_from(store: &Store, what: &str, from: NaiveDate) -> AppResult<()> {
    let closes = store.list_month_closes().await?;
    let Some(hit) = closes.iter().find(|c| c.month >= Month::of(from)) else {
        return Ok(());
    };
    Err(AppError::Conflict(format!(
        "{what} from {from} would change {}, which is closed (closed by {} on {}): date it from {} or later, or have an admin reopen {} (which voids its issued statements)",
        hit.month,
        hit.closed_by,
        closed_on(hit),
        first_open_day(&closes, from),
        hit.month,
    )))
}

/// Refuses `what` for `month` when that month is closed.
pub async fn refuse_in(store: &Store, what: &str, month: Month) -> AppResult<()> {
    let Some(c) = store.month_close(month).await? else {
        return Ok(());
    };
    let closes = store.list_month_closes().await?;
    Err(AppError::Conflict(format!(
        "{what} for {month} is refused: {month} is closed (closed by {} on {}). Record it in {} instead, or have an admin reopen {month} (which voids its issued statements)",
        c.closed_by,
        closed_on(&c),
        Month::of(first_open_day(&closes, month.first_day())),
    )))
}

/// The first day a new price card may take effect from: the day after the last closed
/// month, or `fallback` when no month is closed or it is later.
pub async fn earliest_open_day(store: &Store, fallback: NaiveDate) -> AppResult<NaiveDate> {
    let closes = store.list_month_closes().await?;
    Ok(closes
        .iter()
        .map(|c| c.month.end_exclusive())
        .max()
        .map_or(fallback, |d| d.max(fallback)))
}

/// What reopening did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Reopened {
    pub month: Month,
    /// The teams whose issued statement was voided.
    pub voided: Vec<String>,
}

/// Reopens a closed month (admins only; the caller checks): voids every issued statement of
/// it with the reason, audited. Usage that arrived while it was closed stays where it was
/// carried (a later month's adjustments), so nothing is counted twice.
pub async fn reopen(store: &Store, month: Month, reason: &str, actor: &str) -> AppResult<Reopened> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(AppError::invalid(
            "say why the month is reopened (`reason`): its issued statements are voided",
        ));
    }
    let voided = store
        .reopen_month(month, &format!("month reopened: {reason}"), actor)
        .await?
        .ok_or_else(|| AppError::Conflict(format!("{month} is not closed")))?;
    let teams: Vec<String> = voided.iter().map(|s| s.team.clone()).collect();
    audit::record(
        store,
        actor,
        "month.reopen",
        &format!("month:{month}"),
        Some(serde_json::json!({"closed": true, "issued": voided.iter().map(|s| serde_json::json!({"team": s.team, "version": s.version, "sha256": s.sha256})).collect::<Vec<_>>()})),
        Some(serde_json::json!({"closed": false, "reason": reason})),
    )
    .await?;
    Ok(Reopened {
        month,
        voided: teams,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(m: &str) -> MonthClose {
        MonthClose {
            month: m.parse().unwrap(),
            closed_ms: 0,
            closed_by: "finance".into(),
        }
    }

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn the_first_open_day_skips_every_closed_month_on_or_after_the_day() {
        let closes = [close("2026-08"), close("2026-09")];
        assert_eq!(
            first_open_day(&closes, day("2026-08-15")),
            day("2026-10-01")
        );
        assert_eq!(
            first_open_day(&closes, day("2026-07-03")),
            day("2026-10-01")
        );
        assert_eq!(
            first_open_day(&closes, day("2026-10-02")),
            day("2026-10-02")
        );
        assert_eq!(first_open_day(&[], day("2026-08-15")), day("2026-08-15"));
    }
}
