//! Budgets as finance sets them: per team, feature or key, for a month or recurring, with
//! alert thresholds; and "copy last month's budgets".

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
    /// `team` (default), `feature` or `key`.
    pub scope: Option<String>,
    /// The team (scopes `team` and `feature`) ...
    pub team: Option<String>,
    /// ... and the feature (scope `feature`) ...
    pub feature: Option<String>,
    /// ... or the API key (scope `key`).
    pub api_key: Option<String>,
    /// A decimal string or number, in whole cents.
    pub amount: Decimal,
    /// Percent of the amount at which to alert; default 50, 80, 100.
    pub thresholds: Option<Vec<u32>>,
    /// Holds every later month too, until the subject gets another budget.
    #[serde(default)]
    pub recurring: bool,
}

impl NewBudget {
    pub fn into_budget(self) -> Result<Budget, AppError> {
        let scope: Scope = self.scope.as_deref().unwrap_or("team").parse().map_err(
            |e: tokentally_domain::budget::BudgetError| AppError::invalid(e.to_string()),
        )?;
        let subject = match scope {
            Scope::Team | Scope::Feature => self.team,
            Scope::Key => self.api_key,
        }
        .unwrap_or_default();
        Budget {
            month: self.month,
            scope,
            subject,
            feature: self.feature.unwrap_or_default(),
            amount: self.amount,
            thresholds: self.thresholds.unwrap_or_default(),
            recurring: self.recurring,
            carried_from: None,
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
        &format!("budget:{}:{}:{}", b.month, b.scope.as_str(), b.label()),
        before,
        Some(b),
    )
    .await?;
    Ok(())
}

/// Copies the budgets in force in `from` into `to` for every team, feature and key that has
/// none in force there (recurring ones already hold, and are left alone); answers the copies.
/// One audit entry names what was copied.
pub async fn copy(
    state: &AppState,
    actor: &str,
    from: Month,
    to: Month,
) -> Result<Vec<Budget>, AppError> {
    if from == to {
        return Err(AppError::invalid("copy budgets from another month"));
    }
    let there = state.store.list_budgets(to).await?;
    let mut copied = Vec::new();
    for b in state.store.list_budgets(from).await? {
        if there
            .iter()
            .any(|t| t.scope == b.scope && t.subject == b.subject && t.feature == b.feature)
        {
            continue;
        }
        let copy = Budget {
            month: to,
            recurring: false,
            carried_from: None,
            ..b
        };
        state.store.set_budget(&copy).await?;
        copied.push(copy);
    }
    audit::record(
        &state.store,
        actor,
        "budget.copy",
        &format!("budgets:{from}->{to}"),
        None::<Vec<Budget>>,
        Some(&copied),
    )
    .await?;
    Ok(copied)
}
