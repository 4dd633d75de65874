//! Costs beyond tokens: overheads, commitments and negotiated discounts, each validated,
//! stored (replacing the earlier value for the same month and name) and audited.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Deserialize;
use tokentally_domain::allocation::{Allocation, Overhead};
use tokentally_domain::commitment::{Commitment, DEFAULT_UTILISATION_FLOOR};
use tokentally_domain::discount::Discount;
use tokentally_domain::month::Month;

use super::{AppError, audit, closed_months};
use crate::state::AppState;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewOverhead {
    pub month: Month,
    pub category: String,
    /// A decimal string ("1250.00") or number, in whole cents.
    pub amount: Decimal,
    /// `proportional` (default), `even`, `fixed` (with `shares`) or `direct` (with `team`).
    pub allocation: Option<String>,
    pub team: Option<String>,
    pub shares: Option<BTreeMap<String, Decimal>>,
}

impl NewOverhead {
    pub fn into_overhead(self) -> Result<Overhead, AppError> {
        let allocation = match self.allocation.as_deref().unwrap_or("proportional") {
            "proportional" => Allocation::Proportional,
            "even" => Allocation::Even,
            "fixed" => Allocation::Fixed {
                shares: self
                    .shares
                    .ok_or_else(|| AppError::invalid("a fixed allocation needs `shares`"))?,
            },
            "direct" => Allocation::Direct {
                team: self
                    .team
                    .ok_or_else(|| AppError::invalid("a direct allocation needs `team`"))?
                    .trim()
                    .to_owned(),
            },
            other => {
                return Err(AppError::invalid(format!(
                    "unknown allocation `{other}`; expected proportional, even, fixed or direct"
                )));
            }
        };
        let o = Overhead {
            month: self.month,
            category: self.category.trim().to_owned(),
            amount: self.amount,
            allocation,
        };
        o.validate().map_err(|e| AppError::invalid(e.to_string()))?;
        Ok(o)
    }
}

/// Stores a month's overhead (replacing the category's earlier amount) and audits it.
pub async fn record_overhead(state: &AppState, actor: &str, o: &Overhead) -> Result<(), AppError> {
    closed_months::refuse_in(&state.store, "An overhead", o.month).await?;
    let before = state.store.set_overhead(o).await?;
    audit::record(
        &state.store,
        actor,
        "overhead.set",
        &format!("overhead:{}:{}", o.month, o.category),
        before,
        Some(o),
    )
    .await?;
    Ok(())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewCommitment {
    pub month: Month,
    pub provider: String,
    pub model: String,
    pub fee: Decimal,
    pub capacity_tokens: u64,
    pub utilisation_floor: Option<Decimal>,
}

impl NewCommitment {
    pub fn into_domain(self) -> Result<Commitment, AppError> {
        let c = Commitment {
            month: self.month,
            provider: self.provider.trim().to_owned(),
            model: self.model.trim().to_owned(),
            fee: self.fee,
            capacity_tokens: self.capacity_tokens,
            utilisation_floor: self.utilisation_floor.unwrap_or(DEFAULT_UTILISATION_FLOOR),
        };
        c.validate().map_err(|e| AppError::invalid(e.to_string()))?;
        Ok(c)
    }
}

pub async fn record_commitment(
    state: &AppState,
    actor: &str,
    c: &Commitment,
) -> Result<(), AppError> {
    closed_months::refuse_in(&state.store, "A commitment", c.month).await?;
    let before = state.store.set_commitment(c).await?;
    audit::record(
        &state.store,
        actor,
        "commitment.set",
        &format!("commitment:{}:{}", c.month, c.label()),
        before,
        Some(c),
    )
    .await?;
    Ok(())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewDiscount {
    pub provider: String,
    pub percent: Decimal,
    pub effective_from: NaiveDate,
}

impl NewDiscount {
    pub fn into_domain(self) -> Result<Discount, AppError> {
        let d = Discount {
            provider: self.provider.trim().to_owned(),
            percent: self.percent,
            effective_from: self.effective_from,
        };
        d.validate().map_err(|e| AppError::invalid(e.to_string()))?;
        Ok(d)
    }
}

pub async fn record_discount(state: &AppState, actor: &str, d: &Discount) -> Result<(), AppError> {
    closed_months::refuse_from(&state.store, "A discount", d.effective_from).await?;
    let before = state.store.set_discount(d).await?;
    audit::record(
        &state.store,
        actor,
        "discount.set",
        &format!("discount:{}:{}", d.provider, d.effective_from),
        before,
        Some(d),
    )
    .await?;
    Ok(())
}
