//! Why the bill moved: the change in blended cost between two months, for the organisation,
//! a team or a feature, split into parts that add up to the change to the cent.
//!
//! The method is a chained (sequential substitution) decomposition in one fixed order; see
//! DECISIONS.md, "Why the bill moved". It reads the two months' rollup rows, never raw events:
//! tokens are summed per (owners, key, model, tier, context band, card, discount) first, and
//! each sum is priced once at the month's own rates and once at the earlier month's reference
//! rates. Every step is exact; only the finished parts are rounded to cents, by largest
//! remainder, onto the change the two showbacks report.
//!
//! The chain, for the token cost inside the scope (owners E are those in force on the later
//! month's last day, resolved with the later month's attributor):
//!
//! | state | what is summed                                                    | step        |
//! |-------|-------------------------------------------------------------------|-------------|
//! | S0    | A's rows, A's owners, A's own rates                               |             |
//! | S1    | A's rows, owners E, A's own rates                                 | attribution |
//! | S2    | continuing members of S1 + B's new members at B's rates           | new, gone   |
//! | S3    | continuing A tokens at A's reference rates (+ new)                | price       |
//! | S4    | per member, S3's cost × its B tokens ÷ its A tokens (+ new)       | volume      |
//! | S5    | continuing B tokens at A's reference rates (+ new)                | mix         |
//! | S6    | B's rows, owners E, B's own rates                                 | price       |
//! | S7    | B's rows, B's owners, B's own rates                               | attribution |
//!
//! then overheads and commitments, each the later month's share in the scope less the
//! earlier month's.

mod chain;
mod rating;
mod rounding;
mod shared;
#[cfg(test)]
mod tests;

use rust_decimal::Decimal;
use serde::Serialize;

use crate::allocation::cents;
use crate::attribution::Attributor;
use crate::catalog::PriceBook;
use crate::ledger::MonthData;
use crate::month::Month;
use crate::showback::Showback;

/// How many contributors each part lists, largest first; the rest are summed into one.
pub const TOP_CONTRIBUTORS: usize = 10;

/// Decimal places the volume step's scaled cost is carried to (its ratio of token totals
/// need not end); every other amount is exact.
pub const VOLUME_SCALE_DP: u32 = 12;

/// What the movement is of: the organisation, one team, or one feature of a team.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "level")]
pub enum Scope {
    Org,
    Team { team: String },
    Feature { team: String, feature: String },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScopeError {
    #[error("a feature is named within a team: give `team` too")]
    FeatureWithoutTeam,
    #[error("`{0}` must not be empty")]
    Empty(&'static str),
}

impl Scope {
    /// The scope of `?team=&feature=`: neither is the organisation; a feature needs its team.
    pub fn parse(team: Option<&str>, feature: Option<&str>) -> Result<Self, ScopeError> {
        let given = |field: &'static str, v: &str| {
            if v.trim().is_empty() {
                Err(ScopeError::Empty(field))
            } else {
                Ok(v.to_owned())
            }
        };
        match (team, feature) {
            (None, None) => Ok(Scope::Org),
            (Some(t), None) => Ok(Scope::Team {
                team: given("team", t)?,
            }),
            (Some(t), Some(f)) => Ok(Scope::Feature {
                team: given("team", t)?,
                feature: given("feature", f)?,
            }),
            (None, Some(_)) => Err(ScopeError::FeatureWithoutTeam),
        }
    }

    fn contains(&self, o: &Owner) -> bool {
        match self {
            Scope::Org => true,
            Scope::Team { team } => o.team == *team,
            Scope::Feature { team, feature } => o.team == *team && o.feature == *feature,
        }
    }

    /// What the scope is made of, one level down: teams, features, keys.
    fn children(&self) -> By {
        match self {
            Scope::Org => By::Team,
            Scope::Team { .. } => By::Feature,
            Scope::Feature { .. } => By::Key,
        }
    }
}

/// One month as the movement reads it. `showback` must be that month's showback computed
/// from the same `data`, `attributor` and price book: its rounded figures are the totals the
/// parts add up to.
#[derive(Debug, Clone, Copy)]
pub struct MonthSide<'a> {
    pub data: &'a MonthData,
    pub attributor: &'a Attributor,
    pub showback: &'a Showback,
}

impl MonthSide<'_> {
    pub fn month(&self) -> Month {
        self.showback.month
    }
}

/// The parts of a movement, in the order of the chain (and of the waterfall).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PartKind {
    /// Spend moved between owners by a key mapping, rule or rename.
    Attribution,
    /// Members (team, feature, key) with spend in the later month only.
    New,
    /// Members with spend in the earlier month only.
    Gone,
    /// More or fewer tokens at the earlier month's rates and mix.
    Volume,
    /// Tokens moving between models, token classes, tiers and context bands.
    Mix,
    /// Price cards and discounts that took effect, re-rating the same tokens.
    Price,
    Overheads,
    Commitments,
}

impl PartKind {
    pub const ALL: [PartKind; 8] = [
        Self::Attribution,
        Self::New,
        Self::Gone,
        Self::Volume,
        Self::Mix,
        Self::Price,
        Self::Overheads,
        Self::Commitments,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Attribution => "attribution",
            Self::New => "new",
            Self::Gone => "gone",
            Self::Volume => "volume",
            Self::Mix => "mix",
            Self::Price => "price",
            Self::Overheads => "overheads",
            Self::Commitments => "commitments",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Attribution => "Attribution",
            Self::New => "New",
            Self::Gone => "Gone",
            Self::Volume => "Volume",
            Self::Mix => "Mix",
            Self::Price => "Price",
            Self::Overheads => "Overheads",
            Self::Commitments => "Commitments",
        }
    }
}

/// What a contributor is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum By {
    Team,
    Feature,
    /// An API key (empty: usage that came without one).
    Key,
    /// `provider/model`.
    Model,
    /// An overhead category.
    Category,
    /// A commitment (`provider/model`), or `idle` for the unused part of all of them.
    Commitment,
    /// Every contributor beyond the top ones, summed.
    Others,
}

/// One contributor to a part: a team, feature, key, model, overhead category or commitment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Contributor {
    pub by: By,
    pub name: String,
    /// The team it belongs to, where it belongs to one (a team itself, a feature's team, a
    /// key's owner at the end of the later month), so that a page can link to the team.
    pub team: Option<String>,
    /// Rounded to the cent so that a part's contributors add up to the part.
    pub amount: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Part {
    pub kind: PartKind,
    /// Rounded to the cent; the parts add up to `Movement::change` exactly.
    pub amount: Decimal,
    /// The part before rounding, exact (the volume step carried to [`VOLUME_SCALE_DP`]).
    pub exact: Decimal,
    /// The largest contributors, by absolute amount; one `others` line sums the rest.
    pub contributors: Vec<Contributor>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Movement {
    pub scope: Scope,
    pub from: Month,
    pub to: Month,
    pub currency: String,
    /// Blended cost in the scope as each month's showback (or drill-down) rounds it.
    pub before_total: Decimal,
    pub after_total: Decimal,
    /// `after_total − before_total` = Σ parts.
    pub change: Decimal,
    /// Every kind, in [`PartKind::ALL`]'s order, zero or not.
    pub parts: Vec<Part>,
}

impl Movement {
    pub fn part(&self, kind: PartKind) -> &Part {
        self.parts
            .iter()
            .find(|p| p.kind == kind)
            .expect("a movement has every part")
    }
}

/// Explains `after`'s blended cost in `scope` against `before`'s (see the module docs and
/// DECISIONS.md for the method).
pub fn movement(
    scope: &Scope,
    before: &MonthSide<'_>,
    after: &MonthSide<'_>,
    book: &PriceBook,
) -> Movement {
    let end = EndOwners {
        attributor: after.attributor,
        day: after.month().last_day(),
    };
    let reference = Reference {
        book,
        day: before.month().last_day(),
        discounts: &before.data.discounts,
    };
    let a = rate_month(before, book, &end, &reference);
    let b = rate_month(after, book, &end, &reference);
    let tokens = token_parts(scope, &a, &b);

    let shared_a = Shared::of(scope, before, book);
    let shared_b = Shared::of(scope, after, book);
    let token_change = cents(shared_b.token_cost) - cents(shared_a.token_cost);
    let exact: Vec<Decimal> = tokens.iter().map(|(_, acc)| acc.exact).collect();
    let rounded = if exact.iter().all(Decimal::is_zero) {
        // Nothing moved, yet the two showbacks rounded the scope's cost differently (a team
        // is rounded among the others): that cent is shown as volume.
        tokens
            .iter()
            .map(|(kind, _)| {
                if *kind == PartKind::Volume {
                    token_change
                } else {
                    0
                }
            })
            .collect()
    } else {
        round_signed_to(token_change, &exact)
    };

    let mut parts: Vec<Part> = tokens
        .into_iter()
        .zip(rounded)
        .map(|((kind, acc), amount)| acc.into_part(kind, amount))
        .collect();
    parts.push(
        Acc::of_changes(
            &shared_a.overhead_by_category,
            &shared_b.overhead_by_category,
            By::Category,
        )
        .with_exact(shared_b.overhead - shared_a.overhead)
        .into_part(
            PartKind::Overheads,
            cents(shared_b.overhead - shared_a.overhead),
        ),
    );
    parts.push(
        Acc::of_changes(
            &shared_a.commitment_by_label,
            &shared_b.commitment_by_label,
            By::Commitment,
        )
        .with_exact(shared_b.commitment - shared_a.commitment)
        .into_part(
            PartKind::Commitments,
            cents(shared_b.commitment - shared_a.commitment),
        ),
    );
    let change = shared_b.blended - shared_a.blended;
    debug_assert_eq!(parts.iter().map(|p| p.amount).sum::<Decimal>(), change);
    Movement {
        scope: scope.clone(),
        from: before.month(),
        to: after.month(),
        currency: after.showback.currency.clone(),
        before_total: shared_a.blended,
        after_total: shared_b.blended,
        change,
        parts,
    }
}

use chain::{Acc, token_parts};
use rating::{EndOwners, Owner, Rated, Reference, rate_month};
pub use rounding::round_signed_to;
use shared::Shared;
