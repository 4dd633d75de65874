//! Admin: API tokens. A new token is shown once; only its digest is kept.

use leptos::prelude::*;

use super::users_page::{UserForm, role_options};
use crate::components::form::{FieldErrors, csrf, field, select};
use crate::shell::{Nav, Viewer, document, render};

#[derive(Debug, Clone)]
pub struct TokenRow {
    pub id: i64,
    pub name: String,
    pub role: String,
    pub teams: String,
    pub created: String,
    pub last_used: String,
    pub revoked: Option<String>,
}

pub fn tokens_page(
    viewer: &Viewer,
    tokens: Vec<TokenRow>,
    form: UserForm,
    errors: FieldErrors,
    new_token: Option<String>,
) -> String {
    let csrf_token = viewer.csrf.clone();
    let rows = tokens
        .into_iter()
        .map(|t| {
            let state = match &t.revoked {
                Some(at) => view! { <span class="muted">{format!("revoked {at}")}</span> }.into_any(),
                None => view! {
                    <form method="post" action=format!("/admin/tokens/{}/revoke", t.id) class="inline">
                        <input type="hidden" name="csrf" value=csrf_token.clone()/>
                        <button type="submit" class="secondary">"Revoke"</button>
                    </form>
                }
                .into_any(),
            };
            view! { <tr><th scope="row">{t.name}</th><td>{t.role}</td><td>{t.teams}</td><td>{t.created}</td><td>{t.last_used}</td><td>{state}</td></tr> }
        })
        .collect_view();
    let shown = new_token.map(|t| {
        view! {
            <section class="notice" role="status">
                <p><strong>"Copy this token now: it will not be shown again."</strong></p>
                <p class="token" id="new-token">{t}</p>
            </section>
        }
    });
    let role = if form.role.is_empty() {
        "ingest".to_owned()
    } else {
        form.role.clone()
    };
    let body = render(view! {
        <h1>"API tokens"</h1>
        {shown}
        <h2>"Create a token"</h2>
        <form method="post" action="/admin/tokens" class="grid">
            {csrf(&viewer.csrf)}
            {field("Name", "name", "text", form.email.clone(), true, &errors)}
            {select("Role", "role", role_options(true), &role, &errors)}
            {field("Teams, comma-separated (leads)", "teams", "text", form.teams.clone(), false, &errors)}
            <button type="submit">"Create token"</button>
        </form>
        <h2>"Tokens"</h2>
        <table class="data" id="tokens">
            <thead><tr><th scope="col">"Name"</th><th scope="col">"Role"</th><th scope="col">"Teams"</th><th scope="col">"Created"</th><th scope="col">"Last used"</th><th scope="col">"State"</th></tr></thead>
            <tbody>{rows}</tbody>
        </table>
    });
    document("API tokens", Some(viewer), Nav::Tokens, body)
}
