//! The login form.

use leptos::prelude::*;

use crate::components::Alert;
use crate::shell::{Nav, Shell, render};

#[derive(Debug, Clone, Default)]
pub struct LoginPage {
    pub email: String,
    pub next: String,
    pub error: Option<String>,
}

pub fn login_page(p: LoginPage) -> String {
    render(move || {
        view! {
            <Shell title="Sign in" viewer=None active=Nav::None>
                <section class="login">
                    <h1>"tokentally"</h1>
                    <p class="muted">"Sign in to see where your AI spend goes."</p>
                    <Alert message=p.error/>
                    <form method="post" action="/login" class="stack">
                        <input type="hidden" name="next" value=p.next/>
                        <label for="email">"Email"</label>
                        <input id="email" name="email" type="email" autocomplete="username" required value=p.email autofocus/>
                        <label for="password">"Password"</label>
                        <input id="password" name="password" type="password" autocomplete="current-password" required/>
                        <button type="submit">"Sign in"</button>
                    </form>
                </section>
            </Shell>
        }
    })
}
