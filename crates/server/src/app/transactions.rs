//! Business transactions reported per team, feature and period, for cost per transaction.
//! Reporting the same period, team, feature and name again replaces the count.

use serde::Deserialize;
use tokentally_domain::transaction::{BusinessTransactions, Period};

use super::{AppError, audit};
use crate::auth::{Capability, Principal};
use crate::state::AppState;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewTransactions {
    /// `YYYY-MM`, or a day `YYYY-MM-DD`; `month` and `day` are accepted as its other names.
    pub period: Option<String>,
    pub month: Option<String>,
    pub day: Option<String>,
    pub team: String,
    pub feature: Option<String>,
    pub name: String,
    pub count: u64,
}

impl NewTransactions {
    pub fn into_domain(self) -> Result<BusinessTransactions, AppError> {
        let period = match (self.period, self.month, self.day) {
            (Some(p), None, None) | (None, Some(p), None) | (None, None, Some(p)) => p,
            (None, None, None) => {
                return Err(AppError::invalid(
                    "give the period: `month` (YYYY-MM) or `day` (YYYY-MM-DD)",
                ));
            }
            _ => {
                return Err(AppError::invalid(
                    "give one of `period`, `month` or `day`, not several",
                ));
            }
        };
        let t = BusinessTransactions {
            period: period
                .parse::<Period>()
                .map_err(|e| AppError::invalid(e.to_string()))?,
            team: self.team.trim().to_owned(),
            feature: self.feature.unwrap_or_default().trim().to_owned(),
            name: self.name.trim().to_owned(),
            count: self.count,
        };
        t.validate().map_err(|e| AppError::invalid(e.to_string()))?;
        Ok(t)
    }
}

/// Who may report a team's transactions: admin and finance for any team, a lead for theirs.
pub fn may_report(principal: &Principal, team: &str) -> Result<(), AppError> {
    principal.ensure(Capability::ReportTransactions)?;
    if principal.may_read_team(team) {
        Ok(())
    } else {
        Err(AppError::Forbidden(format!(
            "you may not report transactions for team `{team}`"
        )))
    }
}

/// Stores a report and audits it.
pub async fn record(
    state: &AppState,
    actor: &str,
    t: &BusinessTransactions,
) -> Result<(), AppError> {
    let before = state.store.set_transactions(t).await?;
    audit::record(
        &state.store,
        actor,
        "transactions.set",
        &format!(
            "transactions:{}:{}:{}:{}",
            t.period, t.team, t.feature, t.name
        ),
        before.map(|c| serde_json::json!({"count": c})),
        Some(t),
    )
    .await?;
    Ok(())
}
