//! Admin: API tokens. A new token is shown once; only its digest is kept.

use chrono::{DateTime, Utc};
use leptos::either::Either;
use leptos::prelude::*;

use super::users_page::{UserForm, role_options};
use crate::components::{Column, Csrf, DataTable, Field, FieldErrors, Select};
use crate::format::when;
use crate::shell::{Nav, Shell, Viewer, render};

#[derive(Debug, Clone)]
pub struct TokenRow {
    pub id: i64,
    pub name: String,
    pub role: String,
    pub teams: String,
    pub created: DateTime<Utc>,
    /// `None` until the token is first used.
    pub last_used: Option<DateTime<Utc>>,
    pub revoked: Option<DateTime<Utc>>,
    /// The email of the person the token belongs to and acts as; `None` for a service token.
    pub owner: Option<String>,
}

#[component]
fn TokenEntry(token: TokenRow, csrf: String) -> impl IntoView {
    let state = match token.revoked {
        Some(at) => {
            Either::Left(view! { <span class="muted">{format!("revoked {}", when(at))}</span> })
        }
        None => Either::Right(view! {
            <form method="post" action=format!("/admin/tokens/{}/revoke", token.id) class="inline">
                <Csrf token=csrf/>
                <button type="submit" class="secondary">"Revoke"</button>
            </form>
        }),
    };
    view! {
        <tr>
            <th scope="row">{token.name}</th>
            <td>{token.owner.map_or_else(|| "service token".to_owned(), |o| format!("acts as {o}"))}</td>
            <td>{token.role}</td>
            <td>{token.teams}</td>
            <td>{when(token.created)}</td>
            <td>{token.last_used.map_or_else(|| "never".to_owned(), when)}</td>
            <td>{state}</td>
        </tr>
    }
}

/// The new token, shown once.
#[component]
fn NewToken(token: String) -> impl IntoView {
    view! {
        <section class="notice" role="status">
            <p><strong>"Copy this token now: it will not be shown again."</strong></p>
            <p class="token" id="new-token">{token}</p>
        </section>
    }
}

pub fn tokens_page(
    viewer: &Viewer,
    tokens: Vec<TokenRow>,
    form: UserForm,
    errors: FieldErrors,
    new_token: Option<String>,
    people: Vec<String>,
) -> String {
    let rows = tokens
        .into_iter()
        .map(|token| view! { <TokenEntry token csrf=viewer.csrf.clone()/> })
        .collect_view();
    let shown = new_token.map(|token| view! { <NewToken token/> });
    let role = if form.role.is_empty() {
        "ingest".to_owned()
    } else {
        form.role
    };
    let error = move |name: &str| errors.get(name).cloned();
    let mut owners = vec![(
        String::new(),
        "no one: a service token with the role below".to_owned(),
    )];
    owners.extend(people.into_iter().map(|p| (p.clone(), p)));
    let columns = [
        "Name",
        "Belongs to",
        "Role",
        "Teams",
        "Created",
        "Last used",
        "State",
    ]
    .map(Column::text)
    .to_vec();
    let viewer = viewer.clone();
    render(move || {
        view! {
            <Shell title="API tokens" viewer=Some(viewer.clone()) active=Nav::Tokens>
                <h1>"API tokens"</h1>
                {shown}
                <h2>"Create a token"</h2>
                <form method="post" action="/admin/tokens" class="grid">
                    <Csrf token=viewer.csrf/>
                    <Field label="Name" name="name" value=form.email required=true error=error("name")/>
                    <Select label="Role" name="role" options=role_options(true) selected=role error=error("role")/>
                    <Field label="Teams, comma-separated (leads)" name="teams" value=form.teams error=error("teams")/>
                    <Select label="Belongs to (acts as that person, their role and teams; stops when they are disabled)" name="owner" options=owners selected=form.owner error=error("owner")/>
                    <button type="submit">"Create token"</button>
                </form>
                <h2>"Tokens"</h2>
                <DataTable id="tokens" columns>{rows}</DataTable>
            </Shell>
        }
    })
}
