//! Admin: every API key seen in usage, unmapped first, and the form that maps a key.

use leptos::prelude::*;
use rust_decimal::Decimal;
use tokentally_domain::month::Month;

use super::showback_page::urlencode;
use crate::components::form::{FieldErrors, csrf, field};
use crate::format::{count, money};
use crate::shell::{Nav, Viewer, document, render};

#[derive(Debug, Clone)]
pub struct KeyRow {
    pub api_key: String,
    /// The mapping in force today, if any: team / feature / environment.
    pub owner: Option<String>,
    /// How this month's spend was attributed (key mapping, tag, rule, unallocated).
    pub basis: String,
    pub cost: Decimal,
    pub unallocated: Decimal,
    pub requests: u64,
    pub last_day: String,
}

/// What the map form holds (after a failed post, what was typed).
#[derive(Debug, Clone, Default)]
pub struct MapForm {
    pub api_key: String,
    pub team: String,
    pub feature: String,
    pub environment: String,
    pub valid_from: String,
}

#[derive(Debug, Clone)]
pub struct KeysPage {
    pub month: Month,
    pub currency: String,
    pub keys: Vec<KeyRow>,
    pub form: MapForm,
    pub errors: FieldErrors,
    pub notice: Option<String>,
}

fn map_form(viewer: &Viewer, f: &MapForm, errors: &FieldErrors) -> impl IntoView + use<> {
    view! {
        <form method="post" action="/admin/keys" class="grid" id="map-form">
            {csrf(&viewer.csrf)}
            {field("API key", "api_key", "text", f.api_key.clone(), true, errors)}
            {field("Team", "team", "text", f.team.clone(), true, errors)}
            {field("Feature (optional)", "feature", "text", f.feature.clone(), false, errors)}
            {field("Environment (optional)", "environment", "text", f.environment.clone(), false, errors)}
            {field("From (UTC day)", "valid_from", "date", f.valid_from.clone(), true, errors)}
            <button type="submit">"Map key"</button>
        </form>
    }
}

pub fn keys_page(viewer: &Viewer, p: KeysPage) -> String {
    let cur = p.currency.clone();
    let month = p.month;
    let first_day = month.first_day().to_string();
    let csrf_token = viewer.csrf.clone();
    let rows = p
        .keys
        .iter()
        .map(|k| {
            let href = format!("/keys/{}?month={month}", urlencode(&k.api_key));
            let owner = k.owner.clone().unwrap_or_else(|| "unmapped".into());
            let quick = k.owner.is_none().then(|| {
                let form_id = format!("map-{}", k.api_key);
                view! {
                    <form method="post" action="/admin/keys" class="inline quick-map" id=form_id>
                        <input type="hidden" name="csrf" value=csrf_token.clone()/>
                        <input type="hidden" name="api_key" value=k.api_key.clone()/>
                        <input type="hidden" name="valid_from" value=first_day.clone()/>
                        <label class="visually-hidden" for=format!("team-{}", k.api_key)>{format!("Team for {}", k.api_key)}</label>
                        <input id=format!("team-{}", k.api_key) name="team" type="text" placeholder="team" required />
                        <input name="feature" type="text" placeholder="feature"  aria-label=format!("Feature for {}", k.api_key)/>
                        <button type="submit">"Map"</button>
                    </form>
                }
            });
            let row_class = if k.owner.is_none() { "unallocated" } else { "" };
            view! {
                <tr class=row_class>
                    <th scope="row"><a href=href>{k.api_key.clone()}</a></th>
                    <td>{owner}</td>
                    <td>{k.basis.clone()}</td>
                    <td class="num">{money(k.unallocated, &cur)}</td>
                    <td class="num">{money(k.cost, &cur)}</td>
                    <td class="num">{count(k.requests)}</td>
                    <td>{k.last_day.clone()}</td>
                    <td>{quick}</td>
                </tr>
            }
        })
        .collect_view();
    let notice = p
        .notice
        .clone()
        .map(|n| view! { <p class="notice" role="status">{n}</p> });
    let invalid = (!p.errors.is_empty()).then(|| view! { <p class="alert" role="alert">"The mapping was not saved: see the fields below."</p> });
    let title = format!("Keys · {month}");
    let body = render(view! {
        <div class="page-head"><h1>{title}</h1></div>
        <p class="muted">"Every API key seen in usage. Unmapped keys come first, largest unallocated spend first. A mapping takes effect from its day and re-attributes every month from then on."</p>
        {notice}
        {invalid}
        <h2>"Map a key"</h2>
        {map_form(viewer, &p.form, &p.errors)}
        <h2>"Keys seen"</h2>
        <table class="data" id="keys">
            <thead><tr>
                <th scope="col">"Key"</th><th scope="col">"Owner now"</th><th scope="col">"Attributed by"</th>
                <th scope="col" class="num">"Unallocated this month"</th><th scope="col" class="num">"Token cost this month"</th>
                <th scope="col" class="num">"Requests"</th><th scope="col">"Last seen"</th><th scope="col">"Map from month start"</th>
            </tr></thead>
            <tbody>{rows}</tbody>
        </table>
    });
    document("Keys", Some(viewer), Nav::Keys, body)
}
