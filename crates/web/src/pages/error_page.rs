//! The page for a failed request: the status and a reason, never a stack trace.

use leptos::prelude::*;

use crate::shell::{Nav, Viewer, document, render};

pub fn error_page(viewer: Option<&Viewer>, status: u16, title: &str, reason: &str) -> String {
    let heading = format!("{status} · {title}");
    let reason = reason.to_owned();
    let body = render(view! {
        <section class="error">
            <h1>{heading}</h1>
            <p>{reason}</p>
            <p><a href="/">"Back to showback"</a></p>
        </section>
    });
    document(title, viewer, Nav::None, body)
}
