//! Why the bill moved: the change in blended cost between two months, for the organisation,
//! a team or a feature, split into parts that add up to the change to the cent.
//!
//! The method is a chained (sequential substitution) decomposition in one fixed order; see
//! DECISIONS.md, "Why the bill moved". It reads the two months' rollup rows, never raw events:
//! tokens are summed per (owners, key, model, tier, context band, card, discount) first, and
//! each sum is priced once at the month's own rates and once at the earlier month's reference
//! rates. Every step is exact; only the finished parts are rounded to cents, by largest
//! remainder, onto the change the two showbacks report.
//!
//! The chain, for the token cost inside the scope (owners E are those in force on the later
//! month's last day, resolved with the later month's attributor):
//!
//! | state | what is summed                                                    | step        |
//! |-------|-------------------------------------------------------------------|-------------|
//! | S0    | A's rows, A's owners, A's own rates                               |             |
//! | S1    | A's rows, owners E, A's own rates                                 | attribution |
//! | S2    | continuing members of S1 + B's new members at B's rates           | new, gone   |
//! | S3    | continuing A tokens at A's reference rates (+ new)                | price       |
//! | S4    | per member, S3's cost × its B tokens ÷ its A tokens (+ new)       | volume      |
//! | S5    | continuing B tokens at A's reference rates (+ new)                | mix         |
//! | S6    | B's rows, owners E, B's own rates                                 | price       |
//! | S7    | B's rows, B's owners, B's own rates                               | attribution |
//!
//! then overheads and commitments, each the later month's share in the scope less the
//! earlier month's.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use crate::allocation::{cents, from_cents};
use crate::attribution::{Attribution, Attributor};
use crate::catalog::{CardId, PriceBook};
use crate::discount::{self, Discount};
use crate::drilldown::{Shares, Views};
use crate::event::ServiceTier;
use crate::ledger::{Ledger, MonthData};
use crate::month::Month;
use crate::pricing::price;
use crate::rollup::RollupKey;
use crate::showback::Showback;
use crate::tokens::TokenCounts;

/// How many contributors each part lists, largest first; the rest are summed into one.
pub const TOP_CONTRIBUTORS: usize = 10;

/// Decimal places the volume step's scaled cost is carried to (its ratio of token totals
/// need not end); every other amount is exact.
pub const VOLUME_SCALE_DP: u32 = 12;

/// What the movement is of: the organisation, one team, or one feature of a team.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "level")]
pub enum Scope {
    Org,
    Team { team: String },
    Feature { team: String, feature: String },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScopeError {
    #[error("a feature is named within a team: give `team` too")]
    FeatureWithoutTeam,
    #[error("`{0}` must not be empty")]
    Empty(&'static str),
}

impl Scope {
    /// The scope of `?team=&feature=`: neither is the organisation; a feature needs its team.
    pub fn parse(team: Option<&str>, feature: Option<&str>) -> Result<Self, ScopeError> {
        let given = |field: &'static str, v: &str| {
            if v.trim().is_empty() {
                Err(ScopeError::Empty(field))
            } else {
                Ok(v.to_owned())
            }
        };
        match (team, feature) {
            (None, None) => Ok(Scope::Org),
            (Some(t), None) => Ok(Scope::Team {
                team: given("team", t)?,
            }),
            (Some(t), Some(f)) => Ok(Scope::Feature {
                team: given("team", t)?,
                feature: given("feature", f)?,
            }),
            (None, Some(_)) => Err(ScopeError::FeatureWithoutTeam),
        }
    }

    fn contains(&self, o: &Owner) -> bool {
        match self {
            Scope::Org => true,
            Scope::Team { team } => o.team == *team,
            Scope::Feature { team, feature } => o.team == *team && o.feature == *feature,
        }
    }

    /// What the scope is made of, one level down: teams, features, keys.
    fn children(&self) -> By {
        match self {
            Scope::Org => By::Team,
            Scope::Team { .. } => By::Feature,
            Scope::Feature { .. } => By::Key,
        }
    }
}

/// One month as the movement reads it. `showback` must be that month's showback computed
/// from the same `data`, `attributor` and price book: its rounded figures are the totals the
/// parts add up to.
#[derive(Debug, Clone, Copy)]
pub struct MonthSide<'a> {
    pub data: &'a MonthData,
    pub attributor: &'a Attributor,
    pub showback: &'a Showback,
}

impl MonthSide<'_> {
    pub fn month(&self) -> Month {
        self.showback.month
    }
}

/// The parts of a movement, in the order of the chain (and of the waterfall).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PartKind {
    /// Spend moved between owners by a key mapping, rule or rename.
    Attribution,
    /// Members (team, feature, key) with spend in the later month only.
    New,
    /// Members with spend in the earlier month only.
    Gone,
    /// More or fewer tokens at the earlier month's rates and mix.
    Volume,
    /// Tokens moving between models, token classes, tiers and context bands.
    Mix,
    /// Price cards and discounts that took effect, re-rating the same tokens.
    Price,
    Overheads,
    Commitments,
}

impl PartKind {
    pub const ALL: [PartKind; 8] = [
        Self::Attribution,
        Self::New,
        Self::Gone,
        Self::Volume,
        Self::Mix,
        Self::Price,
        Self::Overheads,
        Self::Commitments,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Attribution => "attribution",
            Self::New => "new",
            Self::Gone => "gone",
            Self::Volume => "volume",
            Self::Mix => "mix",
            Self::Price => "price",
            Self::Overheads => "overheads",
            Self::Commitments => "commitments",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Attribution => "Attribution",
            Self::New => "New",
            Self::Gone => "Gone",
            Self::Volume => "Volume",
            Self::Mix => "Mix",
            Self::Price => "Price",
            Self::Overheads => "Overheads",
            Self::Commitments => "Commitments",
        }
    }
}

/// What a contributor is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum By {
    Team,
    Feature,
    /// An API key (empty: usage that came without one).
    Key,
    /// `provider/model`.
    Model,
    /// An overhead category.
    Category,
    /// A commitment (`provider/model`), or `idle` for the unused part of all of them.
    Commitment,
    /// Every contributor beyond the top ones, summed.
    Others,
}

/// One contributor to a part: a team, feature, key, model, overhead category or commitment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Contributor {
    pub by: By,
    pub name: String,
    /// The team it belongs to, where it belongs to one (a team itself, a feature's team, a
    /// key's owner at the end of the later month), so that a page can link to the team.
    pub team: Option<String>,
    /// Rounded to the cent so that a part's contributors add up to the part.
    pub amount: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Part {
    pub kind: PartKind,
    /// Rounded to the cent; the parts add up to `Movement::change` exactly.
    pub amount: Decimal,
    /// The part before rounding, exact (the volume step carried to [`VOLUME_SCALE_DP`]).
    pub exact: Decimal,
    /// The largest contributors, by absolute amount; one `others` line sums the rest.
    pub contributors: Vec<Contributor>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Movement {
    pub scope: Scope,
    pub from: Month,
    pub to: Month,
    pub currency: String,
    /// Blended cost in the scope as each month's showback (or drill-down) rounds it.
    pub before_total: Decimal,
    pub after_total: Decimal,
    /// `after_total − before_total` = Σ parts.
    pub change: Decimal,
    /// Every kind, in [`PartKind::ALL`]'s order, zero or not.
    pub parts: Vec<Part>,
}

impl Movement {
    pub fn part(&self, kind: PartKind) -> &Part {
        self.parts
            .iter()
            .find(|p| p.kind == kind)
            .expect("a movement has every part")
    }
}

/// Explains `after`'s blended cost in `scope` against `before`'s (see the module docs and
/// DECISIONS.md for the method).
pub fn movement(
    scope: &Scope,
    before: &MonthSide<'_>,
    after: &MonthSide<'_>,
    book: &PriceBook,
) -> Movement {
    let end = EndOwners {
        attributor: after.attributor,
        day: after.month().last_day(),
    };
    let reference = Reference {
        book,
        day: before.month().last_day(),
        discounts: &before.data.discounts,
    };
    let a = rate_month(before, book, &end, &reference);
    let b = rate_month(after, book, &end, &reference);
    let tokens = token_parts(scope, &a, &b);

    let shared_a = Shared::of(scope, before, book);
    let shared_b = Shared::of(scope, after, book);
    let token_change = cents(shared_b.token_cost) - cents(shared_a.token_cost);
    let exact: Vec<Decimal> = tokens.iter().map(|(_, acc)| acc.exact).collect();
    let rounded = if exact.iter().all(Decimal::is_zero) {
        // Nothing moved, yet the two showbacks rounded the scope's cost differently (a team
        // is rounded among the others): that cent is shown as volume.
        tokens
            .iter()
            .map(|(kind, _)| {
                if *kind == PartKind::Volume {
                    token_change
                } else {
                    0
                }
            })
            .collect()
    } else {
        round_signed_to(token_change, &exact)
    };

    let mut parts: Vec<Part> = tokens
        .into_iter()
        .zip(rounded)
        .map(|((kind, acc), amount)| acc.into_part(kind, amount))
        .collect();
    parts.push(
        Acc::of_changes(
            &shared_a.overhead_by_category,
            &shared_b.overhead_by_category,
            By::Category,
        )
        .with_exact(shared_b.overhead - shared_a.overhead)
        .into_part(
            PartKind::Overheads,
            cents(shared_b.overhead - shared_a.overhead),
        ),
    );
    parts.push(
        Acc::of_changes(
            &shared_a.commitment_by_label,
            &shared_b.commitment_by_label,
            By::Commitment,
        )
        .with_exact(shared_b.commitment - shared_a.commitment)
        .into_part(
            PartKind::Commitments,
            cents(shared_b.commitment - shared_a.commitment),
        ),
    );
    let change = shared_b.blended - shared_a.blended;
    debug_assert_eq!(parts.iter().map(|p| p.amount).sum::<Decimal>(), change);
    Movement {
        scope: scope.clone(),
        from: before.month(),
        to: after.month(),
        currency: after.showback.currency.clone(),
        before_total: shared_a.blended,
        after_total: shared_b.blended,
        change,
        parts,
    }
}

// ---------------------------------------------------------------------------------------------
// Rating: each month's rows summed by what the chain needs, priced twice
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct Owner {
    team: String,
    feature: String,
}

impl Owner {
    fn of(a: &Attribution) -> Self {
        Owner {
            team: a.team.clone(),
            feature: a.feature.clone(),
        }
    }
}

/// The owners as they stand on the later month's last day, by the later month's attributor:
/// the one owner map that the middle of the chain compares both months under.
struct EndOwners<'a> {
    attributor: &'a Attributor,
    day: NaiveDate,
}

impl EndOwners<'_> {
    fn resolve(&self, k: &RollupKey) -> Owner {
        let dims = k.dims();
        let tags = dims.parse_tags();
        Owner::of(&self.attributor.resolve(&dims.event_dims(&tags), self.day))
    }
}

/// A card, and the factor of the discount in force with it.
type ReferenceRates = (CardId, Option<Decimal>);

/// The earlier month's reference rates: per (provider, model), the card in force on its last
/// day (its tier and context-band rates as that card resolves them), less the provider's
/// discount in force that day.
struct Reference<'a> {
    book: &'a PriceBook,
    day: NaiveDate,
    discounts: &'a [Discount],
}

impl Reference<'_> {
    /// The card and the discount's factor, if a card priced the model that day.
    fn rates(&self, provider: &str, model: &str) -> Option<ReferenceRates> {
        let card = self.book.lookup(provider, model, self.day)?;
        let factor = discount::in_force(self.discounts, provider, self.day)
            .map(|i| self.discounts[i].factor());
        Some((card, factor))
    }
}

/// A sum of rows that share everything the chain looks at, with its cost at the month's own
/// rates (`actual`) and at the earlier month's reference rates (`reference`).
struct Rated {
    /// Owner as the month's showback attributes it.
    own: Owner,
    /// Owner at the end of the later month.
    end: Owner,
    key: String,
    /// `provider/model`.
    model: String,
    tokens: u64,
    actual: Decimal,
    reference: Decimal,
}

#[derive(PartialEq, Eq, Hash)]
struct GroupKey<'a> {
    own: Owner,
    end: Owner,
    key: &'a str,
    provider: &'a str,
    model: &'a str,
    tier: ServiceTier,
    band: u64,
    card: Option<CardId>,
    discount: Option<usize>,
}

type DimsRef<'a> = (
    &'a str,
    &'a str,
    &'a str,
    &'a str,
    &'a str,
    &'a str,
    &'a str,
);

fn rate_month<'a>(
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

// ---------------------------------------------------------------------------------------------
// The chain
// ---------------------------------------------------------------------------------------------

type Label = (By, Option<String>, String);

/// A part being summed: its exact amount and its contributors' exact amounts.
#[derive(Default)]
struct Acc {
    exact: Decimal,
    by: BTreeMap<Label, Decimal>,
}

impl Acc {
    fn add(&mut self, label: Label, amount: Decimal) {
        self.exact += amount;
        *self.by.entry(label).or_default() += amount;
    }

    /// Only the contributors: the part's amount is set apart.
    fn contribute(&mut self, label: Label, amount: Decimal) {
        *self.by.entry(label).or_default() += amount;
    }

    fn with_exact(mut self, exact: Decimal) -> Self {
        self.exact = exact;
        self
    }

    fn of_changes(
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

    fn into_part(self, kind: PartKind, amount_cents: i64) -> Part {
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
type Member = (String, String, String);

fn member(r: &Rated) -> Member {
    (r.end.team.clone(), r.end.feature.clone(), r.key.clone())
}

/// The members with tokens in a month, and their teams and features.
struct Presence {
    members: BTreeSet<Member>,
    teams: BTreeSet<String>,
    features: BTreeSet<(String, String)>,
}

impl Presence {
    /// Over the whole organisation: whether a member is in a scope depends on its owners
    /// only, and a feature new to the organisation is named as a feature even in its own scope.
    fn of(rows: &[Rated]) -> Self {
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
    fn absent_label(&self, r: &Rated) -> Label {
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
fn child_label(by: By, o: &Owner, r: &Rated) -> Label {
    match by {
        By::Team => (By::Team, Some(o.team.clone()), o.team.clone()),
        By::Feature => (By::Feature, Some(o.team.clone()), o.feature.clone()),
        _ => (By::Key, Some(r.end.team.clone()), r.key.clone()),
    }
}

/// A member present in both months: its tokens in each, and its earlier month's tokens at
/// the reference rates, per model.
#[derive(Default)]
struct Continuing {
    child: Option<Label>,
    tokens_a: u64,
    tokens_b: u64,
    reference_a: BTreeMap<String, Decimal>,
}

/// The token parts (attribution, new, gone, volume, mix, price), exact, with contributors.
fn token_parts(scope: &Scope, a: &[Rated], b: &[Rated]) -> Vec<(PartKind, Acc)> {
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

// ---------------------------------------------------------------------------------------------
// The scope's rounded figures, from the showback
// ---------------------------------------------------------------------------------------------

/// A month's figures in the scope as showback (or the team's drill-down, for a feature)
/// rounds them.
#[derive(Default)]
struct Shared {
    token_cost: Decimal,
    overhead: Decimal,
    overhead_by_category: BTreeMap<String, Decimal>,
    /// Commitment shares; at the organisation, whole fees (idle part included).
    commitment: Decimal,
    commitment_by_label: BTreeMap<String, Decimal>,
    blended: Decimal,
}

impl Shared {
    fn of(scope: &Scope, side: &MonthSide<'_>, book: &PriceBook) -> Self {
        let sb = side.showback;
        match scope {
            Scope::Org => {
                let mut overhead_by_category: BTreeMap<String, Decimal> = BTreeMap::new();
                for t in &sb.teams {
                    for (c, v) in &t.overhead_by_category {
                        *overhead_by_category.entry(c.clone()).or_default() += *v;
                    }
                }
                let mut commitment_by_label: BTreeMap<String, Decimal> = BTreeMap::new();
                for u in &sb.commitments {
                    *commitment_by_label
                        .entry(format!("{}/{}", u.provider, u.model))
                        .or_default() += u.fee;
                }
                Shared {
                    token_cost: sb.token_cost,
                    overhead: sb.overhead,
                    overhead_by_category,
                    commitment: sb.commitment + sb.idle_commitment,
                    commitment_by_label,
                    blended: sb.org_total,
                }
            }
            Scope::Team { team } => sb.team(team).map_or_else(Shared::default, |t| Shared {
                token_cost: t.token_cost,
                overhead: t.overhead,
                overhead_by_category: t.overhead_by_category.clone(),
                commitment: t.commitment,
                commitment_by_label: t.commitment_by_model.clone(),
                blended: t.blended_cost,
            }),
            Scope::Feature { team, feature } => {
                let Some(t) = sb.team(team) else {
                    return Shared::default();
                };
                let views = Views::new(sb.month, side.data, side.attributor, book);
                let lines = views.lines(
                    &|p| p.owner.team == *team,
                    &|p| p.owner.feature.clone(),
                    Some(&Shares::of_team(t)),
                );
                lines
                    .into_iter()
                    .find(|l| l.name == *feature)
                    .map_or_else(Shared::default, |l| Shared {
                        token_cost: l.token_cost,
                        overhead: l.overhead,
                        overhead_by_category: BTreeMap::new(),
                        commitment: l.commitment,
                        commitment_by_label: l.commitment_by_model,
                        blended: l.blended_cost,
                    })
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Rounding
// ---------------------------------------------------------------------------------------------

/// Rounds signed exact amounts to cents that add up to `total` cents, by largest remainder:
/// each is floored to the cent; if cents are left to add, they go to the largest fractions
/// first; if cents must be taken away, from the smallest fractions first (ties: the earlier
/// amount). An amount that is exactly zero takes no cent unless every amount is zero, so a
/// part or contributor that did not move never shows one. `total` need not be the rounded
/// sum of `exact` (showback rounds each team on its own), so the cents left may exceed the
/// number of amounts: the rounds then repeat.
pub fn round_signed_to(total: i64, exact: &[Decimal]) -> Vec<i64> {
    if exact.is_empty() {
        return Vec::new();
    }
    let hundred = Decimal::ONE_HUNDRED;
    let floors: Vec<i64> = exact.iter().map(|x| cents_floor(x * hundred)).collect();
    let frac: Vec<Decimal> = exact
        .iter()
        .zip(&floors)
        .map(|(x, f)| x * hundred - Decimal::from(*f))
        .collect();
    let mut out = floors.clone();
    let mut left = total - floors.iter().sum::<i64>();
    let mut order: Vec<usize> = (0..exact.len()).filter(|&i| !exact[i].is_zero()).collect();
    if order.is_empty() {
        order = (0..exact.len()).collect();
    }
    if left >= 0 {
        order.sort_by(|&i, &j| frac[j].cmp(&frac[i]).then(i.cmp(&j)));
    } else {
        order.sort_by(|&i, &j| frac[i].cmp(&frac[j]).then(i.cmp(&j)));
    }
    let step = left.signum();
    let n = order.len() as i64;
    // Whole rounds first, so a large gap costs no more than a small one.
    let rounds = left / n;
    if rounds != 0 {
        order.iter().for_each(|&i| out[i] += rounds);
        left -= rounds * n;
    }
    for &i in order.iter().take(left.unsigned_abs() as usize) {
        out[i] += step;
    }
    out
}

fn cents_floor(x: Decimal) -> i64 {
    use rust_decimal::prelude::ToPrimitive;
    x.floor().to_i64().unwrap_or(if x.is_sign_negative() {
        i64::MIN / 4
    } else {
        i64::MAX / 4
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    #[test]
    fn signed_amounts_round_onto_their_total() {
        // −3.225 and −2.475 are half a cent each: floors −323 and −248 with 60 + 600 make
        // 89; the cent left goes to the earlier of the two equal fractions.
        assert_eq!(
            round_signed_to(90, &[dec!(0.60), dec!(6.00), dec!(-3.225), dec!(-2.475)]),
            vec![60, 600, -322, -248]
        );
        // Moves between owners that net to zero stay zero.
        assert_eq!(
            round_signed_to(0, &[dec!(1.234), dec!(-1.234)]),
            vec![123, -123]
        );
        // A cent to take away comes off the smallest fraction.
        assert_eq!(round_signed_to(0, &[dec!(0.004), dec!(0.009)]), vec![0, 0]);
        assert_eq!(
            round_signed_to(-1, &[dec!(0.004), dec!(0.002)]),
            vec![0, -1]
        );
        // A total far from the floors is reached in whole rounds.
        assert_eq!(round_signed_to(7, &[dec!(0), dec!(0)]), vec![4, 3]);
        assert_eq!(round_signed_to(-7, &[dec!(0), dec!(0)]), vec![-4, -3]);
        // What did not move takes no cent while something else did.
        assert_eq!(round_signed_to(2, &[dec!(0), dec!(0.001)]), vec![0, 2]);
    }

    #[test]
    fn a_feature_needs_its_team() {
        assert_eq!(Scope::parse(None, None), Ok(Scope::Org));
        assert_eq!(
            Scope::parse(Some("search"), Some("chat")),
            Ok(Scope::Feature {
                team: "search".into(),
                feature: "chat".into()
            })
        );
        assert_eq!(
            Scope::parse(None, Some("chat")),
            Err(ScopeError::FeatureWithoutTeam)
        );
        assert_eq!(
            Scope::parse(Some(" "), None),
            Err(ScopeError::Empty("team"))
        );
    }

    proptest! {
        #[test]
        fn signed_rounding_always_reaches_its_total(
            raw in proptest::collection::vec(-10_000_000_000i64..10_000_000_000, 1..20),
            drift in -40i64..40,
        ) {
            let exact: Vec<Decimal> = raw.iter().map(|x| Decimal::new(*x, 7)).collect();
            let total = cents(exact.iter().sum()) + drift;
            let parts = round_signed_to(total, &exact);
            prop_assert_eq!(parts.iter().sum::<i64>(), total);
            for (p, x) in parts.iter().zip(&exact) {
                if drift == 0 {
                    prop_assert!((from_cents(*p) - x).abs() < dec!(0.01), "{} for {}", p, x);
                }
                if x.is_zero() && exact.iter().any(|y| !y.is_zero()) {
                    prop_assert_eq!(*p, 0);
                }
            }
        }
    }
}
