//! Costs beyond tokens, for finance and admins: the month's blended cost per team (token cost,
//! each overhead category, commitments), and the forms that set overheads (with a copy of
//! last month's), commitments and negotiated discounts.

use leptos::prelude::*;
use rust_decimal::Decimal;
use tokentally_domain::month::Month;

use crate::components::form::{FieldErrors, csrf, field, select};
use crate::components::month_picker;
use crate::format::{count, money};
use crate::shell::{Nav, Viewer, document, render};

/// One team's row of the blended-cost view.
#[derive(Debug, Clone)]
pub struct BlendedRow {
    pub team: String,
    pub token_cost: Decimal,
    /// Per overhead category, in the page's column order.
    pub overheads: Vec<Decimal>,
    pub commitment: Decimal,
    pub blended_cost: Decimal,
}

#[derive(Debug, Clone)]
pub struct OverheadRow {
    pub category: String,
    pub amount: Decimal,
    /// "proportional", "even", "fixed: a 2, b 1", "direct: search".
    pub allocation: String,
}

#[derive(Debug, Clone)]
pub struct CommitmentRow {
    pub label: String,
    pub fee: Decimal,
    pub capacity_tokens: u64,
    pub used_tokens: u64,
    pub utilisation: Decimal,
    pub underused: bool,
    pub idle: Decimal,
}

#[derive(Debug, Clone)]
pub struct DiscountRow {
    pub provider: String,
    pub percent: Decimal,
    pub effective_from: String,
}

/// What the forms held when they came back invalid.
#[derive(Debug, Clone, Default)]
pub struct CostForms {
    pub category: String,
    pub amount: String,
    pub allocation: String,
    pub team: String,
    pub shares: String,
    pub provider: String,
    pub model: String,
    pub fee: String,
    pub capacity_tokens: String,
    pub utilisation_floor: String,
    pub discount_provider: String,
    pub percent: String,
    pub effective_from: String,
}

#[derive(Debug, Clone)]
pub struct CostsPage {
    pub month: Month,
    pub months: Vec<Month>,
    pub currency: String,
    pub categories: Vec<String>,
    pub teams: Vec<BlendedRow>,
    pub idle_commitment: Decimal,
    pub org_total: Decimal,
    pub overheads: Vec<OverheadRow>,
    /// Overheads recorded for the month before, which "copy" would bring over.
    pub previous_overheads: usize,
    pub commitments: Vec<CommitmentRow>,
    pub discounts: Vec<DiscountRow>,
    pub forms: CostForms,
    pub errors: FieldErrors,
    pub notice: Option<String>,
}

fn blended_table(p: &CostsPage) -> impl IntoView + use<> {
    let cur = p.currency.clone();
    let heads = p
        .categories
        .iter()
        .map(|c| view! { <th scope="col" class="num">{c.clone()}</th> })
        .collect_view();
    let rows = p
        .teams
        .iter()
        .map(|t| {
            let cells = t
                .overheads
                .iter()
                .map(|o| view! { <td class="num">{money(*o, &cur)}</td> })
                .collect_view();
            view! {
                <tr>
                    <th scope="row">{t.team.clone()}</th>
                    <td class="num">{money(t.token_cost, &cur)}</td>
                    {cells}
                    <td class="num">{money(t.commitment, &cur)}</td>
                    <td class="num strong">{money(t.blended_cost, &cur)}</td>
                </tr>
            }
        })
        .collect_view();
    let span = p.categories.len() + 2;
    let idle = money(p.idle_commitment, &cur);
    let total = money(p.org_total, &cur);
    view! {
        <table class="data" id="blended">
            <caption>"Blended cost per team: token cost, each overhead category and commitment shares"</caption>
            <thead><tr><th scope="col">"Team"</th><th scope="col" class="num">"Token cost"</th>{heads}<th scope="col" class="num">"Commitments"</th><th scope="col" class="num">"Blended"</th></tr></thead>
            <tbody>{rows}</tbody>
            <tfoot>
                <tr><th scope="row">"Idle commitment"</th><td colspan=span></td><td class="num">{idle}</td></tr>
                <tr><th scope="row">"Organisation total"</th><td colspan=span></td><td class="num strong">{total}</td></tr>
            </tfoot>
        </table>
    }
}

fn overheads_section(viewer: &Viewer, p: &CostsPage) -> impl IntoView + use<> {
    let cur = p.currency.clone();
    let rows = p
        .overheads
        .iter()
        .map(|o| view! { <tr><th scope="row">{o.category.clone()}</th><td class="num">{money(o.amount, &cur)}</td><td>{o.allocation.clone()}</td></tr> })
        .collect_view();
    let f = &p.forms;
    let methods = ["proportional", "even", "fixed", "direct"]
        .iter()
        .map(|m| (m.to_string(), m.to_string()))
        .collect();
    let copy = (p.previous_overheads > 0).then(|| {
        let label = format!(
            "Copy {} overhead categories from last month",
            p.previous_overheads
        );
        let month = p.month.to_string();
        let token = viewer.csrf.clone();
        view! {
            <form method="post" action="/costs/overheads/copy" class="inline">
                <input type="hidden" name="csrf" value=token/>
                <input type="hidden" name="month" value=month/>
                <button type="submit" class="secondary">{label}</button>
            </form>
        }
    });
    let month = p.month.to_string();
    view! {
        <h2 id="overheads-title">"Overheads"</h2>
        <table class="data" id="overheads">
            <thead><tr><th scope="col">"Category"</th><th scope="col" class="num">"Amount"</th><th scope="col">"Allocation"</th></tr></thead>
            <tbody>{rows}</tbody>
        </table>
        {copy}
        <form method="post" action="/costs/overheads" class="grid">
            {csrf(&viewer.csrf)}
            <input type="hidden" name="month" value=month/>
            {field("Category", "category", "text", f.category.clone(), true, &p.errors)}
            {field("Amount", "amount", "text", f.amount.clone(), true, &p.errors)}
            {select("Allocation", "allocation", methods, &f.allocation, &p.errors)}
            {field("Team (direct)", "team", "text", f.team.clone(), false, &p.errors)}
            {field("Shares (fixed), e.g. search 2, support 1", "shares", "text", f.shares.clone(), false, &p.errors)}
            <button type="submit">"Save overhead"</button>
        </form>
    }
}

fn commitments_section(viewer: &Viewer, p: &CostsPage) -> impl IntoView + use<> {
    let cur = p.currency.clone();
    let rows = p
        .commitments
        .iter()
        .map(|c| {
            let flag = c
                .underused
                .then(|| view! { <span class="badge warn">"under-used"</span> });
            view! {
                <tr>
                    <th scope="row">{c.label.clone()}</th>
                    <td class="num">{money(c.fee, &cur)}</td>
                    <td class="num">{count(c.capacity_tokens)}</td>
                    <td class="num">{count(c.used_tokens)}</td>
                    <td class="num">{format!("{}%", c.utilisation)}" "{flag}</td>
                    <td class="num">{money(c.idle, &cur)}</td>
                </tr>
            }
        })
        .collect_view();
    let f = &p.forms;
    let month = p.month.to_string();
    view! {
        <h2>"Commitments"</h2>
        <p class="muted">"Capacity bought ahead for a model. The used part of the fee is shared by the teams that used the model, in proportion to their tokens; the rest is idle."</p>
        <table class="data" id="commitments">
            <thead><tr><th scope="col">"Model"</th><th scope="col" class="num">"Fee"</th><th scope="col" class="num">"Capacity (tokens)"</th><th scope="col" class="num">"Used"</th><th scope="col" class="num">"Utilisation"</th><th scope="col" class="num">"Idle"</th></tr></thead>
            <tbody>{rows}</tbody>
        </table>
        <form method="post" action="/costs/commitments" class="grid">
            {csrf(&viewer.csrf)}
            <input type="hidden" name="month" value=month/>
            {field("Provider", "provider", "text", f.provider.clone(), true, &p.errors)}
            {field("Model", "model", "text", f.model.clone(), true, &p.errors)}
            {field("Monthly fee", "fee", "text", f.fee.clone(), true, &p.errors)}
            {field("Capacity (tokens)", "capacity_tokens", "number", f.capacity_tokens.clone(), true, &p.errors)}
            {field("Flag under utilisation (%)", "utilisation_floor", "text", f.utilisation_floor.clone(), false, &p.errors)}
            <button type="submit">"Save commitment"</button>
        </form>
    }
}

fn discounts_section(viewer: &Viewer, p: &CostsPage) -> impl IntoView + use<> {
    let rows = p
        .discounts
        .iter()
        .map(|d| view! { <tr><th scope="row">{d.provider.clone()}</th><td class="num">{format!("{}%", d.percent)}</td><td>{d.effective_from.clone()}</td></tr> })
        .collect_view();
    let f = &p.forms;
    let month = p.month.to_string();
    view! {
        <h2>"Negotiated discounts"</h2>
        <p class="muted">"A percentage off a provider's list prices from a day on. Showback charges the effective cost; list cost stays visible."</p>
        <table class="data" id="discounts">
            <thead><tr><th scope="col">"Provider"</th><th scope="col" class="num">"Discount"</th><th scope="col">"From"</th></tr></thead>
            <tbody>{rows}</tbody>
        </table>
        <form method="post" action="/costs/discounts" class="grid">
            {csrf(&viewer.csrf)}
            <input type="hidden" name="month" value=month/>
            {field("Provider", "discount_provider", "text", f.discount_provider.clone(), true, &p.errors)}
            {field("Percent off", "percent", "text", f.percent.clone(), true, &p.errors)}
            {field("From (YYYY-MM-DD)", "effective_from", "date", f.effective_from.clone(), true, &p.errors)}
            <button type="submit">"Save discount"</button>
        </form>
    }
}

pub fn costs_page(viewer: &Viewer, p: CostsPage) -> String {
    let notice = p
        .notice
        .clone()
        .map(|n| view! { <p class="notice" role="status">{n}</p> });
    let general = p
        .errors
        .get("form")
        .cloned()
        .map(|e| view! { <p class="alert" role="alert">{e}</p> });
    let picker = month_picker("/costs", p.month, &p.months);
    let title = format!("Costs beyond tokens · {}", p.month);
    let body = render(view! {
        <h1>{title}</h1>
        {picker}
        {notice}
        {general}
        {blended_table(&p)}
        {overheads_section(viewer, &p)}
        {commitments_section(viewer, &p)}
        {discounts_section(viewer, &p)}
    });
    document("Costs", Some(viewer), Nav::Costs, body)
}
