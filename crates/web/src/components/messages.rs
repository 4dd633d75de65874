//! What a page says after an action: a notice that it worked, an alert that it did not.

use leptos::prelude::*;

/// `<p class="notice" role="status">`, when there is a message.
#[component]
pub fn Notice(#[prop(into)] message: Option<String>) -> impl IntoView {
    message.map(|m| view! { <p class="notice" role="status">{m}</p> })
}

/// `<p class="alert" role="alert">`, when there is a message.
#[component]
pub fn Alert(#[prop(into)] message: Option<String>) -> impl IntoView {
    message.map(|m| view! { <p class="alert" role="alert">{m}</p> })
}
