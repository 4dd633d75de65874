//! The providers' own cost (pulled cost reports) beside the cost tokentally computes, per
//! provider, model and day, with the differences worth a look flagged. The provider's figure
//! never prices anything: it is there to reconcile against.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;
use tokentally_domain::ledger::Summary;
use tokentally_domain::month::Month;
use tokentally_domain::tokens::TokenClass;

use crate::app::error::{AppError, AppResult};
use crate::auth::{Capability, Principal};
use crate::state::AppState;
use crate::storage::ProviderCost;

/// A difference is flagged past both this share of the provider's figure...
pub const FLAG_SHARE: Decimal = Decimal::from_parts(2, 0, 0, false, 2);
/// ...and this amount (one cent).
pub const FLAG_AMOUNT: Decimal = Decimal::from_parts(1, 0, 0, false, 2);

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CostDay {
    pub provider: String,
    pub model: String,
    pub day: NaiveDate,
    /// tokentally's token cost at list prices of the provider's usage that day, every source.
    pub computed: Decimal,
    /// The provider's cost report.
    pub reported: Decimal,
    pub currency: String,
    /// reported − computed.
    pub difference: Decimal,
    /// Past [`FLAG_SHARE`] of the reported figure and past [`FLAG_AMOUNT`].
    pub flagged: bool,
}

/// Whether a difference is worth a look.
pub fn flagged(computed: Decimal, reported: Decimal) -> bool {
    let d = (reported - computed).abs();
    d > FLAG_AMOUNT && d > reported.abs() * FLAG_SHARE
}

/// The month's pulled cost reports, and tokentally's cost per provider, model and day (for
/// finance and admin); `None` when no report was pulled.
async fn reported_and_computed(
    state: &AppState,
    principal: &Principal,
    month: Month,
) -> AppResult<
    Option<(
        Vec<ProviderCost>,
        BTreeMap<(String, String, NaiveDate), Summary>,
    )>,
> {
    principal.ensure(Capability::IssueStatements)?;
    let reported = state
        .store
        .list_provider_costs(month.first_day(), month.last_day())
        .await?;
    if reported.is_empty() {
        return Ok(None);
    }
    let ctx = crate::app::governance::daily_context(&state.store, &state.prices, month)
        .await
        .map_err(AppError::from)?;
    let computed = ctx.ledger().summarize(|r| {
        Some((
            tokentally_domain::catalog::canonical_provider(&r.row.key.provider),
            r.row.key.model.clone(),
            r.day(),
        ))
    });
    Ok(Some((reported, computed)))
}

/// The month's provider-reported costs beside the computed ones (admin, finance): one line
/// per provider, model and day the provider reported.
pub async fn provider_costs(
    state: &AppState,
    principal: &Principal,
    month: Month,
) -> AppResult<Vec<CostDay>> {
    let Some((reported, computed)) = reported_and_computed(state, principal, month).await? else {
        return Ok(Vec::new());
    };
    let mut by: BTreeMap<(String, String, NaiveDate, String), Decimal> = BTreeMap::new();
    for c in reported {
        *by.entry((c.provider, c.model, c.day, c.currency))
            .or_default() += c.amount;
    }
    Ok(by
        .into_iter()
        .map(|((provider, model, day, currency), reported)| {
            let computed = computed
                .get(&(provider.clone(), model.clone(), day))
                .map(|s| s.token_cost().round_dp(6))
                .unwrap_or_default();
            CostDay {
                flagged: flagged(computed, reported),
                difference: reported - computed,
                provider,
                model,
                day,
                computed,
                reported,
                currency,
            }
        })
        .collect())
}

/// What of a model a provider's cost line bills, in tokentally's classes: OpenAI's line
/// items (`input`, `cached input`, `output`, ...), Anthropic's token types
/// (`uncached_input_tokens`, `cache_creation.ephemeral_1h_input_tokens`, ...) and cost types
/// (`tokens`, `web_search`, `code_execution`). An empty unit (a report that does not say)
/// covers every class. `None`: a unit tokentally does not price, computed as 0.
pub fn classes_of(unit: &str) -> Option<Vec<TokenClass>> {
    use TokenClass::*;
    let every_token: Vec<TokenClass> = TokenClass::ALL
        .into_iter()
        .filter(|c| !c.is_unit())
        .collect();
    Some(match unit.trim() {
        "" => TokenClass::ALL.to_vec(),
        "tokens" => every_token,
        "input" | "uncached input" | "uncached_input_tokens" | "input_tokens" => vec![Input],
        "cached input" | "cache_read_input_tokens" | "cached_input" => vec![CachedInput],
        "cache write"
        | "cache_creation.ephemeral_5m_input_tokens"
        | "cache_creation_input_tokens"
        | "cache_write" => vec![CacheWrite],
        "cache_creation.ephemeral_1h_input_tokens" | "cache write 1h" | "cache_write_1h" => {
            vec![CacheWrite1h]
        }
        "output" | "output_tokens" => vec![Output, Reasoning],
        "input audio" | "audio input" | "audio_input" => vec![AudioInput],
        "cached input audio" | "cached audio input" | "cached_audio_input" => {
            vec![CachedAudioInput]
        }
        "output audio" | "audio output" | "audio_output" => vec![AudioOutput],
        "input image" | "image input" | "image_input" => vec![ImageInput],
        "output image" | "image output" | "image_output" => vec![ImageOutput],
        "web_search" | "web search" | "web search tool calls" | "web_search_requests" => {
            vec![WebSearch]
        }
        "file_search" | "file search" | "file search tool calls" => vec![FileSearch],
        "code_execution" | "code interpreter" | "code_interpreter" => vec![CodeInterpreter],
        _ => return None,
    })
}

/// One unit of one model's day: what tokentally computes for it beside what the provider
/// billed, so that a difference points at the unit it comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnitCost {
    pub provider: String,
    pub model: String,
    pub day: NaiveDate,
    /// The provider's name for the unit, or, for computed cost the provider billed under no
    /// unit of its report, tokentally's class (`output`, `web_search`, ...).
    pub unit: String,
    /// Whether tokentally prices this unit at all.
    pub priced: bool,
    pub computed: Decimal,
    pub reported: Decimal,
    pub currency: String,
    pub difference: Decimal,
    pub flagged: bool,
}

/// The month's provider-reported costs per unit beside the computed ones (admin, finance):
/// for every provider, model and day the provider reported, one line per unit it billed,
/// and one per class tokentally computed a cost for that none of those units covers.
pub async fn provider_costs_by_unit(
    state: &AppState,
    principal: &Principal,
    month: Month,
) -> AppResult<Vec<UnitCost>> {
    let Some((reported, computed)) = reported_and_computed(state, principal, month).await? else {
        return Ok(Vec::new());
    };
    type Day = (String, String, NaiveDate);
    let mut units: BTreeMap<Day, BTreeMap<String, (Decimal, String)>> = BTreeMap::new();
    for c in reported {
        let e = units
            .entry((c.provider, c.model, c.day))
            .or_default()
            .entry(c.unit)
            .or_insert((Decimal::ZERO, c.currency));
        e.0 += c.amount;
    }
    let mut out = Vec::new();
    for ((provider, model, day), by_unit) in units {
        let cost = computed
            .get(&(provider.clone(), model.clone(), day))
            .map(|s| s.cost)
            .unwrap_or_default();
        let of = |classes: &[TokenClass]| -> Decimal {
            classes
                .iter()
                .map(|c| cost.of(*c))
                .sum::<Decimal>()
                .round_dp(6)
        };
        let mut covered: Vec<TokenClass> = Vec::new();
        let mut currency = String::new();
        for (unit, (reported, cur)) in by_unit {
            let classes = classes_of(&unit);
            let computed = classes.as_deref().map(of).unwrap_or_default();
            covered.extend(classes.iter().flatten());
            currency.clone_from(&cur);
            out.push(UnitCost {
                flagged: flagged(computed, reported),
                difference: reported - computed,
                priced: classes.is_some(),
                provider: provider.clone(),
                model: model.clone(),
                day,
                unit,
                computed,
                reported,
                currency: cur,
            });
        }
        for class in TokenClass::ALL.into_iter().filter(|c| !covered.contains(c)) {
            let computed = of(&[class]);
            if computed.is_zero() {
                continue;
            }
            out.push(UnitCost {
                flagged: flagged(computed, Decimal::ZERO),
                difference: -computed,
                priced: true,
                provider: provider.clone(),
                model: model.clone(),
                day,
                unit: class.as_str().to_owned(),
                computed,
                reported: Decimal::ZERO,
                currency: currency.clone(),
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn provider_units_map_to_the_classes_they_bill() {
        use TokenClass::*;
        assert_eq!(classes_of("input"), Some(vec![Input]));
        assert_eq!(classes_of("cached input"), Some(vec![CachedInput]));
        assert_eq!(classes_of("output"), Some(vec![Output, Reasoning]));
        assert_eq!(
            classes_of("cache_creation.ephemeral_1h_input_tokens"),
            Some(vec![CacheWrite1h])
        );
        assert_eq!(classes_of("web_search"), Some(vec![WebSearch]));
        assert_eq!(classes_of("code_execution"), Some(vec![CodeInterpreter]));
        let tokens = classes_of("tokens").unwrap();
        assert!(tokens.contains(&Input) && tokens.contains(&ImageOutput));
        assert!(!tokens.contains(&WebSearch));
        assert_eq!(classes_of("").unwrap().len(), TokenClass::COUNT);
        assert_eq!(classes_of("fine-tuning training"), None);
    }

    #[test]
    fn small_or_relative_small_differences_are_not_flagged() {
        assert!(!flagged(dec!(0.21), dec!(0.215)), "half a cent");
        assert!(!flagged(dec!(100), dec!(101.5)), "1.5%");
        assert!(flagged(dec!(100), dec!(103)), "3%");
        assert!(flagged(dec!(0.21), dec!(0.60)));
        assert!(flagged(dec!(5), dec!(0)), "reported nothing");
    }
}
