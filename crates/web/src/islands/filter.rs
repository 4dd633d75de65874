//! The filter island: a page's filter form (month, team, feature, environment, lever) changes
//! the page in place.
//!
//! Without JavaScript the filter is a GET form: choosing and pressing "Show" loads the page
//! for that choice, at an address that can be shared. Once hydrated, choosing an option is
//! enough: the island asks the server for the same address the form would load, puts the
//! server's `<main>` in place of the page's, and pushes that address into the history, so
//! the address still gives the same page when shared or reloaded, and Back returns to the
//! choice before. The islands in the new `<main>` are hydrated by the loader (`islands.js`),
//! which the island asks with a `tokentally:islands` event. When the server's answer is not a
//! page (an error, a lost session), the browser loads the address as it would have.

use leptos::ev;
use leptos::prelude::*;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::HtmlFormElement;

use super::dom;

/// The event the loader listens for to hydrate the islands of a swapped-in `<main>`.
const SWAPPED: &str = "tokentally:islands";

#[island]
pub fn FilterIsland(children: Children) -> impl IntoView {
    let root = NodeRef::<leptos::html::Div>::new();
    Effect::new(move || {
        if let Some(el) = root.get() {
            dom::set_attr(&el, "data-ready", Some(""));
        }
    });
    // Choosing an option is the choice: no need to press "Show".
    let on_change = move |e: ev::Event| {
        let form = dom::target(&e)
            .filter(|t| t.tag_name().eq_ignore_ascii_case("select"))
            .and_then(|t| dom::closest(&t, "form"))
            .and_then(|f| f.dyn_into::<HtmlFormElement>().ok());
        if let Some(form) = form {
            show(form);
        }
    };
    let on_submit = move |e: ev::SubmitEvent| {
        if let Some(form) = dom::target(&e).and_then(|t| t.dyn_into::<HtmlFormElement>().ok())
            && form.method().eq_ignore_ascii_case("get")
        {
            e.prevent_default();
            show(form);
        }
    };
    view! {
        <div class="filter-island" node_ref=root on:change=on_change on:submit=on_submit>
            {children()}
        </div>
    }
}

/// Shows the page the form asks for, in place; loads it when that cannot be done.
fn show(form: HtmlFormElement) {
    let Some(address) = address_of(&form) else {
        return;
    };
    leptos::task::spawn_local(async move {
        if swap_main(&address).await.is_err()
            && let Some(window) = web_sys::window()
        {
            let _ = window.location().assign(&address);
        }
    });
}

/// The address a GET form loads: its action with its fields as the query.
fn address_of(form: &HtmlFormElement) -> Option<String> {
    let fields = web_sys::FormData::new_with_form(form).ok()?;
    let query = web_sys::UrlSearchParams::new_with_str_sequence_sequence(&fields).ok()?;
    let action = form.action();
    let path = action
        .split(['?', '#'])
        .next()
        .unwrap_or(&action)
        .to_owned();
    Some(format!("{path}?{}", String::from(query.to_string())))
}

/// Fetches the page at `address`, puts its `<main>` and title in place of the page's, pushes
/// the address, and asks the loader to hydrate the new islands.
async fn swap_main(address: &str) -> Result<(), JsValue> {
    let window = web_sys::window().ok_or(JsValue::NULL)?;
    let document = window.document().ok_or(JsValue::NULL)?;
    let init = web_sys::RequestInit::new();
    init.set_credentials(web_sys::RequestCredentials::SameOrigin);
    let request = web_sys::Request::new_with_str_and_init(address, &init)?;
    let (response, page) = dom::fetch_page(&request).await?;
    // A redirect to the login page, or an error: the browser shows it as it is.
    if !response.ok() || response.redirected() {
        return Err(JsValue::NULL);
    }
    let fresh = page.query_selector("main")?.ok_or(JsValue::NULL)?;
    let here = document.query_selector("main")?.ok_or(JsValue::NULL)?;
    let fresh = document.import_node_with_deep(&fresh, true)?;
    here.replace_with_with_node_1(&fresh)?;
    document.set_title(&page.title());
    window
        .history()?
        .push_state_with_url(&JsValue::NULL, "", Some(address))?;
    document.dispatch_event(&web_sys::Event::new(SWAPPED)?)?;
    Ok(())
}
