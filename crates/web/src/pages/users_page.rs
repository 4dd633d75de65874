//! Admin: users and their roles.

use leptos::either::Either;
use leptos::prelude::*;

use crate::components::{Alert, Column, Csrf, DataTable, Field, FieldErrors, Notice, Select};
use crate::shell::{Nav, Shell, Viewer, render};

#[derive(Debug, Clone)]
pub struct UserRow {
    pub id: i64,
    pub email: String,
    pub role: String,
    pub teams: String,
    pub disabled: bool,
}

/// One account's row: what it is, and the admin's forms to change it (folded, so the table
/// stays narrow; `<details>` needs no script).
#[component]
fn UserEntry(user: UserRow, csrf: String) -> impl IntoView {
    let id = user.id;
    let action = move |what: &str| format!("/admin/users/{id}/{what}");
    let state = if user.disabled { "disabled" } else { "active" };
    let toggle = if user.disabled {
        Either::Left(view! {
            <form method="post" action=action("enable") class="inline">
                <Csrf token=csrf.clone()/>
                <button type="submit" class="secondary">"Enable"</button>
            </form>
        })
    } else {
        Either::Right(view! {
            <form method="post" action=action("disable") class="inline">
                <Csrf token=csrf.clone()/>
                <button type="submit" class="secondary">"Disable"</button>
            </form>
        })
    };
    let roles = role_options(false)
        .into_iter()
        .map(|(value, text)| {
            let is = value == user.role;
            view! { <option value=value selected=is>{text}</option> }
        })
        .collect_view();
    let (role_id, teams_id, password_id, confirm_id) = (
        format!("role-{id}"),
        format!("teams-{id}"),
        format!("password-{id}"),
        format!("confirm-{id}"),
    );
    let (role_for, teams_for, password_for, confirm_for) = (
        role_id.clone(),
        teams_id.clone(),
        password_id.clone(),
        confirm_id.clone(),
    );
    view! {
        <tr>
            <th scope="row">{user.email}</th>
            <td>{user.role}</td>
            <td>{user.teams.clone()}</td>
            <td>{state}</td>
            <td>
                {toggle}
                <details>
                    <summary>"Change"</summary>
                    <form method="post" action=action("access") class="stack">
                        <Csrf token=csrf.clone()/>
                        <label for=role_for>"Role"<select id=role_id name="role">{roles}</select></label>
                        <label for=teams_for>"Teams, comma-separated (leads)"
                            <input id=teams_id name="teams" value=user.teams/></label>
                        <button type="submit">"Save role and teams"</button>
                    </form>
                    <form method="post" action=action("password") class="stack">
                        <Csrf token=csrf.clone()/>
                        <label for=password_for>"New password (8+ characters; signs them out)"
                            <input id=password_id name="password" type="password" required=true minlength="8" autocomplete="new-password"/></label>
                        <button type="submit">"Reset password"</button>
                    </form>
                    <form method="post" action=action("delete") class="stack">
                        <Csrf token=csrf/>
                        <label for=confirm_for>
                            <input id=confirm_id type="checkbox" name="confirm" value="yes" required=true/>
                            " Yes, delete this account (its sessions end, its own tokens are revoked)"
                        </label>
                        <button type="submit" class="secondary">"Delete"</button>
                    </form>
                </details>
            </td>
        </tr>
    }
}

#[derive(Debug, Clone, Default)]
pub struct UserForm {
    pub email: String,
    pub role: String,
    pub teams: String,
    /// Tokens only: the email of the person the token belongs to, or empty.
    pub owner: String,
}

pub fn role_options(with_ingest: bool) -> Vec<(String, String)> {
    let mut roles = vec![
        ("viewer", "viewer: reads everything"),
        ("lead", "lead: reads their teams"),
        ("finance", "finance: reads everything, statements"),
        ("admin", "admin: everything"),
    ];
    if with_ingest {
        roles.insert(0, ("ingest", "ingest: sends usage, reads nothing"));
    }
    roles
        .into_iter()
        .map(|(v, l)| (v.to_owned(), l.to_owned()))
        .collect()
}

pub fn users_page(
    viewer: &Viewer,
    users: Vec<UserRow>,
    form: UserForm,
    errors: FieldErrors,
    notice: Option<String>,
    alert: Option<String>,
) -> String {
    let rows = users
        .into_iter()
        .map(|user| view! { <UserEntry user csrf=viewer.csrf.clone()/> })
        .collect_view();
    let role = if form.role.is_empty() {
        "viewer".to_owned()
    } else {
        form.role
    };
    let error = move |name: &str| errors.get(name).cloned();
    let columns = ["Email", "Role", "Teams (leads)", "State", "Change"]
        .map(Column::text)
        .to_vec();
    let viewer = viewer.clone();
    render(move || {
        view! {
            <Shell title="Users" viewer=Some(viewer.clone()) active=Nav::Users>
                <h1>"Users"</h1>
                <Notice message=notice/>
                <Alert message=alert/>
                <DataTable id="users" columns>{rows}</DataTable>
                <h2>"Add a user"</h2>
                <form method="post" action="/admin/users" class="grid">
                    <Csrf token=viewer.csrf/>
                    <Field label="Email" name="email" kind="email" value=form.email required=true error=error("email")/>
                    <Field label="Password (8+ characters)" name="password" kind="password" required=true error=error("password")/>
                    <Select label="Role" name="role" options=role_options(false) selected=role error=error("role")/>
                    <Field label="Teams, comma-separated (leads)" name="teams" value=form.teams error=error("teams")/>
                    <button type="submit">"Add user"</button>
                </form>
            </Shell>
        }
    })
}
