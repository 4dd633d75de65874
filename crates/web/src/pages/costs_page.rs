//! Costs beyond tokens, for finance and admins: the month's blended cost per team (token cost,
//! each overhead category, commitments), and the forms that set overheads (with a copy of
//! last month's), commitments, negotiated discounts and the month's exchange rates.

use chrono::NaiveDate;
use leptos::prelude::*;
use rust_decimal::Decimal;
use tokentally_domain::month::Month;

use crate::components::{
    Alert, Choices, Column, Csrf, DataTable, Field, FieldErrors, Hidden, InlineForms, MonthPicker,
    Notice, Select,
};
use crate::format::{count, money};
use crate::shell::{Nav, Shell, Viewer, render};

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
    pub effective_from: NaiveDate,
}

/// An exchange rate for the month: 1 `base` = `rate` `quote`, and where it comes from.
#[derive(Debug, Clone)]
pub struct FxRateRow {
    pub base: String,
    pub quote: String,
    pub rate: Decimal,
    pub source: String,
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
    pub fx_base: String,
    pub fx_quote: String,
    pub fx_rate: String,
    pub fx_source: String,
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
    /// The month's exchange rates.
    pub fx_rates: Vec<FxRateRow>,
    /// Whether the month is closed (its rates can no longer change).
    pub closed: bool,
    pub forms: CostForms,
    pub errors: FieldErrors,
    pub notice: Option<String>,
    /// The teams that exist, for the team fields to choose from.
    pub team_names: Vec<String>,
}

/// Reads a field's message from a form's errors.
fn error_of(errors: &FieldErrors) -> impl Fn(&str) -> Option<String> + use<'_> {
    move |name| errors.get(name).cloned()
}

#[component]
fn BlendedEntry(team: BlendedRow, currency: String) -> impl IntoView {
    let cells = team
        .overheads
        .iter()
        .map(|o| view! { <td class="num">{money(*o, &currency)}</td> })
        .collect_view();
    view! {
        <tr>
            <th scope="row">{team.team}</th>
            <td class="num">{money(team.token_cost, &currency)}</td>
            {cells}
            <td class="num">{money(team.commitment, &currency)}</td>
            <td class="num strong">{money(team.blended_cost, &currency)}</td>
        </tr>
    }
}

fn blended_table(p: &CostsPage) -> impl IntoView + use<> {
    let cur = p.currency.clone();
    let columns = [Column::text("Team"), Column::num("Token cost")]
        .into_iter()
        .chain(p.categories.iter().map(Column::num))
        .chain([Column::num("Commitments"), Column::num("Blended")])
        .collect::<Vec<_>>();
    let rows = p
        .teams
        .iter()
        .map(|team| view! { <BlendedEntry team=team.clone() currency=cur.clone()/> })
        .collect_view();
    let span = p.categories.len() + 2;
    let idle = money(p.idle_commitment, &cur);
    let total = money(p.org_total, &cur);
    let foot = view! {
        <tr><th scope="row">"Idle commitment"</th><td colspan=span></td><td class="num">{idle}</td></tr>
        <tr><th scope="row">"Organisation total"</th><td colspan=span></td><td class="num strong">{total}</td></tr>
    };
    view! {
        <DataTable
            id="blended"
            caption="Blended cost per team: token cost, each overhead category and commitment shares"
            columns
            foot=foot.into_any()
        >
            {rows}
        </DataTable>
    }
}

fn overheads_section(viewer: &Viewer, p: &CostsPage) -> impl IntoView + use<> {
    let cur = p.currency.clone();
    let rows = p
        .overheads
        .iter()
        .map(|o| view! { <tr><th scope="row">{o.category.clone()}</th><td class="num">{money(o.amount, &cur)}</td><td>{o.allocation.clone()}</td></tr> })
        .collect_view();
    let f = p.forms.clone();
    let error = error_of(&p.errors);
    let methods = ["proportional", "even", "fixed", "direct"]
        .iter()
        .map(|m| (m.to_string(), m.to_string()))
        .collect();
    let copy = (p.previous_overheads > 0).then(|| {
        let label = format!(
            "Copy {} overhead categories from last month",
            p.previous_overheads
        );
        view! {
            <form method="post" action="/costs/overheads/copy" class="inline">
                <Csrf token=viewer.csrf.clone()/>
                <Hidden name="month" value=p.month.to_string()/>
                <button type="submit" class="secondary">{label}</button>
            </form>
        }
    });
    let columns = vec![
        Column::text("Category"),
        Column::num("Amount"),
        Column::text("Allocation"),
    ];
    view! {
        <h2 id="overheads-title">"Overheads"</h2>
        <DataTable id="overheads" columns>{rows}</DataTable>
        {copy}
        <form method="post" action="/costs/overheads" class="grid">
            <Csrf token=viewer.csrf.clone()/>
            <Hidden name="month" value=p.month.to_string()/>
            <Field label="Category" name="category" value=f.category required=true error=error("category")/>
            <Field label="Amount" name="amount" value=f.amount required=true error=error("amount")/>
            <Select label="Allocation" name="allocation" options=methods selected=f.allocation error=error("allocation")/>
            <Choices id="team-names" values=p.team_names.clone()/>
            <Field label="Team (direct)" name="team" value=f.team error=error("team") list="team-names"/>
            <Field label="Shares (fixed), e.g. search 2, support 1" name="shares" value=f.shares error=error("shares")/>
            <button type="submit">"Save overhead"</button>
        </form>
    }
}

#[component]
fn CommitmentEntry(commitment: CommitmentRow, currency: String) -> impl IntoView {
    let c = commitment;
    let flag = c
        .underused
        .then(|| view! { <span class="badge warn">"under-used"</span> });
    view! {
        <tr>
            <th scope="row">{c.label}</th>
            <td class="num">{money(c.fee, &currency)}</td>
            <td class="num">{count(c.capacity_tokens)}</td>
            <td class="num">{count(c.used_tokens)}</td>
            <td class="num">{format!("{}%", c.utilisation)}" "{flag}</td>
            <td class="num">{money(c.idle, &currency)}</td>
        </tr>
    }
}

fn commitments_section(viewer: &Viewer, p: &CostsPage) -> impl IntoView + use<> {
    let rows = p
        .commitments
        .iter()
        .map(|c| view! { <CommitmentEntry commitment=c.clone() currency=p.currency.clone()/> })
        .collect_view();
    let f = p.forms.clone();
    let error = error_of(&p.errors);
    let columns = vec![
        Column::text("Model"),
        Column::num("Fee"),
        Column::num("Capacity (tokens)"),
        Column::num("Used"),
        Column::num("Utilisation"),
        Column::num("Idle"),
    ];
    view! {
        <h2>"Commitments"</h2>
        <p class="muted">"Capacity bought ahead for a model. The used part of the fee is shared by the teams that used the model, in proportion to their tokens; the rest is idle."</p>
        <DataTable id="commitments" columns>{rows}</DataTable>
        <form method="post" action="/costs/commitments" class="grid">
            <Csrf token=viewer.csrf.clone()/>
            <Hidden name="month" value=p.month.to_string()/>
            <Field label="Provider" name="provider" value=f.provider required=true error=error("provider")/>
            <Field label="Model" name="model" value=f.model required=true error=error("model")/>
            <Field label="Monthly fee" name="fee" value=f.fee required=true error=error("fee")/>
            <Field label="Capacity (tokens)" name="capacity_tokens" kind="number" value=f.capacity_tokens required=true error=error("capacity_tokens")/>
            <Field label="Flag under utilisation (%)" name="utilisation_floor" value=f.utilisation_floor error=error("utilisation_floor")/>
            <button type="submit">"Save commitment"</button>
        </form>
    }
}

fn discounts_section(viewer: &Viewer, p: &CostsPage) -> impl IntoView + use<> {
    let rows = p
        .discounts
        .iter()
        .map(|d| view! { <tr><th scope="row">{d.provider.clone()}</th><td class="num">{format!("{}%", d.percent)}</td><td>{d.effective_from.to_string()}</td></tr> })
        .collect_view();
    let f = p.forms.clone();
    let error = error_of(&p.errors);
    let columns = vec![
        Column::text("Provider"),
        Column::num("Discount"),
        Column::text("From"),
    ];
    view! {
        <h2>"Negotiated discounts"</h2>
        <p class="muted">"A percentage off a provider's list prices from a day on. Showback charges the effective cost; list cost stays visible."</p>
        <DataTable id="discounts" columns>{rows}</DataTable>
        <form method="post" action="/costs/discounts" class="grid">
            <Csrf token=viewer.csrf.clone()/>
            <Hidden name="month" value=p.month.to_string()/>
            <Field label="Provider" name="discount_provider" value=f.discount_provider required=true error=error("discount_provider")/>
            <Field label="Percent off" name="percent" value=f.percent required=true error=error("percent")/>
            <Field label="From (YYYY-MM-DD)" name="effective_from" kind="date" value=f.effective_from required=true error=error("effective_from")/>
            <button type="submit">"Save discount"</button>
        </form>
    }
}

fn fx_section(viewer: &Viewer, p: &CostsPage) -> impl IntoView + use<> {
    let rows = p
        .fx_rates
        .iter()
        .map(|r| view! { <tr><th scope="row">{format!("{} → {}", r.base, r.quote)}</th><td class="num">{r.rate.to_string()}</td><td>{r.source.clone()}</td></tr> })
        .collect_view();
    let f = p.forms.clone();
    let error = error_of(&p.errors);
    let columns = vec![
        Column::text("Currencies"),
        Column::num("Rate"),
        Column::text("Source"),
    ];
    let base = if f.fx_base.is_empty() {
        p.currency.clone()
    } else {
        f.fx_base.clone()
    };
    let form = (!p.closed).then(|| {
        view! {
            <form method="post" action="/costs/fx-rates" class="grid">
                <Csrf token=viewer.csrf.clone()/>
                <Hidden name="month" value=p.month.to_string()/>
                <Field label="From (ISO 4217)" name="fx_base" value=base required=true error=error("fx_base")/>
                <Field label="To (ISO 4217)" name="fx_quote" value=f.fx_quote required=true error=error("fx_quote")/>
                <Field label="Rate (1 from = rate to)" name="fx_rate" value=f.fx_rate required=true error=error("fx_rate")/>
                <Field label="Source" name="fx_source" value=f.fx_source required=true error=error("fx_source")/>
                <button type="submit">"Save rate"</button>
            </form>
        }
    });
    let closed = p.closed.then(|| {
        view! { <p class="muted">"The month is closed: its statements were converted at these rates, which stay."</p> }
    });
    view! {
        <h2>"Exchange rates"</h2>
        <p class="muted">"One rate per currency pair for the month, with its source. Statements stay in the billing currency; a team billed in another currency sees its statement converted at the month's rate."</p>
        <DataTable id="fx-rates" columns>{rows}</DataTable>
        {closed}
        {form}
    }
}

pub fn costs_page(viewer: &Viewer, p: CostsPage) -> String {
    let general = p.errors.get("form").cloned();
    let title = format!("Costs beyond tokens · {}", p.month);
    let blended = blended_table(&p);
    let overheads = overheads_section(viewer, &p);
    let commitments = commitments_section(viewer, &p);
    let discounts = discounts_section(viewer, &p);
    let fx = fx_section(viewer, &p);
    let CostsPage {
        month,
        months,
        notice,
        ..
    } = p;
    let viewer = viewer.clone();
    render(move || {
        view! {
            <Shell title="Costs" viewer=Some(viewer) active=Nav::Costs>
                <h1>{title}</h1>
                <MonthPicker action="/costs" current=month months/>
                <Notice message=notice/>
                <Alert message=general/>
                {blended}
                <InlineForms>{overheads}</InlineForms>
                <InlineForms>{commitments}</InlineForms>
                <InlineForms>{discounts}</InlineForms>
                <InlineForms>{fx}</InlineForms>
            </Shell>
        }
    })
}
