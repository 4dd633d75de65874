//! The maturity scorecard: three stages (visibility, allocation and optimisation, governance)
//! per organisation and per team for a month. A stage is reached when its criteria and those
//! of every stage below pass. Each criterion carries its measured value, its threshold, and
//! the next step with a link to where it is fixed.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::attribution::{Basis, UNASSIGNED};
use crate::event::Outcome;
use crate::month::Month;
use crate::showback::Ledger;

/// The thresholds, editable by an admin; the defaults are those of docs/ARCHITECTURE.md
/// ("Maturity scorecard defaults").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Thresholds {
    /// Unpriced tokens, percent of tokens, must stay under this.
    pub max_unpriced_pct: Decimal,
    /// Cost with a feature, percent of cost, must reach this.
    pub min_feature_pct: Decimal,
    /// Requests that report an outcome, percent, must reach this.
    pub min_outcome_pct: Decimal,
    /// Unallocated, percent of the organisation's cost, must stay under this.
    pub max_unallocated_pct: Decimal,
    /// What the optimisation levers still price as a saving (retries, output caps, caching,
    /// routing; open recommendations), percent of token cost, must stay under this. Named for
    /// the failure-and-retry waste it measured before the levers were priced.
    pub max_waste_pct: Decimal,
    /// How many of the largest features need a unit-cost target.
    pub top_features: u32,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            max_unpriced_pct: Decimal::ONE,
            min_feature_pct: Decimal::from(80),
            min_outcome_pct: Decimal::from(50),
            max_unallocated_pct: Decimal::from(5),
            max_waste_pct: Decimal::from(10),
            top_features: 3,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ThresholdsError {
    #[error("`{0}` must be a percentage between 0 and 100")]
    BadPercent(&'static str),
    #[error("`top_features` must be between 1 and 50")]
    BadTop,
}

impl Thresholds {
    pub fn validate(&self) -> Result<(), ThresholdsError> {
        for (name, v) in [
            ("max_unpriced_pct", self.max_unpriced_pct),
            ("min_feature_pct", self.min_feature_pct),
            ("min_outcome_pct", self.min_outcome_pct),
            ("max_unallocated_pct", self.max_unallocated_pct),
            ("max_waste_pct", self.max_waste_pct),
        ] {
            if v < Decimal::ZERO || v > Decimal::ONE_HUNDRED {
                return Err(ThresholdsError::BadPercent(name));
            }
        }
        if !(1..=50).contains(&self.top_features) {
            return Err(ThresholdsError::BadTop);
        }
        Ok(())
    }
}

/// A unit-cost target (cost per successful outcome) for one feature of a team.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitTarget {
    pub team: String,
    pub feature: String,
    /// Cost per successful outcome, at most.
    pub target: Decimal,
}

/// One of the largest features, its target (if set) and its measured unit cost.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FeatureUnitCost {
    pub team: String,
    pub feature: String,
    pub target: Option<Decimal>,
    pub actual: Option<Decimal>,
}

/// What usage says about a scope (the organisation or one team) in a month.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct UsageFacts {
    pub tokens: u64,
    pub unpriced_tokens: u64,
    pub token_cost: Decimal,
    pub cost_with_feature: Decimal,
    pub requests: u64,
    pub requests_with_outcome: u64,
    pub waste: Decimal,
    /// Keys with spend that no mapping owns (their spend was placed by a tag, a rule, or
    /// not at all).
    pub unowned_keys: Vec<String>,
}

/// Measures usage in the ledger; `team` narrows to one team's rows.
pub fn usage_facts(ledger: &Ledger<'_>, team: Option<&str>) -> UsageFacts {
    let mut f = UsageFacts::default();
    let mine = |t: &str| team.is_none_or(|x| x == t);
    let sums = ledger.summarize(|r| {
        mine(&r.owner.team).then(|| {
            (
                r.owner.feature != UNASSIGNED,
                r.row.key.outcome != Outcome::Unknown,
                (r.owner.basis != Basis::KeyMapping && !r.row.key.api_key.is_empty())
                    .then(|| r.row.key.api_key.clone()),
            )
        })
    });
    let mut unowned = std::collections::BTreeSet::new();
    for ((has_feature, has_outcome, key), s) in sums {
        f.tokens += s.tokens.input + s.tokens.output;
        f.unpriced_tokens += s.unpriced_tokens.input + s.unpriced_tokens.output;
        f.token_cost += s.token_cost();
        if has_feature {
            f.cost_with_feature += s.token_cost();
        }
        f.requests += s.requests;
        if has_outcome {
            f.requests_with_outcome += s.requests;
        }
        f.waste += s.waste;
        if let Some(k) = key
            && s.requests > 0
        {
            unowned.insert(k);
        }
    }
    f.unowned_keys = unowned.into_iter().collect();
    f
}

/// Everything a scorecard judges, for the organisation or one team.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Facts {
    pub usage: UsageFacts,
    /// The organisation's Unallocated cost and total; `None` for a team.
    pub unallocated: Option<(Decimal, Decimal)>,
    pub showback_published: bool,
    pub overheads_recorded: bool,
    /// Teams (with spend) in scope that have no budget for the month.
    pub teams_without_budget: Vec<String>,
    /// Teams whose forecast is over budget with no acknowledged alert.
    pub unacknowledged_over: Vec<String>,
    /// Teams (with spend in the previous month) with no issued statement for it.
    pub missing_statements: Vec<String>,
    /// The largest features by cost, with their targets.
    pub top_features: Vec<FeatureUnitCost>,
    /// What the optimisation levers (retries, output caps, caching, routing) still price as
    /// a monthly saving in scope, per lever label: recommendations nobody has accepted or
    /// dismissed yet, untested ones left out.
    pub open_savings: std::collections::BTreeMap<String, Decimal>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Criterion {
    pub id: &'static str,
    pub stage: u8,
    pub name: &'static str,
    pub measured: String,
    pub threshold: String,
    pub pass: bool,
    /// What to do next (or what holds).
    pub next_step: String,
    /// Where it is fixed.
    pub link: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Scorecard {
    /// `org`, or the team's name.
    pub scope: String,
    pub month: Month,
    /// 0 to 3.
    pub stage: u8,
    pub criteria: Vec<Criterion>,
}

pub const STAGE_NAMES: [&str; 4] = [
    "not started",
    "visibility",
    "allocation & optimisation",
    "governance",
];

fn pct(part: Decimal, whole: Decimal) -> Option<Decimal> {
    (!whole.is_zero()).then(|| (part * Decimal::ONE_HUNDRED / whole).round_dp(1))
}

fn shown(p: Option<Decimal>) -> String {
    p.map_or_else(|| "n/a".to_owned(), |p| format!("{p}%"))
}

fn listed(names: &[String]) -> String {
    const SHOWN: usize = 5;
    let mut s = names
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > SHOWN {
        s.push_str(&format!(" and {} more", names.len() - SHOWN));
    }
    s
}

/// Judges `facts` for `scope` in `month` against `t`.
pub fn score(scope: &str, month: Month, facts: &Facts, t: &Thresholds) -> Scorecard {
    let u = &facts.usage;
    let org = scope == "org";
    let who = if org {
        "the organisation".to_owned()
    } else {
        format!("team {scope}")
    };
    let team_page = if org {
        format!("/?month={month}")
    } else {
        format!("/teams/{scope}?month={month}")
    };
    let mut c = Vec::new();
    let mut add = |id,
                   stage,
                   name,
                   measured: String,
                   threshold: String,
                   pass: bool,
                   next: String,
                   link: String| {
        c.push(Criterion {
            id,
            stage,
            name,
            measured,
            threshold,
            pass,
            next_step: if pass { "Holds.".to_owned() } else { next },
            link,
        })
    };

    // Stage 1: visibility.
    let unpriced = pct(Decimal::from(u.unpriced_tokens), Decimal::from(u.tokens));
    add(
        "unpriced_tokens",
        1,
        "unpriced tokens",
        shown(unpriced),
        format!("< {}%", t.max_unpriced_pct),
        unpriced.is_none_or(|p| p < t.max_unpriced_pct),
        format!("Add price cards for the unpriced models of {who}."),
        "/admin/prices".to_owned(),
    );
    let featured = pct(u.cost_with_feature, u.token_cost);
    add(
        "feature_coverage",
        1,
        "cost with a feature",
        shown(featured),
        format!("≥ {}%", t.min_feature_pct),
        featured.is_none_or(|p| p >= t.min_feature_pct),
        format!("Give the keys or calls of {who} a feature (key mappings or rules)."),
        "/admin/keys".to_owned(),
    );
    let outcomes = pct(
        Decimal::from(u.requests_with_outcome),
        Decimal::from(u.requests),
    );
    add(
        "outcome_coverage",
        1,
        "requests reporting an outcome",
        shown(outcomes),
        format!("≥ {}%", t.min_outcome_pct),
        outcomes.is_none_or(|p| p >= t.min_outcome_pct),
        format!("Send `outcome` (success, failure, retry) with the calls of {who}."),
        team_page.clone(),
    );

    // Stage 2: allocation and optimisation.
    if let Some((unallocated, total)) = facts.unallocated {
        let share = pct(unallocated, total);
        add(
            "unallocated",
            2,
            "Unallocated share of cost",
            shown(share),
            format!("< {}%", t.max_unallocated_pct),
            share.is_none_or(|p| p < t.max_unallocated_pct),
            "Map the keys whose spend is Unallocated to owners.".to_owned(),
            "/admin/keys".to_owned(),
        );
    }
    add(
        "keys_owned",
        2,
        "keys with spend that have an owner",
        format!("{} without", u.unowned_keys.len()),
        "0 without".to_owned(),
        u.unowned_keys.is_empty(),
        format!("Map keys to owners: {}.", listed(&u.unowned_keys)),
        "/admin/keys".to_owned(),
    );
    add(
        "showback_published",
        2,
        "showback published for the month",
        if facts.showback_published {
            "yes"
        } else {
            "no"
        }
        .to_owned(),
        "yes".to_owned(),
        facts.showback_published,
        format!("Publish the showback for {month} (or issue its statements)."),
        format!("/scorecard?month={month}#publish"),
    );
    add(
        "overheads_recorded",
        2,
        "overheads recorded",
        if facts.overheads_recorded {
            "yes"
        } else {
            "no"
        }
        .to_owned(),
        "yes".to_owned(),
        facts.overheads_recorded,
        format!("Record {month}'s overheads (retrieval, logging, review...)."),
        format!("/costs?month={month}"),
    );
    // Optimisation looks at every lever, not at retries alone: what the open
    // recommendations of the levers still price, against the token cost.
    let open: Decimal = facts.open_savings.values().copied().sum();
    let share = pct(open, u.token_cost);
    let levers: Vec<String> = facts
        .open_savings
        .iter()
        .filter(|(_, s)| !s.is_zero())
        .map(|(l, _)| l.to_lowercase())
        .collect();
    let team_filter = if org {
        String::new()
    } else {
        format!("&team={scope}")
    };
    add(
        "levers",
        2,
        "savings the levers still price (retries, output caps, caching, routing)",
        shown(share),
        format!("< {}%", t.max_waste_pct),
        share.is_none_or(|p| p < t.max_waste_pct),
        format!(
            "Act on the recommendations of {who}: {} of token cost a month is still priced by {}.",
            shown(share),
            listed(&levers)
        ),
        format!("/recommendations?month={month}{team_filter}"),
    );

    // Stage 3: governance.
    add(
        "budgets_set",
        3,
        "teams with spend that have a budget",
        format!("{} without", facts.teams_without_budget.len()),
        "0 without".to_owned(),
        facts.teams_without_budget.is_empty(),
        format!(
            "Set {month} budgets for {}.",
            listed(&facts.teams_without_budget)
        ),
        format!("/budgets?month={month}"),
    );
    add(
        "forecasts_acknowledged",
        3,
        "forecasts over budget left unacknowledged",
        facts.unacknowledged_over.len().to_string(),
        "0".to_owned(),
        facts.unacknowledged_over.is_empty(),
        format!(
            "Acknowledge (and act on) the over-budget forecasts of {}.",
            listed(&facts.unacknowledged_over)
        ),
        "/alerts".to_owned(),
    );
    let previous = month.previous();
    add(
        "statements_issued",
        3,
        "chargeback statements issued for the previous month",
        format!("{} missing", facts.missing_statements.len()),
        "0 missing".to_owned(),
        facts.missing_statements.is_empty(),
        format!(
            "Issue {previous} statements for {}.",
            listed(&facts.missing_statements)
        ),
        format!("/statements?month={previous}"),
    );
    let unset: Vec<String> = facts
        .top_features
        .iter()
        .filter(|f| f.target.is_none())
        .map(|f| format!("{}/{}", f.team, f.feature))
        .collect();
    let missed: Vec<String> = facts
        .top_features
        .iter()
        .filter(|f| matches!((f.target, f.actual), (Some(t), Some(a)) if a > t))
        .map(|f| format!("{}/{}", f.team, f.feature))
        .collect();
    let met = facts.top_features.len() - unset.len() - missed.len();
    add(
        "unit_targets",
        3,
        "unit-cost targets set for the top features and met",
        format!("{met} of {} met", facts.top_features.len()),
        format!("top {} set and met", t.top_features),
        unset.is_empty() && missed.is_empty(),
        if unset.is_empty() {
            format!(
                "Bring cost per successful outcome under target: {}.",
                listed(&missed)
            )
        } else {
            format!("Set cost-per-outcome targets for {}.", listed(&unset))
        },
        format!("/scorecard?month={month}#targets"),
    );

    let stage = (1..=3u8)
        .take_while(|s| c.iter().filter(|x| x.stage == *s).all(|x| x.pass))
        .last()
        .unwrap_or(0);
    Scorecard {
        scope: scope.to_owned(),
        month,
        stage,
        criteria: c,
    }
}

impl Scorecard {
    /// The first failing criterion of the lowest failing stage: what to do next.
    pub fn next_step(&self) -> Option<&Criterion> {
        self.criteria.iter().find(|c| !c.pass)
    }
}
