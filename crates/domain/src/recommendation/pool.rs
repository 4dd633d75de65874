//! Pools: a month's priced usage of one (team, feature, provider, model), as slices of
//! exact quantities per token class that levers re-price and reshape.
//!
//! A slice is the sum of the rows that share a card, tier, context band, discount, outcome
//! class (wasted or not) and workflow membership: the same grouping the ledger prices by, so a
//! pool's cost is the ledger's cost of those rows to the last digit. Levers work on the
//! quantities as exact decimals (a lever may move a fraction of a class), and a slice is
//! priced as the ledger prices a sum: quantity × rate ÷ 1M per class, times the discount.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::catalog::{CardId, PriceBook};
use crate::event::{Outcome, ServiceTier};
use crate::ledger::Ledger;
use crate::price_card::PriceCard;
use crate::tokens::{TokenClass, TokenCounts};

const PER_MILLION: Decimal = Decimal::from_parts(1_000_000, 0, 0, false, 0);

/// Quantities per [`TokenClass`], in the class's billed unit.
pub type Quantities = [Decimal; TokenClass::COUNT];

/// Quantities of `t` per class.
pub fn quantities(t: &TokenCounts) -> Quantities {
    let mut q = [Decimal::ZERO; TokenClass::COUNT];
    for c in TokenClass::ALL {
        q[c.index()] = Decimal::from(c.quantity(t));
    }
    q
}

/// The output classes (what an output cap shortens).
pub const OUTPUT_CLASSES: [TokenClass; 4] = [
    TokenClass::Output,
    TokenClass::Reasoning,
    TokenClass::AudioOutput,
    TokenClass::ImageOutput,
];

/// The input classes (what context growth inflates).
pub const INPUT_CLASSES: [TokenClass; 7] = [
    TokenClass::Input,
    TokenClass::CachedInput,
    TokenClass::CacheWrite,
    TokenClass::CacheWrite1h,
    TokenClass::AudioInput,
    TokenClass::CachedAudioInput,
    TokenClass::ImageInput,
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slice {
    pub card: CardId,
    pub tier: ServiceTier,
    pub band: u64,
    /// The discount's factor (1 when none is in force).
    pub factor: Decimal,
    /// Failure and retry calls.
    pub wasted: bool,
    pub in_workflow: bool,
    pub requests: Decimal,
    pub qty: Quantities,
}

impl Slice {
    /// What the slice costs on `card` in `tier` and `band`, with `factor`.
    pub fn cost_on(
        &self,
        card: &PriceCard,
        tier: ServiceTier,
        band: u64,
        factor: Decimal,
    ) -> Decimal {
        let rates = card.resolve(tier, band);
        TokenClass::ALL
            .iter()
            .filter(|c| !self.qty[c.index()].is_zero())
            .filter_map(|c| {
                let q = self.qty[c.index()];
                let rate = rates.rate(*c)?;
                let list = if c.is_unit() {
                    q * rate
                } else {
                    q * rate / PER_MILLION
                };
                Some(list * factor)
            })
            .sum()
    }

    pub fn cost(&self, book: &PriceBook) -> Decimal {
        self.cost_on(book.card(self.card), self.tier, self.band, self.factor)
    }

    pub fn scale_all(&mut self, k: Decimal) {
        self.requests *= k;
        for q in &mut self.qty {
            *q *= k;
        }
    }

    pub fn scale(&mut self, classes: &[TokenClass], k: Decimal) {
        for c in classes {
            self.qty[c.index()] *= k;
        }
    }
}

/// The cost of `slices` as they stand.
pub fn cost(book: &PriceBook, slices: &[Slice]) -> Decimal {
    slices.iter().map(|s| s.cost(book)).sum()
}

/// Who a pool belongs to and what it holds.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PoolKey {
    pub team: String,
    pub feature: String,
    pub provider: String,
    pub model: String,
}

#[derive(Debug, Clone, Default)]
pub struct Pool {
    /// The key that made most of the pool's calls.
    pub key: String,
    pub slices: Vec<Slice>,
    pub tokens: TokenCounts,
    pub requests: u64,
    pub wasted_requests: u64,
    /// Requests whose outcome was success, and those that reported any outcome.
    pub successes: u64,
    pub outcomes: u64,
    /// The last day with usage (cards and discounts for re-pricing are taken on it).
    pub last_day: Option<NaiveDate>,
}

impl Pool {
    /// Success rate of the calls that reported an outcome, as a fraction.
    pub fn success_rate(&self) -> Option<Decimal> {
        (self.outcomes > 0).then(|| Decimal::from(self.successes) / Decimal::from(self.outcomes))
    }
}

/// Calls of one model across the organisation: the comparable work routing trusts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ModelRecord {
    pub successes: u64,
    pub outcomes: u64,
    pub output_tokens: u64,
}

impl ModelRecord {
    pub fn success_rate(&self) -> Option<Decimal> {
        (self.outcomes > 0).then(|| Decimal::from(self.successes) / Decimal::from(self.outcomes))
    }
}

/// A pool's slices as they are summed: (card, tier, band, discount, wasted, in workflow).
type SliceKey = (CardId, ServiceTier, u64, Option<usize>, bool, bool);

/// A pool being summed: its figures, its slices' tokens and requests, its keys' requests.
type Acc = (
    Pool,
    HashMap<SliceKey, (TokenCounts, u64)>,
    HashMap<String, u64>,
);

/// The organisation's record per (provider, model).
pub type Models = BTreeMap<(String, String), ModelRecord>;

/// Priced pools of the month, and the organisation's record per (provider, model). Rows
/// without a card are left out: there is nothing to re-price.
pub fn pools(ledger: &Ledger<'_>) -> (BTreeMap<PoolKey, Pool>, Models) {
    let mut acc: BTreeMap<PoolKey, Acc> = BTreeMap::new();
    let mut models: Models = BTreeMap::new();
    for r in &ledger.rows {
        let Some(card) = r.card else { continue };
        let k = &r.row.key;
        let t = &r.row.totals;
        let rec = models
            .entry((k.provider.clone(), k.model.clone()))
            .or_default();
        let reported = !matches!(k.outcome, Outcome::Unknown);
        let success = matches!(k.outcome, Outcome::Success);
        let wasted = matches!(k.outcome, Outcome::Failure | Outcome::Retry);
        if reported {
            rec.outcomes += t.requests;
        }
        if success {
            rec.successes += t.requests;
        }
        rec.output_tokens += t.tokens.output;
        let key = PoolKey {
            team: r.owner.team.clone(),
            feature: r.owner.feature.clone(),
            provider: k.provider.clone(),
            model: k.model.clone(),
        };
        let (pool, slices, keys) = acc.entry(key).or_default();
        pool.tokens.add(&t.tokens);
        pool.requests += t.requests;
        if wasted {
            pool.wasted_requests += t.requests;
        }
        if reported {
            pool.outcomes += t.requests;
        }
        if success {
            pool.successes += t.requests;
        }
        pool.last_day = pool.last_day.max(Some(k.day));
        *keys.entry(k.api_key.clone()).or_default() += t.requests;
        let s = slices
            .entry((
                card,
                k.service_tier,
                k.context_band,
                r.discount,
                wasted,
                k.in_workflow,
            ))
            .or_default();
        s.0.add(&t.tokens);
        s.1 += t.requests;
    }
    let pools = acc
        .into_iter()
        .map(|(key, (mut pool, slices, keys))| {
            pool.key = keys
                .into_iter()
                .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))
                .map(|(k, _)| k)
                .unwrap_or_default();
            let mut slices: Vec<Slice> = slices
                .into_iter()
                .map(
                    |((card, tier, band, discount, wasted, in_workflow), (tokens, requests))| {
                        Slice {
                            card,
                            tier,
                            band,
                            factor: discount.map_or(Decimal::ONE, |i| ledger.discounts[i].factor()),
                            wasted,
                            in_workflow,
                            requests: Decimal::from(requests),
                            qty: quantities(&tokens),
                        }
                    },
                )
                .collect();
            slices.sort_by(|a, b| {
                (a.card, a.tier, a.band, a.wasted, a.in_workflow)
                    .cmp(&(b.card, b.tier, b.band, b.wasted, b.in_workflow))
                    .then(a.factor.cmp(&b.factor))
            });
            pool.slices = slices;
            (key, pool)
        })
        .collect();
    (pools, models)
}
