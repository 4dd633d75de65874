//! Admin: teams and features — create, rename, archive — and who leads each team.

use leptos::prelude::*;
use rust_decimal::Decimal;

use super::showback_page::urlencode;
use crate::components::form::{FieldErrors, csrf};
use crate::format::money;
use crate::shell::{Nav, Viewer, document, render};

#[derive(Debug, Clone)]
pub struct TeamRow {
    pub name: String,
    pub archived: bool,
    pub spend: Decimal,
    pub features: Vec<FeatureRow>,
    pub leads: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct FeatureRow {
    pub name: String,
    pub archived: bool,
    /// Registered by an admin (else only seen in usage).
    pub registered: bool,
    pub spend: Decimal,
}

#[derive(Debug, Clone)]
pub struct TeamsPage {
    pub month: String,
    pub currency: String,
    pub teams: Vec<TeamRow>,
    pub errors: FieldErrors,
    pub notice: Option<String>,
}

fn hidden(name: &'static str, value: &str) -> impl IntoView + use<> {
    let value = value.to_owned();
    view! { <input type="hidden" name=name value=value/> }
}

fn feature_row(team: &str, f: &FeatureRow, token: &str, cur: &str) -> impl IntoView + use<> {
    let status = if f.archived {
        "archived"
    } else if f.registered {
        "active"
    } else {
        "seen in usage"
    };
    let label = format!("New name for feature {}", f.name);
    let archive_label = if f.archived { "Restore" } else { "Archive" };
    let archive_value = if f.archived { "0" } else { "1" };
    let archive = f.registered.then(|| {
        view! {
            <form method="post" action="/admin/features/archive" class="inline">
                {csrf(token)}{hidden("team", team)}{hidden("feature", &f.name)}{hidden("archived", archive_value)}
                <button type="submit" class="secondary">{archive_label}</button>
            </form>
        }
    });
    view! {
        <li>
            <span class="strong">{f.name.clone()}</span>" "<span class="muted">{format!("{status} · {}", money(f.spend, cur))}</span>
            <form method="post" action="/admin/features/rename" class="inline quick-map">
                {csrf(token)}{hidden("team", team)}{hidden("feature", &f.name)}
                <input name="new_name" type="text" required aria-label=label placeholder="new name"/>
                <button type="submit" class="secondary">"Rename"</button>
            </form>
            {archive}
        </li>
    }
}

pub fn teams_page(viewer: &Viewer, p: TeamsPage) -> String {
    let cur = p.currency.clone();
    let token = viewer.csrf.clone();
    let rows = p
        .teams
        .iter()
        .map(|t| {
            let href = format!("/teams/{}?month={}", urlencode(&t.name), p.month);
            let leads = if t.leads.is_empty() { "no lead".to_owned() } else { t.leads.join(", ") };
            let features = t.features.iter().map(|f| feature_row(&t.name, f, &token, &cur)).collect_view();
            let archive_label = if t.archived { "Restore" } else { "Archive" };
            let archive_value = if t.archived { "0" } else { "1" };
            let row_id = format!("team-{}", t.name);
            let status = if t.archived { "archived" } else { "active" };
            view! {
                <tr id=row_id>
                    <th scope="row"><a href=href>{t.name.clone()}</a><div class="muted">{status}</div></th>
                    <td class="num">{money(t.spend, &cur)}</td>
                    <td>
                        <div>{leads}</div>
                        <form method="post" action="/admin/teams/lead" class="inline quick-map">
                            {csrf(&token)}{hidden("team", &t.name)}
                            <input name="email" type="email" required placeholder="lead's email" aria-label=format!("Lead for {}", t.name)/>
                            <button type="submit" class="secondary">"Add lead"</button>
                        </form>
                    </td>
                    <td><ul class="plain">{features}</ul>
                        <form method="post" action="/admin/features" class="inline quick-map">
                            {csrf(&token)}{hidden("team", &t.name)}
                            <input name="name" type="text" required placeholder="new feature" aria-label=format!("New feature for {}", t.name)/>
                            <button type="submit" class="secondary">"Add feature"</button>
                        </form>
                    </td>
                    <td>
                        <form method="post" action="/admin/teams/rename" class="inline quick-map">
                            {csrf(&token)}{hidden("team", &t.name)}
                            <input name="new_name" type="text" required placeholder="new name" aria-label=format!("New name for {}", t.name)/>
                            <button type="submit" class="secondary">"Rename"</button>
                        </form>
                        <form method="post" action="/admin/teams/archive" class="inline">
                            {csrf(&token)}{hidden("team", &t.name)}{hidden("archived", archive_value)}
                            <button type="submit" class="secondary">{archive_label}</button>
                        </form>
                    </td>
                </tr>
            }
        })
        .collect_view();
    let notice = p
        .notice
        .clone()
        .map(|n| view! { <p class="notice" role="status">{n}</p> });
    let error = p
        .errors
        .values()
        .next()
        .cloned()
        .map(|e| view! { <p class="alert" role="alert">{e}</p> });
    let spend_header = format!("Blended cost {}", p.month);
    let body = render(view! {
        <h1>"Teams and features"</h1>
        <p class="muted">"Teams come from key mappings, event tags and rules, or are created here. A rename applies everywhere the name is used and keeps the old name as an alias, so usage tagged with it still lands here. Archived teams and features keep their history but can no longer be chosen for new mappings."</p>
        {notice}
        {error}
        <form method="post" action="/admin/teams" class="grid narrow">
            {csrf(&token)}
            <label for="new-team">"New team"<input id="new-team" name="name" type="text" required/></label>
            <button type="submit">"Create team"</button>
        </form>
        <table class="data" id="teams-admin">
            <thead><tr><th scope="col">"Team"</th><th scope="col" class="num">{spend_header}</th><th scope="col">"Leads"</th><th scope="col">"Features"</th><th scope="col">"Change"</th></tr></thead>
            <tbody>{rows}</tbody>
        </table>
    });
    document("Teams", Some(viewer), Nav::Teams, body)
}
