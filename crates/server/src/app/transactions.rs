//! Business transactions reported per team, feature and period, for cost per transaction,
//! with what they are worth, for value, margin and ROI. Reporting the same period, team,
//! feature and name again replaces the count and the value.

use serde::Deserialize;
use tokentally_domain::transaction::{
    BusinessTransactions, Period, TransactionValue, ValueBasis, parse_amount,
};

use super::{AppError, audit};
use crate::auth::{Capability, Principal};
use crate::state::AppState;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewTransactions {
    /// `YYYY-MM`, or a day `YYYY-MM-DD`; `month` and `day` are accepted as its other names.
    pub period: Option<String>,
    pub month: Option<String>,
    pub day: Option<String>,
    pub team: String,
    pub feature: Option<String>,
    pub name: String,
    pub count: u64,
    /// What the transactions are worth: a decimal string or number ≥ 0.
    #[serde(default)]
    pub value: Option<serde_json::Value>,
    /// `per_transaction` (the default: value × count) or `total` (the period's value).
    #[serde(default)]
    pub value_basis: Option<String>,
    /// The value's currency; the organisation's when absent, and no other is taken.
    #[serde(default)]
    pub currency: Option<String>,
}

/// Reads a value given as a JSON string or number (a number keeps its exact digits).
fn value_text(v: &serde_json::Value) -> Result<Option<String>, AppError> {
    match v {
        serde_json::Value::Null => Ok(None),
        serde_json::Value::String(s) if s.trim().is_empty() => Ok(None),
        serde_json::Value::String(s) => Ok(Some(s.clone())),
        serde_json::Value::Number(n) => Ok(Some(n.to_string())),
        other => Err(AppError::invalid(format!(
            "value `{other}` is not a decimal number"
        ))),
    }
}

impl NewTransactions {
    /// The report as a domain value; `org_currency` is the one currency a value may be in.
    pub fn into_domain(self, org_currency: &str) -> Result<BusinessTransactions, AppError> {
        let invalid =
            |e: tokentally_domain::transaction::TransactionError| AppError::invalid(e.to_string());
        let amount = match self.value.as_ref().map(value_text).transpose()?.flatten() {
            Some(text) => Some(parse_amount(&text).map_err(invalid)?),
            None => None,
        };
        let basis = self
            .value_basis
            .as_deref()
            .filter(|b| !b.trim().is_empty())
            .map(str::parse::<ValueBasis>)
            .transpose()
            .map_err(invalid)?;
        let currency = self
            .currency
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_owned);
        if amount.is_none() && (basis.is_some() || currency.is_some()) {
            return Err(AppError::invalid(
                "`value_basis` and `currency` describe a `value`: give the value too",
            ));
        }
        let value = amount.map(|amount| TransactionValue {
            amount,
            basis: basis.unwrap_or(ValueBasis::PerTransaction),
            currency: currency
                .unwrap_or_else(|| org_currency.to_owned())
                .to_ascii_uppercase(),
        });
        let period = match (self.period, self.month, self.day) {
            (Some(p), None, None) | (None, Some(p), None) | (None, None, Some(p)) => p,
            (None, None, None) => {
                return Err(AppError::invalid(
                    "give the period: `month` (YYYY-MM) or `day` (YYYY-MM-DD)",
                ));
            }
            _ => {
                return Err(AppError::invalid(
                    "give one of `period`, `month` or `day`, not several",
                ));
            }
        };
        let t = BusinessTransactions {
            period: period
                .parse::<Period>()
                .map_err(|e| AppError::invalid(e.to_string()))?,
            team: self.team.trim().to_owned(),
            feature: self.feature.unwrap_or_default().trim().to_owned(),
            name: self.name.trim().to_owned(),
            count: self.count,
            value,
        };
        t.validate().map_err(invalid)?;
        t.validate_currency(org_currency).map_err(invalid)?;
        Ok(t)
    }
}

/// Who may report a team's transactions: admin and finance for any team, a lead for theirs.
pub fn may_report(principal: &Principal, team: &str) -> Result<(), AppError> {
    principal.ensure(Capability::ReportTransactions)?;
    if principal.may_read_team(team) {
        Ok(())
    } else {
        Err(AppError::Forbidden(format!(
            "you may not report transactions for team `{team}`"
        )))
    }
}

/// Stores a report and audits it.
pub async fn record(
    state: &AppState,
    actor: &str,
    t: &BusinessTransactions,
) -> Result<(), AppError> {
    let before = state.store.set_transactions(t).await?;
    audit::record(
        &state.store,
        actor,
        "transactions.set",
        &format!(
            "transactions:{}:{}:{}:{}",
            t.period, t.team, t.feature, t.name
        ),
        before.as_ref(),
        Some(t),
    )
    .await?;
    Ok(())
}

/// The columns of a transactions CSV, in order; `feature`, `value`, `value_basis` and
/// `currency` may be empty.
pub const CSV_COLUMNS: [&str; 8] = [
    "period",
    "team",
    "feature",
    "name",
    "count",
    "value",
    "value_basis",
    "currency",
];

/// Parses a transactions CSV (a header row naming [`CSV_COLUMNS`], in any order; `month` is
/// taken for `period`). Every row must be valid and the principal must be allowed to report
/// for every team named: one bad row refuses the whole file, so nothing is half stored.
pub fn parse_csv(
    principal: &Principal,
    text: &str,
    org_currency: &str,
) -> Result<Vec<BusinessTransactions>, AppError> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(false)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| AppError::invalid(format!("the CSV has no header row: {e}")))?
        .iter()
        .map(|h| {
            let h = h.trim().to_ascii_lowercase();
            if h == "month" { "period".to_owned() } else { h }
        })
        .collect();
    for h in &headers {
        if !CSV_COLUMNS.contains(&h.as_str()) {
            return Err(AppError::invalid(format!(
                "unknown CSV column `{h}`; the columns are {}",
                CSV_COLUMNS.join(", ")
            )));
        }
    }
    for required in ["period", "team", "name", "count"] {
        if !headers.iter().any(|h| h == required) {
            return Err(AppError::invalid(format!(
                "the CSV needs a `{required}` column"
            )));
        }
    }
    let mut out = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let record = record.map_err(|e| AppError::invalid(format!("CSV line {line}: {e}")))?;
        let cell = |name: &str| {
            headers
                .iter()
                .position(|h| h == name)
                .and_then(|at| record.get(at))
                .map(str::to_owned)
                .filter(|s| !s.is_empty())
        };
        let at_line = |e: AppError| AppError::invalid(format!("CSV line {line}: {e}"));
        let count_text = cell("count").unwrap_or_default();
        let count = count_text.parse::<u64>().map_err(|_| {
            AppError::invalid(format!(
                "CSV line {line}: count `{count_text}` is not a whole number ≥ 0"
            ))
        })?;
        let t = NewTransactions {
            period: cell("period"),
            month: None,
            day: None,
            team: cell("team").unwrap_or_default(),
            feature: cell("feature"),
            name: cell("name").unwrap_or_default(),
            count,
            value: cell("value").map(serde_json::Value::String),
            value_basis: cell("value_basis"),
            currency: cell("currency"),
        }
        .into_domain(org_currency)
        .map_err(at_line)?;
        may_report(principal, &t.team).map_err(|e| match e {
            AppError::Forbidden(m) => AppError::Forbidden(format!("CSV line {line}: {m}")),
            other => other,
        })?;
        out.push(t);
    }
    if out.is_empty() {
        return Err(AppError::invalid("the CSV has no rows under its header"));
    }
    Ok(out)
}

/// Stores every report of a parsed CSV in one transaction, and audits each.
pub async fn record_all(
    state: &AppState,
    actor: &str,
    all: &[BusinessTransactions],
) -> Result<(), AppError> {
    state.store.set_transactions_all(all).await?;
    for t in all {
        audit::record(
            &state.store,
            actor,
            "transactions.set",
            &format!(
                "transactions:{}:{}:{}:{}",
                t.period, t.team, t.feature, t.name
            ),
            None::<&BusinessTransactions>,
            Some(t),
        )
        .await?;
    }
    Ok(())
}
