//! Rating: each month's rows summed by what the chain needs, and priced twice (at the
//! month's own rates and at the earlier month's reference rates).

use std::collections::HashMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::attribution::{Attribution, Attributor};
use crate::catalog::{CardId, PriceBook};
use crate::discount::{self, Discount};
use crate::event::ServiceTier;
use crate::ledger::Ledger;
use crate::pricing::price;
use crate::rollup::RollupKey;
use crate::tokens::TokenCounts;

use super::MonthSide;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(super) struct Owner {
    pub(super) team: String,
    pub(super) feature: String,
}

impl Owner {
    pub(super) fn of(a: &Attribution) -> Self {
        Owner {
            team: a.team.clone(),
            feature: a.feature.clone(),
        }
    }
}

/// The owners as they stand on the later month's last day, by the later month's attributor:
/// the one owner map that the middle of the chain compares both months under.
pub(super) struct EndOwners<'a> {
    pub(super) attributor: &'a Attributor,
    pub(super) day: NaiveDate,
}

impl EndOwners<'_> {
    pub(super) fn resolve(&self, k: &RollupKey) -> Owner {
        let dims = k.dims();
        let tags = dims.parse_tags();
        Owner::of(&self.attributor.resolve(&dims.event_dims(&tags), self.day))
    }
}

/// A card, and the factor of the discount in force with it.
pub(super) type ReferenceRates = (CardId, Option<Decimal>);

/// The earlier month's reference rates: per (provider, model), the card in force on its last
/// day (its tier and context-band rates as that card resolves them), less the provider's
/// discount in force that day.
pub(super) struct Reference<'a> {
    pub(super) book: &'a PriceBook,
    pub(super) day: NaiveDate,
    pub(super) discounts: &'a [Discount],
}

impl Reference<'_> {
    /// The card and the discount's factor, if a card priced the model that day.
    pub(super) fn rates(&self, provider: &str, model: &str) -> Option<ReferenceRates> {
        let card = self.book.lookup(provider, model, self.day)?;
        let factor = discount::in_force(self.discounts, provider, self.day)
            .map(|i| self.discounts[i].factor());
        Some((card, factor))
    }
}

/// A sum of rows that share everything the chain looks at, with its cost at the month's own
/// rates (`actual`) and at the earlier month's reference rates (`reference`).
pub(super) struct Rated {
    /// Owner as the month's showback attributes it.
    pub(super) own: Owner,
    /// Owner at the end of the later month.
    pub(super) end: Owner,
    pub(super) key: String,
    /// `provider/model`.
    pub(super) model: String,
    pub(super) tokens: u64,
    pub(super) actual: Decimal,
    pub(super) reference: Decimal,
}

#[derive(PartialEq, Eq, Hash)]
pub(super) struct GroupKey<'a> {
    pub(super) own: Owner,
    pub(super) end: Owner,
    pub(super) key: &'a str,
    pub(super) provider: &'a str,
    pub(super) model: &'a str,
    pub(super) tier: ServiceTier,
    pub(super) band: u64,
    pub(super) card: Option<CardId>,
    pub(super) discount: Option<usize>,
}

pub(super) type DimsRef<'a> = (
    &'a str,
    &'a str,
    &'a str,
    &'a str,
    &'a str,
    &'a str,
    &'a str,
);

pub(super) fn rate_month<'a>(
    side: &MonthSide<'a>,
    book: &'a PriceBook,
    end: &EndOwners<'_>,
    reference: &Reference<'_>,
) -> Vec<Rated> {
    let ledger = Ledger::of(side.data, side.attributor, book);
    let mut end_of: HashMap<DimsRef<'a>, Owner> = HashMap::new();
    let mut groups: HashMap<GroupKey<'a>, TokenCounts> = HashMap::new();
    for r in &ledger.rows {
        let k: &'a RollupKey = &r.row.key;
        let dims = (
            k.provider.as_str(),
            k.model.as_str(),
            k.api_key.as_str(),
            k.team.as_str(),
            k.feature.as_str(),
            k.environment.as_str(),
            k.tags.as_str(),
        );
        let end_owner = end_of.entry(dims).or_insert_with(|| end.resolve(k)).clone();
        let g = GroupKey {
            own: Owner::of(&r.owner),
            end: end_owner,
            key: &k.api_key,
            provider: &k.provider,
            model: &k.model,
            tier: k.service_tier,
            band: k.context_band,
            card: r.card,
            discount: r.discount,
        };
        groups.entry(g).or_default().add(&r.row.totals.tokens);
    }
    let mut reference_of: HashMap<(&str, &str), Option<ReferenceRates>> = HashMap::new();
    let cost = |card: CardId, factor: Option<Decimal>, g: &GroupKey<'_>, t: &TokenCounts| {
        let list = price(book.card(card), g.tier, g.band, t).total();
        factor.map_or(list, |f| list * f)
    };
    groups
        .into_iter()
        .map(|(g, tokens)| {
            let factor = g.discount.map(|i| side.data.discounts[i].factor());
            let actual = g
                .card
                .map_or(Decimal::ZERO, |c| cost(c, factor, &g, &tokens));
            // A model with no card on the earlier month's last day has no earlier rate to
            // compare with: it is re-rated at its own rates (no price effect).
            let reference = reference_of
                .entry((g.provider, g.model))
                .or_insert_with(|| reference.rates(g.provider, g.model))
                .map_or(actual, |(c, f)| cost(c, f, &g, &tokens));
            Rated {
                model: format!("{}/{}", g.provider, g.model),
                key: g.key.to_owned(),
                own: g.own,
                end: g.end,
                tokens: tokens.total(),
                actual,
                reference,
            }
        })
        .collect()
}
