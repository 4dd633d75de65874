//! Admin: users and their roles.

use leptos::prelude::*;

use crate::components::{Column, Csrf, DataTable, Field, FieldErrors, Notice, Select};
use crate::shell::{Nav, Shell, Viewer, render};

#[derive(Debug, Clone)]
pub struct UserRow {
    pub email: String,
    pub role: String,
    pub teams: String,
}

#[derive(Debug, Clone, Default)]
pub struct UserForm {
    pub email: String,
    pub role: String,
    pub teams: String,
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
) -> String {
    let rows = users
        .into_iter()
        .map(|u| view! { <tr><th scope="row">{u.email}</th><td>{u.role}</td><td>{u.teams}</td></tr> })
        .collect_view();
    let role = if form.role.is_empty() {
        "viewer".to_owned()
    } else {
        form.role
    };
    let error = move |name: &str| errors.get(name).cloned();
    let columns = ["Email", "Role", "Teams (leads)"]
        .map(Column::text)
        .to_vec();
    let viewer = viewer.clone();
    render(move || {
        view! {
            <Shell title="Users" viewer=Some(viewer.clone()) active=Nav::Users>
                <h1>"Users"</h1>
                <Notice message=notice/>
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
