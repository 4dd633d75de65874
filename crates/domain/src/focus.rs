//! FOCUS export: a month's statements as rows of the FinOps Open Cost and Usage
//! Specification's cost-and-usage dataset, one per team × model × token class or unit
//! (× rate, feature and key), plus a row per overhead share, commitment share and adjustment.
//!
//! Amounts are the statements' own, so the export's BilledCost adds up to the statements'
//! totals exactly. EffectiveCost equals BilledCost (discounts are already in it); ListCost is
//! PricingQuantity × ListUnitPrice and ContractedCost PricingQuantity × ContractedUnitPrice,
//! exactly (FOCUS requires the products to match).
//!
//! Who is who (FOCUS's "origination of cost data", scenario 5.3, internal offerings): the
//! statements are issued by the organisation's AI platform as tokentally meters it, so
//! `InvoiceIssuerName` and `ProviderName` (1.3: `ServiceProviderName`) are both
//! [`ISSUER`]; the model's maker (openai, anthropic, ...) is `PublisherName` and, in 1.3,
//! `HostProviderName`. A provider different from the issuer would describe a marketplace
//! charge, whose BilledCost FOCUS requires to be 0 — which these charges are not.
//!
//! A cell is `None` for null (written as an empty, unquoted CSV field); no FOCUS cell is an
//! empty string.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use crate::drilldown::rounded_to;
use crate::fx::ConvertedStatement;
use crate::pricing::TokenClass;
use crate::statement::{LineKind, Statement};

/// The invoice issuer and (service) provider of every row: the internal platform.
pub const ISSUER: &str = "tokentally";

/// The FOCUS versions the export writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Version {
    V1_2,
    V1_3,
}

impl Version {
    /// The newest version the export conforms to, the default.
    pub const LATEST: Version = Version::V1_3;

    pub fn as_str(self) -> &'static str {
        match self {
            Self::V1_2 => "1.2",
            Self::V1_3 => "1.3",
        }
    }

    /// The column IDs of the cost-and-usage dataset, FOCUS columns first (alphabetical),
    /// then the `x_` columns of tokentally's own.
    pub fn columns(self) -> Vec<&'static str> {
        let mut focus: Vec<&'static str> = COLUMNS_1_2.to_vec();
        if self >= Self::V1_3 {
            focus.extend_from_slice(COLUMNS_1_3);
        }
        focus.sort_unstable();
        focus.extend_from_slice(CUSTOM_COLUMNS);
        focus
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown FOCUS version `{0}`; this export writes 1.2 or 1.3")]
pub struct UnknownVersion(pub String);

impl std::str::FromStr for Version {
    type Err = UnknownVersion;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "1.2" => Ok(Self::V1_2),
            "1.3" => Ok(Self::V1_3),
            other => Err(UnknownVersion(other.chars().take(40).collect())),
        }
    }
}

/// The FOCUS 1.2 columns written: every mandatory one, and every conditional one whose
/// condition tokentally meets (sub accounts = teams, unit pricing with price cards, usage
/// measurement, negotiated prices, tags, invoices).
const COLUMNS_1_2: &[&str] = &[
    "BilledCost",
    "BillingAccountId",
    "BillingAccountName",
    "BillingCurrency",
    "BillingPeriodEnd",
    "BillingPeriodStart",
    "ChargeCategory",
    "ChargeClass",
    "ChargeDescription",
    "ChargeFrequency",
    "ChargePeriodEnd",
    "ChargePeriodStart",
    "ConsumedQuantity",
    "ConsumedUnit",
    "ContractedCost",
    "ContractedUnitPrice",
    "EffectiveCost",
    "InvoiceId",
    "InvoiceIssuerName",
    "ListCost",
    "ListUnitPrice",
    "PricingCurrency",
    "PricingCurrencyContractedUnitPrice",
    "PricingCurrencyEffectiveCost",
    "PricingCurrencyListUnitPrice",
    "PricingQuantity",
    "PricingUnit",
    "ProviderName",
    "PublisherName",
    "ServiceCategory",
    "ServiceName",
    "ServiceSubcategory",
    "SkuId",
    "SkuMeter",
    "SkuPriceDetails",
    "SkuPriceId",
    "SubAccountId",
    "SubAccountName",
    "Tags",
];

/// Added in 1.3: split cost allocation, the service/host provider pair, contract commitments.
const COLUMNS_1_3: &[&str] = &[
    "AllocatedMethodDetails",
    "AllocatedMethodId",
    "AllocatedResourceId",
    "AllocatedResourceName",
    "AllocatedTags",
    "ContractApplied",
    "HostProviderName",
    // A commitment's purchase names the commitment as its resource: 1.3 wants
    // ContractApplied's ContractCommitmentId to equal ResourceId on a Purchase.
    "ResourceId",
    "ResourceName",
    "ResourceType",
    "ServiceProviderName",
];

/// tokentally's own columns, after the FOCUS ones.
const CUSTOM_COLUMNS: &[&str] = &[
    "x_ApiKey",
    "x_Feature",
    "x_RateKey",
    "x_StatementMode",
    "x_StatementStatus",
];

/// FOCUS's ChargeCategory of a statement line: usage is Usage; an overhead or commitment
/// share is the Purchase of a month of a fixed cost (an adjustment when negative, since unit
/// prices are never negative); late usage is an Adjustment (a Correction of its month).
pub fn charge_category(kind: LineKind, amount: Decimal) -> &'static str {
    match kind {
        LineKind::Usage => "Usage",
        LineKind::Overhead | LineKind::Commitment if !amount.is_sign_negative() => "Purchase",
        _ => "Adjustment",
    }
}

/// The month's statements with what the export needs besides their content.
#[derive(Debug, Clone)]
pub struct Issued<'a> {
    pub statement: &'a Statement,
    /// `issued` or `draft`.
    pub status: &'a str,
    /// The issued statement's id (`team/month/vN`); `None` for a draft.
    pub invoice_id: Option<String>,
    /// The statement in the team's statement currency, when it has one and the month a
    /// rate: the rows are then billed in it, priced in the statement's own currency.
    pub conversion: Option<&'a ConvertedStatement>,
}

/// A row's money in the statement's (pricing) currency, and what is billed in the row's
/// billing currency.
struct Money {
    billed: Decimal,
    billed_converted: Decimal,
    list_price: Option<Decimal>,
    contracted_price: Option<Decimal>,
    quantity: Option<Decimal>,
}

/// Writes the cost columns: unit prices and costs in the billing currency (converted at
/// `rate` exactly, so PricingQuantity × unit price = cost still holds), and the pricing
/// currency's unit prices and effective cost as the statement has them.
fn put_money(row: &mut Row, m: &Money, rate: Option<Decimal>) {
    let fx = |d: Decimal| match rate {
        Some(r) => (d * r).normalize(),
        None => d.normalize(),
    };
    row.insert("BilledCost", num(m.billed_converted));
    row.insert("EffectiveCost", num(m.billed_converted));
    row.insert("PricingCurrencyEffectiveCost", num(m.billed));
    for (price, cost, pricing, unit_price) in [
        (
            "ListUnitPrice",
            "ListCost",
            "PricingCurrencyListUnitPrice",
            m.list_price,
        ),
        (
            "ContractedUnitPrice",
            "ContractedCost",
            "PricingCurrencyContractedUnitPrice",
            m.contracted_price,
        ),
    ] {
        match (unit_price, m.quantity) {
            (Some(p), Some(q)) => {
                row.insert(price, num(fx(p)));
                row.insert(pricing, num(p.normalize()));
                row.insert(cost, num((q * fx(p)).normalize()));
            }
            _ => {
                row.insert(cost, num(m.billed_converted));
            }
        }
    }
    if let Some(q) = m.quantity {
        row.insert("PricingQuantity", num(q.normalize()));
    }
}

/// The billing account every row belongs to.
#[derive(Debug, Clone)]
pub struct Account<'a> {
    pub id: &'a str,
    pub name: &'a str,
}

const MILLION: Decimal = Decimal::from_parts(1_000_000, 0, 0, false, 0);

/// ISO 8601 instants for the month's bounds, as FOCUS wants them (end exclusive).
fn bounds(m: crate::month::Month) -> (String, String) {
    (
        format!("{}T00:00:00Z", m.first_day()),
        format!("{}T00:00:00Z", m.end_exclusive()),
    )
}

/// A decimal as FOCUS's NumericFormat wants it: no exponent, no `+`, no trailing zeros
/// after the point beyond what the value needs (money keeps its cents).
fn num(d: Decimal) -> String {
    d.to_string()
}

fn some(s: impl Into<String>) -> Option<String> {
    let s = s.into();
    if s.is_empty() { None } else { Some(s) }
}

/// One row, by column ID; a missing key is null.
type Row = BTreeMap<&'static str, String>;

/// The shares of one origin charge (an overhead category or a commitment) over the teams,
/// as ratios that add up to exactly 1.
fn ratios(issued: &[Issued<'_>], kind: LineKind) -> BTreeMap<(String, String), Decimal> {
    let mut by_origin: BTreeMap<String, Vec<(String, Decimal)>> = BTreeMap::new();
    for i in issued {
        for l in i.statement.lines.iter().filter(|l| l.kind == kind) {
            by_origin
                .entry(l.description.clone())
                .or_default()
                .push((i.statement.team.clone(), l.amount));
        }
    }
    let mut out = BTreeMap::new();
    for (origin, shares) in by_origin {
        let total: Decimal = shares.iter().map(|(_, a)| *a).sum();
        if total.is_zero() || shares.iter().any(|(_, a)| a.is_sign_negative()) {
            continue;
        }
        // Twelve places each; the last share takes what is left, so the sum is exactly 1.
        let mut left = Decimal::ONE;
        let n = shares.len();
        for (k, (team, amount)) in shares.into_iter().enumerate() {
            let r = if k + 1 == n {
                left
            } else {
                (amount / total).round_dp(12)
            };
            left -= r;
            out.insert((origin.clone(), team), r.normalize());
        }
    }
    out
}

/// The rows of the statements, each a cell per [`Version::columns`] entry.
pub fn rows(
    issued: &[Issued<'_>],
    account: &Account<'_>,
    version: Version,
) -> Vec<Vec<Option<String>>> {
    let columns = version.columns();
    let overhead_ratios = ratios(issued, LineKind::Overhead);
    let commitment_ratios = ratios(issued, LineKind::Commitment);
    let mut out = Vec::new();
    for i in issued {
        let s = i.statement;
        let (start, end) = bounds(s.month);
        let (currency, rate) = match i.conversion {
            Some(c) => (c.currency.clone(), Some(c.rate)),
            None => (s.currency.clone(), None),
        };
        let common = |row: &mut Row| {
            row.insert("BillingAccountId", account.id.to_owned());
            row.insert("BillingAccountName", account.name.to_owned());
            row.insert("BillingCurrency", currency.clone());
            row.insert("PricingCurrency", s.currency.clone());
            row.insert("BillingPeriodStart", start.clone());
            row.insert("BillingPeriodEnd", end.clone());
            row.insert("InvoiceIssuerName", ISSUER.to_owned());
            row.insert("ProviderName", ISSUER.to_owned());
            row.insert("ServiceProviderName", ISSUER.to_owned());
            row.insert("ServiceCategory", "AI and Machine Learning".to_owned());
            row.insert("ServiceSubcategory", "Generative AI".to_owned());
            row.insert("SubAccountId", s.team.clone());
            row.insert("SubAccountName", s.team.clone());
            row.insert("x_StatementMode", s.mode.as_str().to_owned());
            row.insert("x_StatementStatus", i.status.to_owned());
            if let Some(id) = &i.invoice_id {
                row.insert("InvoiceId", id.clone());
            }
        };
        for (n, line) in s.lines.iter().enumerate() {
            let (charge_start, charge_end) = (start.clone(), end.clone());
            // The line in the billing currency of the rows.
            let converted = i
                .conversion
                .and_then(|c| c.lines.get(n))
                .map_or(line.amount, |l| l.converted);
            match (line.kind, line.rate_per_million, line.list_rate_per_million) {
                (LineKind::Usage, Some(effective), Some(list)) => {
                    let class = line.token_class.unwrap_or(TokenClass::Input);
                    let provider = line.provider.clone().unwrap_or_else(|| ISSUER.into());
                    let model = line
                        .model
                        .clone()
                        .unwrap_or_else(|| line.description.clone());
                    let sku = format!("{provider}/{model}/{}", class.as_str());
                    let rate_key = line.rate_key.clone().unwrap_or_default();
                    let parts_converted: Vec<Decimal> = match rate {
                        Some(r) if !line.parts.is_empty() => rounded_to(
                            converted,
                            &line.parts.iter().map(|p| p.amount * r).collect::<Vec<_>>(),
                        ),
                        _ => line.parts.iter().map(|p| p.amount).collect(),
                    };
                    for (p, billed_converted) in line.parts.iter().zip(parts_converted) {
                        // Units (web search queries, ...) are consumed and priced one by one;
                        // tokens are priced per million.
                        let (unit, pricing_quantity, pricing_unit) = match class.unit() {
                            Some(unit) => (unit, Decimal::from(p.quantity), unit),
                            None => (
                                "Tokens",
                                Decimal::from(p.quantity) / MILLION,
                                "1000000 Tokens",
                            ),
                        };
                        let mut row = Row::new();
                        common(&mut row);
                        put_money(
                            &mut row,
                            &Money {
                                billed: p.amount,
                                billed_converted,
                                list_price: Some(list),
                                contracted_price: Some(effective),
                                quantity: Some(pricing_quantity),
                            },
                            rate,
                        );
                        row.insert("PricingUnit", pricing_unit.to_owned());
                        row.insert("ConsumedQuantity", p.quantity.to_string());
                        row.insert("ConsumedUnit", unit.to_owned());
                        row.insert("ChargeCategory", "Usage".to_owned());
                        row.insert("ChargeFrequency", "Usage-Based".to_owned());
                        row.insert("ChargeDescription", line.description.clone());
                        row.insert("ChargePeriodStart", charge_start.clone());
                        row.insert("ChargePeriodEnd", charge_end.clone());
                        row.insert("PublisherName", provider.clone());
                        row.insert("HostProviderName", provider.clone());
                        row.insert("ServiceName", model.clone());
                        row.insert("SkuId", sku.clone());
                        row.insert("SkuMeter", class.label().to_owned());
                        row.insert(
                            "SkuPriceId",
                            format!("{sku}/{rate_key}/{}", list.normalize()),
                        );
                        row.insert(
                            "SkuPriceDetails",
                            serde_json::json!({ "x_RateKey": rate_key }).to_string(),
                        );
                        let mut tags = serde_json::Map::new();
                        tags.insert("team".into(), s.team.clone().into());
                        if !p.feature.is_empty() {
                            tags.insert("feature".into(), p.feature.clone().into());
                        }
                        if !p.api_key.is_empty() {
                            tags.insert("api_key".into(), p.api_key.clone().into());
                        }
                        row.insert("Tags", serde_json::Value::Object(tags).to_string());
                        if let Some(f) = some(p.feature.clone()) {
                            row.insert("x_Feature", f);
                        }
                        if let Some(k) = some(p.api_key.clone()) {
                            row.insert("x_ApiKey", k);
                        }
                        if let Some(k) = some(rate_key.clone()) {
                            row.insert("x_RateKey", k);
                        }
                        out.push(project(&row, &columns));
                    }
                }
                (LineKind::Overhead | LineKind::Commitment, _, _) => {
                    // A share of a fixed monthly cost: a recurring purchase of one month,
                    // split over the teams (FOCUS 1.3: a split cost allocation).
                    let mut row = Row::new();
                    common(&mut row);
                    let (label, service, method) = match line.kind {
                        LineKind::Overhead => (
                            line.description.trim_start_matches("Overhead: ").to_owned(),
                            "Overhead",
                            "tokentally-overhead-share",
                        ),
                        _ => (
                            line.description
                                .trim_start_matches("Commitment: ")
                                .to_owned(),
                            "Commitment",
                            "tokentally-commitment-share-by-tokens",
                        ),
                    };
                    let sku = format!("{}/{label}", service.to_lowercase());
                    let amount = line.amount;
                    let priced = !amount.is_sign_negative();
                    put_money(
                        &mut row,
                        &Money {
                            billed: amount,
                            billed_converted: converted,
                            list_price: priced.then_some(amount),
                            contracted_price: priced.then_some(amount),
                            quantity: priced.then_some(Decimal::ONE),
                        },
                        rate,
                    );
                    // Unit prices are never negative: a negative share is an adjustment.
                    row.insert(
                        "ChargeCategory",
                        charge_category(line.kind, amount).to_owned(),
                    );
                    if priced {
                        row.insert("PricingUnit", "Month".to_owned());
                    }
                    row.insert("ChargeFrequency", "Recurring".to_owned());
                    row.insert("ChargeDescription", line.description.clone());
                    row.insert("ChargePeriodStart", charge_start.clone());
                    row.insert("ChargePeriodEnd", charge_end.clone());
                    row.insert("PublisherName", ISSUER.to_owned());
                    row.insert("ServiceName", format!("{service}: {label}"));
                    row.insert("SkuId", sku.clone());
                    row.insert("SkuMeter", service.to_owned());
                    if priced {
                        row.insert("SkuPriceId", format!("{sku}/{}", s.month));
                    }
                    let ratios = if line.kind == LineKind::Overhead {
                        &overhead_ratios
                    } else {
                        &commitment_ratios
                    };
                    if let Some(r) = ratios.get(&(line.description.clone(), s.team.clone())) {
                        row.insert("AllocatedMethodId", method.to_owned());
                        // The ratio as a JSON number, digit for digit.
                        row.insert(
                            "AllocatedMethodDetails",
                            format!("{{\"Elements\":[{{\"AllocatedRatio\":{r}}}]}}"),
                        );
                        row.insert("AllocatedResourceId", s.team.clone());
                        row.insert("AllocatedResourceName", s.team.clone());
                        row.insert(
                            "AllocatedTags",
                            serde_json::json!({ "team": s.team }).to_string(),
                        );
                    } else {
                        row.insert("Tags", serde_json::json!({ "team": s.team }).to_string());
                    }
                    if line.kind == LineKind::Commitment {
                        // The Contract Commitment dataset's id (focus_datasets::commitment_id).
                        let id = format!("commitment/{label}/{}", s.month);
                        row.insert("ResourceId", id.clone());
                        row.insert("ResourceName", label.clone());
                        row.insert("ResourceType", "Commitment".to_owned());
                        row.insert(
                            "ContractApplied",
                            format!(
                                "{{\"Elements\":[{{\"ContractId\":{},\"ContractCommitmentId\":{},\"ContractCommitmentAppliedCost\":{},\"ContractCommitmentAppliedQuantity\":null,\"ContractCommitmentAppliedUnit\":null}}]}}",
                                serde_json::Value::String(id.clone()),
                                serde_json::Value::String(id),
                                num(converted)
                            ),
                        );
                    }
                    out.push(project(&row, &columns));
                }
                _ => {
                    // Usage received after its month was closed: a correction to that month,
                    // billed in this one.
                    let mut row = Row::new();
                    common(&mut row);
                    put_money(
                        &mut row,
                        &Money {
                            billed: line.amount,
                            billed_converted: converted,
                            list_price: None,
                            contracted_price: None,
                            quantity: None,
                        },
                        rate,
                    );
                    row.insert("ChargeCategory", "Adjustment".to_owned());
                    row.insert("ChargeClass", "Correction".to_owned());
                    row.insert("ChargeFrequency", "One-Time".to_owned());
                    row.insert("ChargeDescription", line.description.clone());
                    let (cs, ce) = line
                        .belongs_to
                        .map(bounds)
                        .unwrap_or((charge_start, charge_end));
                    row.insert("ChargePeriodStart", cs);
                    row.insert("ChargePeriodEnd", ce);
                    row.insert("PublisherName", ISSUER.to_owned());
                    row.insert("ServiceName", "Late usage".to_owned());
                    row.insert("Tags", serde_json::json!({ "team": s.team }).to_string());
                    out.push(project(&row, &columns));
                }
            }
        }
    }
    out
}

fn project(row: &Row, columns: &[&'static str]) -> Vec<Option<String>> {
    columns.iter().map(|c| row.get(c).cloned()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_and_unknown_ones_are_refused() {
        assert_eq!("1.2".parse::<Version>(), Ok(Version::V1_2));
        assert_eq!(" 1.3 ".parse::<Version>(), Ok(Version::V1_3));
        assert!("1.4".parse::<Version>().is_err());
        assert!("".parse::<Version>().is_err());
    }

    #[test]
    fn custom_columns_come_last_and_focus_ids_are_alphanumeric() {
        for v in [Version::V1_2, Version::V1_3] {
            let cols = v.columns();
            let first_custom = cols.iter().position(|c| c.starts_with("x_")).unwrap();
            assert!(cols[first_custom..].iter().all(|c| c.starts_with("x_")));
            assert!(
                cols[..first_custom]
                    .iter()
                    .all(|c| c.chars().all(|ch| ch.is_ascii_alphanumeric()))
            );
        }
        assert!(!Version::V1_2.columns().contains(&"AllocatedMethodId"));
        assert!(Version::V1_3.columns().contains(&"AllocatedMethodId"));
    }
}
