//! Admin: pull connections (a provider account whose usage and cost tokentally fetches), with
//! each one's last sync, rows pulled, next run and last error, and a form to add one. The
//! admin key is asked for and never shown again: not even the form echoes it back.

use chrono::{DateTime, NaiveDate, Utc};
use leptos::prelude::*;

use crate::components::{Alert, Column, Csrf, DataTable, Field, FieldErrors, Notice};
use crate::format::{count, when_utc};
use crate::shell::{Nav, Shell, Viewer, render};

#[derive(Debug, Clone)]
pub struct ConnectionRow {
    pub id: i64,
    pub name: String,
    pub provider: String,
    pub base_url: String,
    pub start_day: NaiveDate,
    pub cursor_day: NaiveDate,
    pub last_sync: Option<DateTime<Utc>>,
    pub rows_pulled: u64,
    pub next_run: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub syncing: bool,
}

/// What the form keeps after a refusal (never the key).
#[derive(Debug, Clone, Default)]
pub struct ConnectionForm {
    pub provider: String,
    pub name: String,
    pub start_day: String,
    pub base_url: String,
}

#[derive(Debug, Clone)]
pub struct ConnectionsPage {
    pub connections: Vec<ConnectionRow>,
    pub form: ConnectionForm,
    pub errors: FieldErrors,
    pub notice: Option<String>,
    /// Why no key can be stored now (no server secret), with how to set one.
    pub no_secret: Option<String>,
}

#[component]
fn ConnectionEntry(c: ConnectionRow, csrf: String) -> impl IntoView {
    let status = if c.syncing {
        "pulling now".to_owned()
    } else {
        match &c.last_error {
            Some(e) => e.clone(),
            None if c.last_sync.is_some() => "ok".to_owned(),
            None => "not pulled yet".to_owned(),
        }
    };
    let last_sync = c.last_sync.map(when_utc).unwrap_or_else(|| "never".into());
    let next_run = c.next_run.map(when_utc).unwrap_or_default();
    let action = format!("/admin/connections/{}/sync", c.id);
    view! {
        <tr>
            <th scope="row">{c.name}</th>
            <td>{c.provider}</td>
            <td>{c.base_url}</td>
            <td>{c.start_day.to_string()}</td>
            <td>{c.cursor_day.to_string()}</td>
            <td>{last_sync}</td>
            <td class="num">{count(c.rows_pulled)}</td>
            <td>{next_run}</td>
            <td>{status}</td>
            <td>
                <form method="post" action=action>
                    <Csrf token=csrf/>
                    <button type="submit" class="secondary">"Pull now"</button>
                </form>
            </td>
        </tr>
    }
}

pub fn connections_page(viewer: &Viewer, p: ConnectionsPage) -> String {
    let ConnectionsPage {
        connections,
        form: f,
        errors,
        notice,
        no_secret,
    } = p;
    let csrf = viewer.csrf.clone();
    let rows = connections
        .into_iter()
        .map(|c| view! { <ConnectionEntry c csrf=csrf.clone()/> })
        .collect_view();
    let columns = vec![
        Column::text("Name"),
        Column::text("Provider"),
        Column::text("API"),
        Column::text("From"),
        Column::text("Complete up to"),
        Column::text("Last sync"),
        Column::num("Rows pulled"),
        Column::text("Next run"),
        Column::text("Status"),
        Column::text(""),
    ];
    let general = errors.get("connection").cloned();
    let error = move |name: &str| errors.get(name).cloned();
    let selected = |p: &str| f.provider == p;
    let (openai, anthropic) = (selected("openai"), selected("anthropic"));
    let viewer = viewer.clone();
    render(move || {
        view! {
            <Shell title="Connections" viewer=Some(viewer.clone()) active=Nav::Connections>
                <h1>"Connections"</h1>
                <p class="muted">"tokentally pulls each connected account's daily usage and cost once a day, and now on demand. A day pulled again replaces what was pulled of it; usage that other sources sent for the same provider, day, model and key is not counted twice."</p>
                <Notice message=notice/>
                <Alert message=no_secret/>
                <DataTable id="connections" columns>{rows}</DataTable>
                <h2>"Connect an account"</h2>
                <Alert message=general/>
                <form method="post" action="/admin/connections" class="grid">
                    <Csrf token=viewer.csrf.clone()/>
                    <label for="f-provider">"Provider"
                        <select id="f-provider" name="provider">
                            <option value="openai" selected=openai>"OpenAI (organization Usage and Costs APIs)"</option>
                            <option value="anthropic" selected=anthropic>"Anthropic (Admin API usage and cost reports)"</option>
                        </select>
                    </label>
                    <Field label="Name" name="name" value=f.name error=error("name")/>
                    <Field label="Admin key (stored sealed, never shown again)" name="admin_key" kind="password" error=error("admin_key")/>
                    <Field label="Start day" name="start_day" kind="date" value=f.start_day error=error("start_day")/>
                    <Field label="API base URL (empty: the provider's)" name="base_url" value=f.base_url error=error("base_url")/>
                    <button type="submit">"Connect"</button>
                </form>
            </Shell>
        }
    })
}
