//! Business transactions: what each feature produced this month, and a form to report a
//! count (reporting the same period, team, feature and name again replaces it).

use leptos::prelude::*;
use tokentally_domain::month::Month;

use crate::components::{Alert, Column, Csrf, DataTable, Field, FieldErrors, MonthPicker, Notice};
use crate::format::count;
use crate::shell::{Nav, Shell, Viewer, render};

#[derive(Debug, Clone)]
pub struct TransactionRow {
    pub period: String,
    pub team: String,
    pub feature: String,
    pub name: String,
    pub count: u64,
}

#[derive(Debug, Clone, Default)]
pub struct TransactionForm {
    pub period: String,
    pub team: String,
    pub feature: String,
    pub name: String,
    pub count: String,
}

#[derive(Debug, Clone)]
pub struct TransactionsPage {
    pub month: Month,
    pub months: Vec<Month>,
    pub rows: Vec<TransactionRow>,
    pub form: TransactionForm,
    pub errors: FieldErrors,
    pub notice: Option<String>,
}

#[component]
fn TransactionEntry(row: TransactionRow) -> impl IntoView {
    let feature = if row.feature.is_empty() {
        "(whole team)".to_owned()
    } else {
        row.feature
    };
    view! {
        <tr>
            <td>{row.period}</td>
            <th scope="row">{row.team}</th>
            <td>{feature}</td>
            <td>{row.name}</td>
            <td class="num">{count(row.count)}</td>
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
    ];
    let title = format!("Business transactions · {month}");
    let viewer = viewer.clone();
    render(move || {
        view! {
            <Shell title="Transactions" viewer=Some(viewer.clone()) active=Nav::Transactions>
                <h1>{title}</h1>
                <MonthPicker action="/transactions" current=month months/>
                <p class="muted">"Counts of what features produce for the business (tickets resolved, documents summarised). The team and feature pages divide blended cost by them: cost per business transaction. A count reported again for the same period, team, feature and name replaces the earlier one."</p>
                <Notice message=notice/>
                <DataTable id="transactions" columns>{rows}</DataTable>
                <h2>"Report a count"</h2>
                <Alert message=general/>
                <form method="post" action="/transactions" class="grid">
                    <Csrf token=viewer.csrf/>
                    <Field label="Period (YYYY-MM or YYYY-MM-DD)" name="period" value=f.period required=true error=error("period")/>
                    <Field label="Team" name="team" value=f.team required=true error=error("team")/>
                    <Field label="Feature (empty for the whole team)" name="feature" value=f.feature error=error("feature")/>
                    <Field label="What is counted" name="name" value=f.name required=true error=error("name")/>
                    <Field label="Count" name="count" kind="number" value=f.count required=true error=error("count")/>
                    <button type="submit">"Save count"</button>
                </form>
            </Shell>
        }
    })
}
