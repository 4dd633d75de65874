//! Budgets as finance sets them: per team or key, per month, with alert thresholds.

use rust_decimal::Decimal;
use serde::Deserialize;
use tokentally_domain::budget::{Budget, Scope};
use tokentally_domain::month::Month;

use crate::app::{AppError, audit};
use crate::state::AppState;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewBudget {
    pub month: Month,
    /// `team` (default) or `key`.
    pub scope: Option<String>,
    /// The team (scope `team`) ...
    pub team: Option<String>,
    /// ... or the API key (scope `key`).
    pub api_key: Option<String>,
    /// A decimal string or number, in whole cents.
    pub amount: Decimal,
    /// Percent of the amount at which to alert; default 50, 80, 100.
    pub thresholds: Option<Vec<u32>>,
}

impl NewBudget {
    pub fn into_budget(self) -> Result<Budget, AppError> {
        let scope: Scope = self.scope.as_deref().unwrap_or("team").parse().map_err(
            |e: tokentally_domain::budget::BudgetError| AppError::invalid(e.to_string()),
        )?;
        let subject = match scope {
            Scope::Team => self.team,
            Scope::Key => self.api_key,
        }
        .unwrap_or_default();
        Budget {
            month: self.month,
            scope,
            subject,
            amount: self.amount,
            thresholds: self.thresholds.unwrap_or_default(),
        }
        .validated()
        .map_err(|e| AppError::invalid(e.to_string()))
    }
}

/// Stores a budget and audits the change.
pub async fn record(state: &AppState, actor: &str, b: &Budget) -> Result<(), AppError> {
    let before = state.store.set_budget(b).await?;
    audit::record(
        &state.store,
        actor,
        "budget.set",
        &format!("budget:{}:{}:{}", b.month, b.scope.as_str(), b.subject),
        before,
        Some(b),
    )
    .await?;
    Ok(())
}
