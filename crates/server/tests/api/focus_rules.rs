//! The FOCUS rules, each a check of the exported CSV file as a FOCUS reader parses it (not of
//! the code that writes it), named after the rule of FOCUS 1.2 (v1.2 tag) or 1.3 it checks.
//!
//! [`exports`] downloads, once per test binary and on SQLite, the export of three months in
//! each version: the demo's October, a hand-made month with Unallocated, Unpriced, overheads,
//! a commitment, a discount, a late-usage correction and an issued statement, and an empty
//! month. Every rule test runs on all of them; `every_rule_holds_on_both_databases` runs every
//! rule on PostgreSQL too.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use reqwest::StatusCode;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::helpers::{Db, TestApp, json_of, money, spawn_app};
use crate::storage_test;

/// One downloaded export, parsed.
pub struct Export {
    pub label: String,
    pub version: String,
    pub header: Vec<String>,
    /// `None` is an empty unquoted field: FOCUS's null.
    pub rows: Vec<Vec<Option<String>>>,
    /// The file as downloaded.
    pub text: String,
}

impl Export {
    fn has(&self, column: &str) -> bool {
        self.header.iter().any(|h| h == column)
    }

    fn at(&self, column: &str) -> usize {
        self.header
            .iter()
            .position(|h| h == column)
            .unwrap_or_else(|| panic!("{}: no column {column}", self.label))
    }

    /// The rows as maps, column → value (nulls left out).
    fn records(&self) -> Vec<BTreeMap<&str, &str>> {
        self.rows
            .iter()
            .map(|r| {
                self.header
                    .iter()
                    .zip(r)
                    .filter_map(|(h, v)| v.as_deref().map(|v| (h.as_str(), v)))
                    .collect()
            })
            .collect()
    }

    fn v13(&self) -> bool {
        self.version == "1.3"
    }
}

/// RFC 4180, telling an empty unquoted field (null) from a quoted empty one (`""`).
pub fn parse(label: &str, version: &str, text: &str) -> Export {
    let mut records: Vec<Vec<Option<String>>> = Vec::new();
    let mut row: Vec<Option<String>> = Vec::new();
    let mut cell = String::new();
    let (mut quoted, mut was_quoted) = (false, false);
    let mut chars = text.chars().peekable();
    let end_cell = |row: &mut Vec<Option<String>>, cell: &mut String, was_quoted: &mut bool| {
        row.push(if cell.is_empty() && !*was_quoted {
            None
        } else {
            Some(std::mem::take(cell))
        });
        *was_quoted = false;
    };
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            ('"', true) => quoted = false,
            ('"', false) => {
                quoted = true;
                was_quoted = true;
            }
            (',', false) => end_cell(&mut row, &mut cell, &mut was_quoted),
            ('\r', false) => {}
            ('\n', false) => {
                end_cell(&mut row, &mut cell, &mut was_quoted);
                records.push(std::mem::take(&mut row));
            }
            (c, _) => cell.push(c),
        }
    }
    assert!(!quoted, "{label}: an unterminated quote");
    if !cell.is_empty() || !row.is_empty() {
        end_cell(&mut row, &mut cell, &mut was_quoted);
        records.push(row);
    }
    let header: Vec<String> = records
        .remove(0)
        .into_iter()
        .map(|h| h.expect("no empty column name"))
        .collect();
    for r in &records {
        assert_eq!(r.len(), header.len(), "{label}: a row of another width");
    }
    Export {
        label: label.to_owned(),
        version: version.to_owned(),
        header,
        rows: records,
        text: text.to_owned(),
    }
}

type Rule = fn(&Export) -> Result<(), String>;

fn dec(label: &str, column: &str, v: &str) -> Result<Decimal, String> {
    v.parse::<Decimal>()
        .or_else(|_| Decimal::from_scientific(v))
        .map_err(|_| format!("{label}: {column} `{v}` is not a decimal"))
}

fn is_usage_or_purchase_not_correction(r: &BTreeMap<&str, &str>) -> bool {
    matches!(r.get("ChargeCategory"), Some(&"Usage") | Some(&"Purchase"))
        && r.get("ChargeClass") != Some(&"Correction")
}

fn check_all(
    e: &Export,
    what: &str,
    ok: impl Fn(&BTreeMap<&str, &str>) -> bool,
) -> Result<(), String> {
    for (n, r) in e.records().iter().enumerate() {
        if !ok(r) {
            return Err(format!("{}: row {} breaks `{what}`: {r:?}", e.label, n + 1));
        }
    }
    Ok(())
}

const MANDATORY_1_2: &[&str] = &[
    "BilledCost",
    "BillingAccountId",
    "BillingAccountName",
    "BillingCurrency",
    "BillingPeriodEnd",
    "BillingPeriodStart",
    "ChargeCategory",
    "ChargeClass",
    "ChargeDescription",
    "ChargePeriodEnd",
    "ChargePeriodStart",
    "ContractedCost",
    "EffectiveCost",
    "InvoiceIssuerName",
    "ListCost",
    "PricingQuantity",
    "PricingUnit",
    "ProviderName",
    "PublisherName",
    "ServiceCategory",
    "ServiceName",
];

/// Conditional columns whose condition tokentally meets: unit pricing with published price
/// cards, usage measurement, negotiated prices, sub accounts (teams), tags; ChargeFrequency,
/// ServiceSubcategory and InvoiceId are recommended and written.
const CONDITIONAL_MET: &[&str] = &[
    "SkuId",
    "SkuMeter",
    "SkuPriceId",
    "SkuPriceDetails",
    "ListUnitPrice",
    "ContractedUnitPrice",
    "ConsumedQuantity",
    "ConsumedUnit",
    "SubAccountId",
    "SubAccountName",
    "Tags",
    "ChargeFrequency",
    "ServiceSubcategory",
    "InvoiceId",
    "PricingCurrency",
    "PricingCurrencyContractedUnitPrice",
    "PricingCurrencyEffectiveCost",
    "PricingCurrencyListUnitPrice",
];

const NUMERIC: &[&str] = &[
    "BilledCost",
    "EffectiveCost",
    "ListCost",
    "ContractedCost",
    "ListUnitPrice",
    "ContractedUnitPrice",
    "PricingQuantity",
    "ConsumedQuantity",
    "PricingCurrencyContractedUnitPrice",
    "PricingCurrencyEffectiveCost",
    "PricingCurrencyListUnitPrice",
];

const DATETIME: &[&str] = &[
    "BillingPeriodStart",
    "BillingPeriodEnd",
    "ChargePeriodStart",
    "ChargePeriodEnd",
];

const NOT_NULL: &[&str] = &[
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
    "ChargeFrequency",
    "InvoiceIssuerName",
    "ProviderName",
    "PublisherName",
    "ServiceCategory",
    "ServiceSubcategory",
    "ServiceName",
    "PricingCurrency",
    "PricingCurrencyEffectiveCost",
];

pub mod rules {
    use super::*;

    pub fn mandatory_columns_are_present(e: &Export) -> Result<(), String> {
        let mut want: Vec<&str> = MANDATORY_1_2.to_vec();
        if e.v13() {
            want.extend(["HostProviderName", "ServiceProviderName"]);
        }
        match want.iter().find(|c| !e.has(c)) {
            Some(c) => Err(format!("{}: {c} MUST be present", e.label)),
            None => Ok(()),
        }
    }

    pub fn conditional_columns_whose_condition_holds_are_present(e: &Export) -> Result<(), String> {
        let mut want: Vec<&str> = CONDITIONAL_MET.to_vec();
        if e.v13() {
            want.extend([
                "AllocatedMethodId",
                "AllocatedMethodDetails",
                "AllocatedResourceId",
                "AllocatedResourceName",
                "AllocatedTags",
                "ContractApplied",
                "ResourceId",
                "ResourceName",
                "ResourceType",
            ]);
        }
        match want.iter().find(|c| !e.has(c)) {
            Some(c) => Err(format!("{}: {c} MUST be present", e.label)),
            None => Ok(()),
        }
    }

    pub fn column_ids_are_pascal_case_alphanumeric_and_custom_ones_start_with_x(
        e: &Export,
    ) -> Result<(), String> {
        for h in &e.header {
            let ok = match h.strip_prefix("x_") {
                Some(rest) => rest.chars().all(|c| c.is_ascii_alphanumeric()),
                None => {
                    h.chars().all(|c| c.is_ascii_alphanumeric())
                        && h.starts_with(|c: char| c.is_ascii_uppercase())
                }
            };
            if !ok {
                return Err(format!("{}: column ID `{h}`", e.label));
            }
        }
        let first_custom = e.header.iter().position(|h| h.starts_with("x_"));
        if let Some(i) = first_custom
            && e.header[i..].iter().any(|h| !h.starts_with("x_"))
        {
            return Err(format!(
                "{}: custom columns are mixed with FOCUS ones",
                e.label
            ));
        }
        Ok(())
    }

    pub fn no_value_is_an_empty_string(e: &Export) -> Result<(), String> {
        for r in &e.rows {
            for (h, v) in e.header.iter().zip(r) {
                if v.as_deref().is_some_and(|v| v.trim().is_empty()) {
                    return Err(format!("{}: {h} holds an empty string, not null", e.label));
                }
            }
        }
        Ok(())
    }

    pub fn not_nullable_columns_are_never_null(e: &Export) -> Result<(), String> {
        let mut cols: Vec<&str> = NOT_NULL.to_vec();
        if e.v13() {
            // HostProviderName is mandatory but nullable in 1.3 (nothing hosts an overhead).
            cols.push("ServiceProviderName");
        }
        for c in cols {
            let i = e.at(c);
            if e.rows.iter().any(|r| r[i].is_none()) {
                return Err(format!("{}: {c} MUST NOT be null", e.label));
            }
        }
        Ok(())
    }

    pub fn numeric_values_conform_to_numeric_format(e: &Export) -> Result<(), String> {
        let ok = |v: &str| {
            let (mantissa, exp) = match v.split_once('E') {
                Some((m, x)) => (m, Some(x)),
                None => (v, None),
            };
            let m = mantissa.strip_prefix('-').unwrap_or(mantissa);
            let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
            let m_ok = match m.split_once('.') {
                Some((a, b)) => digits(a) && digits(b),
                None => digits(m),
            };
            let x_ok = exp.is_none_or(|x| digits(x.strip_prefix('-').unwrap_or(x)));
            m_ok && x_ok
        };
        for c in NUMERIC {
            let i = e.at(c);
            for r in &e.rows {
                if let Some(v) = &r[i]
                    && !ok(v)
                {
                    return Err(format!("{}: {c} `{v}` is not NumericFormat", e.label));
                }
            }
        }
        Ok(())
    }

    pub fn date_times_are_utc_iso_8601_with_seconds_and_z(e: &Export) -> Result<(), String> {
        for c in DATETIME {
            let i = e.at(c);
            for r in &e.rows {
                let v = r[i].as_deref().unwrap_or_default();
                if chrono::NaiveDateTime::parse_from_str(v, "%Y-%m-%dT%H:%M:%SZ").is_err()
                    || v.len() != 20
                {
                    return Err(format!("{}: {c} `{v}`", e.label));
                }
            }
        }
        Ok(())
    }

    pub fn periods_start_before_they_end_and_billing_periods_are_months(
        e: &Export,
    ) -> Result<(), String> {
        check_all(e, "start < end, a month", |r| {
            let (bs, be) = (r["BillingPeriodStart"], r["BillingPeriodEnd"]);
            let (cs, ce) = (r["ChargePeriodStart"], r["ChargePeriodEnd"]);
            bs < be && cs < ce && bs.ends_with("-01T00:00:00Z") && be.ends_with("-01T00:00:00Z")
        })
    }

    pub fn billing_and_pricing_currencies_are_iso_4217_codes(e: &Export) -> Result<(), String> {
        check_all(e, "three capital letters", |r| {
            ["BillingCurrency", "PricingCurrency"].iter().all(|c| {
                let c = r[c];
                c.len() == 3 && c.chars().all(|c| c.is_ascii_uppercase())
            })
        })
    }

    pub fn charge_category_is_one_of_the_allowed_values(e: &Export) -> Result<(), String> {
        check_all(e, "Usage|Purchase|Tax|Credit|Adjustment", |r| {
            ["Usage", "Purchase", "Tax", "Credit", "Adjustment"].contains(&r["ChargeCategory"])
        })
    }

    pub fn charge_class_is_null_or_correction_of_a_previous_period(
        e: &Export,
    ) -> Result<(), String> {
        check_all(e, "null, or Correction of an earlier period", |r| {
            match r.get("ChargeClass") {
                None => r["ChargePeriodStart"] >= r["BillingPeriodStart"],
                Some(&"Correction") => r["ChargePeriodStart"] < r["BillingPeriodStart"],
                Some(_) => false,
            }
        })
    }

    pub fn charge_frequency_is_allowed_and_never_usage_based_for_a_purchase(
        e: &Export,
    ) -> Result<(), String> {
        check_all(
            e,
            "One-Time|Recurring|Usage-Based, Purchase not Usage-Based",
            |r| {
                let f = r["ChargeFrequency"];
                ["One-Time", "Recurring", "Usage-Based"].contains(&f)
                    && !(r["ChargeCategory"] == "Purchase" && f == "Usage-Based")
            },
        )
    }

    pub fn service_category_and_subcategory_are_allowed_and_paired(
        e: &Export,
    ) -> Result<(), String> {
        let pairs = [
            ("AI and Machine Learning", "AI Platforms"),
            ("AI and Machine Learning", "Bots"),
            ("AI and Machine Learning", "Generative AI"),
            ("AI and Machine Learning", "Machine Learning"),
            ("AI and Machine Learning", "Natural Language Processing"),
            ("AI and Machine Learning", "Other (AI and Machine Learning)"),
        ];
        check_all(
            e,
            "an allowed ServiceCategory/ServiceSubcategory pair",
            |r| pairs.contains(&(r["ServiceCategory"], r["ServiceSubcategory"])),
        )
    }

    pub fn service_name_has_one_service_category(e: &Export) -> Result<(), String> {
        let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
        for r in e.records() {
            let (name, category) = (r["ServiceName"], r["ServiceCategory"]);
            if *seen.entry(name).or_insert(category) != category {
                return Err(format!("{}: {name} has two categories", e.label));
            }
        }
        Ok(())
    }

    /// BilledCost MUST be 0 for charges whose payment a third party receives (marketplace):
    /// none is, since the issuer is the provider; a row where they differed would need 0.
    pub fn billed_cost_is_zero_for_marketplace_charges(e: &Export) -> Result<(), String> {
        check_all(e, "provider = issuer, or BilledCost 0", |r| {
            r["ProviderName"] == r["InvoiceIssuerName"]
                || r["BilledCost"]
                    .parse::<Decimal>()
                    .is_ok_and(|d| d.is_zero())
        })?;
        if e.v13() {
            check_all(e, "service provider = issuer", |r| {
                r["ServiceProviderName"] == r["InvoiceIssuerName"]
            })?;
        }
        Ok(())
    }

    pub fn billing_account_name_is_not_null(e: &Export) -> Result<(), String> {
        check_all(e, "BillingAccountName not null", |r| {
            r.contains_key("BillingAccountName")
        })
    }

    pub fn sku_id_is_not_null_for_usage_and_purchase_and_null_for_tax(
        e: &Export,
    ) -> Result<(), String> {
        check_all(e, "SkuId", |r| {
            let has = r.contains_key("SkuId");
            (!is_usage_or_purchase_not_correction(r) || has)
                && !(r["ChargeCategory"] == "Tax" && has)
        })
    }

    pub fn sku_meter_is_null_when_sku_id_is_null(e: &Export) -> Result<(), String> {
        check_all(e, "SkuMeter null when SkuId null", |r| {
            r.contains_key("SkuId") || !r.contains_key("SkuMeter")
        })
    }

    pub fn sku_price_id_is_not_null_for_usage_and_purchase_and_has_one_sku_id(
        e: &Export,
    ) -> Result<(), String> {
        check_all(e, "SkuPriceId", |r| {
            !is_usage_or_purchase_not_correction(r) || r.contains_key("SkuPriceId")
        })?;
        let mut parent: BTreeMap<String, String> = BTreeMap::new();
        for r in e.records() {
            if let (Some(p), Some(s)) = (r.get("SkuPriceId"), r.get("SkuId"))
                && parent.entry(p.to_string()).or_insert(s.to_string()) != s
            {
                return Err(format!("{}: SkuPriceId {p} has two SkuIds", e.label));
            }
        }
        Ok(())
    }

    pub fn sku_price_details_are_key_values_with_focus_or_x_keys(e: &Export) -> Result<(), String> {
        for r in e.records() {
            let Some(d) = r.get("SkuPriceDetails") else {
                continue;
            };
            if !r.contains_key("SkuPriceId") {
                return Err(format!("{}: SkuPriceDetails without SkuPriceId", e.label));
            }
            let obj = key_values(d).map_err(|m| format!("{}: SkuPriceDetails {m}", e.label))?;
            if let Some(k) = obj.keys().find(|k| !k.starts_with("x_")) {
                return Err(format!(
                    "{}: SkuPriceDetails key {k} is not FOCUS's",
                    e.label
                ));
            }
        }
        Ok(())
    }

    pub fn pricing_quantity_and_unit_are_not_null_for_usage_and_purchase(
        e: &Export,
    ) -> Result<(), String> {
        check_all(e, "PricingQuantity/PricingUnit", |r| {
            let (q, u) = (
                r.contains_key("PricingQuantity"),
                r.contains_key("PricingUnit"),
            );
            q == u
                && (!is_usage_or_purchase_not_correction(r) || q)
                && !(r["ChargeCategory"] == "Tax" && q)
        })
    }

    pub fn unit_prices_are_not_null_for_usage_and_purchase_and_never_negative(
        e: &Export,
    ) -> Result<(), String> {
        for r in e.records() {
            for c in [
                "ListUnitPrice",
                "ContractedUnitPrice",
                "PricingCurrencyListUnitPrice",
                "PricingCurrencyContractedUnitPrice",
            ] {
                match r.get(c) {
                    None if is_usage_or_purchase_not_correction(&r) => {
                        return Err(format!("{}: {c} null on {r:?}", e.label));
                    }
                    Some(v) if dec(&e.label, c, v)?.is_sign_negative() => {
                        return Err(format!("{}: {c} negative", e.label));
                    }
                    _ => {}
                }
            }
        }
        Ok(())
    }

    /// The product of PricingQuantity and a unit price MUST match the cost, exactly.
    pub fn unit_price_times_pricing_quantity_matches_the_cost(e: &Export) -> Result<(), String> {
        for r in e.records() {
            if r.get("ChargeClass") == Some(&"Correction") {
                continue;
            }
            for (price, cost) in [
                ("ListUnitPrice", "ListCost"),
                ("ContractedUnitPrice", "ContractedCost"),
            ] {
                if let (Some(p), Some(q)) = (r.get(price), r.get("PricingQuantity")) {
                    let product = dec(&e.label, price, p)? * dec(&e.label, "PricingQuantity", q)?;
                    let c = dec(&e.label, cost, r[cost])?;
                    if product != c {
                        return Err(format!("{}: {p} × {q} = {product} ≠ {cost} {c}", e.label));
                    }
                }
            }
        }
        Ok(())
    }

    /// Without a unit price, a charge unrelated to others costs what it bills.
    pub fn costs_without_unit_price_match_billed_cost(e: &Export) -> Result<(), String> {
        check_all(
            e,
            "ListCost/ContractedCost/EffectiveCost = BilledCost",
            |r| {
                let b = r["BilledCost"];
                (r.contains_key("ListUnitPrice") || r["ListCost"] == b)
                    && (r.contains_key("ContractedUnitPrice") || r["ContractedCost"] == b)
                    && (matches!(r["ChargeCategory"], "Usage" | "Purchase")
                        || r["EffectiveCost"] == b)
            },
        )
    }

    pub fn consumed_quantity_is_only_for_usage_and_consumed_unit_goes_with_it(
        e: &Export,
    ) -> Result<(), String> {
        check_all(e, "ConsumedQuantity/ConsumedUnit", |r| {
            let (q, u) = (
                r.contains_key("ConsumedQuantity"),
                r.contains_key("ConsumedUnit"),
            );
            let usage = r["ChargeCategory"] == "Usage";
            q == u && (usage || !q) && (!usage || r.contains_key("ChargeClass") || q)
        })
    }

    pub fn sub_account_name_is_null_exactly_when_sub_account_id_is(
        e: &Export,
    ) -> Result<(), String> {
        check_all(e, "SubAccountName ⇔ SubAccountId", |r| {
            r.contains_key("SubAccountId") == r.contains_key("SubAccountName")
        })
    }

    pub fn invoice_id_is_set_exactly_for_issued_statements(e: &Export) -> Result<(), String> {
        check_all(e, "InvoiceId ⇔ issued", |r| {
            r.contains_key("InvoiceId") == (r.get("x_StatementStatus") == Some(&"issued"))
        })
    }

    pub fn tags_are_key_value_format(e: &Export) -> Result<(), String> {
        let mut cols = vec!["Tags"];
        if e.v13() {
            cols.push("AllocatedTags");
        }
        for r in e.records() {
            for c in &cols {
                if let Some(t) = r.get(c) {
                    key_values(t).map_err(|m| format!("{}: {c} {m}", e.label))?;
                }
            }
        }
        Ok(())
    }

    pub fn allocated_columns_are_set_together_and_only_on_allocated_charges(
        e: &Export,
    ) -> Result<(), String> {
        if !e.v13() {
            return Ok(());
        }
        check_all(
            e,
            "Allocated* together; AllocatedTags not repeating Tags",
            |r| {
                let id = r.contains_key("AllocatedMethodId");
                let all = [
                    "AllocatedMethodDetails",
                    "AllocatedResourceId",
                    "AllocatedResourceName",
                    "AllocatedTags",
                ]
                .iter()
                .all(|c| r.contains_key(c) == id);
                let repeated = match (r.get("Tags"), r.get("AllocatedTags")) {
                    (Some(t), Some(a)) => {
                        let (t, a) = (key_values(t).unwrap(), key_values(a).unwrap());
                        a.keys().any(|k| t.contains_key(k))
                    }
                    _ => false,
                };
                all && !repeated
            },
        )
    }

    /// AllocatedRatio adds up to 1 across the allocated charges of one origin charge.
    pub fn allocated_ratios_of_an_origin_charge_sum_to_one(e: &Export) -> Result<(), String> {
        if !e.v13() {
            return Ok(());
        }
        let mut sums: BTreeMap<(String, String, String), Decimal> = BTreeMap::new();
        for r in e.records() {
            let Some(d) = r.get("AllocatedMethodDetails") else {
                continue;
            };
            let v: Value = serde_json::from_str(d).map_err(|x| format!("{}: {x}", e.label))?;
            let elements = v["Elements"]
                .as_array()
                .filter(|a| !a.is_empty())
                .ok_or_else(|| format!("{}: no Elements in {d}", e.label))?;
            for el in elements {
                let ratio = el["AllocatedRatio"]
                    .as_number()
                    .ok_or_else(|| format!("{}: AllocatedRatio not a number in {d}", e.label))?;
                if el.get("UsageQuantity").is_some() && el.get("UsageUnit").is_none() {
                    return Err(format!("{}: UsageQuantity without UsageUnit", e.label));
                }
                *sums
                    .entry((
                        r["AllocatedMethodId"].to_owned(),
                        r["ServiceName"].to_owned(),
                        r["ChargePeriodStart"].to_owned(),
                    ))
                    .or_default() += dec(&e.label, "AllocatedRatio", &ratio.to_string())?;
            }
        }
        match sums.iter().find(|(_, s)| **s != Decimal::ONE) {
            Some((k, s)) => Err(format!("{}: ratios of {k:?} sum to {s}", e.label)),
            None => Ok(()),
        }
    }

    /// 1.3: HostProviderName MAY be null only where no infrastructure serves the charge;
    /// every usage row is served by the model's host.
    pub fn host_provider_name_is_set_where_a_host_serves_the_charge(
        e: &Export,
    ) -> Result<(), String> {
        if !e.v13() {
            return Ok(());
        }
        check_all(e, "HostProviderName on usage", |r| {
            r.get("ChargeCategory") != Some(&"Usage") || r.contains_key("HostProviderName")
        })
    }

    /// 1.3: ListUnitPrice, ContractedUnitPrice and their PricingCurrency columns MUST be null
    /// when SkuPriceId is null, and MUST NOT be null when it is not.
    pub fn unit_prices_are_null_exactly_when_sku_price_id_is(e: &Export) -> Result<(), String> {
        if !e.v13() {
            return Ok(());
        }
        check_all(e, "unit prices ⇔ SkuPriceId", |r| {
            let id = r.contains_key("SkuPriceId");
            [
                "ListUnitPrice",
                "ContractedUnitPrice",
                "PricingCurrencyListUnitPrice",
                "PricingCurrencyContractedUnitPrice",
            ]
            .iter()
            .all(|c| r.contains_key(c) == id)
        })
    }

    pub fn contract_applied_elements_name_contract_and_commitment_and_an_amount(
        e: &Export,
    ) -> Result<(), String> {
        if !e.v13() {
            return Ok(());
        }
        for r in e.records() {
            let Some(c) = r.get("ContractApplied") else {
                continue;
            };
            let v: Value = serde_json::from_str(c).map_err(|x| format!("{}: {x}", e.label))?;
            let elements = v["Elements"]
                .as_array()
                .filter(|a| !a.is_empty())
                .ok_or_else(|| format!("{}: no Elements in {c}", e.label))?;
            for el in elements {
                // 1.3 (with its errata): every element carries the five keys, values may
                // be null; one of cost and quantity is set; the unit goes with the quantity.
                let keys = [
                    "ContractId",
                    "ContractCommitmentId",
                    "ContractCommitmentAppliedCost",
                    "ContractCommitmentAppliedQuantity",
                    "ContractCommitmentAppliedUnit",
                ];
                let quantity = &el["ContractCommitmentAppliedQuantity"];
                let ok = keys.iter().all(|k| el.get(k).is_some())
                    && el["ContractId"].is_string()
                    && el["ContractCommitmentId"].is_string()
                    && (el["ContractCommitmentAppliedCost"].is_number() || quantity.is_number())
                    && el["ContractCommitmentAppliedUnit"].is_null() == quantity.is_null();
                if !ok {
                    return Err(format!("{}: ContractApplied element {el}", e.label));
                }
                // ContractCommitmentId MUST equal ResourceId on the commitment's purchase.
                if r.get("ChargeCategory") == Some(&"Purchase")
                    && el["ContractCommitmentId"].as_str() != r.get("ResourceId").copied()
                {
                    return Err(format!(
                        "{}: ContractCommitmentId is not the ResourceId of {r:?}",
                        e.label
                    ));
                }
            }
        }
        Ok(())
    }
}

/// A Key-Value Format cell: a JSON object of scalar values.
fn key_values(s: &str) -> Result<serde_json::Map<String, Value>, String> {
    let v: Value = serde_json::from_str(s).map_err(|e| format!("`{s}` is not JSON: {e}"))?;
    let Value::Object(o) = v else {
        return Err(format!("`{s}` is not an object"));
    };
    if o.values().any(|v| v.is_object() || v.is_array()) {
        return Err(format!("`{s}` nests"));
    }
    Ok(o)
}

pub const RULES: &[(&str, Rule)] = &[
    (
        "mandatory_columns_are_present",
        rules::mandatory_columns_are_present,
    ),
    (
        "conditional_columns_whose_condition_holds_are_present",
        rules::conditional_columns_whose_condition_holds_are_present,
    ),
    (
        "column_ids_are_pascal_case_alphanumeric_and_custom_ones_start_with_x",
        rules::column_ids_are_pascal_case_alphanumeric_and_custom_ones_start_with_x,
    ),
    (
        "no_value_is_an_empty_string",
        rules::no_value_is_an_empty_string,
    ),
    (
        "not_nullable_columns_are_never_null",
        rules::not_nullable_columns_are_never_null,
    ),
    (
        "numeric_values_conform_to_numeric_format",
        rules::numeric_values_conform_to_numeric_format,
    ),
    (
        "date_times_are_utc_iso_8601_with_seconds_and_z",
        rules::date_times_are_utc_iso_8601_with_seconds_and_z,
    ),
    (
        "periods_start_before_they_end_and_billing_periods_are_months",
        rules::periods_start_before_they_end_and_billing_periods_are_months,
    ),
    (
        "billing_and_pricing_currencies_are_iso_4217_codes",
        rules::billing_and_pricing_currencies_are_iso_4217_codes,
    ),
    (
        "charge_category_is_one_of_the_allowed_values",
        rules::charge_category_is_one_of_the_allowed_values,
    ),
    (
        "charge_class_is_null_or_correction_of_a_previous_period",
        rules::charge_class_is_null_or_correction_of_a_previous_period,
    ),
    (
        "charge_frequency_is_allowed_and_never_usage_based_for_a_purchase",
        rules::charge_frequency_is_allowed_and_never_usage_based_for_a_purchase,
    ),
    (
        "service_category_and_subcategory_are_allowed_and_paired",
        rules::service_category_and_subcategory_are_allowed_and_paired,
    ),
    (
        "service_name_has_one_service_category",
        rules::service_name_has_one_service_category,
    ),
    (
        "billed_cost_is_zero_for_marketplace_charges",
        rules::billed_cost_is_zero_for_marketplace_charges,
    ),
    (
        "billing_account_name_is_not_null",
        rules::billing_account_name_is_not_null,
    ),
    (
        "sku_id_is_not_null_for_usage_and_purchase_and_null_for_tax",
        rules::sku_id_is_not_null_for_usage_and_purchase_and_null_for_tax,
    ),
    (
        "sku_meter_is_null_when_sku_id_is_null",
        rules::sku_meter_is_null_when_sku_id_is_null,
    ),
    (
        "sku_price_id_is_not_null_for_usage_and_purchase_and_has_one_sku_id",
        rules::sku_price_id_is_not_null_for_usage_and_purchase_and_has_one_sku_id,
    ),
    (
        "sku_price_details_are_key_values_with_focus_or_x_keys",
        rules::sku_price_details_are_key_values_with_focus_or_x_keys,
    ),
    (
        "pricing_quantity_and_unit_are_not_null_for_usage_and_purchase",
        rules::pricing_quantity_and_unit_are_not_null_for_usage_and_purchase,
    ),
    (
        "unit_prices_are_not_null_for_usage_and_purchase_and_never_negative",
        rules::unit_prices_are_not_null_for_usage_and_purchase_and_never_negative,
    ),
    (
        "unit_price_times_pricing_quantity_matches_the_cost",
        rules::unit_price_times_pricing_quantity_matches_the_cost,
    ),
    (
        "costs_without_unit_price_match_billed_cost",
        rules::costs_without_unit_price_match_billed_cost,
    ),
    (
        "consumed_quantity_is_only_for_usage_and_consumed_unit_goes_with_it",
        rules::consumed_quantity_is_only_for_usage_and_consumed_unit_goes_with_it,
    ),
    (
        "sub_account_name_is_null_exactly_when_sub_account_id_is",
        rules::sub_account_name_is_null_exactly_when_sub_account_id_is,
    ),
    (
        "invoice_id_is_set_exactly_for_issued_statements",
        rules::invoice_id_is_set_exactly_for_issued_statements,
    ),
    (
        "tags_are_key_value_format",
        rules::tags_are_key_value_format,
    ),
    (
        "allocated_columns_are_set_together_and_only_on_allocated_charges",
        rules::allocated_columns_are_set_together_and_only_on_allocated_charges,
    ),
    (
        "allocated_ratios_of_an_origin_charge_sum_to_one",
        rules::allocated_ratios_of_an_origin_charge_sum_to_one,
    ),
    (
        "host_provider_name_is_set_where_a_host_serves_the_charge",
        rules::host_provider_name_is_set_where_a_host_serves_the_charge,
    ),
    (
        "unit_prices_are_null_exactly_when_sku_price_id_is",
        rules::unit_prices_are_null_exactly_when_sku_price_id_is,
    ),
    (
        "contract_applied_elements_name_contract_and_commitment_and_an_amount",
        rules::contract_applied_elements_name_contract_and_commitment_and_an_amount,
    ),
];

// ---- The three months ----

pub const DEMO_MONTH: &str = "2026-10";
pub const HARD_MONTH: &str = "2026-04";
pub const EMPTY_MONTH: &str = "2024-01";

async fn seeded_demo(app: &TestApp) {
    let now = "2026-11-20T12:00:00Z".parse().unwrap();
    let mut spec = tokentally_server::demo::generate::DemoSpec::ending(now);
    spec.events_per_month = 1_000;
    tokentally_server::demo::seed(&app.store, &spec)
        .await
        .expect("the demo seeds");
}

/// gpt-4o-mini at 0.15 input, 0.60 output per 1M tokens (the default catalog).
fn mini(id: &str, ts: &str, who: (&str, &str), input: u64, output: u64) -> Value {
    let mut v = json!({"id": id, "timestamp": ts, "provider": "openai", "model": "gpt-4o-mini",
                       "input_tokens": input, "output_tokens": output});
    if !who.0.is_empty() {
        v[who.0] = json!(who.1);
    }
    v
}

async fn ok(app: &TestApp, path: &str, body: Value) {
    let (s, b) = json_of(
        app.post(path, &app.finance_token)
            .json(&body)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(s.is_success(), "{path}: {s} {b}");
}

/// April 2026: search (by key) 10M in + 2M out, support (by tag) 4M in, 2M in from nobody
/// (Unallocated), 1M of a model no card prices (Unpriced); a 10% openai discount from
/// April 1st, so 0.135 / 0.54: search 2.43, support 0.54, Unallocated 0.27. Overhead
/// `retrieval` 30.00 in proportion to token cost: 22.50 / 5.00 / 2.50. A gpt-4o-mini
/// commitment of 10.00 for 36M tokens, half used. March, closed, gets 2M more of search's
/// input late: a correction of 0.30 on April's statement (search's March statement was
/// issued before it came). Search's April statement is issued, which closes April.
/// Support is billed in EUR at 0.9213 for April.
async fn seeded_hard_month(app: &TestApp) {
    let (s, b) = app
        .admin_post(
            "/api/v1/key-mappings",
            &json!({"api_key": "k-search", "team": "search", "valid_from": "2026-01-01"}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    let march = json!([mini(
        "m0",
        "2026-03-10T10:00:00Z",
        ("team", "search"),
        1_000_000,
        0
    )]);
    assert_eq!(app.post_events(&march).await.0, 200);
    ok(app, "/api/v1/months/2026-03/close", json!({})).await;
    ok(app, "/api/v1/statements/search/2026-03/issue", json!({})).await;
    let mut april = json!([
        mini(
            "a1",
            "2026-04-03T10:00:00Z",
            ("api_key", "k-search"),
            10_000_000,
            2_000_000
        ),
        mini(
            "a2",
            "2026-04-04T10:00:00Z",
            ("team", "support"),
            4_000_000,
            0
        ),
        mini("a3", "2026-04-05T10:00:00Z", ("", ""), 2_000_000, 0),
        mini(
            "late",
            "2026-03-20T10:00:00Z",
            ("team", "search"),
            2_000_000,
            0
        ),
    ]);
    april
        .as_array_mut()
        .unwrap()
        .push(json!({"id": "u1", "timestamp": "2026-04-06T10:00:00Z",
        "provider": "openai", "model": "no-card-for-this-model", "team": "search",
        "input_tokens": 1_000_000}));
    assert_eq!(app.post_events(&april).await.0, 200);
    ok(
        app,
        "/api/v1/discounts",
        json!({"provider": "openai", "percent": "10", "effective_from": "2026-04-01"}),
    )
    .await;
    ok(
        app,
        "/api/v1/overheads",
        json!({"month": HARD_MONTH, "category": "retrieval", "amount": "30.00"}),
    )
    .await;
    ok(
        app,
        "/api/v1/commitments",
        json!({"month": HARD_MONTH, "provider": "openai", "model": "gpt-4o-mini",
               "fee": "10.00", "capacity_tokens": 36_000_000}),
    )
    .await;
    ok(
        app,
        "/api/v1/teams/support/currency",
        json!({"currency": "EUR"}),
    )
    .await;
    ok(
        app,
        "/api/v1/fx-rates",
        json!({"base": "USD", "quote": "EUR", "month": HARD_MONTH, "rate": "0.9213",
               "source": "ECB reference rate"}),
    )
    .await;
    // Issuing closes April too.
    ok(app, "/api/v1/statements/search/2026-04/issue", json!({})).await;
}

pub async fn download(app: &TestApp, month: &str, version: &str) -> String {
    let r = app
        .get(
            &format!("/api/v1/export/focus?month={month}&version={version}"),
            &app.finance_token,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.headers()["x-focus-version"].to_str().unwrap(),
        version,
        "the version is stated"
    );
    r.text().await.unwrap()
}

async fn all_exports(demo: &TestApp, hard: &TestApp) -> Vec<Export> {
    let mut out = Vec::new();
    for version in ["1.2", "1.3"] {
        for (app, month, what) in [
            (demo, DEMO_MONTH, "demo"),
            (
                hard,
                HARD_MONTH,
                "overheads, commitments, discounts, Unallocated, Unpriced",
            ),
            (demo, EMPTY_MONTH, "empty"),
        ] {
            let text = download(app, month, version).await;
            out.push(parse(
                &format!("{month} ({what}), FOCUS {version}"),
                version,
                &text,
            ));
        }
    }
    out
}

/// The six exports on SQLite, made once for every rule test of the binary.
pub fn exports() -> &'static [Export] {
    static EXPORTS: OnceLock<Vec<Export>> = OnceLock::new();
    EXPORTS.get_or_init(|| {
        std::thread::spawn(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap()
                .block_on(async {
                    let demo = spawn_app(Db::Sqlite).await.expect("SQLite app");
                    let hard = spawn_app(Db::Sqlite).await.expect("SQLite app");
                    Box::pin(seeded_demo(&demo)).await;
                    Box::pin(seeded_hard_month(&hard)).await;
                    all_exports(&demo, &hard).await
                })
        })
        .join()
        .expect("the exports download")
    })
}

macro_rules! rule_tests {
    ($($rule:ident),* $(,)?) => {
        $(
            #[test]
            fn $rule() {
                let exports = exports();
                assert_eq!(exports.len(), 6);
                for e in exports {
                    if let Err(m) = rules::$rule(e) {
                        panic!("{m}");
                    }
                }
            }
        )*
    };
}

rule_tests!(
    mandatory_columns_are_present,
    conditional_columns_whose_condition_holds_are_present,
    column_ids_are_pascal_case_alphanumeric_and_custom_ones_start_with_x,
    no_value_is_an_empty_string,
    not_nullable_columns_are_never_null,
    numeric_values_conform_to_numeric_format,
    date_times_are_utc_iso_8601_with_seconds_and_z,
    periods_start_before_they_end_and_billing_periods_are_months,
    billing_and_pricing_currencies_are_iso_4217_codes,
    charge_category_is_one_of_the_allowed_values,
    charge_class_is_null_or_correction_of_a_previous_period,
    charge_frequency_is_allowed_and_never_usage_based_for_a_purchase,
    service_category_and_subcategory_are_allowed_and_paired,
    service_name_has_one_service_category,
    billed_cost_is_zero_for_marketplace_charges,
    billing_account_name_is_not_null,
    sku_id_is_not_null_for_usage_and_purchase_and_null_for_tax,
    sku_meter_is_null_when_sku_id_is_null,
    sku_price_id_is_not_null_for_usage_and_purchase_and_has_one_sku_id,
    sku_price_details_are_key_values_with_focus_or_x_keys,
    pricing_quantity_and_unit_are_not_null_for_usage_and_purchase,
    unit_prices_are_not_null_for_usage_and_purchase_and_never_negative,
    unit_price_times_pricing_quantity_matches_the_cost,
    costs_without_unit_price_match_billed_cost,
    consumed_quantity_is_only_for_usage_and_consumed_unit_goes_with_it,
    sub_account_name_is_null_exactly_when_sub_account_id_is,
    invoice_id_is_set_exactly_for_issued_statements,
    tags_are_key_value_format,
    allocated_columns_are_set_together_and_only_on_allocated_charges,
    allocated_ratios_of_an_origin_charge_sum_to_one,
    host_provider_name_is_set_where_a_host_serves_the_charge,
    unit_prices_are_null_exactly_when_sku_price_id_is,
    contract_applied_elements_name_contract_and_commitment_and_an_amount,
);

#[test]
fn the_exports_have_rows_where_they_should() {
    let exports = exports();
    for e in exports {
        let empty = e.label.starts_with(EMPTY_MONTH);
        assert_eq!(
            e.rows.is_empty(),
            empty,
            "{}: {} rows",
            e.label,
            e.rows.len()
        );
    }
    // The hard month has every kind of row.
    let hard = exports
        .iter()
        .find(|e| e.label.starts_with(HARD_MONTH) && e.v13())
        .unwrap();
    let kinds: BTreeSet<(String, Option<String>)> = hard
        .records()
        .iter()
        .map(|r| {
            (
                r["ChargeCategory"].to_owned(),
                r.get("ChargeClass").map(|s| s.to_string()),
            )
        })
        .collect();
    assert!(kinds.contains(&("Usage".into(), None)), "{kinds:?}");
    assert!(kinds.contains(&("Purchase".into(), None)), "{kinds:?}");
    assert!(
        kinds.contains(&("Adjustment".into(), Some("Correction".into()))),
        "{kinds:?}"
    );
    let allocated = hard
        .records()
        .iter()
        .filter(|r| r.contains_key("AllocatedMethodId"))
        .count();
    assert_eq!(allocated, 6, "3 overhead shares and 3 commitment shares");
}

// Every rule on both databases (the named tests above run on SQLite only).
storage_test!(every_rule_holds_on_both_databases, |app| {
    seeded_hard_month(&app).await;
    for version in ["1.2", "1.3"] {
        let text = download(&app, HARD_MONTH, version).await;
        let e = parse(HARD_MONTH, version, &text);
        for (name, rule) in RULES {
            if let Err(m) = rule(&e) {
                panic!("{name}: {m}");
            }
        }
    }
});

// Σ BilledCost = issued statements + drafts + Unallocated, to the cent; per InvoiceId, the
// issued statement's total; and the hand-computed statements of the hard month.
storage_test!(billed_cost_adds_up_to_the_statements_of_the_month, |app| {
    seeded_hard_month(&app).await;
    let e = parse(HARD_MONTH, "1.3", &download(&app, HARD_MONTH, "1.3").await);
    let (_, list) = json_of(
        app.get(
            &format!("/api/v1/statements?month={HARD_MONTH}"),
            &app.finance_token,
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    let totals: BTreeMap<String, (Decimal, String)> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["team"].as_str().unwrap().to_owned(),
                (money(&s["total"]), s["status"].as_str().unwrap().to_owned()),
            )
        })
        .collect();
    // Hand-computed: usage + retrieval share + commitment share (+ the correction).
    assert_eq!(
        totals["search"].0,
        rust_decimal_macros::dec!(28.56),
        "{totals:?}"
    );
    assert_eq!(totals["search"].1, "issued");
    assert_eq!(
        totals["support"].0,
        rust_decimal_macros::dec!(6.65),
        "{totals:?}"
    );
    assert_eq!(
        totals["Unallocated"].0,
        rust_decimal_macros::dec!(3.33),
        "{totals:?}"
    );
    let mut per_team: BTreeMap<String, Decimal> = BTreeMap::new();
    let mut per_currency: BTreeMap<String, Decimal> = BTreeMap::new();
    let mut pricing: BTreeMap<String, Decimal> = BTreeMap::new();
    let mut per_invoice: BTreeMap<String, Decimal> = BTreeMap::new();
    for r in e.records() {
        let b: Decimal = r["BilledCost"].parse().unwrap();
        *per_team.entry(r["SubAccountId"].to_owned()).or_default() += b;
        *per_currency
            .entry(r["BillingCurrency"].to_owned())
            .or_default() += b;
        *pricing.entry(r["SubAccountId"].to_owned()).or_default() +=
            r["PricingCurrencyEffectiveCost"]
                .parse::<Decimal>()
                .unwrap();
        assert_eq!(r["PricingCurrency"], "USD");
        if let Some(i) = r.get("InvoiceId") {
            *per_invoice.entry(i.to_string()).or_default() += b;
        }
    }
    // In USD: search and Unallocated; support is billed in EUR, 6.65 × 0.9213 = 6.126645.
    assert_eq!(
        per_currency,
        BTreeMap::from([
            (
                "USD".to_owned(),
                totals["search"].0 + totals["Unallocated"].0
            ),
            ("EUR".to_owned(), rust_decimal_macros::dec!(6.13)),
        ])
    );
    for (team, (total, _)) in &totals {
        assert_eq!(
            pricing[team], *total,
            "{team}: the statement in its pricing currency"
        );
        if team != "support" {
            assert_eq!(per_team[team], *total, "{team}");
        }
    }
    let (_, converted) = json_of(
        app.get(
            "/api/v1/statements/support/2026-04/converted",
            &app.finance_token,
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(money(&converted["total"]), per_team["support"]);
    assert_eq!(
        money(&converted["reconciled_billing_total"]),
        totals["support"].0
    );
    assert_eq!(
        per_invoice,
        BTreeMap::from([("search/2026-04/v1".to_owned(), totals["search"].0)])
    );
});

storage_test!(an_unknown_focus_version_is_refused, |app| {
    for bad in ["1.4", "2", "latest", ""] {
        let r = app
            .get(
                &format!("/api/v1/export/focus?month={HARD_MONTH}&version={bad}"),
                &app.finance_token,
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{bad}");
        assert!(r.text().await.unwrap().contains("FOCUS version"), "{bad}");
    }
    let r = app
        .get(
            &format!("/api/v1/export/focus?month={HARD_MONTH}"),
            &app.finance_token,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.headers()["x-focus-version"],
        "1.3",
        "the newest by default"
    );
});

/// The DuckDB type of each column, as FOCUS names it: Decimal, Date/Time, JSON, String.
fn duckdb_type(column: &str) -> &'static str {
    if NUMERIC.contains(&column) {
        "DECIMAL(38,18)"
    } else if DATETIME.contains(&column) {
        "TIMESTAMPTZ"
    } else if [
        "Tags",
        "SkuPriceDetails",
        "AllocatedMethodDetails",
        "AllocatedTags",
        "ContractApplied",
    ]
    .contains(&column)
    {
        "JSON"
    } else {
        "VARCHAR"
    }
}

/// The Python with the `duckdb` package: `TOKENTALLY_DUCKDB_PYTHON`, else `python3`.
fn duckdb_python() -> Option<String> {
    let python = std::env::var("TOKENTALLY_DUCKDB_PYTHON").unwrap_or_else(|_| "python3".into());
    let ok = std::process::Command::new(&python)
        .args(["-c", "import duckdb"])
        .output()
        .is_ok_and(|o| o.status.success());
    ok.then_some(python)
}

/// The demo month's export loads in DuckDB's `read_csv` with the types FOCUS names (every
/// version), and DuckDB's sums are the file's.
#[test]
fn the_demo_export_loads_in_duckdb_with_focus_types() {
    let Some(python) = duckdb_python() else {
        // CI installs DuckDB and sets this, so the check cannot pass there by skipping.
        assert!(
            std::env::var_os("TOKENTALLY_REQUIRE_DUCKDB").is_none(),
            "TOKENTALLY_REQUIRE_DUCKDB is set but no Python with the duckdb package was found"
        );
        eprintln!(
            "skipped: no Python with the duckdb package (pip install duckdb, or set TOKENTALLY_DUCKDB_PYTHON)"
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    for e in exports().iter().filter(|e| e.label.starts_with(DEMO_MONTH)) {
        let path = dir.path().join(format!("focus-{}.csv", e.version));
        std::fs::write(&path, &e.text).unwrap();
        let types: BTreeMap<&str, &str> = e
            .header
            .iter()
            .map(|h| (h.as_str(), duckdb_type(h)))
            .collect();
        let script = format!(
            r#"
import duckdb, json
con = duckdb.connect()
con.execute("""CREATE TABLE focus AS SELECT * FROM read_csv({path}, header = true,
    auto_detect = false, columns = {types}, timestampformat = '%Y-%m-%dT%H:%M:%SZ')""")
rows, billed, bad_json = con.execute("""SELECT count(*), sum(BilledCost),
    count(*) FILTER (WHERE Tags IS NOT NULL AND NOT json_valid(Tags)) FROM focus""").fetchone()
print(json.dumps({{"rows": rows, "billed": format(billed, "f") if billed is not None else "0", "bad_json": bad_json,
                  "types": dict(con.execute("SELECT column_name, column_type FROM (DESCRIBE focus)").fetchall())}}))
"#,
            path = serde_json::to_string(path.to_str().unwrap()).unwrap(),
            types = serde_json::to_string(&types).unwrap(),
        );
        let out = std::process::Command::new(&python)
            .args(["-c", &script])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}: {}",
            e.label,
            String::from_utf8_lossy(&out.stderr)
        );
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["rows"], e.rows.len(), "{}", e.label);
        assert_eq!(v["bad_json"], 0, "{}", e.label);
        let billed: Decimal = e
            .records()
            .iter()
            .map(|r| r["BilledCost"].parse::<Decimal>().unwrap())
            .sum();
        assert_eq!(
            v["billed"].as_str().unwrap().parse::<Decimal>().unwrap(),
            billed
        );
        assert_eq!(v["types"]["BilledCost"], "DECIMAL(38,18)");
        assert_eq!(v["types"]["ChargePeriodStart"], "TIMESTAMP WITH TIME ZONE");
    }
}

fn get_csv(
    app: &TestApp,
    path: &str,
) -> impl std::future::Future<Output = (StatusCode, String, String)> {
    let r = app.get(path, &app.finance_token).send();
    async move {
        let r = r.await.unwrap();
        let status = r.status();
        let version = r
            .headers()
            .get("x-focus-version")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        (status, version, r.text().await.unwrap())
    }
}

// FOCUS 1.4: a period is Closed once its month is closed; an issued statement's lines are
// its invoice's details, adding up to it and joining the cost-and-usage rows on InvoiceId.
storage_test!(
    billing_periods_and_invoice_details_follow_closes_and_issued_statements,
    |app| {
        seeded_hard_month(&app).await;
        let (s, v, text) = get_csv(
            &app,
            "/api/v1/export/focus/billing-periods?from=2026-02&to=2026-05",
        )
        .await;
        assert_eq!((s, v.as_str()), (StatusCode::OK, "1.4"));
        let periods = parse("billing periods", "1.4", &text);
        assert_eq!(
            periods.header,
            [
                "BillingPeriodCreated",
                "BillingPeriodEnd",
                "BillingPeriodLastUpdated",
                "BillingPeriodStart",
                "BillingPeriodStatus",
                "InvoiceIssuerName"
            ]
        );
        let status: Vec<(&str, &str)> = periods
            .records()
            .iter()
            .map(|r| (r["BillingPeriodStart"], r["BillingPeriodStatus"]))
            .collect();
        assert_eq!(
            status,
            [
                ("2026-02-01T00:00:00Z", "Open"),
                ("2026-03-01T00:00:00Z", "Closed"),
                ("2026-04-01T00:00:00Z", "Closed"),
                ("2026-05-01T00:00:00Z", "Open"),
            ]
        );
        assert!(periods.rows.iter().all(|r| r.iter().all(Option::is_some)));
        for bad in [
            "from=2026-05&to=2026-02",
            "from=2000-01&to=2026-02",
            "from=2026-13",
            "x=1",
        ] {
            let (s, _, _) =
                get_csv(&app, &format!("/api/v1/export/focus/billing-periods?{bad}")).await;
            assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}");
        }

        let (s, v, text) =
            get_csv(&app, "/api/v1/export/focus/invoice-details?month=2026-04").await;
        assert_eq!((s, v.as_str()), (StatusCode::OK, "1.4"));
        let details = parse("invoice details", "1.4", &text);
        let rows = details.records();
        // search's April statement: 2 usage lines, 1 overhead, 1 commitment, 1 correction.
        assert_eq!(rows.len(), 5, "{text}");
        let total: Decimal = rows
            .iter()
            .map(|r| r["BilledCost"].parse::<Decimal>().unwrap())
            .sum();
        assert_eq!(total, rust_decimal_macros::dec!(28.56));
        assert!(rows.iter().all(|r| r["InvoiceId"] == "search/2026-04/v1"
            && r["InvoiceIssueStatus"] == "Issued"
            && r["InvoiceIssuerName"] == "tokentally"
            && r["PaymentCurrency"] == "USD"
            && !r.contains_key("PaymentDueDate")));
        let ids: BTreeSet<&str> = rows.iter().map(|r| r["InvoiceDetailId"]).collect();
        assert_eq!(ids.len(), 5, "detail ids are unique");
        let correction = rows
            .iter()
            .find(|r| r["ChargeCategory"] == "Adjustment")
            .unwrap();
        assert_eq!(correction["ReferenceInvoiceId"], "search/2026-03/v1");
        assert_eq!(correction["BilledCost"], "0.30");
        assert!(
            rows.iter()
                .filter(|r| r["ChargeCategory"] != "Adjustment")
                .all(|r| r["ReferenceInvoiceId"] == "search/2026-04/v1")
        );
        for r in &rows {
            key_values(r["InvoiceDetailGrain"]).unwrap();
        }
        // Voiding keeps the invoice, Voided.
        let (s, _) = json_of(
            app.post("/api/v1/statements/search/2026-04/void", &app.finance_token)
                .json(&json!({"reason": "wrong key mapping"}))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert!(s.is_success());
        let (_, _, text) =
            get_csv(&app, "/api/v1/export/focus/invoice-details?month=2026-04").await;
        let details = parse("invoice details", "1.4", &text);
        assert!(
            details
                .records()
                .iter()
                .all(|r| r["InvoiceIssueStatus"] == "Voided")
        );
        // A lead reads none of it.
        let lead = app
            .token_for(tokentally_server::auth::Role::Lead, &["search"])
            .await;
        for path in [
            "/api/v1/export/focus/billing-periods",
            "/api/v1/export/focus/invoice-details?month=2026-04",
        ] {
            let r = app.get(path, &lead).send().await.unwrap();
            assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path}");
        }
    }
);

// FOCUS 1.3 Contract Commitment: the month's commitment, whose id is the ContractCommitmentId
// (and the ResourceId) of its shares in the cost-and-usage rows; a future billing period is
// refused, since it has no creation time yet.
storage_test!(contract_commitments_join_the_cost_and_usage_rows, |app| {
    seeded_hard_month(&app).await;
    let (s, v, text) = get_csv(
        &app,
        &format!("/api/v1/export/focus/contract-commitments?month={HARD_MONTH}"),
    )
    .await;
    assert_eq!((s, v.as_str()), (StatusCode::OK, "1.3"));
    let commitments = parse("contract commitments", "1.3", &text);
    let rows = commitments.records();
    assert_eq!(rows.len(), 1, "{text}");
    let c = &rows[0];
    assert_eq!(
        c["ContractCommitmentId"],
        "commitment/openai/gpt-4o-mini/2026-04"
    );
    assert_eq!(c["ContractId"], c["ContractCommitmentId"]);
    assert_eq!(c["ContractCommitmentCost"], "10.00");
    assert_eq!(c["ContractCommitmentQuantity"], "36000000");
    assert_eq!(c["ContractCommitmentUnit"], "Tokens");
    assert_eq!(c["ContractCommitmentCategory"], "Usage");
    assert_eq!(c["ContractCommitmentPeriodStart"], "2026-04-01T00:00:00Z");
    assert_eq!(c["ContractCommitmentPeriodEnd"], "2026-05-01T00:00:00Z");
    // Every share of it in the cost-and-usage export names that id.
    let usage = download(&app, HARD_MONTH, "1.3").await;
    let usage = parse("hard 1.3", "1.3", &usage);
    let applied: Vec<String> = usage
        .records()
        .iter()
        .filter_map(|r| r.get("ContractApplied").map(|c| c.to_string()))
        .collect();
    assert!(!applied.is_empty());
    for a in &applied {
        let v: Value = serde_json::from_str(a).unwrap();
        assert_eq!(
            v["Elements"][0]["ContractCommitmentId"].as_str(),
            Some(c["ContractCommitmentId"])
        );
    }
    // Support is billed in EUR: its invoice's details are billed as its cost-and-usage rows,
    // in EUR, and add up to the same sum.
    ok(&app, "/api/v1/statements/support/2026-04/issue", json!({})).await;
    let (_, _, text) = get_csv(&app, "/api/v1/export/focus/invoice-details?month=2026-04").await;
    let details = parse("invoice details", "1.4", &text);
    let support: Vec<_> = details
        .records()
        .into_iter()
        .filter(|r| r["x_Team"] == "support")
        .map(|r| {
            (
                r["BillingCurrency"].to_owned(),
                r["BilledCost"].parse::<Decimal>().unwrap(),
            )
        })
        .collect();
    assert!(!support.is_empty());
    assert!(support.iter().all(|(c, _)| c == "EUR"), "{support:?}");
    let usage = parse("hard 1.3", "1.3", &download(&app, HARD_MONTH, "1.3").await);
    let billed: Decimal = usage
        .records()
        .iter()
        .filter(|r| r.get("InvoiceId") == Some(&"support/2026-04/v1"))
        .map(|r| r["BilledCost"].parse::<Decimal>().unwrap())
        .sum();
    assert_eq!(support.iter().map(|(_, a)| *a).sum::<Decimal>(), billed);
    // An empty month has none; a future period is refused.
    let (s, _, text) = get_csv(
        &app,
        &format!("/api/v1/export/focus/contract-commitments?month={EMPTY_MONTH}"),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(parse("none", "1.3", &text).rows.len(), 0);
    let (s, _, _) = get_csv(
        &app,
        "/api/v1/export/focus/billing-periods?from=2026-02&to=2099-01",
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
});
