//! Chargeback statements: the document finance sends each team for a month.
//!
//! A statement lists the team's usage per model, token class and rate (quantity, rate per
//! 1M tokens, amount), its overhead shares per category, its commitment shares, and
//! adjustments for usage that arrived after an earlier month was closed. The usage lines are
//! rounded by largest remainder so that they add up to the team's rounded token cost, so the
//! total is the showback's blended cost (plus adjustments) to the cent.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::allocation::{cents, from_cents};
use crate::attribution::Basis;
use crate::drilldown::rounded_to;
use crate::month::Month;
use crate::pricing::TokenClass;
use crate::showback::{Ledger, TeamShowback};

/// Whether the statement charges the team or only informs it (same numbers).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    #[default]
    Showback,
    Chargeback,
}

impl std::str::FromStr for Mode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "showback" => Ok(Self::Showback),
            "chargeback" => Ok(Self::Chargeback),
            other => Err(format!(
                "unknown mode `{other}`; expected showback or chargeback"
            )),
        }
    }
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Showback => "showback",
            Self::Chargeback => "chargeback",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineKind {
    Usage,
    Overhead,
    Commitment,
    Adjustment,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatementLine {
    pub kind: LineKind,
    pub description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_class: Option<TokenClass>,
    /// Tokens, or units for a unit class (web search queries, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quantity: Option<u64>,
    /// Effective rate per 1,000,000 tokens (per unit for a unit class), list less any
    /// negotiated discount, and list.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate_per_million: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub list_rate_per_million: Option<Decimal>,
    /// The price card's rate key that priced the line, in LiteLLM's naming
    /// (`cache_creation_input_token_cost_above_1hr`, `2 × input_cost_per_token`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_key: Option<String>,
    /// Rounded to the cent; the lines add up to the total.
    pub amount: Decimal,
    /// Exact amount before rounding, for usage and adjustments.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exact_amount: Option<Decimal>,
    /// The closed month an adjustment's usage belongs to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub belongs_to: Option<Month>,
    /// A usage line by feature and key, rounded to add up to the line (for FOCUS exports).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<LinePart>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinePart {
    pub feature: String,
    pub api_key: String,
    pub quantity: u64,
    pub amount: Decimal,
}

/// Which attribution put usage on the team: a key's mapping, a tag, a rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BasisLine {
    /// `key mapping`, `team tag`, `rule N`.
    pub basis: String,
    pub api_key: String,
    pub requests: u64,
    pub token_cost: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Statement {
    pub team: String,
    pub month: Month,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub currency: String,
    pub mode: Mode,
    pub lines: Vec<StatementLine>,
    pub usage: Decimal,
    pub overhead: Decimal,
    pub commitment: Decimal,
    pub adjustments: Decimal,
    pub total: Decimal,
    pub basis: Vec<BasisLine>,
}

/// A team's usage from a closed month that arrived after the close, priced exactly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LateUsage {
    pub belongs_to: Month,
    pub token_cost: Decimal,
}

fn basis_label(b: &Basis) -> String {
    match b {
        Basis::KeyMapping => "key mapping".into(),
        Basis::Tag => "team tag".into(),
        Basis::Rule(id) => format!("rule {id}"),
        Basis::Unallocated => "unallocated".into(),
    }
}

/// The team's statement for the month. `ledger` holds the month's rows (priced and
/// attributed as the showback that produced `team`); `late` the team's adjustments.
pub fn statement(
    team: &TeamShowback,
    month: Month,
    currency: &str,
    mode: Mode,
    ledger: &Ledger<'_>,
    late: &[LateUsage],
) -> Statement {
    // Tokens per (provider, model, class, effective rate, list rate, rate key).
    type Key = (String, String, TokenClass, Decimal, Decimal, String);
    let mut usage: BTreeMap<Key, BTreeMap<(String, String), u64>> = BTreeMap::new();
    let mut basis: BTreeMap<(String, String), (u64, Decimal)> = BTreeMap::new();
    let mine = |r: &&crate::showback::AttributedRow<'_>| r.owner.team == team.team;
    for r in ledger.rows.iter().filter(mine) {
        let k = &r.row.key;
        let t = &r.row.totals;
        let Some(card) = r.card else { continue };
        let rates = ledger
            .book
            .card(card)
            .resolve(k.service_tier, k.context_band);
        let factor = r
            .discount
            .map_or(Decimal::ONE, |i| ledger.discounts[i].factor());
        let mut cost = Decimal::ZERO;
        for class in TokenClass::ALL {
            let q = class.quantity(&t.tokens);
            // A unit the card has no rate for is Unpriced (in the showback), not a line.
            let (Some(list), Some(key)) = (rates.rate(class), rates.key(class)) else {
                continue;
            };
            if q == 0 {
                continue;
            }
            let effective = (list * factor).normalize();
            cost += class.cost(q, effective);
            *usage
                .entry((
                    k.provider.clone(),
                    k.model.clone(),
                    class,
                    effective,
                    list.normalize(),
                    key.to_string(),
                ))
                .or_default()
                .entry((r.owner.feature.clone(), k.api_key.clone()))
                .or_default() += q;
        }
        let b = basis
            .entry((basis_label(&r.owner.basis), k.api_key.clone()))
            .or_default();
        b.0 += t.requests;
        b.1 += cost;
    }
    let exact: Vec<Decimal> = usage
        .iter()
        .map(|((_, _, class, rate, _, _), parts)| class.cost(parts.values().sum(), *rate))
        .collect();
    let rounded = rounded_to(team.token_cost, &exact);
    let mut lines: Vec<StatementLine> = usage
        .into_iter()
        .zip(exact)
        .zip(rounded)
        .map(|(((key, parts), exact), line_amount)| {
            let (provider, model, class, rate, list, rate_key) = key;
            let part_exact: Vec<Decimal> = parts.values().map(|q| class.cost(*q, rate)).collect();
            let part_amounts = rounded_to(line_amount, &part_exact);
            StatementLine {
                kind: LineKind::Usage,
                description: format!("{model} · {}", class.label()),
                provider: Some(provider),
                model: Some(model),
                token_class: Some(class),
                quantity: Some(parts.values().sum()),
                rate_per_million: Some(rate),
                list_rate_per_million: Some(list),
                rate_key: Some(rate_key),
                amount: line_amount,
                exact_amount: Some(exact.normalize()),
                belongs_to: None,
                parts: parts
                    .into_iter()
                    .zip(part_amounts)
                    .map(|(((feature, api_key), quantity), amount)| LinePart {
                        feature,
                        api_key,
                        quantity,
                        amount,
                    })
                    .collect(),
            }
        })
        .collect();
    let plain = |kind, description: String, amount| StatementLine {
        kind,
        description,
        provider: None,
        model: None,
        token_class: None,
        quantity: None,
        rate_per_million: None,
        list_rate_per_million: None,
        rate_key: None,
        amount,
        exact_amount: None,
        belongs_to: None,
        parts: Vec::new(),
    };
    for (category, share) in &team.overhead_by_category {
        lines.push(plain(
            LineKind::Overhead,
            format!("Overhead: {category}"),
            *share,
        ));
    }
    for (label, share) in &team.commitment_by_model {
        lines.push(plain(
            LineKind::Commitment,
            format!("Commitment: {label}"),
            *share,
        ));
    }
    for l in late {
        let exact = l.token_cost.normalize();
        lines.push(StatementLine {
            exact_amount: Some(exact),
            belongs_to: Some(l.belongs_to),
            ..plain(
                LineKind::Adjustment,
                format!("Usage of {} received after it was closed", l.belongs_to),
                from_cents(cents(exact)),
            )
        });
    }
    let sum = |kind| -> Decimal {
        lines
            .iter()
            .filter(|l| l.kind == kind)
            .map(|l| l.amount)
            .sum()
    };
    let (u, o, c, a) = (
        sum(LineKind::Usage),
        sum(LineKind::Overhead),
        sum(LineKind::Commitment),
        sum(LineKind::Adjustment),
    );
    Statement {
        team: team.team.clone(),
        month,
        period_start: month.first_day(),
        period_end: month.last_day(),
        currency: currency.to_owned(),
        mode,
        lines,
        usage: u,
        overhead: o,
        commitment: c,
        adjustments: a,
        total: u + o + c + a,
        basis: basis
            .into_iter()
            .map(|((basis, api_key), (requests, cost))| BasisLine {
                basis,
                api_key,
                requests,
                token_cost: from_cents(cents(cost)),
            })
            .collect(),
    }
}
