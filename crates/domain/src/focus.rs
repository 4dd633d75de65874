//! FOCUS export: a month's statements as rows shaped like the FinOps Open Cost and Usage
//! Specification, one per team × model × token class or unit (× rate, feature and key), plus a row per
//! overhead share, commitment share and adjustment.
//!
//! Amounts are the statements' own, so the export's BilledCost adds up to the statements'
//! totals exactly. EffectiveCost equals BilledCost (discounts are already in it); ListCost is
//! at the price cards' rates; ContractedCost is at the negotiated (effective) rates.

use rust_decimal::Decimal;

use crate::pricing::TokenClass;
use crate::statement::{LineKind, Statement};

pub const COLUMNS: &[&str] = &[
    "BilledCost",
    "EffectiveCost",
    "ListCost",
    "ContractedCost",
    "BillingAccountId",
    "BillingCurrency",
    "BillingPeriodStart",
    "BillingPeriodEnd",
    "ChargePeriodStart",
    "ChargePeriodEnd",
    "ChargeCategory",
    "ChargeClass",
    "ChargeDescription",
    "InvoiceIssuerName",
    "ProviderName",
    "PublisherName",
    "ServiceCategory",
    "ServiceSubcategory",
    "ServiceName",
    "SkuId",
    "SkuMeter",
    "ConsumedQuantity",
    "ConsumedUnit",
    "PricingQuantity",
    "PricingUnit",
    "ListUnitPrice",
    "ContractedUnitPrice",
    "SubAccountId",
    "Tags",
    "x_Feature",
    "x_ApiKey",
    "x_StatementMode",
    "x_RateKey",
];

const MILLION: Decimal = Decimal::from_parts(1_000_000, 0, 0, false, 0);

/// ISO 8601 instants for the month's bounds, as FOCUS wants them (end exclusive).
fn bounds(m: crate::month::Month) -> (String, String) {
    (
        format!("{}T00:00:00Z", m.first_day()),
        format!("{}T00:00:00Z", m.end_exclusive()),
    )
}

/// The rows of the statements, each a value per [`COLUMNS`] entry.
pub fn rows(statements: &[Statement], billing_account: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for s in statements {
        let (start, end) = bounds(s.month);
        let tags = |feature: &str, key: &str| {
            serde_json::json!({"team": s.team, "feature": feature, "api_key": key}).to_string()
        };
        for line in &s.lines {
            let (charge_start, charge_end) = line
                .belongs_to
                .map(bounds)
                .unwrap_or_else(|| (start.clone(), end.clone()));
            let category = match line.kind {
                LineKind::Usage | LineKind::Overhead => "Usage",
                LineKind::Commitment => "Purchase",
                LineKind::Adjustment => "Adjustment",
            };
            let class = if line.kind == LineKind::Adjustment {
                "Correction"
            } else {
                ""
            };
            let row = |billed: Decimal,
                       list: Decimal,
                       contracted: Decimal,
                       quantity: String,
                       unit: &str,
                       pricing_quantity: String,
                       pricing_unit: &str,
                       list_price: String,
                       contracted_price: String,
                       feature: &str,
                       key: &str| {
                let provider = line.provider.clone().unwrap_or_else(|| "tokentally".into());
                let service = line
                    .model
                    .clone()
                    .unwrap_or_else(|| line.description.clone());
                let sku = match (&line.model, line.token_class) {
                    (Some(m), Some(c)) => format!("{provider}/{m}/{}", c.as_str()),
                    _ => format!("{}/{}", line_kind(line.kind), line.description),
                };
                vec![
                    billed.to_string(),
                    billed.to_string(),
                    list.round_dp(10).normalize().to_string(),
                    contracted.round_dp(10).normalize().to_string(),
                    billing_account.to_owned(),
                    s.currency.clone(),
                    start.clone(),
                    end.clone(),
                    charge_start.clone(),
                    charge_end.clone(),
                    category.to_owned(),
                    class.to_owned(),
                    line.description.clone(),
                    "tokentally".to_owned(),
                    provider.clone(),
                    provider,
                    "AI and Machine Learning".to_owned(),
                    "Generative AI".to_owned(),
                    service,
                    sku,
                    line.token_class
                        .map(|c| c.as_str())
                        .unwrap_or(line_kind(line.kind))
                        .to_owned(),
                    quantity,
                    unit.to_owned(),
                    pricing_quantity,
                    pricing_unit.to_owned(),
                    list_price,
                    contracted_price,
                    s.team.clone(),
                    tags(feature, key),
                    feature.to_owned(),
                    key.to_owned(),
                    s.mode.as_str().to_owned(),
                    line.rate_key.clone().unwrap_or_default(),
                ]
            };
            match (line.kind, line.rate_per_million, line.list_rate_per_million) {
                (LineKind::Usage, Some(rate), Some(list)) => {
                    let class = line.token_class.unwrap_or(TokenClass::Input);
                    for p in &line.parts {
                        // Units (web search queries, ...) are consumed and priced one by one.
                        let (unit, pricing_quantity, pricing_unit) = match class.unit() {
                            Some(unit) => (unit, Decimal::from(p.quantity), unit),
                            None => (
                                "Tokens",
                                Decimal::from(p.quantity) / MILLION,
                                "1000000 Tokens",
                            ),
                        };
                        out.push(row(
                            p.amount,
                            class.cost(p.quantity, list),
                            class.cost(p.quantity, rate),
                            p.quantity.to_string(),
                            unit,
                            pricing_quantity.normalize().to_string(),
                            pricing_unit,
                            list.to_string(),
                            rate.to_string(),
                            &p.feature,
                            &p.api_key,
                        ));
                    }
                }
                _ => out.push(row(
                    line.amount,
                    line.amount,
                    line.amount,
                    "1".into(),
                    "Month",
                    "1".into(),
                    "Month",
                    line.amount.to_string(),
                    line.amount.to_string(),
                    "",
                    "",
                )),
            }
        }
    }
    out
}

fn line_kind(k: LineKind) -> &'static str {
    match k {
        LineKind::Usage => "usage",
        LineKind::Overhead => "overhead",
        LineKind::Commitment => "commitment",
        LineKind::Adjustment => "adjustment",
    }
}
