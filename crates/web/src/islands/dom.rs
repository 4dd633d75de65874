//! Small helpers over the browser's DOM (web-sys) for the islands. They compile everywhere,
//! and run only in the browser: the server never calls an event handler or runs an effect.

use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Element, Event};

/// The elements under `root` that match `selector`, in document order.
pub fn all(root: &Element, selector: &str) -> Vec<Element> {
    let Ok(list) = root.query_selector_all(selector) else {
        return Vec::new();
    };
    (0..list.length())
        .filter_map(|i| list.item(i))
        .filter_map(|n| n.dyn_into::<Element>().ok())
        .collect()
}

/// The first element under `root` that matches `selector`.
pub fn first(root: &Element, selector: &str) -> Option<Element> {
    root.query_selector(selector).ok().flatten()
}

/// The nearest element from `el` up that matches `selector`.
pub fn closest(el: &Element, selector: &str) -> Option<Element> {
    el.closest(selector).ok().flatten()
}

/// The element an event happened on.
pub fn target(ev: &Event) -> Option<Element> {
    ev.target().and_then(|t| t.dyn_into::<Element>().ok())
}

/// An element's text, trimmed.
pub fn text(el: &Element) -> String {
    el.text_content().unwrap_or_default().trim().to_owned()
}

pub fn has_class(el: &Element, class: &str) -> bool {
    el.class_list().contains(class)
}

/// Sets or removes an attribute (DOM errors are not the reader's concern: the page stays as
/// the server drew it).
pub fn set_attr(el: &Element, name: &str, value: Option<&str>) {
    let _ = match value {
        Some(v) => el.set_attribute(name, v),
        None => el.remove_attribute(name),
    };
}

/// `href` with query parameters set (an empty value removes one), relative to the page.
pub fn with_params(href: &str, params: &[(&str, &str)]) -> Option<String> {
    let base = web_sys::window()?.location().href().ok()?;
    let url = web_sys::Url::new_with_base(href, &base).ok()?;
    let search = url.search_params();
    for (name, value) in params {
        if value.is_empty() {
            search.delete(name);
        } else {
            search.set(name, value);
        }
    }
    // `searchParams` is live: the URL now carries the changes.
    Some(format!("{}{}", url.pathname(), url.search()))
}

/// A parameter of a link's query.
pub fn param(href: &str, name: &str) -> Option<String> {
    let base = web_sys::window()?.location().href().ok()?;
    web_sys::Url::new_with_base(href, &base)
        .ok()?
        .search_params()
        .get(name)
}

/// Puts the page's state in its address without a reload, so that the address still gives
/// the same page when shared or reloaded (the server reads the same parameters).
pub fn replace_address(params: &[(&str, &str)]) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let Ok(here) = window.location().href() else {
        return;
    };
    let Some(next) = with_params(&here, params) else {
        return;
    };
    if let Ok(history) = window.history() {
        let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(next.as_str()));
    }
}

/// Moves `el`'s content into a new `<button type="button" class="{class}">` inside it, so
/// that what the server drew as text becomes a control; `None` when `el` already holds a
/// link or button (or the DOM refuses).
pub fn button_around_content(el: &Element, class: &str) -> Option<Element> {
    if first(el, "a, button").is_some() {
        return None;
    }
    let button = el.owner_document()?.create_element("button").ok()?;
    set_attr(&button, "type", Some("button"));
    button.set_class_name(class);
    while let Some(child) = el.first_child() {
        let _ = button.append_child(&child);
    }
    el.append_child(&button).ok()?;
    Some(button)
}

/// Sends `request` from the page (same-origin credentials), and answers the server's response
/// with its body parsed as an HTML document.
pub async fn fetch_page(
    request: &web_sys::Request,
) -> Result<(web_sys::Response, web_sys::Document), JsValue> {
    use wasm_bindgen_futures::JsFuture;
    let window = web_sys::window().ok_or(JsValue::NULL)?;
    let response: web_sys::Response = JsFuture::from(window.fetch_with_request(request))
        .await?
        .dyn_into()?;
    let html = JsFuture::from(response.text()?)
        .await?
        .as_string()
        .unwrap_or_default();
    let page =
        web_sys::DomParser::new()?.parse_from_string(&html, web_sys::SupportedType::TextHtml)?;
    Ok((response, page))
}
