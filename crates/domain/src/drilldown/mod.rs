//! Drill-downs: one team's (or one feature's) month by feature, model, key, day and outcome,
//! each line with its unit economics, every view adding up to the row it drills into.

mod days_merged;

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use crate::allocation::{cents, from_cents, largest_remainder, round_to_cents_preserving_total};
use crate::attribution::{Attribution, Attributor};
use crate::catalog::PriceBook;
use crate::event::Outcome;
use crate::ledger::{Ledger, MonthData, Point, Summary};
use crate::margin::Margin;
use crate::month::Month;
use crate::rollup::{Dims, UserWord, WorkflowGroup};
use crate::showback::{TeamShowback, commitment_tokens};
use crate::tokens::TokenCounts;
use crate::unit_economics::{
    WorkflowStats, cost_per_million, percent, tokens_per, transactions, unit_cost, values,
};

/// The line that carries a team's shared costs when it had no usage in the month.
pub const NO_USAGE: &str = "(no usage)";

/// What a view must add up to: the token cost and shared costs of the row it drills into.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Shares {
    pub token_cost: Decimal,
    pub overhead: Decimal,
    /// Commitment shares per commitment (`provider/model`); each is spread over the lines
    /// in proportion to their tokens of that model.
    pub commitment_by_model: BTreeMap<String, Decimal>,
}

impl Shares {
    pub fn of_team(t: &TeamShowback) -> Self {
        Shares {
            token_cost: t.token_cost,
            overhead: t.overhead,
            commitment_by_model: t.commitment_by_model.clone(),
        }
    }

    pub fn of_line(l: &Line) -> Self {
        Shares {
            token_cost: l.token_cost,
            overhead: l.overhead,
            commitment_by_model: l.commitment_by_model.clone(),
        }
    }
}

/// One line of a drill-down table (a feature, model, key, day or outcome), with the unit
/// economics of docs/ARCHITECTURE.md.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Line {
    pub name: String,
    /// Effective token cost, rounded so that the lines add up to the row drilled into.
    pub token_cost: Decimal,
    /// Token cost at list prices, before discounts.
    pub list_cost: Decimal,
    pub overhead: Decimal,
    pub commitment: Decimal,
    pub commitment_by_model: BTreeMap<String, Decimal>,
    /// Token cost + overhead + commitment.
    pub blended_cost: Decimal,
    pub requests: u64,
    pub tokens: TokenCounts,
    pub unpriced_requests: u64,
    pub successful_outcomes: u64,
    /// Blended cost ÷ requests.
    pub cost_per_query: Option<Decimal>,
    /// Blended cost ÷ successful outcomes: failures and retries stay in the numerator.
    pub cost_per_successful_outcome: Option<Decimal>,
    /// Tokens (input and output) ÷ successful outcomes: token productivity.
    pub tokens_per_successful_outcome: Option<Decimal>,
    /// Token cost per 1,000,000 tokens (input and output).
    pub cost_per_million_tokens: Option<Decimal>,
    /// Workflows whose final call is on this line, and those of them that succeeded.
    pub workflows: u64,
    pub completed_workflows: u64,
    /// Token cost of the calls that belong to workflows.
    pub workflow_cost: Decimal,
    /// Workflow cost ÷ completed workflows.
    pub cost_per_workflow_completion: Option<Decimal>,
    /// Agent loop factor: calls per workflow.
    pub calls_per_workflow: Option<Decimal>,
    /// Final call's input ÷ first call's input, over workflows of two calls or more.
    pub context_growth: Option<Decimal>,
    /// Distinct `user` values seen.
    pub active_users: u64,
    pub cost_per_active_user: Option<Decimal>,
    /// Business transactions reported for the line's team and feature.
    pub transactions: u64,
    pub cost_per_transaction: Option<Decimal>,
    /// Value reported with the line's transactions against its blended cost; none when no
    /// report for the line carries a value.
    pub margin: Option<Margin>,
    /// Token cost of failure and retry calls, and its share of the token cost (percent).
    pub waste: Decimal,
    pub waste_share: Option<Decimal>,
    /// Cached input ÷ input tokens, in percent.
    pub cache_hit_rate: Option<Decimal>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TeamDrilldown {
    pub team: String,
    pub month: Month,
    pub currency: String,
    pub token_cost: Decimal,
    pub list_cost: Decimal,
    pub overhead: Decimal,
    pub commitment: Decimal,
    pub blended_cost: Decimal,
    /// The whole team as one line: its unit economics.
    pub total: Line,
    pub features: Vec<Line>,
    pub models: Vec<Line>,
    pub keys: Vec<Line>,
    pub days: Vec<Line>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FeatureDrilldown {
    pub team: String,
    pub feature: String,
    pub month: Month,
    pub currency: String,
    /// The feature as one line of its team: its unit economics.
    pub total: Line,
    pub models: Vec<Line>,
    pub keys: Vec<Line>,
    pub days: Vec<Line>,
    pub outcomes: Vec<Line>,
}

/// A month's data ready to be cut into views.
pub struct Views<'a> {
    pub month: Month,
    pub data: &'a MonthData,
    pub attributor: &'a Attributor,
    pub ledger: Ledger<'a>,
    /// The owners of the month's workflow groups and user words, decided once: a page cuts
    /// the same month into five or six views, and attributing is what each would repeat.
    owners: Owners,
}

/// Owners of workflow groups and user words, one attribution per distinct day and
/// dimensions (attribution depends on nothing else).
struct Owners {
    of: Vec<Attribution>,
    /// Index into `of` of each of the month's workflow groups, in their order.
    flows: Vec<usize>,
    /// Index into `of` of each user word, in their order.
    users: Vec<usize>,
}

impl Owners {
    fn decide<'a>(
        workflows: &'a [WorkflowGroup],
        users: &'a [UserWord],
        attributor: &Attributor,
    ) -> Self {
        let mut index: HashMap<(NaiveDate, &'a Dims), usize> = HashMap::new();
        let mut tags_cache: HashMap<&'a str, BTreeMap<String, String>> = HashMap::new();
        let mut of = Vec::new();
        let mut owner = |day: NaiveDate, d: &'a Dims| {
            *index.entry((day, d)).or_insert_with(|| {
                let tags = tags_cache
                    .entry(d.tags.as_str())
                    .or_insert_with(|| d.parse_tags());
                of.push(attributor.resolve(&d.event_dims(tags), day));
                of.len() - 1
            })
        };
        let flows = workflows.iter().map(|w| owner(w.day, &w.dims)).collect();
        let users = users.iter().map(|u| owner(u.day, &u.dims)).collect();
        Owners { of, flows, users }
    }
}

impl<'a> Views<'a> {
    pub fn new(
        month: Month,
        data: &'a MonthData,
        attributor: &'a Attributor,
        book: &'a PriceBook,
    ) -> Self {
        Views {
            month,
            data,
            attributor,
            ledger: Ledger::of(data, attributor, book),
            owners: Owners::decide(&data.workflows, &data.users, attributor),
        }
    }

    /// Views of `data` with the same owners and prices as these: for the month's data with
    /// days merged (see [`Views::days_merged`]).
    pub fn over<'m>(&self, data: &'m MonthData) -> Views<'m>
    where
        'a: 'm,
    {
        Views::new(self.month, data, self.attributor, self.ledger.book)
    }

    /// Workflow statistics per group of the month's workflows (owned as their final call).
    fn workflow_stats(
        &self,
        group: &dyn Fn(&Point<'_>) -> Option<String>,
    ) -> BTreeMap<String, WorkflowStats> {
        let mut out: BTreeMap<String, WorkflowStats> = BTreeMap::new();
        for (w, &o) in self.data.workflows.iter().zip(&self.owners.flows) {
            let p = dims_point(&self.owners.of[o], &w.dims, w.day, w.outcome);
            if let Some(k) = group(&p) {
                out.entry(k).or_default().add(w);
            }
        }
        out
    }

    /// The rows `keep` accepts as one summary.
    pub fn summary(&self, keep: &dyn Fn(&Point<'_>) -> bool) -> Summary {
        self.ledger
            .summarize(|r| keep(&r.point()).then_some(()))
            .remove(&())
            .unwrap_or_default()
    }

    /// One table: the rows `keep` accepts, grouped by `by`, priced, with their unit
    /// economics. With `shares` (what the view must add up to) the lines are rounded to them
    /// and share the overhead in proportion to token cost and each commitment in proportion
    /// to tokens of its model; without, lines carry token cost only.
    pub fn lines(
        &self,
        keep: &dyn Fn(&Point<'_>) -> bool,
        by: &dyn Fn(&Point<'_>) -> String,
        shares: Option<&Shares>,
    ) -> Vec<Line> {
        let group = |p: &Point<'_>| keep(p).then(|| by(p));
        let mut sums = self.ledger.summarize(|r| group(&r.point()));
        let flows = self.workflow_stats(&group);
        // Successful outcomes: successful calls outside workflows, and completed workflows.
        let mut wins: BTreeMap<String, u64> = sums
            .iter()
            .map(|(k, s)| (k.clone(), s.standalone_successes))
            .collect();
        for (k, stats) in &flows {
            *wins.entry(k.clone()).or_default() += stats.completed;
        }
        let reports = transactions(&self.data.transactions, self.month, group);
        let worth = values(&self.data.transactions, self.month, group);
        let users = count_users(
            &self.data.users,
            &self.owners.of,
            &self.owners.users,
            keep,
            by,
        );
        let shares = shares.cloned().unwrap_or_else(|| {
            let exact: Vec<Decimal> = sums.values().map(Summary::token_cost).collect();
            Shares {
                token_cost: round_to_cents_preserving_total(&exact).iter().sum(),
                ..Shares::default()
            }
        });
        let shared = !(shares.overhead.is_zero() && shares.commitment_by_model.is_empty());
        if sums.is_empty() && (!shares.token_cost.is_zero() || shared) {
            // A team charged only shared costs still shows where its money is.
            sums.insert(NO_USAGE.to_owned(), Summary::default());
        }
        let names: Vec<&String> = sums.keys().collect();
        let exact: Vec<Decimal> = names.iter().map(|n| sums[*n].token_cost()).collect();
        let token_costs = rounded_to(shares.token_cost, &exact);
        let list_exact: Vec<Decimal> = names.iter().map(|n| sums[*n].list_cost.total()).collect();
        let list_costs = round_to_cents_preserving_total(&list_exact);
        let overheads = largest_remainder(cents(shares.overhead), &exact);
        let commitments = self.commitment_lines(&names, keep, by, &shares.commitment_by_model);

        let mut out: Vec<Line> = names
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let s = &sums[*name];
                let committed = commitments[i].clone();
                let commitment: Decimal = committed.values().sum();
                let overhead = from_cents(overheads[i]);
                let blended = token_costs[i] + overhead + commitment;
                let won = wins.get(*name).copied().unwrap_or(0);
                let flow = flows.get(*name).copied().unwrap_or_default();
                let workflow_cost = from_cents(cents(s.workflow_cost));
                let users = users.get(*name).copied().unwrap_or(0);
                let reported = reports.get(*name).copied().unwrap_or(0);
                let waste = from_cents(cents(s.waste));
                Line {
                    name: (*name).clone(),
                    token_cost: token_costs[i],
                    list_cost: list_costs[i],
                    overhead,
                    commitment,
                    commitment_by_model: committed,
                    blended_cost: blended,
                    requests: s.requests,
                    tokens: s.tokens,
                    unpriced_requests: s.unpriced_requests,
                    successful_outcomes: won,
                    cost_per_query: unit_cost(blended, s.requests),
                    cost_per_successful_outcome: unit_cost(blended, won),
                    tokens_per_successful_outcome: tokens_per(s.tokens.total(), won),
                    cost_per_million_tokens: cost_per_million(
                        token_costs[i],
                        s.tokens.input + s.tokens.output,
                    ),
                    workflows: flow.workflows,
                    completed_workflows: flow.completed,
                    workflow_cost,
                    cost_per_workflow_completion: unit_cost(workflow_cost, flow.completed),
                    calls_per_workflow: flow.calls_per_workflow(),
                    context_growth: flow.context_growth(),
                    active_users: users,
                    cost_per_active_user: unit_cost(blended, users),
                    transactions: reported,
                    cost_per_transaction: unit_cost(blended, reported),
                    margin: worth
                        .get(*name)
                        .map(|v| Margin::of(*v, blended, s.tokens.input + s.tokens.output)),
                    waste,
                    waste_share: percent(waste, token_costs[i]),
                    cache_hit_rate: percent(
                        Decimal::from(s.tokens.cached_input),
                        Decimal::from(s.tokens.input),
                    ),
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

    /// Each line's part of each commitment share, in proportion to its tokens of the
    /// commitment's model.
    fn commitment_lines(
        &self,
        names: &[&String],
        keep: &dyn Fn(&Point<'_>) -> bool,
        by: &dyn Fn(&Point<'_>) -> String,
        amounts: &BTreeMap<String, Decimal>,
    ) -> Vec<BTreeMap<String, Decimal>> {
        let mut out = vec![BTreeMap::new(); names.len()];
        if amounts.is_empty() || names.is_empty() {
            return out;
        }
        let index: HashMap<&str, usize> = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.as_str(), i))
            .collect();
        for (label, amount) in amounts {
            let commitment = self
                .data
                .commitments
                .iter()
                .find(|c| c.month == self.month && c.label() == *label);
            let mut weights = vec![Decimal::ZERO; names.len()];
            if let Some(c) = commitment {
                for r in &self.ledger.rows {
                    let p = r.point();
                    if !c.covers(p.provider, p.model) || !keep(&p) {
                        continue;
                    }
                    if let Some(i) = index.get(by(&p).as_str()) {
                        weights[*i] += Decimal::from(commitment_tokens(&r.row.totals.tokens));
                    }
                }
            }
            for (i, part) in largest_remainder(cents(*amount), &weights)
                .into_iter()
                .enumerate()
            {
                if part != 0 {
                    out[i].insert(label.clone(), from_cents(part));
                }
            }
        }
        out
    }
}

/// Exact amounts rounded to cents so that they add up to `total` (itself rounded among a
/// larger whole): the cent or so of difference goes onto the largest line, which can absorb
/// a cent taken away without going negative.
pub fn rounded_to(total: Decimal, exact: &[Decimal]) -> Vec<Decimal> {
    let mut rounded = round_to_cents_preserving_total(exact);
    if let Some(i) = (0..rounded.len()).max_by_key(|&i| (rounded[i], exact[i])) {
        let drift = total - rounded.iter().sum::<Decimal>();
        rounded[i] += drift;
    }
    rounded
}

/// A team's month by feature, model, key and day; every view adds up to the team's row.
pub fn team_drilldown(
    team: &TeamShowback,
    month: Month,
    currency: &str,
    data: &MonthData,
    book: &PriceBook,
    attributor: &Attributor,
) -> TeamDrilldown {
    let daily = Views::new(month, data, attributor, book);
    let mine = |p: &Point<'_>| p.owner.team == team.team;
    let shares = Shares::of_team(team);
    let mut days = daily.lines(&mine, &|p| p.day.to_string(), Some(&shares));
    days.sort_by(|a, b| a.name.cmp(&b.name));
    // The other views do not look at days: they read the team's rows with days merged.
    let merged = daily.days_merged(&mine);
    let views = daily.over(&merged);
    let view = |by: &dyn Fn(&Point<'_>) -> String| views.lines(&mine, by, Some(&shares));
    // A team with neither usage nor shared costs has no line: its total is all zeros.
    let total = view(&|_| team.team.clone()).pop().unwrap_or_else(|| Line {
        name: team.team.clone(),
        ..Line::default()
    });
    TeamDrilldown {
        team: team.team.clone(),
        month,
        currency: currency.to_owned(),
        token_cost: team.token_cost,
        list_cost: team.list_cost,
        overhead: team.overhead,
        commitment: team.commitment,
        blended_cost: team.blended_cost,
        total,
        features: view(&|p| p.owner.feature.clone()),
        models: view(&|p| p.model.to_owned()),
        keys: view(&|p| p.api_key.to_owned()),
        days,
    }
}

/// One feature of a team by model, key, day and outcome, each view adding up to the
/// feature's line of the team drill-down; `None` when the team has no such feature.
pub fn feature_drilldown(
    team: &TeamDrilldown,
    feature: &str,
    data: &MonthData,
    book: &PriceBook,
    attributor: &Attributor,
) -> Option<FeatureDrilldown> {
    let line = team.features.iter().find(|l| l.name == feature)?.clone();
    let daily = Views::new(team.month, data, attributor, book);
    let mine = |p: &Point<'_>| p.owner.team == team.team;
    let merged = daily.days_merged(&mine);
    let by_month = daily.over(&merged);
    Some(feature_views(
        &team.team,
        feature,
        &team.currency,
        line,
        &daily,
        &by_month,
    ))
}

/// [`feature_drilldown`] from the team's row of showback, without the rest of the team's
/// drill-down: the month's rows are attributed, priced and merged once, and of the team's
/// views only the one by feature (which gives the feature's shares) is made. Equal to
/// [`feature_drilldown`] of [`team_drilldown`] (a test compares them).
pub fn feature_of_team(
    team: &TeamShowback,
    feature: &str,
    month: Month,
    currency: &str,
    data: &MonthData,
    book: &PriceBook,
    attributor: &Attributor,
) -> Option<FeatureDrilldown> {
    let daily = Views::new(month, data, attributor, book);
    let mine = |p: &Point<'_>| p.owner.team == team.team;
    let merged = daily.days_merged(&mine);
    let by_month = daily.over(&merged);
    let line = by_month
        .lines(
            &mine,
            &|p| p.owner.feature.clone(),
            Some(&Shares::of_team(team)),
        )
        .into_iter()
        .find(|l| l.name == feature)?;
    Some(feature_views(
        &team.team, feature, currency, line, &daily, &by_month,
    ))
}

/// A feature's views: by day from the daily rows, the others from the team's rows with days
/// merged. Rows merge only where they have one owner, so the feature's merged rows are the
/// team's merged rows that are the feature's.
fn feature_views(
    team: &str,
    feature: &str,
    currency: &str,
    line: Line,
    daily: &Views<'_>,
    by_month: &Views<'_>,
) -> FeatureDrilldown {
    let keep = |p: &Point<'_>| p.owner.team == team && p.owner.feature == feature;
    let shares = Shares::of_line(&line);
    let mut days = daily.lines(&keep, &|p| p.day.to_string(), Some(&shares));
    days.sort_by(|a, b| a.name.cmp(&b.name));
    let view = |by: &dyn Fn(&Point<'_>) -> String| by_month.lines(&keep, by, Some(&shares));
    let mut outcomes = view(&|p| p.outcome.as_str().to_owned());
    outcomes.sort_by_key(|l| {
        Outcome::ALL
            .iter()
            .position(|o| o.as_str() == l.name)
            .unwrap_or(usize::MAX)
    });
    FeatureDrilldown {
        team: team.to_owned(),
        feature: feature.to_owned(),
        month: daily.month,
        currency: currency.to_owned(),
        total: line,
        models: view(&|p| p.model.to_owned()),
        keys: view(&|p| p.api_key.to_owned()),
        days,
        outcomes,
    }
}

/// The point of a workflow group or a user word (users have no outcome: `Outcome::Unknown`).
fn dims_point<'p>(
    owner: &'p Attribution,
    d: &'p Dims,
    day: NaiveDate,
    outcome: Outcome,
) -> Point<'p> {
    Point {
        owner,
        provider: &d.provider,
        model: &d.model,
        api_key: &d.api_key,
        day,
        outcome,
    }
}

/// Distinct users per group, each day's users under one set of dimensions attributed like the
/// usage they came with. Sets are unions of words, so this reads words, not events.
pub fn active_users(
    users: &[UserWord],
    attributor: &Attributor,
    keep: &dyn Fn(&Point<'_>) -> bool,
    by: &dyn Fn(&Point<'_>) -> String,
) -> BTreeMap<String, u64> {
    let owners = Owners::decide(&[], users, attributor);
    count_users(users, &owners.of, &owners.users, keep, by)
}

/// [`active_users`] with each word's owner decided: `owner_of[i]` indexes `owners` for
/// `users[i]`, one index per day and dimensions, so each is kept and grouped once.
fn count_users(
    users: &[UserWord],
    owners: &[Attribution],
    owner_of: &[usize],
    keep: &dyn Fn(&Point<'_>) -> bool,
    by: &dyn Fn(&Point<'_>) -> String,
) -> BTreeMap<String, u64> {
    let mut group_of: Vec<Option<Option<usize>>> = vec![None; owners.len()];
    let mut names: Vec<String> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut sets: Vec<HashMap<u64, u64>> = Vec::new();
    for (u, &o) in users.iter().zip(owner_of) {
        let group = *group_of[o].get_or_insert_with(|| {
            // Users are not split by outcome: a user view never groups or filters on it.
            let p = dims_point(&owners[o], &u.dims, u.day, Outcome::Unknown);
            keep(&p).then(|| by(&p)).map(|key| {
                *index.entry(key.clone()).or_insert_with(|| {
                    names.push(key);
                    sets.push(HashMap::new());
                    names.len() - 1
                })
            })
        });
        if let Some(g) = group {
            *sets[g].entry(u.word).or_default() |= u.bits;
        }
    }
    names
        .into_iter()
        .zip(sets)
        .map(|(name, words)| {
            let count = words.values().map(|b| u64::from(b.count_ones())).sum();
            (name, count)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeSet, HashSet};

    use proptest::prelude::*;

    use super::*;
    use crate::rollup::{UserDay, user_words};

    fn dims(team: u8, feature: u8) -> Dims {
        Dims {
            provider: "openai".into(),
            model: "gpt-4o".into(),
            api_key: format!("k{team}{feature}"),
            team: if team == 0 {
                String::new()
            } else {
                format!("t{team}")
            },
            feature: format!("f{feature}"),
            environment: String::new(),
            tags: String::new(),
        }
    }

    proptest! {
        /// Counting users from words gives the distinct users of the user days, per group,
        /// whatever the numbering (users sparse or dense, over many words).
        #[test]
        fn words_count_the_distinct_users_of_the_days(
            days in proptest::collection::vec((1u32..5, 0u8..3, 0u8..3, 0u64..300), 0..400),
            stride in 1u64..40,
        ) {
            let user_days: BTreeSet<UserDay> = days
                .iter()
                .map(|(d, t, f, u)| UserDay {
                    day: NaiveDate::from_ymd_opt(2026, 3, *d).unwrap(),
                    dims: dims(*t, *f),
                    user: format!("user-{u}"),
                })
                .collect();
            let numbers = |u: &str| u[5..].parse::<u64>().ok().map(|n| n * stride);
            let words = user_words(&user_days, numbers);
            let attributor = Attributor::new(Vec::new(), Vec::new());
            let keep_t1 = |p: &Point<'_>| p.owner.team != "t2";
            let views: [&dyn Fn(&Point<'_>) -> String; 3] = [
                &|p| p.owner.feature.clone(),
                &|p| p.day.to_string(),
                &|p| p.owner.team.clone(),
            ];
            for by in views {
                let got = active_users(&words, &attributor, &keep_t1, by);
                let mut want: BTreeMap<String, HashSet<&str>> = BTreeMap::new();
                for u in &user_days {
                    let tags = u.dims.parse_tags();
                    let owner = attributor.resolve(&u.dims.event_dims(&tags), u.day);
                    let p = Point {
                        owner: &owner,
                        provider: &u.dims.provider,
                        model: &u.dims.model,
                        api_key: &u.dims.api_key,
                        day: u.day,
                        outcome: Outcome::Unknown,
                    };
                    if keep_t1(&p) {
                        want.entry(by(&p)).or_default().insert(u.user.as_str());
                    }
                }
                let want: BTreeMap<String, u64> =
                    want.into_iter().map(|(k, v)| (k, v.len() as u64)).collect();
                prop_assert_eq!(got, want);
            }
        }
    }
}
