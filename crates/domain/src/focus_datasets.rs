//! FOCUS 1.4's supporting datasets, beside the cost-and-usage export ([`crate::focus`]):
//! **Billing Period** (one row per month, Open until the month is closed) and **Invoice
//! Detail** (one row per line of each issued or voided statement), so that a closed month and
//! its statements travel with the usage. They join the cost-and-usage rows on
//! BillingPeriodStart + InvoiceIssuerName, and on InvoiceIssuerName + InvoiceId.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use crate::commitment::Commitment;
use crate::focus::{ISSUER, charge_category};
use crate::fx::ConvertedStatement;
use crate::month::Month;
use crate::statement::{LineKind, Mode, Statement};

pub const BILLING_PERIOD_COLUMNS: &[&str] = &[
    "BillingPeriodCreated",
    "BillingPeriodEnd",
    "BillingPeriodLastUpdated",
    "BillingPeriodStart",
    "BillingPeriodStatus",
    "InvoiceIssuerName",
];

pub const INVOICE_DETAIL_COLUMNS: &[&str] = &[
    "BilledCost",
    "BillingAccountId",
    "BillingCurrency",
    "BillingPeriodEnd",
    "BillingPeriodStart",
    "ChargeCategory",
    "InvoiceDetailCreated",
    "InvoiceDetailDescription",
    "InvoiceDetailGrain",
    "InvoiceDetailId",
    "InvoiceDetailLastUpdated",
    "InvoiceId",
    "InvoiceIssueDate",
    "InvoiceIssueStatus",
    "InvoiceIssuerName",
    "PaymentCurrency",
    "PaymentDueDate",
    "PaymentTerms",
    "ReferenceInvoiceId",
    "x_StatementMode",
    "x_Team",
];

fn instant(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn month_start(m: Month) -> String {
    format!("{}T00:00:00Z", m.first_day())
}

fn month_end(m: Month) -> String {
    format!("{}T00:00:00Z", m.end_exclusive())
}

/// A month's state: closed (when), or still open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub month: Month,
    pub closed_at: Option<DateTime<Utc>>,
}

/// The Billing Period rows. A period is created when it starts; an open one was last updated
/// `now` (its data may still change), a closed one when it was closed.
pub fn billing_periods(periods: &[Period], now: DateTime<Utc>) -> Vec<Vec<Option<String>>> {
    periods
        .iter()
        .map(|p| {
            let (status, updated) = match p.closed_at {
                Some(t) => ("Closed", t),
                None => ("Open", now),
            };
            vec![
                Some(month_start(p.month)),
                Some(month_end(p.month)),
                Some(instant(updated)),
                Some(month_start(p.month)),
                Some(status.to_owned()),
                Some(ISSUER.to_owned()),
            ]
        })
        .collect()
}

/// One issued (or voided) statement, as an invoice.
#[derive(Debug, Clone)]
pub struct Invoice<'a> {
    pub statement: &'a Statement,
    /// `team/month/vN`, as the cost-and-usage rows carry it.
    pub invoice_id: String,
    pub issued_at: DateTime<Utc>,
    pub voided_at: Option<DateTime<Utc>>,
    /// The invoice each adjustment line corrects: the team's issued statement of the month
    /// the late usage belongs to, if there is one.
    pub corrects: Vec<(Month, String)>,
    /// The statement in the team's statement currency, as the cost-and-usage rows of the
    /// same InvoiceId bill it; `None` when it is billed in its own currency.
    pub conversion: Option<&'a ConvertedStatement>,
}

/// The Invoice Detail rows: every line of every invoice, zero amounts included.
pub fn invoice_details(invoices: &[Invoice<'_>], account_id: &str) -> Vec<Vec<Option<String>>> {
    let mut out = Vec::new();
    for inv in invoices {
        let s = inv.statement;
        let status = if inv.voided_at.is_some() {
            "Voided"
        } else {
            "Issued"
        };
        let updated = inv.voided_at.unwrap_or(inv.issued_at);
        let terms = match s.mode {
            Mode::Chargeback => "Internal chargeback",
            Mode::Showback => "Showback, not payable",
        };
        for (n, line) in s.lines.iter().enumerate() {
            let reference = line
                .belongs_to
                .filter(|_| line.kind == LineKind::Adjustment)
                .and_then(|m| inv.corrects.iter().find(|(c, _)| *c == m))
                .map(|(_, id)| id.clone())
                .unwrap_or_else(|| inv.invoice_id.clone());
            let mut grain = serde_json::Map::new();
            grain.insert("SubAccountId".into(), s.team.clone().into());
            if let Some(model) = &line.model {
                grain.insert("ServiceName".into(), model.clone().into());
            }
            if let (Some(p), Some(m), Some(c)) = (&line.provider, &line.model, line.token_class) {
                grain.insert("SkuId".into(), format!("{p}/{m}/{}", c.as_str()).into());
            }
            if let Some(r) = line.rate_per_million {
                grain.insert("x_RatePerMillion".into(), r.normalize().to_string().into());
            }
            // Billed as the cost-and-usage rows of the invoice are, so that they add up.
            let (amount, currency) = match inv.conversion {
                Some(c) => (
                    c.lines.get(n).map_or(line.amount, |l| l.converted),
                    c.currency.clone(),
                ),
                None => (line.amount, s.currency.clone()),
            };
            out.push(vec![
                Some(num(amount)),
                Some(account_id.to_owned()),
                Some(currency.clone()),
                Some(month_end(s.month)),
                Some(month_start(s.month)),
                Some(charge_category(line.kind, line.amount).to_owned()),
                Some(instant(inv.issued_at)),
                Some(line.description.clone()),
                Some(serde_json::Value::Object(grain).to_string()),
                Some(format!("{}/{}", inv.invoice_id, n + 1)),
                Some(instant(updated)),
                Some(inv.invoice_id.clone()),
                Some(instant(inv.issued_at)),
                Some(status.to_owned()),
                Some(ISSUER.to_owned()),
                Some(currency),
                None,
                Some(terms.to_owned()),
                Some(reference),
                Some(s.mode.as_str().to_owned()),
                Some(s.team.clone()),
            ]);
        }
    }
    out
}

/// FOCUS 1.3's Contract Commitment dataset: one row per commitment of the month. Its id is
/// the `ContractCommitmentId` (and `ResourceId`) of the commitment's shares in the
/// cost-and-usage rows, so the two join. tokentally keeps no contract apart from the
/// commitment, so a commitment is its own contract.
pub const CONTRACT_COMMITMENT_COLUMNS: &[&str] = &[
    "BillingCurrency",
    "ContractCommitmentCategory",
    "ContractCommitmentCost",
    "ContractCommitmentDescription",
    "ContractCommitmentId",
    "ContractCommitmentPeriodEnd",
    "ContractCommitmentPeriodStart",
    "ContractCommitmentQuantity",
    "ContractCommitmentType",
    "ContractCommitmentUnit",
    "ContractId",
    "ContractPeriodEnd",
    "ContractPeriodStart",
];

/// The id a commitment carries in every FOCUS dataset.
pub fn commitment_id(c: &Commitment) -> String {
    format!("commitment/{}/{}", c.label(), c.month)
}

/// The Contract Commitment rows: a month of capacity (tokens) bought for a fee.
pub fn contract_commitments(
    commitments: &[Commitment],
    currency: &str,
) -> Vec<Vec<Option<String>>> {
    commitments
        .iter()
        .map(|c| {
            let id = commitment_id(c);
            vec![
                Some(currency.to_owned()),
                Some("Usage".to_owned()),
                Some(num(c.fee)),
                Some(format!(
                    "{} tokens of {} for {}",
                    c.capacity_tokens,
                    c.label(),
                    c.month
                )),
                Some(id.clone()),
                Some(month_end(c.month)),
                Some(month_start(c.month)),
                Some(c.capacity_tokens.to_string()),
                Some("Reserved capacity".to_owned()),
                Some("Tokens".to_owned()),
                Some(id),
                Some(month_end(c.month)),
                Some(month_start(c.month)),
            ]
        })
        .collect()
}

fn num(d: Decimal) -> String {
    d.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_closed_month_is_closed_and_an_open_one_open() {
        let now: DateTime<Utc> = "2026-11-30T09:00:00Z".parse().unwrap();
        let closed: DateTime<Utc> = "2026-11-02T08:30:00Z".parse().unwrap();
        let rows = billing_periods(
            &[
                Period {
                    month: "2026-10".parse().unwrap(),
                    closed_at: Some(closed),
                },
                Period {
                    month: "2026-11".parse().unwrap(),
                    closed_at: None,
                },
            ],
            now,
        );
        assert_eq!(rows[0][4].as_deref(), Some("Closed"));
        assert_eq!(rows[0][2].as_deref(), Some("2026-11-02T08:30:00Z"));
        assert_eq!(rows[0][1].as_deref(), Some("2026-11-01T00:00:00Z"));
        assert_eq!(rows[1][4].as_deref(), Some("Open"));
        assert_eq!(rows[1][2].as_deref(), Some("2026-11-30T09:00:00Z"));
        assert_eq!(rows[0].len(), BILLING_PERIOD_COLUMNS.len());
    }
}
