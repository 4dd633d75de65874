//! Business transactions: what each feature produced this month, and a form to report a
//! count (reporting the same period, team, feature and name again replaces it).

use leptos::prelude::*;
use tokentally_domain::month::Month;

use crate::components::{
    Alert, Column, Csrf, DataTable, Field, FieldErrors, MonthPicker, Notice, Select,
};
use crate::format::{count, money};
use crate::shell::{Nav, Shell, Viewer, render};

#[derive(Debug, Clone)]
pub struct TransactionRow {
    pub period: String,
    pub team: String,
    pub feature: String,
    pub name: String,
    pub count: u64,
    /// The period's value (amount × count, or the total), with its currency; none without.
    pub value: Option<(rust_decimal::Decimal, String)>,
    /// How the value was given: `per transaction` or `total`.
    pub basis: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct TransactionForm {
    pub period: String,
    pub team: String,
    pub feature: String,
    pub name: String,
    pub count: String,
    pub value: String,
    pub value_basis: String,
    pub currency: String,
    /// The pasted CSV, kept when the file is refused.
    pub csv: String,
}

#[derive(Debug, Clone)]
pub struct TransactionsPage {
    pub month: Month,
    pub months: Vec<Month>,
    pub rows: Vec<TransactionRow>,
    pub form: TransactionForm,
    pub errors: FieldErrors,
    pub notice: Option<String>,
    /// The organisation's currency, the one a value may be in.
    pub currency: String,
}

#[component]
fn TransactionEntry(row: TransactionRow) -> impl IntoView {
    let feature = if row.feature.is_empty() {
        "(whole team)".to_owned()
    } else {
        row.feature
    };
    let value = row
        .value
        .map(|(v, c)| money(v, &c))
        .unwrap_or_else(|| "—".to_owned());
    let basis = row.basis.unwrap_or_default();
    view! {
        <tr>
            <td>{row.period}</td>
            <th scope="row">{row.team}</th>
            <td>{feature}</td>
            <td>{row.name}</td>
            <td class="num">{count(row.count)}</td>
            <td class="num">{value}</td>
            <td>{basis}</td>
        </tr>
    }
}

pub fn transactions_page(viewer: &Viewer, p: TransactionsPage) -> String {
    let TransactionsPage {
        month,
        months,
        rows,
        form: f,
        errors,
        notice,
        currency,
    } = p;
    let rows = rows
        .into_iter()
        .map(|row| view! { <TransactionEntry row/> })
        .collect_view();
    let general = errors.get("form").cloned();
    let error = move |name: &str| errors.get(name).cloned();
    let columns = vec![
        Column::text("Period"),
        Column::text("Team"),
        Column::text("Feature"),
        Column::text("What"),
        Column::num("Count"),
        Column::num("Value"),
        Column::text("Value given"),
    ];
    let basis_options = vec![
        (
            "per_transaction".to_owned(),
            "per transaction (× count)".to_owned(),
        ),
        ("total".to_owned(), "total for the period".to_owned()),
    ];
    let basis = if f.value_basis.is_empty() {
        "per_transaction".to_owned()
    } else {
        f.value_basis.clone()
    };
    let value_currency = if f.currency.is_empty() {
        currency.clone()
    } else {
        f.currency.clone()
    };
    let csv_help = format!(
        "Columns: period, team, feature, name, count, value, value_basis, currency (feature and the value columns may be empty; values in {currency}). One bad line refuses the whole file."
    );
    let csv_text = f.csv.clone();
    let title = format!("Business transactions · {month}");
    let viewer = viewer.clone();
    render(move || {
        view! {
            <Shell title="Transactions" viewer=Some(viewer.clone()) active=Nav::Transactions>
                <h1>{title}</h1>
                <MonthPicker action="/transactions" current=month months/>
                <p class="muted">"Counts of what features produce for the business (tickets resolved, documents summarised), and optionally what they are worth. The team and feature pages divide blended cost by the counts (cost per business transaction) and set the value against cost (margin, ROI). A count reported again for the same period, team, feature and name replaces the earlier one."</p>
                <Notice message=notice/>
                <DataTable id="transactions" columns>{rows}</DataTable>
                <h2>"Report a count"</h2>
                <Alert message=general/>
                <form method="post" action="/transactions" class="grid">
                    <Csrf token=viewer.csrf.clone()/>
                    <Field label="Period (YYYY-MM or YYYY-MM-DD)" name="period" value=f.period required=true error=error("period")/>
                    <Field label="Team" name="team" value=f.team required=true error=error("team")/>
                    <Field label="Feature (empty for the whole team)" name="feature" value=f.feature error=error("feature")/>
                    <Field label="What is counted" name="name" value=f.name required=true error=error("name")/>
                    <Field label="Count" name="count" kind="number" value=f.count required=true error=error("count")/>
                    <Field label="Value (revenue or benefit; optional)" name="value" value=f.value error=error("value")/>
                    <Select label="Value is" name="value_basis" options=basis_options selected=basis error=error("value_basis")/>
                    <Field label="Currency" name="currency" value=value_currency error=error("currency")/>
                    <button type="submit">"Save count"</button>
                </form>
                <h2>"Report many from CSV"</h2>
                <p class="muted">{csv_help}</p>
                <form method="post" action="/transactions/csv" class="grid">
                    <Csrf token=viewer.csrf/>
                    <label for="f-csv">"CSV"</label>
                    <textarea id="f-csv" name="csv" rows="6">{csv_text}</textarea>
                    <button type="submit">"Save all"</button>
                </form>
            </Shell>
        }
    })
}
