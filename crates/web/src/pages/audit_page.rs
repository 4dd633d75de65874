//! Admin: the audit log, newest first. There is no way to change or delete an entry.

use chrono::{DateTime, Utc};
use leptos::prelude::*;

use crate::components::{Column, DataTable};
use crate::format::when;
use crate::shell::{Nav, Shell, Viewer, render};

#[derive(Debug, Clone)]
pub struct AuditRow {
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub before: String,
    pub after: String,
}

fn columns() -> Vec<Column> {
    ["When (UTC)", "Who", "Action", "Subject", "Before", "After"]
        .map(Column::text)
        .to_vec()
}

#[component]
fn AuditEntry(row: AuditRow) -> impl IntoView {
    view! {
        <tr>
            <th scope="row">{when(row.at)}</th>
            <td>{row.actor}</td>
            <td><code>{row.action}</code></td>
            <td><code>{row.subject}</code></td>
            <td class="mono">{row.before}</td>
            <td class="mono">{row.after}</td>
        </tr>
    }
}

pub fn audit_page(viewer: &Viewer, subject: &str, rows: Vec<AuditRow>) -> String {
    let subject = subject.to_owned();
    let viewer = viewer.clone();
    render(move || {
        view! {
            <Shell title="Audit log" viewer=Some(viewer) active=Nav::Audit>
                <div class="page-head">
                    <h1>"Audit log"</h1>
                    <form method="get" action="/admin/audit" class="month-picker">
                        <label for="subject">"Subject"</label>
                        <input id="subject" name="subject" value=subject placeholder="e.g. key:key-search-prod-01"/>
                        <button type="submit">"Filter"</button>
                    </form>
                </div>
                <p class="muted">"Every admin and statement action: who, when, and the record before and after. Append-only."</p>
                <DataTable id="audit" columns=columns()>
                    {rows.into_iter().map(|row| view! { <AuditEntry row/> }).collect_view()}
                </DataTable>
            </Shell>
        }
    })
}
