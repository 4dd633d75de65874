//! Environments (production, staging, …): the one a row's usage ran in, and a month's figures
//! as one environment saw them.
//!
//! A row's environment is its owner's (see [`Attribution::environment`]): the key mapping's
//! when it names one, else the event's own tag; usage with neither is in [`NO_ENVIRONMENT`].
//!
//! Overheads and commitment fees belong to teams, not to environments. Under a filter each
//! team keeps the part of its shares that its usage in the environment earns: every overhead
//! category in proportion to the environment's token cost within the team, every commitment
//! share in proportion to the environment's tokens of that commitment's model, each split over
//! all the team's environments at once by the largest remainder. So a team's environments add
//! up to the team to the cent, and a filtered figure never exceeds the unfiltered one.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use rust_decimal::Decimal;

use crate::allocation::{cents, from_cents, largest_remainder};
use crate::attribution::{Attribution, Attributor, UNALLOCATED};
use crate::catalog::PriceBook;
use crate::drilldown::rounded_to;
use crate::ledger::{Ledger, MonthData, Summary};
use crate::rollup::Dims;
use crate::showback::{Showback, TeamShowback, commitment_tokens, unpriced_models};
use crate::tokens::TokenCounts;
use crate::unit_economics::{successes, tokens_per, unit_cost};

/// The name of usage that names no environment (neither its key's mapping nor its event).
pub const NO_ENVIRONMENT: &str = "(none)";

/// The environment of usage with this owner.
pub fn of(owner: &Attribution) -> &str {
    owner
        .environment
        .as_deref()
        .filter(|e| !e.is_empty())
        .unwrap_or(NO_ENVIRONMENT)
}

/// Resolves the environment of each (day, dimensions) once.
struct Resolver<'a> {
    attributor: &'a Attributor,
    tags: HashMap<String, BTreeMap<String, String>>,
}

impl<'a> Resolver<'a> {
    fn new(attributor: &'a Attributor) -> Self {
        Self {
            attributor,
            tags: HashMap::new(),
        }
    }

    fn owner(&mut self, dims: &Dims, day: chrono::NaiveDate) -> Attribution {
        let tags = self
            .tags
            .entry(dims.tags.clone())
            .or_insert_with(|| dims.parse_tags());
        self.attributor.resolve(&dims.event_dims(tags), day)
    }
}

/// The (team, environment) pairs with usage in the month's rows.
pub fn team_environments(data: &MonthData, attributor: &Attributor) -> BTreeSet<(String, String)> {
    let mut resolver = Resolver::new(attributor);
    let mut dims: Vec<(chrono::NaiveDate, Dims)> = data
        .rows
        .iter()
        .map(|r| (r.key.day, r.key.dims()))
        .collect();
    dims.sort();
    dims.dedup();
    dims.iter()
        .map(|(day, d)| {
            let owner = resolver.owner(d, *day);
            let env = of(&owner).to_owned();
            (owner.team, env)
        })
        .collect()
}

/// The month's data as one environment saw it: its usage rows, workflows and active users.
/// Overheads, commitments and discounts stay (they are the terms the usage is priced and
/// shared by); business transactions go, since they are reported per team and feature, never
/// per environment.
pub fn only(data: &MonthData, attributor: &Attributor, environment: &str) -> MonthData {
    let mut resolver = Resolver::new(attributor);
    let mut inside: HashMap<(chrono::NaiveDate, Dims), bool> = HashMap::new();
    let mut keep = |day: chrono::NaiveDate, dims: &Dims| -> bool {
        if let Some(k) = inside.get(&(day, dims.clone())) {
            return *k;
        }
        let k = of(&resolver.owner(dims, day)) == environment;
        inside.insert((day, dims.clone()), k);
        k
    };
    let rows = data
        .rows
        .iter()
        .filter(|r| keep(r.key.day, &r.key.dims()))
        .cloned()
        .collect();
    let workflows = data
        .workflows
        .iter()
        .filter(|w| keep(w.day, &w.dims))
        .cloned()
        .collect();
    let users = data
        .users
        .iter()
        .filter(|u| keep(u.day, &u.dims))
        .cloned()
        .collect();
    MonthData {
        rows,
        workflows,
        users,
        overheads: data.overheads.clone(),
        commitments: data.commitments.clone(),
        discounts: data.discounts.clone(),
        transactions: Vec::new(),
    }
}

/// A team and one of its environments.
type Place = (String, String);

/// The month's showback as one environment saw it. `all` is the month's whole showback (for
/// everyone) and `data` the month it was computed from; `previous`, the same for the month
/// before, gives each row its change. Each team with usage in the environment keeps the part
/// of its row the environment earns (see the module's note); the other teams are left out but
/// Unallocated, which is always there. Idle commitment belongs to no environment and reads 0;
/// value and margin read none, as transactions are not reported per environment.
pub fn showback_in(
    all: &Showback,
    data: &MonthData,
    previous: Option<(&Showback, &MonthData)>,
    book: &PriceBook,
    attributor: &Attributor,
    environment: &str,
) -> Showback {
    let ledger = Ledger::of(data, attributor, book);
    let place = |o: &Attribution| (o.team.clone(), of(o).to_owned());
    let sums: BTreeMap<Place, Summary> = ledger.summarize(|r| Some(place(&r.owner)));
    let wins = successes(&sums, &data.workflows, attributor, |p| Some(place(p.owner)));
    // Tokens per team, environment and commitment (the weights of each commitment share).
    let mut committed: HashMap<(Place, String), u64> = HashMap::new();
    for c in data.commitments.iter().filter(|c| c.month == all.month) {
        for r in &ledger.rows {
            if c.covers(&r.row.key.provider, &r.row.key.model) {
                *committed.entry((place(&r.owner), c.label())).or_default() +=
                    commitment_tokens(&r.row.totals.tokens);
            }
        }
    }
    // Each team's environments, in name order: every amount is split over all of them at
    // once, so that the parts add up to the team's.
    let mut places: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (team, env) in sums.keys() {
        places.entry(team.as_str()).or_default().push(env.as_str());
    }
    let before =
        previous.map(|(sb, data)| showback_in(sb, data, None, book, attributor, environment));

    let mut teams: Vec<TeamShowback> = all
        .teams
        .iter()
        .filter_map(|t| {
            let envs = places.get(t.team.as_str()).cloned().unwrap_or_default();
            let here = envs.iter().position(|e| *e == environment);
            if here.is_none() && t.team != UNALLOCATED {
                return None;
            }
            let empty = Summary::default();
            let summary = |e: &str| sums.get(&(t.team.clone(), e.to_owned())).unwrap_or(&empty);
            let inside = here.map_or(&empty, |_| summary(environment));
            // The environment's part of `whole` split over the team's environments by
            // `weights`; nothing when the team has no usage here.
            let part = |whole: Decimal, weights: &[Decimal]| -> Decimal {
                here.map_or(Decimal::ZERO, |i| {
                    from_cents(largest_remainder(cents(whole), weights)[i])
                })
            };
            let costs: Vec<Decimal> = envs.iter().map(|e| summary(e).token_cost()).collect();
            let by_cost: Vec<Decimal> = if costs.iter().all(Decimal::is_zero) {
                envs.iter()
                    .map(|e| Decimal::from(summary(e).requests))
                    .collect()
            } else {
                costs.clone()
            };
            let rounded_part = |whole: Decimal, exact: &[Decimal]| -> Decimal {
                here.map_or(Decimal::ZERO, |i| rounded_to(whole, exact)[i])
            };
            let lists: Vec<Decimal> = envs.iter().map(|e| summary(e).list_cost.total()).collect();
            let token_cost = rounded_part(t.token_cost, &costs);
            let list_cost = rounded_part(t.list_cost, &lists);
            let overhead_by_category: BTreeMap<String, Decimal> = t
                .overhead_by_category
                .iter()
                .map(|(c, amount)| (c.clone(), part(*amount, &by_cost)))
                .filter(|(_, a)| !a.is_zero())
                .collect();
            let commitment_by_model: BTreeMap<String, Decimal> = t
                .commitment_by_model
                .iter()
                .map(|(label, amount)| {
                    let weights: Vec<Decimal> = envs
                        .iter()
                        .map(|e| {
                            let key = ((t.team.clone(), (*e).to_owned()), label.clone());
                            Decimal::from(committed.get(&key).copied().unwrap_or(0))
                        })
                        .collect();
                    (label.clone(), part(*amount, &weights))
                })
                .filter(|(_, a)| !a.is_zero())
                .collect();
            let overhead: Decimal = overhead_by_category.values().sum();
            let commitment: Decimal = commitment_by_model.values().sum();
            let blended = token_cost + overhead + commitment;
            let won = wins
                .get(&(t.team.clone(), environment.to_owned()))
                .copied()
                .unwrap_or(0);
            let was = before
                .as_ref()
                .and_then(|b| b.team(&t.team))
                .map(|b| b.blended_cost);
            Some(TeamShowback {
                team: t.team.clone(),
                token_cost,
                token_cost_exact: inside.token_cost().normalize(),
                token_cost_by_class: inside.cost,
                list_cost,
                overhead,
                overhead_by_category,
                commitment,
                commitment_by_model,
                blended_cost: blended,
                requests: inside.requests,
                events: inside.events,
                tokens: inside.tokens,
                successful_outcomes: won,
                cost_per_successful_outcome: unit_cost(blended, won),
                tokens_per_successful_outcome: tokens_per(inside.tokens.total(), won),
                waste: from_cents(cents(inside.waste)),
                unpriced_requests: inside.unpriced_requests,
                tag_conflicts: inside.tag_conflicts,
                mom_change: was.map(|b| blended - b),
                mom_change_pct: was
                    .filter(|b| !b.is_zero())
                    .map(|b| ((blended - b) / b * Decimal::ONE_HUNDRED).round_dp(1)),
                margin: None,
            })
        })
        .collect();
    teams.sort_by(|a, b| {
        (a.team == UNALLOCATED)
            .cmp(&(b.team == UNALLOCATED))
            .then(b.blended_cost.cmp(&a.blended_cost))
            .then(a.team.cmp(&b.team))
    });

    let unpriced = unpriced_models(&ledger, |r| of(&r.owner) == environment);
    let mut tokens = TokenCounts::default();
    teams.iter().for_each(|t| tokens.add(&t.tokens));
    let org_total: Decimal = teams.iter().map(|t| t.blended_cost).sum();
    let successful_outcomes = teams.iter().map(|t| t.successful_outcomes).sum();
    Showback {
        month: all.month,
        currency: all.currency.clone(),
        org_total,
        token_cost: teams.iter().map(|t| t.token_cost).sum(),
        list_cost: teams.iter().map(|t| t.list_cost).sum(),
        overhead: teams.iter().map(|t| t.overhead).sum(),
        commitment: teams.iter().map(|t| t.commitment).sum(),
        idle_commitment: Decimal::ZERO,
        requests: teams.iter().map(|t| t.requests).sum(),
        tokens,
        successful_outcomes,
        cost_per_successful_outcome: unit_cost(org_total, successful_outcomes),
        tokens_per_successful_outcome: tokens_per(tokens.total(), successful_outcomes),
        teams,
        commitments: Vec::new(),
        unpriced,
        previous_org_total: before.map(|b| b.org_total),
        margin: None,
    }
}
