//! Admin: price cards; add a card, or upload a LiteLLM price file.

use chrono::NaiveDate;
use leptos::prelude::*;

use crate::components::{Alert, Column, Csrf, DataTable, Field, FieldErrors, Notice};
use crate::money::Money;
use crate::shell::{Nav, Shell, Viewer, render};

#[derive(Debug, Clone)]
pub struct CardRow {
    pub provider: String,
    pub model: String,
    pub effective_from: NaiveDate,
    /// Per 1,000,000 tokens; `None` where the card leaves the rate empty.
    pub input: Option<Money>,
    pub cached_input: Option<Money>,
    pub cache_write: Option<Money>,
    pub output: Option<Money>,
    /// Service tiers the card prices (`batch`, `flex`).
    pub tiers: Vec<String>,
    /// Input tokens above which long-context rates apply.
    pub long_context_above: Option<u64>,
    pub origin: String,
}

/// A rate at its full precision, or a dash where the card has none.
fn rate(r: Option<Money>) -> String {
    r.map_or_else(
        || "–".to_owned(),
        |m| crate::format::rate(m.amount, &m.currency),
    )
}

/// Tiers and the long-context threshold: `batch, above 128k`.
fn extras(card: &CardRow) -> String {
    card.tiers
        .iter()
        .cloned()
        .chain(
            card.long_context_above
                .map(|t| format!("above {}k", t / 1000)),
        )
        .collect::<Vec<_>>()
        .join(", ")
}

#[derive(Debug, Clone, Default)]
pub struct CardForm {
    pub provider: String,
    pub model: String,
    pub effective_from: String,
    pub input: String,
    pub cached_input: String,
    pub cache_write: String,
    pub output: String,
    pub reasoning: String,
}

#[derive(Debug, Clone)]
pub struct PricesPage {
    pub query: String,
    pub total: usize,
    pub cards: Vec<CardRow>,
    pub form: CardForm,
    pub errors: FieldErrors,
    pub notice: Option<String>,
}

#[component]
fn PriceCardEntry(card: CardRow) -> impl IntoView {
    let extras = extras(&card);
    view! {
        <tr>
            <th scope="row">{format!("{} / {}", card.provider, card.model)}</th>
            <td>{card.effective_from.to_string()}</td>
            <td class="num">{rate(card.input)}</td>
            <td class="num">{rate(card.cached_input)}</td>
            <td class="num">{rate(card.cache_write)}</td>
            <td class="num">{rate(card.output)}</td>
            <td>{extras}</td>
            <td>{card.origin}</td>
        </tr>
    }
}

fn columns() -> Vec<Column> {
    vec![
        Column::text("Provider / model"),
        Column::text("From"),
        Column::num("Input"),
        Column::num("Cached"),
        Column::num("Cache write"),
        Column::num("Output"),
        Column::text("Tiers and long context"),
        Column::text("Source"),
    ]
}

#[component]
fn AddCardForm(csrf: String, form: CardForm, errors: FieldErrors) -> impl IntoView {
    let error = move |name: &str| errors.get(name).cloned();
    view! {
        <form method="post" action="/admin/prices" class="grid">
            <Csrf token=csrf/>
            <Field label="Provider" name="provider" value=form.provider required=true error=error("provider")/>
            <Field label="Model (or prefix*)" name="model" value=form.model required=true error=error("model")/>
            <Field label="From (UTC day)" name="effective_from" kind="date" value=form.effective_from required=true error=error("effective_from")/>
            <Field label="Input" name="input" value=form.input required=true error=error("input")/>
            <Field label="Cached input" name="cached_input" value=form.cached_input error=error("cached_input")/>
            <Field label="Cache write" name="cache_write" value=form.cache_write error=error("cache_write")/>
            <Field label="Output" name="output" value=form.output required=true error=error("output")/>
            <Field label="Reasoning" name="reasoning" value=form.reasoning error=error("reasoning")/>
            <button type="submit">"Add card"</button>
        </form>
    }
}

pub fn prices_page(viewer: &Viewer, p: PricesPage) -> String {
    let PricesPage {
        query,
        total,
        cards,
        form,
        errors,
        notice,
    } = p;
    let shown = format!("{} of {total} cards", cards.len());
    let rows = cards
        .into_iter()
        .map(|card| view! { <PriceCardEntry card/> })
        .collect_view();
    let general = errors.get("card").cloned();
    let viewer = viewer.clone();
    render(move || {
        view! {
            <Shell title="Prices" viewer=Some(viewer.clone()) active=Nav::Prices>
                <h1>"Prices"</h1>
                <Notice message=notice/>
                <p class="muted">"Rates per 1,000,000 tokens. A card applies from its day until a later card for the same model; empty cached and cache-write rates fall back to input, reasoning to output."</p>
                <h2>"Add a card"</h2>
                <Alert message=general/>
                <AddCardForm csrf=viewer.csrf.clone() form errors/>
                <h2>"Upload a LiteLLM price file"</h2>
                <form method="post" action="/admin/prices/import" enctype="multipart/form-data" class="grid">
                    <Csrf token=viewer.csrf/>
                    <label for="file">"model_prices_and_context_window.json"<input id="file" name="file" type="file" accept=".json,application/json" required/></label>
                    <label for="import-from">"Changed rates from (UTC day)"<input id="import-from" name="effective_from" type="date"/></label>
                    <button type="submit">"Import"</button>
                </form>
                <div class="section-head">
                    <h2>"Cards"</h2>
                    <form method="get" action="/admin/prices" class="month-picker">
                        <label for="q">"Find"</label>
                        <input id="q" name="q" value=query placeholder="provider or model"/>
                        <button type="submit">"Find"</button>
                    </form>
                </div>
                <p class="muted">{shown}</p>
                <DataTable id="cards" columns=columns()>{rows}</DataTable>
            </Shell>
        }
    })
}
