//! The chain: the token parts, step by step, from the earlier month's cost to the later one's.

use std::collections::{BTreeMap, BTreeSet};

use rust_decimal::Decimal;

use crate::allocation::from_cents;

use super::{
    By, Contributor, Owner, Part, PartKind, Rated, Scope, TOP_CONTRIBUTORS, VOLUME_SCALE_DP,
    round_signed_to,
};

pub(super) type Label = (By, Option<String>, String);

/// A part being summed: its exact amount and its contributors' exact amounts.
#[derive(Default)]
pub(super) struct Acc {
    pub(super) exact: Decimal,
    pub(super) by: BTreeMap<Label, Decimal>,
}

impl Acc {
    pub(super) fn add(&mut self, label: Label, amount: Decimal) {
        self.exact += amount;
        *self.by.entry(label).or_default() += amount;
    }

    /// Only the contributors: the part's amount is set apart.
    pub(super) fn contribute(&mut self, label: Label, amount: Decimal) {
        *self.by.entry(label).or_default() += amount;
    }

    pub(super) fn with_exact(mut self, exact: Decimal) -> Self {
        self.exact = exact;
        self
    }

    pub(super) fn of_changes(
        before: &BTreeMap<String, Decimal>,
        after: &BTreeMap<String, Decimal>,
        by: By,
    ) -> Self {
        let mut acc = Acc::default();
        for (name, v) in after {
            acc.contribute((by, None, name.clone()), *v);
        }
        for (name, v) in before {
            acc.contribute((by, None, name.clone()), -*v);
        }
        acc
    }

    pub(super) fn into_part(self, kind: PartKind, amount_cents: i64) -> Part {
        let labels: Vec<Label> = self.by.keys().cloned().collect();
        let exact: Vec<Decimal> = self.by.values().copied().collect();
        let mut contributors: Vec<Contributor> = if labels.is_empty() {
            Vec::new()
        } else {
            labels
                .into_iter()
                .zip(round_signed_to(amount_cents, &exact))
                .filter(|(_, c)| *c != 0)
                .map(|((by, team, name), c)| Contributor {
                    by,
                    name,
                    team,
                    amount: from_cents(c),
                })
                .collect()
        };
        contributors.sort_by(|x, y| {
            y.amount
                .abs()
                .cmp(&x.amount.abs())
                .then(y.amount.cmp(&x.amount))
                .then(x.by.cmp(&y.by))
                .then(x.name.cmp(&y.name))
                .then(x.team.cmp(&y.team))
        });
        if contributors.len() > TOP_CONTRIBUTORS {
            let rest = contributors.split_off(TOP_CONTRIBUTORS - 1);
            contributors.push(Contributor {
                by: By::Others,
                name: format!("{} others", rest.len()),
                team: None,
                amount: rest.iter().map(|c| c.amount).sum(),
            });
        }
        Part {
            kind,
            amount: from_cents(amount_cents),
            exact: self.exact.normalize(),
            contributors,
        }
    }
}

/// A member of a scope: spend is new or gone per (team, feature, key), owners at the end.
pub(super) type Member = (String, String, String);

pub(super) fn member(r: &Rated) -> Member {
    (r.end.team.clone(), r.end.feature.clone(), r.key.clone())
}

/// The members with tokens in a month, and their teams and features.
pub(super) struct Presence {
    pub(super) members: BTreeSet<Member>,
    pub(super) teams: BTreeSet<String>,
    pub(super) features: BTreeSet<(String, String)>,
}

impl Presence {
    /// Over the whole organisation: whether a member is in a scope depends on its owners
    /// only, and a feature new to the organisation is named as a feature even in its own scope.
    pub(super) fn of(rows: &[Rated]) -> Self {
        let mut tokens: BTreeMap<Member, u64> = BTreeMap::new();
        for r in rows {
            *tokens.entry(member(r)).or_default() += r.tokens;
        }
        let members: BTreeSet<Member> = tokens
            .into_iter()
            .filter(|(_, t)| *t > 0)
            .map(|(m, _)| m)
            .collect();
        Presence {
            teams: members.iter().map(|(t, _, _)| t.clone()).collect(),
            features: members
                .iter()
                .map(|(t, f, _)| (t.clone(), f.clone()))
                .collect(),
            members,
        }
    }

    /// How a member absent from this month is named: its team if the team is absent too,
    /// else its feature if that is, else its key.
    pub(super) fn absent_label(&self, r: &Rated) -> Label {
        let team = &r.end.team;
        if !self.teams.contains(team) {
            (By::Team, Some(team.clone()), team.clone())
        } else if !self
            .features
            .contains(&(team.clone(), r.end.feature.clone()))
        {
            (By::Feature, Some(team.clone()), r.end.feature.clone())
        } else {
            (By::Key, Some(team.clone()), r.key.clone())
        }
    }
}

/// The child of the scope a row belongs to under owner `o`.
pub(super) fn child_label(by: By, o: &Owner, r: &Rated) -> Label {
    match by {
        By::Team => (By::Team, Some(o.team.clone()), o.team.clone()),
        By::Feature => (By::Feature, Some(o.team.clone()), o.feature.clone()),
        _ => (By::Key, Some(r.end.team.clone()), r.key.clone()),
    }
}

/// A member present in both months: its tokens in each, and its earlier month's tokens at
/// the reference rates, per model.
#[derive(Default)]
pub(super) struct Continuing {
    pub(super) child: Option<Label>,
    pub(super) tokens_a: u64,
    pub(super) tokens_b: u64,
    pub(super) reference_a: BTreeMap<String, Decimal>,
}

/// The token parts (attribution, new, gone, volume, mix, price), exact, with contributors.
pub(super) fn token_parts(scope: &Scope, a: &[Rated], b: &[Rated]) -> Vec<(PartKind, Acc)> {
    let mut attribution = Acc::default();
    let mut new = Acc::default();
    let mut gone = Acc::default();
    let mut volume = Acc::default();
    let mut mix = Acc::default();
    let mut price = Acc::default();
    // Attribution at the organisation moves money between teams; inside a team or feature
    // it is the keys whose spend came in or went out.
    let moved = |o: &Owner, r: &Rated| match scope {
        Scope::Org => child_label(By::Team, o, r),
        _ => child_label(By::Key, o, r),
    };
    // S0 → S1 on A's rows, and S6 → S7 on B's rows.
    for r in a {
        if scope.contains(&r.end) {
            attribution.add(moved(&r.end, r), r.actual);
        }
        if scope.contains(&r.own) {
            attribution.add(moved(&r.own, r), -r.actual);
        }
    }
    for r in b {
        if scope.contains(&r.own) {
            attribution.add(moved(&r.own, r), r.actual);
        }
        if scope.contains(&r.end) {
            attribution.add(moved(&r.end, r), -r.actual);
        }
    }

    // S1 → S2: members with spend in one month only.
    let in_a = Presence::of(a);
    let in_b = Presence::of(b);
    let both = |m: &Member| in_a.members.contains(m) && in_b.members.contains(m);
    let children = scope.children();
    let mut continuing: BTreeMap<Member, Continuing> = BTreeMap::new();
    let mut reference_b: BTreeMap<&str, Decimal> = BTreeMap::new();
    for r in a.iter().filter(|r| scope.contains(&r.end)) {
        let m = member(r);
        if both(&m) {
            let c = continuing.entry(m).or_default();
            c.child
                .get_or_insert_with(|| child_label(children, &r.end, r));
            c.tokens_a += r.tokens;
            *c.reference_a.entry(r.model.clone()).or_default() += r.reference;
            // S2 → S3: A's own rates to A's reference rates.
            price.add((By::Model, None, r.model.clone()), r.reference - r.actual);
        } else {
            gone.add(in_b.absent_label(r), -r.actual);
        }
    }
    for r in b.iter().filter(|r| scope.contains(&r.end)) {
        let m = member(r);
        if both(&m) {
            continuing.entry(m).or_default().tokens_b += r.tokens;
            *reference_b.entry(&r.model).or_default() += r.reference;
            // S5 → S6: A's reference rates to B's own rates.
            price.add((By::Model, None, r.model.clone()), r.actual - r.reference);
        } else {
            new.add(in_a.absent_label(r), r.actual);
        }
    }

    // S3 → S4 (volume): each member's earlier tokens, at the reference rates and in their
    // earlier mix, scaled to its later tokens. S4 → S5 (mix): the later tokens at the
    // reference rates, less that.
    for c in continuing.values() {
        let child = c
            .child
            .clone()
            .expect("a continuing member has earlier rows");
        for (model, reference) in &c.reference_a {
            let scaled = (reference * Decimal::from(c.tokens_b) / Decimal::from(c.tokens_a))
                .round_dp(VOLUME_SCALE_DP);
            volume.add(child.clone(), scaled - reference);
            mix.add((By::Model, None, model.clone()), -scaled);
        }
    }
    for (model, reference) in reference_b {
        mix.add((By::Model, None, model.to_owned()), reference);
    }
    vec![
        (PartKind::Attribution, attribution),
        (PartKind::New, new),
        (PartKind::Gone, gone),
        (PartKind::Volume, volume),
        (PartKind::Mix, mix),
        (PartKind::Price, price),
    ]
}
