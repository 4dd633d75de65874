//! Customers as a reporting dimension: token cost per customer per month, from a rollup of its
//! own (the monthly rollup's key with the customer beside it), so that organisations with 100k
//! customers a month never widen the rollups showback reads.
//!
//! A customer's rows are attributed and priced like any rollup row, as of the month's first
//! day (the rollup is monthly). Cost here is the effective token cost: overheads and
//! commitments are shared by teams, not by customers.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::Serialize;

use crate::allocation::round_to_cents_preserving_total;
use crate::attribution::{Attribution, Attributor};
use crate::catalog::PriceBook;
use crate::discount::Discount;
use crate::ledger::{Ledger, UsageRow};
use crate::tokens::TokenCounts;

/// One row of the per-customer rollup: the customer, and a monthly rollup row (its day is the
/// month's first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerRow {
    pub customer: String,
    pub row: UsageRow,
}

/// What one customer cost in a month, within what was asked (a team, a feature).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CustomerCost {
    pub customer: String,
    /// Effective token cost, rounded to the cent so that the customers add up to their total.
    pub token_cost: Decimal,
    pub requests: u64,
    pub events: u64,
    pub tokens: TokenCounts,
    /// Requests no price card prices yet.
    pub unpriced_requests: u64,
    /// The teams and features its usage is attributed to, with their token cost (exact).
    pub owners: Vec<CustomerOwner>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CustomerOwner {
    pub team: String,
    pub feature: String,
    pub token_cost: Decimal,
}

/// Every customer of `rows` whose usage `keep` accepts (seeing each row's owner), largest
/// first (then by name).
pub fn customer_costs(
    rows: &[CustomerRow],
    discounts: &[Discount],
    attributor: &Attributor,
    book: &PriceBook,
    keep: impl Fn(&Attribution) -> bool,
) -> Vec<CustomerCost> {
    let usage: Vec<UsageRow> = rows.iter().map(|r| r.row.clone()).collect();
    let ledger = Ledger::new(&usage, discounts, attributor, book);
    let sums = ledger.summarize_indexed(|i, r| {
        keep(&r.owner).then(|| {
            (
                rows[i].customer.clone(),
                r.owner.team.clone(),
                r.owner.feature.clone(),
            )
        })
    });
    struct Acc {
        exact: Decimal,
        requests: u64,
        events: u64,
        tokens: TokenCounts,
        unpriced: u64,
        owners: Vec<CustomerOwner>,
    }
    let mut by_customer: BTreeMap<String, Acc> = BTreeMap::new();
    for ((customer, team, feature), s) in sums {
        let a = by_customer.entry(customer).or_insert_with(|| Acc {
            exact: Decimal::ZERO,
            requests: 0,
            events: 0,
            tokens: TokenCounts::default(),
            unpriced: 0,
            owners: Vec::new(),
        });
        let cost = s.token_cost();
        a.exact += cost;
        a.requests += s.requests;
        a.events += s.events;
        a.tokens.add(&s.tokens);
        a.unpriced += s.unpriced_requests;
        a.owners.push(CustomerOwner {
            team,
            feature,
            token_cost: cost.normalize(),
        });
    }
    let exact: Vec<Decimal> = by_customer.values().map(|a| a.exact).collect();
    let rounded = round_to_cents_preserving_total(&exact);
    let mut out: Vec<CustomerCost> = by_customer
        .into_iter()
        .zip(rounded)
        .map(|((customer, a), token_cost)| CustomerCost {
            customer,
            token_cost,
            requests: a.requests,
            events: a.events,
            tokens: a.tokens,
            unpriced_requests: a.unpriced,
            owners: a.owners,
        })
        .collect();
    out.sort_by(|a, b| {
        b.token_cost
            .cmp(&a.token_cost)
            .then(a.customer.cmp(&b.customer))
    });
    out
}
