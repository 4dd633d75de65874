//! Admin: teams and features — create, rename, archive — and who leads each team.

use leptos::prelude::*;
use rust_decimal::Decimal;
use tokentally_domain::month::Month;

use super::showback_page::urlencode;
use crate::components::{Alert, Column, Csrf, DataTable, FieldErrors, Hidden, Notice};
use crate::format::money;
use crate::shell::{Nav, Shell, Viewer, render};

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
    pub month: Month,
    pub currency: String,
    pub teams: Vec<TeamRow>,
    pub errors: FieldErrors,
    pub notice: Option<String>,
}

/// The value an archive button posts and its label: archive what is active, restore what is
/// archived.
fn archive_toggle(archived: bool) -> (&'static str, &'static str) {
    if archived {
        ("0", "Restore")
    } else {
        ("1", "Archive")
    }
}

#[component]
fn FeatureEntry(
    team: String,
    feature: FeatureRow,
    csrf: String,
    currency: String,
) -> impl IntoView {
    let status = if feature.archived {
        "archived"
    } else if feature.registered {
        "active"
    } else {
        "seen in usage"
    };
    let label = format!("New name for feature {}", feature.name);
    let (archive_value, archive_label) = archive_toggle(feature.archived);
    let archive = feature.registered.then(|| {
        view! {
            <form method="post" action="/admin/features/archive" class="inline">
                <Csrf token=csrf.clone()/>
                <Hidden name="team" value=team.clone()/>
                <Hidden name="feature" value=feature.name.clone()/>
                <Hidden name="archived" value=archive_value/>
                <button type="submit" class="secondary">{archive_label}</button>
            </form>
        }
    });
    let summary = format!("{status} · {}", money(feature.spend, &currency));
    view! {
        <li>
            <span class="strong">{feature.name.clone()}</span>" "<span class="muted">{summary}</span>
            <form method="post" action="/admin/features/rename" class="inline quick-map">
                <Csrf token=csrf.clone()/>
                <Hidden name="team" value=team/>
                <Hidden name="feature" value=feature.name/>
                <input name="new_name" type="text" required aria-label=label placeholder="new name"/>
                <button type="submit" class="secondary">"Rename"</button>
            </form>
            {archive}
        </li>
    }
}

#[component]
fn TeamEntry(team: TeamRow, month: Month, csrf: String, currency: String) -> impl IntoView {
    let href = format!("/teams/{}?month={month}", urlencode(&team.name));
    let leads = if team.leads.is_empty() {
        "no lead".to_owned()
    } else {
        team.leads.join(", ")
    };
    let features = team
        .features
        .into_iter()
        .map(|feature| {
            view! { <FeatureEntry team=team.name.clone() feature csrf=csrf.clone() currency=currency.clone()/> }
        })
        .collect_view();
    let (archive_value, archive_label) = archive_toggle(team.archived);
    let status = if team.archived { "archived" } else { "active" };
    let name = team.name;
    let row_id = format!("team-{name}");
    let (lead_label, feature_label, rename_label) = (
        format!("Lead for {name}"),
        format!("New feature for {name}"),
        format!("New name for {name}"),
    );
    view! {
        <tr id=row_id>
            <th scope="row"><a href=href>{name.clone()}</a><div class="muted">{status}</div></th>
            <td class="num">{money(team.spend, &currency)}</td>
            <td>
                <div>{leads}</div>
                <form method="post" action="/admin/teams/lead" class="inline quick-map">
                    <Csrf token=csrf.clone()/>
                    <Hidden name="team" value=name.clone()/>
                    <input name="email" type="email" required placeholder="lead's email" aria-label=lead_label/>
                    <button type="submit" class="secondary">"Add lead"</button>
                </form>
            </td>
            <td><ul class="plain">{features}</ul>
                <form method="post" action="/admin/features" class="inline quick-map">
                    <Csrf token=csrf.clone()/>
                    <Hidden name="team" value=name.clone()/>
                    <input name="name" type="text" required placeholder="new feature" aria-label=feature_label/>
                    <button type="submit" class="secondary">"Add feature"</button>
                </form>
            </td>
            <td>
                <form method="post" action="/admin/teams/rename" class="inline quick-map">
                    <Csrf token=csrf.clone()/>
                    <Hidden name="team" value=name.clone()/>
                    <input name="new_name" type="text" required placeholder="new name" aria-label=rename_label/>
                    <button type="submit" class="secondary">"Rename"</button>
                </form>
                <form method="post" action="/admin/teams/archive" class="inline">
                    <Csrf token=csrf/>
                    <Hidden name="team" value=name/>
                    <Hidden name="archived" value=archive_value/>
                    <button type="submit" class="secondary">{archive_label}</button>
                </form>
            </td>
        </tr>
    }
}

pub fn teams_page(viewer: &Viewer, p: TeamsPage) -> String {
    let TeamsPage {
        month,
        currency,
        teams,
        errors,
        notice,
    } = p;
    let columns = vec![
        Column::text("Team"),
        Column::num(format!("Blended cost {month}")),
        Column::text("Leads"),
        Column::text("Features"),
        Column::text("Change"),
    ];
    let rows = teams
        .into_iter()
        .map(|team| {
            view! { <TeamEntry team month csrf=viewer.csrf.clone() currency=currency.clone()/> }
        })
        .collect_view();
    let error = errors.values().next().cloned();
    let viewer = viewer.clone();
    render(move || {
        view! {
            <Shell title="Teams" viewer=Some(viewer.clone()) active=Nav::Teams>
                <h1>"Teams and features"</h1>
                <p class="muted">"Teams come from key mappings, event tags and rules, or are created here. A rename applies everywhere the name is used and keeps the old name as an alias, so usage tagged with it still lands here. Archived teams and features keep their history but can no longer be chosen for new mappings."</p>
                <Notice message=notice/>
                <Alert message=error/>
                <form method="post" action="/admin/teams" class="grid narrow">
                    <Csrf token=viewer.csrf/>
                    <label for="new-team">"New team"<input id="new-team" name="name" type="text" required/></label>
                    <button type="submit">"Create team"</button>
                </form>
                <DataTable id="teams-admin" columns>{rows}</DataTable>
            </Shell>
        }
    })
}
