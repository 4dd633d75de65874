//! The scope's rounded figures, from the showback: token cost, overheads, commitments.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use crate::catalog::PriceBook;
use crate::drilldown::{Shares, Views};

use super::{MonthSide, Scope};

/// A month's figures in the scope as showback (or the team's drill-down, for a feature)
/// rounds them.
#[derive(Default)]
pub(super) struct Shared {
    pub(super) token_cost: Decimal,
    pub(super) overhead: Decimal,
    pub(super) overhead_by_category: BTreeMap<String, Decimal>,
    /// Commitment shares; at the organisation, whole fees (idle part included).
    pub(super) commitment: Decimal,
    pub(super) commitment_by_label: BTreeMap<String, Decimal>,
    pub(super) blended: Decimal,
}

impl Shared {
    pub(super) fn of(scope: &Scope, side: &MonthSide<'_>, book: &PriceBook) -> Self {
        let sb = side.showback;
        match scope {
            Scope::Org => {
                let mut overhead_by_category: BTreeMap<String, Decimal> = BTreeMap::new();
                for t in &sb.teams {
                    for (c, v) in &t.overhead_by_category {
                        *overhead_by_category.entry(c.clone()).or_default() += *v;
                    }
                }
                let mut commitment_by_label: BTreeMap<String, Decimal> = BTreeMap::new();
                for u in &sb.commitments {
                    *commitment_by_label
                        .entry(format!("{}/{}", u.provider, u.model))
                        .or_default() += u.fee;
                }
                Shared {
                    token_cost: sb.token_cost,
                    overhead: sb.overhead,
                    overhead_by_category,
                    commitment: sb.commitment + sb.idle_commitment,
                    commitment_by_label,
                    blended: sb.org_total,
                }
            }
            Scope::Team { team } => sb.team(team).map_or_else(Shared::default, |t| Shared {
                token_cost: t.token_cost,
                overhead: t.overhead,
                overhead_by_category: t.overhead_by_category.clone(),
                commitment: t.commitment,
                commitment_by_label: t.commitment_by_model.clone(),
                blended: t.blended_cost,
            }),
            Scope::Feature { team, feature } => {
                let Some(t) = sb.team(team) else {
                    return Shared::default();
                };
                let views = Views::new(sb.month, side.data, side.attributor, book);
                let lines = views.lines(
                    &|p| p.owner.team == *team,
                    &|p| p.owner.feature.clone(),
                    Some(&Shares::of_team(t)),
                );
                lines
                    .into_iter()
                    .find(|l| l.name == *feature)
                    .map_or_else(Shared::default, |l| Shared {
                        token_cost: l.token_cost,
                        overhead: l.overhead,
                        overhead_by_category: BTreeMap::new(),
                        commitment: l.commitment,
                        commitment_by_label: l.commitment_by_model,
                        blended: l.blended_cost,
                    })
            }
        }
    }
}
