//! The page for a failed request: the status and a reason, never a stack trace.

use leptos::prelude::*;

use crate::shell::{Nav, Shell, Viewer, render};

pub fn error_page(viewer: Option<&Viewer>, status: u16, title: &str, reason: &str) -> String {
    let heading = format!("{status} · {title}");
    let (title, reason, viewer) = (title.to_owned(), reason.to_owned(), viewer.cloned());
    render(move || {
        view! {
            <Shell title viewer active=Nav::None>
                <section class="error">
                    <h1>{heading}</h1>
                    <p>{reason}</p>
                    <p><a href="/">"Back to showback"</a></p>
                </section>
            </Shell>
        }
    })
}
