//! What touches no tokens: commitments used under their floor (the idle part of the fee is
//! the saving, measured) and owned keys nobody uses (no money; a risk to revoke).

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::{Basis, Evidence, Lever, OwnedKey, Recommendation, Settings, id, money};
use crate::commitment::CommitmentUse;
use crate::month::Month;

pub fn commitments(month: Month, uses: &[CommitmentUse]) -> Vec<Recommendation> {
    uses.iter()
        .filter(|c| c.underused && c.idle > Decimal::ZERO)
        .map(|c| {
            let model = format!("{}/{}", c.provider, c.model);
            Recommendation {
                id: id(month, Lever::IdleCommitment, "", "", "", &model),
                month,
                lever: Lever::IdleCommitment,
                team: String::new(),
                feature: String::new(),
                key: String::new(),
                action: format!(
                    "Resize the commitment on {model}: {}% of its capacity was used",
                    c.utilisation
                ),
                model,
                monthly_saving: c.idle.normalize(),
                basis: Basis::Measured,
                evidence: vec![
                    Evidence::new("fee", money(c.fee), "/costs"),
                    Evidence::new("capacity (tokens)", c.capacity_tokens, "/costs"),
                    Evidence::new("used (tokens)", c.used_tokens, "/costs"),
                    Evidence::new("idle part of the fee", money(c.idle), "/costs"),
                ],
                cost_per_success: None,
                implied_cost_per_success: None,
                candidate: None,
                break_even_success_pct: None,
            }
        })
        .collect()
}

/// Owned keys unused for `zombie_days` up to `today`.
pub fn zombie_keys(
    month: Month,
    keys: &[OwnedKey],
    today: NaiveDate,
    s: &Settings,
) -> Vec<Recommendation> {
    let since = today - chrono::Duration::days(s.zombie_days);
    keys.iter()
        .filter(|k| k.last_used.is_none_or(|d| d < since))
        .map(|k| Recommendation {
            id: id(month, Lever::ZombieKey, &k.team, "", &k.api_key, ""),
            month,
            lever: Lever::ZombieKey,
            team: k.team.clone(),
            feature: String::new(),
            key: k.api_key.clone(),
            model: String::new(),
            action: format!("Revoke key {}: owned by {}, unused", k.api_key, k.team),
            monthly_saving: Decimal::ZERO,
            basis: Basis::Measured,
            evidence: vec![Evidence::new(
                "last used",
                k.last_used.map_or("never".to_owned(), |d| d.to_string()),
                "/admin/keys",
            )],
            cost_per_success: None,
            implied_cost_per_success: None,
            candidate: None,
            break_even_success_pct: None,
        })
        .collect()
}
