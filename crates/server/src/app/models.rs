//! The models and providers of a month, for the organisation (a lead's teams' part for a
//! lead): spend, tokens by class, requests, successes, cost per success, and which teams use
//! each model. The page `/models` and `GET /api/v1/models` both read this.

use std::collections::{BTreeMap, BTreeSet};

use rust_decimal::Decimal;
use serde::Serialize;
use tokentally_domain::drilldown::Line;
use tokentally_domain::month::Month;
use tokentally_domain::showback::Point;

use crate::app::reports::MonthContext;

/// One model's line, with its success rate, its providers and its teams.
#[derive(Debug, Clone, Serialize)]
pub struct ModelLine {
    #[serde(flatten)]
    pub line: Line,
    /// Successful outcomes ÷ requests, to four places (a workflow's success counts once, on
    /// its final call, so agent loops read lower than their workflows' completion rate).
    pub success_rate: Option<Decimal>,
    pub providers: Vec<String>,
    pub teams: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ModelsReport {
    pub month: Month,
    pub currency: String,
    /// Costliest first.
    pub models: Vec<ModelLine>,
    /// Costliest first.
    pub providers: Vec<Line>,
}

impl ModelsReport {
    pub fn token_cost(&self) -> Decimal {
        self.models.iter().map(|m| m.line.token_cost).sum()
    }

    pub fn requests(&self) -> u64 {
        self.models.iter().map(|m| m.line.requests).sum()
    }

    pub fn successful_outcomes(&self) -> u64 {
        self.models.iter().map(|m| m.line.successful_outcomes).sum()
    }
}

fn costliest_first(lines: &mut [Line]) {
    lines.sort_by(|a, b| b.token_cost.cmp(&a.token_cost).then(a.name.cmp(&b.name)));
}

/// The month's models and providers, of the usage `keep` lets through.
pub fn models(
    ctx: &MonthContext,
    currency: &str,
    keep: &dyn Fn(&Point<'_>) -> bool,
) -> ModelsReport {
    let views = ctx.views();
    let mut providers_of: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut teams_of: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for r in &views.ledger.rows {
        let p = r.point();
        if !keep(&p) {
            continue;
        }
        providers_of
            .entry(p.model.to_owned())
            .or_default()
            .insert(p.provider.to_owned());
        teams_of
            .entry(p.model.to_owned())
            .or_default()
            .insert(p.owner.team.clone());
    }
    let mut by_model = views.lines(keep, &|p| p.model.to_owned(), None);
    costliest_first(&mut by_model);
    let mut providers = views.lines(keep, &|p| p.provider.to_owned(), None);
    costliest_first(&mut providers);
    let models = by_model
        .into_iter()
        .map(|line| {
            let success_rate = (line.requests > 0).then(|| {
                (Decimal::from(line.successful_outcomes) / Decimal::from(line.requests)).round_dp(4)
            });
            let list = |m: &BTreeMap<String, BTreeSet<String>>| {
                m.get(&line.name)
                    .map(|s| s.iter().cloned().collect())
                    .unwrap_or_default()
            };
            ModelLine {
                success_rate,
                providers: list(&providers_of),
                teams: list(&teams_of),
                line,
            }
        })
        .collect();
    ModelsReport {
        month: ctx.month,
        currency: currency.to_owned(),
        models,
        providers,
    }
}
