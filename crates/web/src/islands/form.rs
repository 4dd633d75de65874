//! The form island: the forms inside it answer in place.
//!
//! Without JavaScript a form posts, and the server answers with a redirect to the page and its
//! notice, or with the page again (422) and its validation messages. Once hydrated, the island
//! sends the same POST from the page (`fetch`, the same fields and CSRF token, the same
//! origin), reads the server's answer, and shows its notice or its messages above the form
//! without leaving the page; on success the page's tables are replaced by the ones in the
//! server's answer (an overhead saved changes the blended table above it too), so the rows say
//! what changed. The server decides everything, as before.

use leptos::either::Either;
use leptos::ev;
use leptos::prelude::*;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Element, HtmlFormElement};

use super::dom;

/// What the server answered: its notice, or its messages.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Answer {
    Done(String),
    Refused(String),
}

#[island]
pub fn FormIsland(children: Children) -> impl IntoView {
    let root = NodeRef::<leptos::html::Div>::new();
    let answer = RwSignal::new(None::<Answer>);
    Effect::new(move || {
        if let Some(el) = root.get() {
            dom::set_attr(&el, "data-ready", Some(""));
        }
    });
    let on_submit = move |e: ev::SubmitEvent| {
        let Some(form) = dom::target(&e).and_then(|t| t.dyn_into::<HtmlFormElement>().ok()) else {
            return;
        };
        if !form.method().eq_ignore_ascii_case("post") {
            return;
        }
        e.prevent_default();
        leptos::task::spawn_local(async move {
            let result = send(&form).await;
            if let (Ok((Answer::Done(_), page)), Some(el)) = (&result, root.get_untracked()) {
                refresh_tables(&el, page);
                form.reset();
            }
            answer.set(Some(match result {
                Ok((a, _)) => a,
                Err(_) => Answer::Refused(
                    "The server could not be reached; nothing was changed.".to_owned(),
                ),
            }));
        });
    };
    let shown = move || {
        answer.get().map(|a| match a {
            Answer::Done(text) => {
                Either::Left(view! { <p class="notice" role="status">{text}</p> })
            }
            Answer::Refused(text) => {
                Either::Right(view! { <p class="alert" role="alert">{text}</p> })
            }
        })
    };
    view! {
        <div class="form-island" node_ref=root on:submit=on_submit>
            {shown}
            {children()}
        </div>
    }
}

/// Posts the form as the browser would (URL-encoded), follows the server's redirect, and
/// reads its answer from the page it sent back.
async fn send(form: &HtmlFormElement) -> Result<(Answer, web_sys::Document), JsValue> {
    let fields = web_sys::FormData::new_with_form(form)?;
    let body = web_sys::UrlSearchParams::new_with_str_sequence_sequence(&fields)?;
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_body(&body);
    init.set_credentials(web_sys::RequestCredentials::SameOrigin);
    let request = web_sys::Request::new_with_str_and_init(&form.action(), &init)?;
    let (response, page) = dom::fetch_page(&request).await?;
    let said = |selector: &str| -> Vec<String> {
        page.query_selector_all(selector)
            .map(|list| {
                (0..list.length())
                    .filter_map(|i| list.item(i))
                    .filter_map(|n| n.text_content())
                    .map(|t| t.trim().to_owned())
                    .filter(|t| !t.is_empty())
                    .collect()
            })
            .unwrap_or_default()
    };
    let answer = if response.ok() {
        let notice = said("p.notice").join(" ");
        Answer::Done(if notice.is_empty() {
            "Saved.".to_owned()
        } else {
            notice
        })
    } else {
        let mut messages = said("p.alert");
        messages.extend(said(".field-error"));
        Answer::Refused(if messages.is_empty() {
            format!("Refused ({}).", response.status())
        } else {
            messages.join(" ")
        })
    };
    Ok((answer, page))
}

/// Each table of the page (by its id) becomes the one of the server's answer.
fn refresh_tables(root: &Element, page: &web_sys::Document) {
    let Some(document) = root.owner_document() else {
        return;
    };
    let Some(body) = document.body() else {
        return;
    };
    for table in dom::all(&body, "table[id]") {
        let selector = format!("table#{}", table.id());
        let Ok(Some(fresh)) = page.query_selector(&selector) else {
            continue;
        };
        if let Ok(node) = document.import_node_with_deep(&fresh, true) {
            let _ = table.replace_with_with_node_1(&node);
        }
    }
}
