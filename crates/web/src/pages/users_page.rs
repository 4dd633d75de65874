//! Admin: users and their roles.

use leptos::prelude::*;

use crate::components::form::{FieldErrors, csrf, field, select};
use crate::shell::{Nav, Viewer, document, render};

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
    let notice = notice.map(|n| view! { <p class="notice" role="status">{n}</p> });
    let role = if form.role.is_empty() {
        "viewer".to_owned()
    } else {
        form.role.clone()
    };
    let body = render(view! {
        <h1>"Users"</h1>
        {notice}
        <table class="data" id="users">
            <thead><tr><th scope="col">"Email"</th><th scope="col">"Role"</th><th scope="col">"Teams (leads)"</th></tr></thead>
            <tbody>{rows}</tbody>
        </table>
        <h2>"Add a user"</h2>
        <form method="post" action="/admin/users" class="grid">
            {csrf(&viewer.csrf)}
            {field("Email", "email", "email", form.email.clone(), true, &errors)}
            {field("Password (8+ characters)", "password", "password", String::new(), true, &errors)}
            {select("Role", "role", role_options(false), &role, &errors)}
            {field("Teams, comma-separated (leads)", "teams", "text", form.teams.clone(), false, &errors)}
            <button type="submit">"Add user"</button>
        </form>
    });
    document("Users", Some(viewer), Nav::Users, body)
}
