//! Business transactions: what each feature produced this month, and a form to report a
//! count (reporting the same period, team, feature and name again replaces it).

use leptos::prelude::*;
use tokentally_domain::month::Month;

use crate::components::form::{FieldErrors, csrf, field};
use crate::components::month_picker;
use crate::format::count;
use crate::shell::{Nav, Viewer, document, render};

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

pub fn transactions_page(viewer: &Viewer, p: TransactionsPage) -> String {
    let rows = p
        .rows
        .iter()
        .map(|t| {
            let feature = if t.feature.is_empty() {
                "(whole team)".to_owned()
            } else {
                t.feature.clone()
            };
            view! { <tr><td>{t.period.clone()}</td><th scope="row">{t.team.clone()}</th><td>{feature}</td><td>{t.name.clone()}</td><td class="num">{count(t.count)}</td></tr> }
        })
        .collect_view();
    let notice = p
        .notice
        .clone()
        .map(|n| view! { <p class="notice" role="status">{n}</p> });
    let general = p
        .errors
        .get("form")
        .cloned()
        .map(|e| view! { <p class="alert" role="alert">{e}</p> });
    let f = &p.form;
    let title = format!("Business transactions · {}", p.month);
    let picker = month_picker("/transactions", p.month, &p.months);
    let body = render(view! {
        <h1>{title}</h1>
        {picker}
        <p class="muted">"Counts of what features produce for the business (tickets resolved, documents summarised). The team and feature pages divide blended cost by them: cost per business transaction. A count reported again for the same period, team, feature and name replaces the earlier one."</p>
        {notice}
        <table class="data" id="transactions">
            <thead><tr><th scope="col">"Period"</th><th scope="col">"Team"</th><th scope="col">"Feature"</th><th scope="col">"What"</th><th scope="col" class="num">"Count"</th></tr></thead>
            <tbody>{rows}</tbody>
        </table>
        <h2>"Report a count"</h2>
        {general}
        <form method="post" action="/transactions" class="grid">
            {csrf(&viewer.csrf)}
            {field("Period (YYYY-MM or YYYY-MM-DD)", "period", "text", f.period.clone(), true, &p.errors)}
            {field("Team", "team", "text", f.team.clone(), true, &p.errors)}
            {field("Feature (empty for the whole team)", "feature", "text", f.feature.clone(), false, &p.errors)}
            {field("What is counted", "name", "text", f.name.clone(), true, &p.errors)}
            {field("Count", "count", "number", f.count.clone(), true, &p.errors)}
            <button type="submit">"Save count"</button>
        </form>
    });
    document("Transactions", Some(viewer), Nav::Transactions, body)
}
