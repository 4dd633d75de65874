//! Showback: a month's rollups, attributed and priced, as cost per team.
//!
//! The [`Ledger`] decides each rollup row's owner and price card once; views then group the
//! rows by whatever they show (team, feature, model, key, day), sum the tokens of each
//! (group, card, tier, context band) and price each sum: tokens first, then money.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use crate::allocation::{
    Overhead, cents, from_cents, largest_remainder, round_to_cents_preserving_total,
};
use crate::attribution::{Attribution, Attributor, UNALLOCATED};
use crate::catalog::{CardId, PriceBook};
use crate::event::{Outcome, ServiceTier};
use crate::month::Month;
use crate::pricing::{Cost, price};
use crate::rollup::{RollupKey, RollupTotals, UserDay, WorkflowRow};
use crate::tokens::TokenCounts;

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
    pub workflows: Vec<WorkflowRow>,
    pub overheads: Vec<Overhead>,
    pub users: Vec<UserDay>,
}

/// A rollup row with its owner and card decided.
#[derive(Debug, Clone)]
pub struct AttributedRow<'a> {
    pub row: &'a UsageRow,
    pub owner: Attribution,
    pub card: Option<CardId>,
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
    /// Successful calls outside workflows (see [`successes`] for workflows).
    pub standalone_successes: u64,
    /// Exact cost of the priced tokens.
    pub cost: Cost,
    pub unpriced_events: u64,
    pub unpriced_requests: u64,
    pub unpriced_tokens: TokenCounts,
    /// Requests whose outcome is failure or retry, and what they cost.
    pub wasted_requests: u64,
    pub waste: Decimal,
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
    pub rows: Vec<AttributedRow<'a>>,
}

impl<'a> Ledger<'a> {
    pub fn new(rows: &'a [UsageRow], attributor: &Attributor, book: &'a PriceBook) -> Self {
        let mut tags_cache: HashMap<&str, BTreeMap<String, String>> = HashMap::new();
        let mut candidates: HashMap<(&str, &str), crate::catalog::Candidates<'a>> = HashMap::new();
        let attributed = rows
            .iter()
            .map(|row| {
                let k = &row.key;
                let dims = k.dims();
                let tags = tags_cache
                    .entry(k.tags.as_str())
                    .or_insert_with(|| dims.parse_tags());
                let owner = attributor.resolve(&dims.event_dims(tags), k.day);
                let card = candidates
                    .entry((k.provider.as_str(), k.model.as_str()))
                    .or_insert_with(|| book.candidates(&k.provider, &k.model))
                    .in_force(book.cards(), k.day);
                AttributedRow { row, owner, card }
            })
            .collect();
        Ledger {
            book,
            rows: attributed,
        }
    }

    /// Groups rows by `key` (rows for which it answers `None` are left out), pricing each
    /// group's tokens per (card, tier, band) once.
    pub fn summarize<K: Ord + Clone + std::hash::Hash>(
        &self,
        key: impl Fn(&AttributedRow<'a>) -> Option<K>,
    ) -> BTreeMap<K, Summary> {
        #[derive(Default)]
        struct Acc {
            tokens: TokenCounts,
            wasted: TokenCounts,
        }
        let mut out: BTreeMap<K, Summary> = BTreeMap::new();
        let mut priced: HashMap<(K, CardId, ServiceTier, u64), Acc> = HashMap::new();
        for r in &self.rows {
            let Some(k) = key(r) else { continue };
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
                    let acc = priced
                        .entry((k, card, r.row.key.service_tier, r.row.key.context_band))
                        .or_default();
                    acc.tokens.add(&t.tokens);
                    if wasted {
                        acc.wasted.add(&t.tokens);
                    }
                }
                None => {
                    s.unpriced_events += t.events;
                    s.unpriced_requests += t.requests;
                    s.unpriced_tokens.add(&t.tokens);
                }
            }
        }
        for ((k, card, tier, band), acc) in priced {
            let card = self.book.card(card);
            let s = out.get_mut(&k).expect("group seen above");
            s.cost.add(&price(card, tier, band, &acc.tokens));
            s.waste += price(card, tier, band, &acc.wasted).total();
        }
        out
    }
}

/// Successful outcomes per group: successful calls outside workflows plus workflows whose
/// outcome (explicit, else their final call's) is success, attributed as their final call.
pub fn successes<K: Ord + Clone + std::hash::Hash>(
    summaries: &BTreeMap<K, Summary>,
    workflows: &[WorkflowRow],
    attributor: &Attributor,
    key: impl Fn(&Attribution, &WorkflowRow) -> Option<K>,
) -> BTreeMap<K, u64> {
    let mut out: BTreeMap<K, u64> = summaries
        .iter()
        .map(|(k, s)| (k.clone(), s.standalone_successes))
        .collect();
    for wf in workflows.iter().filter(|w| w.outcome == Outcome::Success) {
        let tags = wf.dims.parse_tags();
        let owner = attributor.resolve(&wf.dims.event_dims(&tags), wf.day);
        if let Some(k) = key(&owner, wf) {
            *out.entry(k).or_default() += 1;
        }
    }
    out
}

/// Cost ÷ count, to a tenth of a cent's hundredth (6 places); none when the count is zero.
pub fn unit_cost(cost: Decimal, count: u64) -> Option<Decimal> {
    (count > 0).then(|| (cost / Decimal::from(count)).round_dp(6).normalize())
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TeamShowback {
    pub team: String,
    /// Token cost rounded to the cent so that the teams add up to the org's token cost.
    pub token_cost: Decimal,
    /// Exact, unrounded token cost.
    pub token_cost_exact: Decimal,
    /// Exact token cost by token class.
    pub token_cost_by_class: Cost,
    pub overhead: Decimal,
    pub overhead_by_category: BTreeMap<String, Decimal>,
    pub blended_cost: Decimal,
    pub requests: u64,
    pub events: u64,
    pub tokens: TokenCounts,
    pub successful_outcomes: u64,
    pub cost_per_successful_outcome: Option<Decimal>,
    pub waste: Decimal,
    pub unpriced_requests: u64,
    pub tag_conflicts: u64,
    /// Blended cost against the previous month (absolute, and in percent).
    pub mom_change: Option<Decimal>,
    pub mom_change_pct: Option<Decimal>,
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
    /// Σ teams' blended cost, Unallocated included: every priced cent of the month.
    pub org_total: Decimal,
    pub token_cost: Decimal,
    pub overhead: Decimal,
    pub requests: u64,
    pub tokens: TokenCounts,
    pub successful_outcomes: u64,
    /// The teams, largest first; Unallocated is always present, last.
    pub teams: Vec<TeamShowback>,
    /// Usage with no price card: kept, counted, priced 0 until a card exists.
    pub unpriced: Vec<UnpricedModel>,
    pub previous_org_total: Option<Decimal>,
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

/// Computes a month's showback; `previous` (the month before) gives the change.
pub fn showback(
    month: Month,
    currency: &str,
    data: &MonthData,
    previous: Option<&MonthData>,
    book: &PriceBook,
    attributor: &Attributor,
) -> Showback {
    let ledger = Ledger::new(&data.rows, attributor, book);
    let mut by_team = ledger.summarize(|r| Some(r.owner.team.clone()));
    by_team.entry(UNALLOCATED.to_owned()).or_default();
    let wins = successes(&by_team, &data.workflows, attributor, |a, _| {
        Some(a.team.clone())
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
    // A direct or fixed overhead may name a team with no usage: it still gets a row.
    for team in overhead_by_team.keys() {
        by_team.entry(team.clone()).or_default();
    }
    let teams: Vec<&String> = by_team.keys().collect();
    let exact_costs: Vec<Decimal> = teams.iter().map(|t| by_team[*t].token_cost()).collect();
    let rounded = round_to_cents_preserving_total(&exact_costs);

    let prev = previous.map(|p| showback(month.previous(), currency, p, None, book, attributor));
    let mut rows: Vec<TeamShowback> = teams
        .iter()
        .zip(rounded)
        .zip(exact_costs)
        .map(|((team, token_cost), exact)| {
            let s = &by_team[*team];
            let categories = overhead_by_team.remove(*team).unwrap_or_default();
            let overhead: Decimal = categories.values().sum();
            let blended = token_cost + overhead;
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
                overhead,
                overhead_by_category: categories,
                blended_cost: blended,
                requests: s.requests,
                events: s.events,
                tokens: s.tokens,
                successful_outcomes: won,
                cost_per_successful_outcome: unit_cost(blended, won),
                waste: from_cents(cents(s.waste)),
                unpriced_requests: s.unpriced_requests,
                tag_conflicts: s.tag_conflicts,
                mom_change: before.map(|b| blended - b),
                mom_change_pct: before
                    .filter(|b| !b.is_zero())
                    .map(|b| ((blended - b) / b * Decimal::ONE_HUNDRED).round_dp(1)),
            }
        })
        .collect();
    rows.sort_by(|a, b| {
        (a.team == UNALLOCATED)
            .cmp(&(b.team == UNALLOCATED))
            .then(b.blended_cost.cmp(&a.blended_cost))
            .then(a.team.cmp(&b.team))
    });

    let unpriced = ledger
        .summarize(|r| {
            r.card
                .is_none()
                .then(|| (r.row.key.provider.clone(), r.row.key.model.clone()))
        })
        .into_iter()
        .map(|((provider, model), s)| UnpricedModel {
            provider,
            model,
            events: s.events,
            requests: s.requests,
            tokens: s.tokens,
        })
        .collect();
    let mut tokens = TokenCounts::default();
    rows.iter().for_each(|t| tokens.add(&t.tokens));
    Showback {
        month,
        currency: currency.to_owned(),
        org_total: rows.iter().map(|t| t.blended_cost).sum(),
        token_cost: rows.iter().map(|t| t.token_cost).sum(),
        overhead: rows.iter().map(|t| t.overhead).sum(),
        requests: rows.iter().map(|t| t.requests).sum(),
        successful_outcomes: rows.iter().map(|t| t.successful_outcomes).sum(),
        tokens,
        teams: rows,
        unpriced,
        previous_org_total: prev.map(|p| p.org_total),
    }
}

/// The line that carries a team's overhead when it had no usage in the month.
pub const NO_USAGE: &str = "(no usage)";

/// One line of a drill-down table (a feature, model, key or day of one team).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Line {
    pub name: String,
    pub token_cost: Decimal,
    pub overhead: Decimal,
    pub blended_cost: Decimal,
    pub requests: u64,
    pub tokens: TokenCounts,
    pub successful_outcomes: u64,
    pub cost_per_query: Option<Decimal>,
    pub cost_per_successful_outcome: Option<Decimal>,
    /// Distinct `user` values seen.
    pub active_users: u64,
    pub cost_per_active_user: Option<Decimal>,
    pub unpriced_requests: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TeamDrilldown {
    pub team: String,
    pub month: Month,
    pub currency: String,
    pub token_cost: Decimal,
    pub overhead: Decimal,
    pub blended_cost: Decimal,
    pub features: Vec<Line>,
    pub models: Vec<Line>,
    pub keys: Vec<Line>,
    pub days: Vec<Line>,
}

/// A team's month by feature, model, key and day. Its overhead share (from showback) is
/// spread over each view in proportion to token cost, so every view adds up to the team's
/// blended cost.
pub fn team_drilldown(
    team: &TeamShowback,
    month: Month,
    currency: &str,
    data: &MonthData,
    book: &PriceBook,
    attributor: &Attributor,
) -> TeamDrilldown {
    let ledger = Ledger::new(&data.rows, attributor, book);
    let mine = |p: &Point<'_>| p.owner.team == team.team;
    let totals = Some((team.token_cost, team.overhead));
    let view = |by: &dyn Fn(&Point<'_>) -> String| {
        breakdown(
            &ledger,
            &data.workflows,
            &data.users,
            attributor,
            &mine,
            by,
            totals,
        )
    };
    let mut days = view(&|p| p.day.to_string());
    days.sort_by(|a, b| a.name.cmp(&b.name));
    TeamDrilldown {
        team: team.team.clone(),
        month,
        currency: currency.to_owned(),
        token_cost: team.token_cost,
        overhead: team.overhead,
        blended_cost: team.blended_cost,
        features: view(&|p| p.owner.feature.clone()),
        models: view(&|p| p.model.to_owned()),
        keys: view(&|p| p.api_key.to_owned()),
        days,
    }
}

/// What views filter and group on, for a rollup row and for a workflow alike.
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

/// One table of a drill-down: the rows `keep` accepts, grouped by `by`, priced, with their
/// successful outcomes (workflows counted once, as their final call). With `totals` (the
/// token cost and overhead the view must add up to) the lines are rounded to them and share
/// the overhead in proportion to token cost; without, lines carry token cost only.
pub fn breakdown(
    ledger: &Ledger<'_>,
    workflows: &[WorkflowRow],
    users: &[UserDay],
    attributor: &Attributor,
    keep: &dyn Fn(&Point<'_>) -> bool,
    by: &dyn Fn(&Point<'_>) -> String,
    totals: Option<(Decimal, Decimal)>,
) -> Vec<Line> {
    let sums = ledger.summarize(|r| {
        let p = r.point();
        keep(&p).then(|| by(&p))
    });
    let wins = successes(&sums, workflows, attributor, |a, w| {
        let d = &w.dims;
        let p = Point {
            owner: a,
            provider: &d.provider,
            model: &d.model,
            api_key: &d.api_key,
            day: w.day,
            outcome: w.outcome,
        };
        keep(&p).then(|| by(&p))
    });
    let (token_cost, overhead) = totals.unwrap_or_else(|| {
        let exact: Vec<Decimal> = sums.values().map(Summary::token_cost).collect();
        (
            round_to_cents_preserving_total(&exact).iter().sum(),
            Decimal::ZERO,
        )
    });
    let users = active_users(users, attributor, keep, by);
    lines(sums, &wins, &users, token_cost, overhead)
}

/// Distinct users per group, each user day attributed like the usage it came with.
pub fn active_users(
    users: &[UserDay],
    attributor: &Attributor,
    keep: &dyn Fn(&Point<'_>) -> bool,
    by: &dyn Fn(&Point<'_>) -> String,
) -> BTreeMap<String, u64> {
    // Many users share a day and dimensions: attribute and group each such pair once.
    let mut groups: HashMap<(NaiveDate, &crate::rollup::Dims), Option<String>> = HashMap::new();
    let mut tags_cache: HashMap<&str, BTreeMap<String, String>> = HashMap::new();
    let mut seen: BTreeMap<String, std::collections::HashSet<&str>> = BTreeMap::new();
    for u in users {
        let d = &u.dims;
        let group = groups.entry((u.day, d)).or_insert_with(|| {
            let tags = tags_cache
                .entry(d.tags.as_str())
                .or_insert_with(|| d.parse_tags());
            let owner = attributor.resolve(&d.event_dims(tags), u.day);
            // Users are not split by outcome: a user view never groups or filters on it.
            let p = Point {
                owner: &owner,
                provider: &d.provider,
                model: &d.model,
                api_key: &d.api_key,
                day: u.day,
                outcome: Outcome::Unknown,
            };
            keep(&p).then(|| by(&p))
        });
        if let Some(key) = group {
            seen.entry(key.clone()).or_default().insert(u.user.as_str());
        }
    }
    seen.into_iter().map(|(k, v)| (k, v.len() as u64)).collect()
}

/// Lines of one view, rounded to cents so that they add up to the team's token cost and
/// overhead; largest first.
fn lines(
    sums: BTreeMap<String, Summary>,
    wins: &BTreeMap<String, u64>,
    users: &BTreeMap<String, u64>,
    token_cost: Decimal,
    overhead: Decimal,
) -> Vec<Line> {
    let mut sums = sums;
    if sums.is_empty() && !(token_cost.is_zero() && overhead.is_zero()) {
        // A team charged only overhead still shows where its money is.
        sums.insert(NO_USAGE.to_owned(), Summary::default());
    }
    let names: Vec<&String> = sums.keys().collect();
    let exact: Vec<Decimal> = names.iter().map(|n| sums[*n].token_cost()).collect();
    let mut rounded = round_to_cents_preserving_total(&exact);
    // The team's token cost was rounded among all teams; move any cent of difference onto
    // the largest line, so that the view adds up to the team row exactly.
    // The largest rounded line can absorb a cent taken away without going negative.
    if let Some(i) = (0..rounded.len()).max_by_key(|&i| (rounded[i], exact[i])) {
        let drift = token_cost - rounded.iter().sum::<Decimal>();
        rounded[i] += drift;
    }
    let shares = largest_remainder(cents(overhead), &exact);
    let mut out: Vec<Line> = names
        .into_iter()
        .zip(rounded)
        .zip(shares)
        .map(|((name, token_cost), share)| {
            let s = &sums[name];
            let overhead = from_cents(share);
            let blended = token_cost + overhead;
            let won = wins.get(name).copied().unwrap_or(0);
            Line {
                name: name.clone(),
                token_cost,
                overhead,
                blended_cost: blended,
                requests: s.requests,
                tokens: s.tokens,
                successful_outcomes: won,
                cost_per_query: unit_cost(blended, s.requests),
                cost_per_successful_outcome: unit_cost(blended, won),
                active_users: users.get(name).copied().unwrap_or(0),
                cost_per_active_user: unit_cost(blended, users.get(name).copied().unwrap_or(0)),
                unpriced_requests: s.unpriced_requests,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.blended_cost
            .cmp(&a.blended_cost)
            .then(a.name.cmp(&b.name))
    });
    out
}
