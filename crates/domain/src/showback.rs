//! Showback: a month's rollups, attributed and priced, as cost per team.
//!
//! The [`Ledger`] decides each rollup row's owner, price card and discount once; views then
//! group the rows by whatever they show (team, feature, model, key, day), sum the tokens of
//! each (group, card, tier, context band, discount) and price each sum: tokens first, then
//! money. Overheads and commitments are then shared out, so that for any month the teams'
//! blended costs (Unallocated included) plus idle commitments make the org total exactly.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::Serialize;

use crate::allocation::{cents, from_cents, round_to_cents_preserving_total};
use crate::attribution::{Attributor, UNALLOCATED};
use crate::catalog::PriceBook;
use crate::commitment::{Commitment, CommitmentUse};
use crate::margin::Margin;
use crate::month::Month;
use crate::pricing::Cost;
use crate::tokens::TokenCounts;
use crate::unit_economics::{successes, tokens_per, unit_cost, values};

pub use crate::ledger::{AttributedRow, Ledger, MonthData, Point, Summary, UsageRow};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TeamShowback {
    pub team: String,
    /// Effective token cost rounded to the cent so that the teams add up to the org's.
    pub token_cost: Decimal,
    /// Exact, unrounded effective token cost.
    pub token_cost_exact: Decimal,
    /// Exact effective token cost by token class.
    pub token_cost_by_class: Cost,
    /// Token cost at list prices, before negotiated discounts (rounded like `token_cost`).
    pub list_cost: Decimal,
    pub overhead: Decimal,
    pub overhead_by_category: BTreeMap<String, Decimal>,
    /// Share of commitment fees (the used part), per commitment (`provider/model`).
    pub commitment: Decimal,
    pub commitment_by_model: BTreeMap<String, Decimal>,
    /// Token cost + overhead + commitment.
    pub blended_cost: Decimal,
    pub requests: u64,
    pub events: u64,
    pub tokens: TokenCounts,
    pub successful_outcomes: u64,
    pub cost_per_successful_outcome: Option<Decimal>,
    /// Tokens (input and output) ÷ successful outcomes: token productivity.
    pub tokens_per_successful_outcome: Option<Decimal>,
    pub waste: Decimal,
    pub unpriced_requests: u64,
    pub tag_conflicts: u64,
    /// Blended cost against the previous month (absolute, and in percent).
    pub mom_change: Option<Decimal>,
    pub mom_change_pct: Option<Decimal>,
    /// Value reported with the team's business transactions against its blended cost; none
    /// when no report of the team carries a value.
    pub margin: Option<Margin>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnpricedModel {
    pub provider: String,
    pub model: String,
    pub events: u64,
    pub requests: u64,
    pub tokens: TokenCounts,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Showback {
    pub month: Month,
    pub currency: String,
    /// Σ teams' blended cost (Unallocated included) + idle commitments: every priced cent.
    pub org_total: Decimal,
    pub token_cost: Decimal,
    pub list_cost: Decimal,
    pub overhead: Decimal,
    /// The used part of commitment fees, shared by the teams.
    pub commitment: Decimal,
    /// The unused part of commitment fees, charged to no team.
    pub idle_commitment: Decimal,
    pub requests: u64,
    pub tokens: TokenCounts,
    pub successful_outcomes: u64,
    /// The whole bill (`org_total`, idle commitments included) ÷ successful outcomes.
    pub cost_per_successful_outcome: Option<Decimal>,
    /// Tokens (input and output) ÷ successful outcomes.
    pub tokens_per_successful_outcome: Option<Decimal>,
    /// The teams, largest first; Unallocated is always present, last.
    pub teams: Vec<TeamShowback>,
    pub commitments: Vec<CommitmentUse>,
    /// Usage with no price card, and units a card has no rate for: kept, counted, priced
    /// nowhere until a rate exists.
    pub unpriced: Vec<UnpricedModel>,
    pub previous_org_total: Option<Decimal>,
    /// Σ teams' reported value against the whole bill; none until some value is reported.
    pub margin: Option<Margin>,
}

impl Showback {
    pub fn team(&self, name: &str) -> Option<&TeamShowback> {
        self.teams.iter().find(|t| t.team == name)
    }

    pub fn unallocated(&self) -> &TeamShowback {
        self.team(UNALLOCATED)
            .expect("showback always has an Unallocated row")
    }
}

/// Tokens that draw on a commitment: all input and all output.
pub fn commitment_tokens(t: &TokenCounts) -> u64 {
    t.input + t.output
}

/// How the month's commitments were used, each split over the teams that used its model.
pub fn commitment_uses(
    month: Month,
    commitments: &[Commitment],
    ledger: &Ledger<'_>,
) -> Vec<CommitmentUse> {
    commitments
        .iter()
        .filter(|c| c.month == month)
        .map(|c| {
            let mut by_team: BTreeMap<String, u64> = BTreeMap::new();
            for r in &ledger.rows {
                let k = &r.row.key;
                if c.covers(&k.provider, &k.model) {
                    *by_team.entry(r.owner.team.clone()).or_default() +=
                        commitment_tokens(&r.row.totals.tokens);
                }
            }
            c.allocate(&by_team)
        })
        .collect()
}

/// The models of the rows `keep` takes that have no price card, or units (web searches, ...)
/// their card has no rate for: what the showback lists as unpriced.
pub fn unpriced_models<'a>(
    ledger: &Ledger<'a>,
    keep: impl Fn(&AttributedRow<'a>) -> bool,
) -> Vec<UnpricedModel> {
    ledger
        .summarize(|r| {
            (keep(r) && (r.card.is_none() || r.row.totals.tokens.has_units()))
                .then(|| (r.row.key.provider.clone(), r.row.key.model.clone()))
        })
        .into_iter()
        .filter(|(_, s)| s.unpriced_events > 0 || s.unpriced_tokens.has_units())
        .map(|((provider, model), s)| UnpricedModel {
            provider,
            model,
            events: s.unpriced_events,
            requests: s.unpriced_requests,
            tokens: s.unpriced_tokens,
        })
        .collect()
}

/// Computes a month's showback; `previous` (the month before) gives the change.
pub fn showback(
    month: Month,
    currency: &str,
    data: &MonthData,
    previous: Option<&MonthData>,
    book: &PriceBook,
    attributor: &Attributor,
) -> Showback {
    let ledger = Ledger::of(data, attributor, book);
    let mut by_team = ledger.summarize(|r| Some(r.owner.team.clone()));
    by_team.entry(UNALLOCATED.to_owned()).or_default();
    let wins = successes(&by_team, &data.workflows, attributor, |p| {
        Some(p.owner.team.clone())
    });
    let exact: BTreeMap<String, Decimal> = by_team
        .iter()
        .map(|(t, s)| (t.clone(), s.token_cost()))
        .collect();
    let mut overhead_by_team: BTreeMap<String, BTreeMap<String, Decimal>> = BTreeMap::new();
    for o in data.overheads.iter().filter(|o| o.month == month) {
        for (team, share) in o.allocate(&exact) {
            *overhead_by_team
                .entry(team)
                .or_default()
                .entry(o.category.clone())
                .or_default() += share;
        }
    }
    let commitments = commitment_uses(month, &data.commitments, &ledger);
    let mut commitment_by_team: BTreeMap<String, BTreeMap<String, Decimal>> = BTreeMap::new();
    for u in &commitments {
        for (team, share) in &u.shares {
            *commitment_by_team
                .entry(team.clone())
                .or_default()
                .entry(format!("{}/{}", u.provider, u.model))
                .or_default() += *share;
        }
    }
    // A direct or fixed overhead may name a team with no usage: it still gets a row.
    for team in overhead_by_team.keys() {
        by_team.entry(team.clone()).or_default();
    }
    let teams: Vec<&String> = by_team.keys().collect();
    let exact_costs: Vec<Decimal> = teams.iter().map(|t| by_team[*t].token_cost()).collect();
    let rounded = round_to_cents_preserving_total(&exact_costs);
    let list_exact: Vec<Decimal> = teams
        .iter()
        .map(|t| by_team[*t].list_cost.total())
        .collect();
    let list_rounded = round_to_cents_preserving_total(&list_exact);

    let prev = previous.map(|p| showback(month.previous(), currency, p, None, book, attributor));
    let worth = values(&data.transactions, month, |p| Some(p.owner.team.clone()));
    let mut rows: Vec<TeamShowback> = teams
        .iter()
        .zip(rounded)
        .zip(exact_costs)
        .zip(list_rounded)
        .map(|(((team, token_cost), exact), list_cost)| {
            let s = &by_team[*team];
            let categories = overhead_by_team.remove(*team).unwrap_or_default();
            let overhead: Decimal = categories.values().sum();
            let committed = commitment_by_team.remove(*team).unwrap_or_default();
            let commitment: Decimal = committed.values().sum();
            let blended = token_cost + overhead + commitment;
            let won = wins.get(*team).copied().unwrap_or(0);
            let before = prev
                .as_ref()
                .and_then(|p| p.team(team))
                .map(|t| t.blended_cost);
            TeamShowback {
                team: (*team).clone(),
                token_cost,
                token_cost_exact: exact.normalize(),
                token_cost_by_class: s.cost,
                list_cost,
                overhead,
                overhead_by_category: categories,
                commitment,
                commitment_by_model: committed,
                blended_cost: blended,
                requests: s.requests,
                events: s.events,
                tokens: s.tokens,
                successful_outcomes: won,
                cost_per_successful_outcome: unit_cost(blended, won),
                tokens_per_successful_outcome: tokens_per(s.tokens.total(), won),
                waste: from_cents(cents(s.waste)),
                unpriced_requests: s.unpriced_requests,
                tag_conflicts: s.tag_conflicts,
                mom_change: before.map(|b| blended - b),
                mom_change_pct: before
                    .filter(|b| !b.is_zero())
                    .map(|b| ((blended - b) / b * Decimal::ONE_HUNDRED).round_dp(1)),
                margin: worth
                    .get(*team)
                    .map(|v| Margin::of(*v, blended, s.tokens.input + s.tokens.output)),
            }
        })
        .collect();
    rows.sort_by(|a, b| {
        (a.team == UNALLOCATED)
            .cmp(&(b.team == UNALLOCATED))
            .then(b.blended_cost.cmp(&a.blended_cost))
            .then(a.team.cmp(&b.team))
    });

    let unpriced = unpriced_models(&ledger, |_| true);
    let mut tokens = TokenCounts::default();
    rows.iter().for_each(|t| tokens.add(&t.tokens));
    let idle: Decimal = commitments.iter().map(|c| c.idle).sum();
    let org_total = rows.iter().map(|t| t.blended_cost).sum::<Decimal>() + idle;
    let successful_outcomes = rows.iter().map(|t| t.successful_outcomes).sum();
    Showback {
        month,
        currency: currency.to_owned(),
        org_total,
        cost_per_successful_outcome: unit_cost(org_total, successful_outcomes),
        tokens_per_successful_outcome: tokens_per(tokens.total(), successful_outcomes),
        token_cost: rows.iter().map(|t| t.token_cost).sum(),
        list_cost: rows.iter().map(|t| t.list_cost).sum(),
        overhead: rows.iter().map(|t| t.overhead).sum(),
        commitment: rows.iter().map(|t| t.commitment).sum(),
        idle_commitment: idle,
        requests: rows.iter().map(|t| t.requests).sum(),
        successful_outcomes,
        tokens,
        teams: rows,
        commitments,
        unpriced,
        previous_org_total: prev.map(|p| p.org_total),
        margin: (!worth.is_empty()).then(|| {
            Margin::of(
                worth.values().sum(),
                org_total,
                tokens.input + tokens.output,
            )
        }),
    }
}
