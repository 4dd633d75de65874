//! The signed-in user's account: change the password.

use leptos::prelude::*;

use crate::shell::{Nav, Viewer, document, render};

#[derive(Debug, Clone, Default)]
pub struct AccountPage {
    pub teams: Vec<String>,
    pub notice: Option<String>,
    pub error: Option<String>,
}

pub fn account_page(viewer: &Viewer, p: AccountPage) -> String {
    let csrf = viewer.csrf.clone();
    let teams = if p.teams.is_empty() {
        "all teams".to_owned()
    } else {
        p.teams.join(", ")
    };
    let summary = format!("{} · {} · {}", viewer.email, viewer.role, teams);
    let notice = p
        .notice
        .map(|n| view! { <p class="notice" role="status">{n}</p> });
    let error = p
        .error
        .map(|e| view! { <p class="alert" role="alert">{e}</p> });
    let body = render(view! {
        <h1>"Account"</h1>
        <p class="muted">{summary}</p>
        {notice}
        {error}
        <form method="post" action="/account/password" class="stack narrow">
            <input type="hidden" name="csrf" value=csrf/>
            <label for="current">"Current password"</label>
            <input id="current" name="current" type="password" autocomplete="current-password" required/>
            <label for="new">"New password (at least 8 characters)"</label>
            <input id="new" name="new" type="password" autocomplete="new-password" minlength="8" required/>
            <label for="confirm">"New password again"</label>
            <input id="confirm" name="confirm" type="password" autocomplete="new-password" minlength="8" required/>
            <button type="submit">"Change password"</button>
        </form>
    });
    document("Account", Some(viewer), Nav::Account, body)
}
