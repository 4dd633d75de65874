//! A month's data with its days merged, for the views that do not look at days.
//!
//! A drill-down cuts one month into views by feature, model, key, day and outcome. Only the
//! view by day needs the month's daily rows; the others read the same from rows that differ
//! only in their day summed into one. A team's month of 5,800 daily rows merges into about
//! 350 (bench data, 1M events), and each view then goes through those.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use crate::attribution::Attribution;
use crate::catalog::CardId;
use crate::event::{Outcome, ServiceTier};
use crate::ledger::{MonthData, Point, UsageRow};
use crate::rollup::{Dims, RollupKey, UserWord, WorkflowGroup};

use super::{Views, dims_point};

/// A rollup key without its day.
type DaylessKey<'k> = ([&'k str; 7], ServiceTier, Outcome, u64, bool);

/// What rows must share to merge: their key but the day, and what their days gave them (owner,
/// price card, discount).
type MergedRow<'r> = (
    DaylessKey<'r>,
    &'r Attribution,
    Option<CardId>,
    Option<usize>,
);

fn dayless(k: &RollupKey) -> DaylessKey<'_> {
    (
        [
            &k.provider,
            &k.model,
            &k.api_key,
            &k.team,
            &k.feature,
            &k.environment,
            &k.tags,
        ],
        k.service_tier,
        k.outcome,
        k.context_band,
        k.in_workflow,
    )
}

impl Views<'_> {
    /// The month's data that `keep` takes, with rows, user words and workflow groups that
    /// differ only in their day merged into one, dated the first of those days met. Rows
    /// merge only where their days give them the same owner, price card and discount, and
    /// words and workflow groups only where their days give them the same owner, so each
    /// merged one is attributed and priced on its date as every part of it was on its own.
    ///
    /// Views whose `keep` and grouping do not look at the day come out the same from this as
    /// from the daily data (a test compares them): sums of tokens priced at one rate are
    /// the sum of their prices, and a union of users is the same however its sets are
    /// grouped first. `keep` must not look at the day either.
    pub fn days_merged(&self, keep: &dyn Fn(&Point<'_>) -> bool) -> MonthData {
        let data = self.data;
        let mut rows = Vec::new();
        let mut row_at: HashMap<MergedRow<'_>, usize> = HashMap::new();
        for r in &self.ledger.rows {
            if !keep(&r.point()) {
                continue;
            }
            match row_at.entry((dayless(&r.row.key), &r.owner, r.card, r.discount)) {
                Entry::Occupied(at) => {
                    let merged: &mut UsageRow = &mut rows[*at.get()];
                    merged.totals.add(&r.row.totals);
                }
                Entry::Vacant(v) => {
                    v.insert(rows.len());
                    rows.push(r.row.clone());
                }
            }
        }

        let of = &self.owners.of;
        let mut users: Vec<UserWord> = Vec::new();
        let mut word_at: HashMap<(&Attribution, &Dims, u64), usize> = HashMap::new();
        for (u, &o) in data.users.iter().zip(&self.owners.users) {
            if !keep(&dims_point(&of[o], &u.dims, u.day, Outcome::Unknown)) {
                continue;
            }
            match word_at.entry((&of[o], &u.dims, u.word)) {
                Entry::Occupied(at) => users[*at.get()].bits |= u.bits,
                Entry::Vacant(v) => {
                    v.insert(users.len());
                    users.push(u.clone());
                }
            }
        }

        let mut workflows: Vec<WorkflowGroup> = Vec::new();
        let mut flow_at: HashMap<(&Attribution, &Dims, Outcome), usize> = HashMap::new();
        for (w, &o) in data.workflows.iter().zip(&self.owners.flows) {
            if !keep(&dims_point(&of[o], &w.dims, w.day, w.outcome)) {
                continue;
            }
            match flow_at.entry((&of[o], &w.dims, w.outcome)) {
                Entry::Occupied(at) => {
                    let merged = &mut workflows[*at.get()];
                    merged.workflows += w.workflows;
                    merged.calls += w.calls;
                    merged.first_input += w.first_input;
                    merged.last_input += w.last_input;
                }
                Entry::Vacant(v) => {
                    v.insert(workflows.len());
                    workflows.push(w.clone());
                }
            }
        }

        MonthData {
            rows,
            workflows,
            users,
            overheads: data.overheads.clone(),
            commitments: data.commitments.clone(),
            discounts: data.discounts.clone(),
            transactions: data.transactions.clone(),
        }
    }
}
