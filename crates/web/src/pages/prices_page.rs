//! Admin: price cards; add a card, or upload a LiteLLM price file.

use leptos::prelude::*;

use crate::components::form::{FieldErrors, csrf, field};
use crate::shell::{Nav, Viewer, document, render};

#[derive(Debug, Clone)]
pub struct CardRow {
    pub provider: String,
    pub model: String,
    pub effective_from: String,
    /// Per 1M tokens, formatted.
    pub input: String,
    pub cached_input: String,
    pub cache_write: String,
    pub output: String,
    pub extras: String,
    pub origin: String,
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

pub fn prices_page(viewer: &Viewer, p: PricesPage) -> String {
    let rows = p
        .cards
        .iter()
        .map(|c| {
            view! {
                <tr>
                    <th scope="row">{format!("{} / {}", c.provider, c.model)}</th>
                    <td>{c.effective_from.clone()}</td>
                    <td class="num">{c.input.clone()}</td><td class="num">{c.cached_input.clone()}</td><td class="num">{c.cache_write.clone()}</td><td class="num">{c.output.clone()}</td>
                    <td>{c.extras.clone()}</td><td>{c.origin.clone()}</td>
                </tr>
            }
        })
        .collect_view();
    let notice = p
        .notice
        .clone()
        .map(|n| view! { <p class="notice" role="status">{n}</p> });
    let general = p
        .errors
        .get("card")
        .cloned()
        .map(|e| view! { <p class="alert" role="alert">{e}</p> });
    let shown = format!("{} of {} cards", p.cards.len(), p.total);
    let f = &p.form;
    let body = render(view! {
        <h1>"Prices"</h1>
        {notice}
        <p class="muted">"Rates per 1,000,000 tokens. A card applies from its day until a later card for the same model; empty cached and cache-write rates fall back to input, reasoning to output."</p>
        <h2>"Add a card"</h2>
        {general}
        <form method="post" action="/admin/prices" class="grid">
            {csrf(&viewer.csrf)}
            {field("Provider", "provider", "text", f.provider.clone(), true, &p.errors)}
            {field("Model (or prefix*)", "model", "text", f.model.clone(), true, &p.errors)}
            {field("From (UTC day)", "effective_from", "date", f.effective_from.clone(), true, &p.errors)}
            {field("Input", "input", "text", f.input.clone(), true, &p.errors)}
            {field("Cached input", "cached_input", "text", f.cached_input.clone(), false, &p.errors)}
            {field("Cache write", "cache_write", "text", f.cache_write.clone(), false, &p.errors)}
            {field("Output", "output", "text", f.output.clone(), true, &p.errors)}
            {field("Reasoning", "reasoning", "text", f.reasoning.clone(), false, &p.errors)}
            <button type="submit">"Add card"</button>
        </form>
        <h2>"Upload a LiteLLM price file"</h2>
        <form method="post" action="/admin/prices/import" enctype="multipart/form-data" class="grid">
            {csrf(&viewer.csrf)}
            <label for="file">"model_prices_and_context_window.json"<input id="file" name="file" type="file" accept=".json,application/json" required/></label>
            <label for="import-from">"Changed rates from (UTC day)"<input id="import-from" name="effective_from" type="date"/></label>
            <button type="submit">"Import"</button>
        </form>
        <div class="section-head">
            <h2>"Cards"</h2>
            <form method="get" action="/admin/prices" class="month-picker">
                <label for="q">"Find"</label>
                <input id="q" name="q" value=p.query.clone() placeholder="provider or model"/>
                <button type="submit">"Find"</button>
            </form>
        </div>
        <p class="muted">{shown}</p>
        <table class="data" id="cards">
            <thead><tr><th scope="col">"Provider / model"</th><th scope="col">"From"</th><th scope="col" class="num">"Input"</th><th scope="col" class="num">"Cached"</th><th scope="col" class="num">"Cache write"</th><th scope="col" class="num">"Output"</th><th scope="col">"Tiers and long context"</th><th scope="col">"Source"</th></tr></thead>
            <tbody>{rows}</tbody>
        </table>
    });
    document("Prices", Some(viewer), Nav::Prices, body)
}
