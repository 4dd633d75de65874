//! The signed-in user's account: change the password.

use leptos::prelude::*;

use crate::components::{Alert, Csrf, Notice};
use crate::shell::{Nav, Shell, Viewer, render};

#[derive(Debug, Clone, Default)]
pub struct AccountPage {
    pub teams: Vec<String>,
    pub notice: Option<String>,
    pub error: Option<String>,
}

pub fn account_page(viewer: &Viewer, p: AccountPage) -> String {
    let teams = if p.teams.is_empty() {
        "all teams".to_owned()
    } else {
        p.teams.join(", ")
    };
    let summary = format!("{} · {} · {}", viewer.email, viewer.role, teams);
    let token = viewer.csrf.clone();
    let viewer = viewer.clone();
    render(move || {
        view! {
            <Shell title="Account" viewer=Some(viewer) active=Nav::Account>
                <h1>"Account"</h1>
                <p class="muted">{summary}</p>
                <Notice message=p.notice/>
                <Alert message=p.error/>
                <form method="post" action="/account/password" class="stack narrow">
                    <Csrf token/>
                    <label for="current">"Current password"</label>
                    <input id="current" name="current" type="password" autocomplete="current-password" required/>
                    <label for="new">"New password (at least 8 characters)"</label>
                    <input id="new" name="new" type="password" autocomplete="new-password" minlength="8" required/>
                    <label for="confirm">"New password again"</label>
                    <input id="confirm" name="confirm" type="password" autocomplete="new-password" minlength="8" required/>
                    <button type="submit">"Change password"</button>
                </form>
            </Shell>
        }
    })
}
