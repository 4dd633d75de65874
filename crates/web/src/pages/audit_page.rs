//! Admin: the audit log, newest first. There is no way to change or delete an entry.

use leptos::prelude::*;

use crate::shell::{Nav, Viewer, document, render};

#[derive(Debug, Clone)]
pub struct AuditRow {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub before: String,
    pub after: String,
}

pub fn audit_page(viewer: &Viewer, subject: &str, rows: Vec<AuditRow>) -> String {
    let rows = rows
        .into_iter()
        .map(|r| {
            view! {
                <tr>
                    <th scope="row">{r.at}</th>
                    <td>{r.actor}</td>
                    <td><code>{r.action}</code></td>
                    <td><code>{r.subject}</code></td>
                    <td class="mono">{r.before}</td>
                    <td class="mono">{r.after}</td>
                </tr>
            }
        })
        .collect_view();
    let subject = subject.to_owned();
    let body = render(view! {
        <div class="page-head">
            <h1>"Audit log"</h1>
            <form method="get" action="/admin/audit" class="month-picker">
                <label for="subject">"Subject"</label>
                <input id="subject" name="subject" value=subject placeholder="e.g. key:key-search-prod-01"/>
                <button type="submit">"Filter"</button>
            </form>
        </div>
        <p class="muted">"Every admin and statement action: who, when, and the record before and after. Append-only."</p>
        <table class="data" id="audit">
            <thead><tr><th scope="col">"When (UTC)"</th><th scope="col">"Who"</th><th scope="col">"Action"</th><th scope="col">"Subject"</th><th scope="col">"Before"</th><th scope="col">"After"</th></tr></thead>
            <tbody>{rows}</tbody>
        </table>
    });
    document("Audit log", Some(viewer), Nav::Audit, body)
}
