//! The ledger: a month's rollup rows, each with its owner, price card and discount decided
//! once, and the sums that views group them into. Showback, drill-downs and unit economics
//! all read it, so it depends on none of them.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use crate::allocation::Overhead;
use crate::attribution::{Attribution, Attributor};
use crate::catalog::{CardId, PriceBook};
use crate::commitment::Commitment;
use crate::discount::{self, Discount};
use crate::event::{Outcome, ServiceTier};
use crate::pricing::{Cost, price, unpriced};
use crate::rollup::{RollupKey, RollupTotals, UserWord, WorkflowGroup};
use crate::tokens::TokenCounts;
use crate::transaction::BusinessTransactions;

/// One stored rollup row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageRow {
    pub key: RollupKey,
    pub totals: RollupTotals,
}

/// Everything stored for one month that showback reads.
#[derive(Debug, Clone, Default)]
pub struct MonthData {
    pub rows: Vec<UsageRow>,
    /// The month's workflows, grouped by how they ended.
    pub workflows: Vec<WorkflowGroup>,
    pub overheads: Vec<Overhead>,
    /// The month's users per day and owner dimensions, as words of bit sets (see
    /// [`UserWord`]).
    pub users: Vec<UserWord>,
    pub commitments: Vec<Commitment>,
    /// Every discount, whatever its day: each row takes the one in force on its day.
    pub discounts: Vec<Discount>,
    pub transactions: Vec<BusinessTransactions>,
}

/// A rollup row with its owner, card and discount decided.
#[derive(Debug, Clone)]
pub struct AttributedRow<'a> {
    pub row: &'a UsageRow,
    pub owner: Attribution,
    pub card: Option<CardId>,
    /// Index into the ledger's discounts.
    pub discount: Option<usize>,
}

impl AttributedRow<'_> {
    pub fn day(&self) -> NaiveDate {
        self.row.key.day
    }
}

/// Totals of a group of rows, priced.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub events: u64,
    pub requests: u64,
    pub tokens: TokenCounts,
    /// Successful calls outside workflows (workflows are counted by their outcome).
    pub standalone_successes: u64,
    /// Exact effective cost of the priced tokens: list cost less discounts.
    pub cost: Cost,
    /// Exact cost at the price cards' rates.
    pub list_cost: Cost,
    pub unpriced_events: u64,
    pub unpriced_requests: u64,
    /// Tokens of rows without a card, and units (web searches, ...) of any row whose card
    /// has no rate for them: never priced at zero.
    pub unpriced_tokens: TokenCounts,
    /// Requests whose outcome is failure or retry, and what they cost (effective, exact).
    pub wasted_requests: u64,
    pub waste: Decimal,
    /// Effective cost of the calls that belong to workflows, exact.
    pub workflow_cost: Decimal,
    /// Events whose team tag disagreed with their key's owner.
    pub tag_conflicts: u64,
}

impl Summary {
    pub fn token_cost(&self) -> Decimal {
        self.cost.total()
    }
}

pub struct Ledger<'a> {
    pub book: &'a PriceBook,
    pub discounts: &'a [Discount],
    pub rows: Vec<AttributedRow<'a>>,
}

impl<'a> Ledger<'a> {
    pub fn new(
        rows: &'a [UsageRow],
        discounts: &'a [Discount],
        attributor: &Attributor,
        book: &'a PriceBook,
    ) -> Self {
        let mut tags_cache: HashMap<&str, BTreeMap<String, String>> = HashMap::new();
        let mut candidates: HashMap<(&str, &str), crate::catalog::Candidates<'a>> = HashMap::new();
        let mut discount_of: HashMap<(&str, NaiveDate), Option<usize>> = HashMap::new();
        let attributed = rows
            .iter()
            .map(|row| {
                let k = &row.key;
                let tags = tags_cache
                    .entry(k.tags.as_str())
                    .or_insert_with(|| k.parse_tags());
                let owner = attributor.resolve(&k.event_dims(tags), k.day);
                let card = candidates
                    .entry((k.provider.as_str(), k.model.as_str()))
                    .or_insert_with(|| book.candidates(&k.provider, &k.model))
                    .in_force(book.cards(), k.day);
                let discount = *discount_of
                    .entry((k.provider.as_str(), k.day))
                    .or_insert_with(|| discount::in_force(discounts, &k.provider, k.day));
                AttributedRow {
                    row,
                    owner,
                    card,
                    discount,
                }
            })
            .collect();
        Ledger {
            book,
            discounts,
            rows: attributed,
        }
    }

    /// The ledger of a month's data.
    pub fn of(data: &'a MonthData, attributor: &Attributor, book: &'a PriceBook) -> Self {
        Self::new(&data.rows, &data.discounts, attributor, book)
    }

    /// Groups rows by `key` (rows for which it answers `None` are left out), pricing each
    /// group's tokens per (card, tier, band, discount) once.
    pub fn summarize<K: Ord + Clone + std::hash::Hash>(
        &self,
        key: impl Fn(&AttributedRow<'a>) -> Option<K>,
    ) -> BTreeMap<K, Summary> {
        self.summarize_indexed(|_, r| key(r))
    }

    /// [`Ledger::summarize`], where `key` also sees each row's index in the rows the ledger
    /// was made of (so that a caller can group by something kept beside them, a customer).
    pub fn summarize_indexed<K: Ord + Clone + std::hash::Hash>(
        &self,
        key: impl Fn(usize, &AttributedRow<'a>) -> Option<K>,
    ) -> BTreeMap<K, Summary> {
        #[derive(Default)]
        struct Acc {
            tokens: TokenCounts,
            wasted: TokenCounts,
            in_workflow: TokenCounts,
        }
        type PriceKey<K> = (K, CardId, ServiceTier, u64, Option<usize>);
        let mut out: BTreeMap<K, Summary> = BTreeMap::new();
        let mut priced: HashMap<PriceKey<K>, Acc> = HashMap::new();
        for (i, r) in self.rows.iter().enumerate() {
            let Some(k) = key(i, r) else { continue };
            let t = &r.row.totals;
            let s = out.entry(k.clone()).or_default();
            s.events += t.events;
            s.requests += t.requests;
            s.tokens.add(&t.tokens);
            s.standalone_successes += t.standalone_successes;
            let wasted = matches!(r.row.key.outcome, Outcome::Failure | Outcome::Retry);
            if wasted {
                s.wasted_requests += t.requests;
            }
            if r.owner.conflict {
                s.tag_conflicts += t.events;
            }
            match r.card {
                Some(card) => {
                    let rk = &r.row.key;
                    let acc = priced
                        .entry((k, card, rk.service_tier, rk.context_band, r.discount))
                        .or_default();
                    acc.tokens.add(&t.tokens);
                    if wasted {
                        acc.wasted.add(&t.tokens);
                    }
                    if rk.in_workflow {
                        acc.in_workflow.add(&t.tokens);
                    }
                }
                None => {
                    s.unpriced_events += t.events;
                    s.unpriced_requests += t.requests;
                    s.unpriced_tokens.add(&t.tokens);
                }
            }
        }
        for ((k, card, tier, band, discount), acc) in priced {
            let card = self.book.card(card);
            let factor = discount.map(|i| self.discounts[i].factor());
            let effective = |tokens: &TokenCounts| {
                let list = price(card, tier, band, tokens);
                (factor.map_or(list, |f| list.scaled(f)), list)
            };
            let s = out.get_mut(&k).expect("group seen above");
            s.unpriced_tokens
                .add(&unpriced(card, tier, band, &acc.tokens));
            let (cost, list) = effective(&acc.tokens);
            s.cost.add(&cost);
            s.list_cost.add(&list);
            s.waste += effective(&acc.wasted).0.total();
            s.workflow_cost += effective(&acc.in_workflow).0.total();
        }
        out
    }
}

/// What views filter and group on, for a rollup row, a workflow or a business-transaction
/// report alike.
#[derive(Debug, Clone, Copy)]
pub struct Point<'a> {
    pub owner: &'a Attribution,
    pub provider: &'a str,
    pub model: &'a str,
    pub api_key: &'a str,
    pub day: NaiveDate,
    pub outcome: Outcome,
}

impl<'a> AttributedRow<'a> {
    pub fn point(&self) -> Point<'_> {
        let k = &self.row.key;
        Point {
            owner: &self.owner,
            provider: &k.provider,
            model: &k.model,
            api_key: &k.api_key,
            day: k.day,
            outcome: k.outcome,
        }
    }
}
