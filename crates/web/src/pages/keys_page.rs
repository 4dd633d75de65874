//! Admin: every API key seen in usage, unmapped first, and the form that maps a key.

use chrono::NaiveDate;
use leptos::prelude::*;
use rust_decimal::Decimal;
use tokentally_domain::month::Month;

use super::showback_page::urlencode;
use crate::components::{
    Alert, Choices, Column, Csrf, DataTable, Field, FieldErrors, Hidden, InlineForms, Notice,
};
use crate::format::{count, money};
use crate::shell::{Nav, Shell, Viewer, render};

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
    pub last_day: NaiveDate,
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
    /// The teams that exist, for the team fields to choose from.
    pub team_names: Vec<String>,
}

#[component]
fn MapKeyForm(csrf: String, form: MapForm, errors: FieldErrors) -> impl IntoView {
    let error = move |name: &str| errors.get(name).cloned();
    view! {
        <form method="post" action="/admin/keys" class="grid" id="map-form">
            <Csrf token=csrf/>
            <Field label="API key" name="api_key" value=form.api_key required=true error=error("api_key")/>
            <Field label="Team" name="team" value=form.team required=true error=error("team") list="team-names"/>
            <Field label="Feature (optional)" name="feature" value=form.feature error=error("feature")/>
            <Field label="Environment (optional)" name="environment" value=form.environment error=error("environment")/>
            <Field label="From (UTC day)" name="valid_from" kind="date" value=form.valid_from required=true error=error("valid_from")/>
            <button type="submit">"Map key"</button>
        </form>
    }
}

/// Maps an unmapped key from the first day of the month, from its own row.
#[component]
fn QuickMap(csrf: String, api_key: String, from: String) -> impl IntoView {
    let team_id = format!("team-{api_key}");
    let label_for = team_id.clone();
    let (form_id, team_label, feature_label) = (
        format!("map-{api_key}"),
        format!("Team for {api_key}"),
        format!("Feature for {api_key}"),
    );
    view! {
        <form method="post" action="/admin/keys" class="inline quick-map" id=form_id>
            <Csrf token=csrf/>
            <Hidden name="api_key" value=api_key/>
            <Hidden name="valid_from" value=from/>
            <label class="visually-hidden" for=label_for>{team_label}</label>
            <input id=team_id name="team" type="text" placeholder="team" required list="team-names"/>
            <input name="feature" type="text" placeholder="feature" aria-label=feature_label/>
            <button type="submit">"Map"</button>
        </form>
    }
}

#[component]
fn KeyEntry(key: KeyRow, month: Month, currency: String, csrf: String) -> impl IntoView {
    let href = format!("/keys/{}?month={month}", urlencode(&key.api_key));
    let quick = key.owner.is_none().then(|| {
        let from = month.first_day().to_string();
        view! { <QuickMap csrf api_key=key.api_key.clone() from/> }
    });
    let row_class = if key.owner.is_none() {
        "unallocated"
    } else {
        ""
    };
    let owner = key.owner.unwrap_or_else(|| "unmapped".into());
    view! {
        <tr class=row_class>
            <th scope="row"><a href=href>{key.api_key}</a></th>
            <td>{owner}</td>
            <td>{key.basis}</td>
            <td class="num">{money(key.unallocated, &currency)}</td>
            <td class="num">{money(key.cost, &currency)}</td>
            <td class="num">{count(key.requests)}</td>
            <td>{key.last_day.to_string()}</td>
            <td>{quick}</td>
        </tr>
    }
}

pub fn keys_page(viewer: &Viewer, p: KeysPage) -> String {
    let KeysPage {
        month,
        currency,
        keys,
        form,
        errors,
        notice,
        team_names,
    } = p;
    let rows = keys
        .into_iter()
        .map(|key| {
            view! { <KeyEntry key month currency=currency.clone() csrf=viewer.csrf.clone()/> }
        })
        .collect_view();
    let invalid = (!errors.is_empty())
        .then_some("The mapping was not saved: see the fields below.".to_owned());
    let columns = vec![
        Column::text("Key"),
        Column::text("Owner now"),
        Column::text("Attributed by"),
        Column::num("Unallocated this month"),
        Column::num("Token cost this month"),
        Column::num("Requests"),
        Column::text("Last seen"),
        Column::text("Map from month start"),
    ];
    let title = format!("Keys · {month}");
    let viewer = viewer.clone();
    render(move || {
        view! {
            <Shell title="Keys" viewer=Some(viewer.clone()) active=Nav::Keys>
                <div class="page-head"><h1>{title}</h1></div>
                <p class="muted">"Every API key seen in usage. Unmapped keys come first, largest unallocated spend first. A mapping takes effect from its day and re-attributes every month from then on. Teams are chosen from those that exist; create a new one on the Teams page."</p>
                <Choices id="team-names" values=team_names/>
                <Notice message=notice/>
                <Alert message=invalid/>
                <InlineForms>
                    <h2>"Map a key"</h2>
                    <MapKeyForm csrf=viewer.csrf form errors/>
                    <h2>"Keys seen"</h2>
                    <DataTable id="keys" columns>{rows}</DataTable>
                </InlineForms>
            </Shell>
        }
    })
}
