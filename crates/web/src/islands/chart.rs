//! The chart island: the figure of the bar or point under the pointer, or reached with the
//! keyboard, read out under the chart.
//!
//! The server draws the chart as SVG, each bar segment and point with its figure as a
//! `<title>` (a tooltip without JavaScript). Once hydrated, the chart takes the focus (one tab
//! stop), the arrow keys step through its marks, Home and End jump to the first and last,
//! Escape clears; pointing at a mark does the same. The mark is outlined and its figure is
//! written in a live region, so a screen reader says it. A legend's entries become buttons
//! (`aria-pressed`) that hide and show their series: every shape the server tagged with that
//! `data-series`. No props, no state in the page.

use leptos::ev;
use leptos::prelude::*;
use web_sys::Element;

use super::dom;

/// What the read-out says before a mark is shown.
const HINT: &str = "Point at a bar, or focus the chart and use the arrow keys, to read its figure.";

/// The class of a shape whose series the reader has hidden (the stylesheet hides it).
const OFF: &str = "series-off";

/// The marks that carry a figure, in drawing order: the shapes with a `<title>`, except those
/// of a hidden series.
fn marks(root: &Element) -> Vec<Element> {
    dom::all(root, "svg title")
        .iter()
        .filter_map(|t| t.parent_element())
        .filter(|m| !dom::has_class(m, OFF))
        .collect()
}

#[island]
pub fn ChartIsland(children: Children) -> impl IntoView {
    let root = NodeRef::<leptos::html::Div>::new();
    let readout = RwSignal::new(String::new());
    // The mark shown, by its position among the chart's marks.
    let current = RwSignal::new(None::<usize>);
    // Hydrated: the chart answers the pointer and the keys (the server's HTML says nothing).
    let ready = RwSignal::new(false);
    Effect::new(move || {
        if let Some(el) = root.get() {
            prepare(&el);
            ready.set(true);
        }
    });
    let line = move || match (ready.get(), readout.get()) {
        (false, _) => String::new(),
        (true, r) if r.is_empty() => HINT.to_owned(),
        (true, r) => r,
    };
    // Outline the mark shown and read out its figure (a legend button's answer stays until a
    // mark is shown).
    Effect::new(move || {
        let Some(el) = root.get() else {
            return;
        };
        let marks = marks(&el);
        for m in dom::all(&el, ".selected") {
            let _ = m.class_list().remove_1("selected");
        }
        let text = current
            .get()
            .and_then(|i| marks.get(i))
            .map(|m| {
                let _ = m.class_list().add_1("selected");
                dom::first(m, "title")
                    .map(|t| dom::text(&t))
                    .unwrap_or_default()
            })
            .unwrap_or_default();
        if !text.is_empty() || current.get().is_some() {
            readout.set(text);
        }
    });
    // A legend button: its series hides or shows, and the read-out says which.
    let on_click = move |e: ev::MouseEvent| {
        let (Some(el), Some(target)) = (root.get_untracked(), dom::target(&e)) else {
            return;
        };
        if let Some(said) = toggle_series(&el, &target) {
            current.set(None);
            readout.set(said);
        }
    };
    let on_pointer = move |e: ev::MouseEvent| {
        let (Some(el), Some(target)) = (root.get_untracked(), dom::target(&e)) else {
            return;
        };
        let marks = marks(&el);
        if let Some(i) = marks.iter().position(|m| *m == target) {
            current.set(Some(i));
        }
    };
    let on_focus = move |_: ev::FocusEvent| {
        if current.get_untracked().is_none() {
            current.set(Some(0));
        }
    };
    let on_key = move |e: ev::KeyboardEvent| {
        let Some(el) = root.get_untracked() else {
            return;
        };
        let count = marks(&el).len();
        if count == 0 {
            return;
        }
        let now = current.get_untracked();
        let next = match e.key().as_str() {
            "ArrowRight" | "ArrowDown" => now.map_or(0, |i| (i + 1).min(count - 1)),
            "ArrowLeft" | "ArrowUp" => now.map_or(0, |i| i.saturating_sub(1)),
            "Home" => 0,
            "End" => count - 1,
            "Escape" => {
                current.set(None);
                return;
            }
            _ => return,
        };
        e.prevent_default();
        current.set(Some(next));
    };
    view! {
        <div class="chart-island" node_ref=root on:click=on_click on:mouseover=on_pointer on:focusin=on_focus on:keydown=on_key>
            {children()}
            <p class="chart-readout" aria-live="polite">{line}</p>
        </div>
    }
}

/// A click on a legend button: hides its series if shown, shows it if hidden; answers what
/// the read-out should say, or `None` for a click elsewhere.
fn toggle_series(root: &Element, target: &Element) -> Option<String> {
    let button = dom::closest(target, "button.legend-toggle")?;
    let series = button.get_attribute("data-series")?;
    let hide = button.get_attribute("aria-pressed").as_deref() != Some("false");
    dom::set_attr(
        &button,
        "aria-pressed",
        Some(if hide { "false" } else { "true" }),
    );
    for shape in dom::all(root, "svg [data-series]") {
        if shape.get_attribute("data-series").as_deref() == Some(series.as_str()) {
            let classes = shape.class_list();
            let _ = if hide {
                classes.add_1(OFF)
            } else {
                classes.remove_1(OFF)
            };
        }
    }
    Some(format!(
        "{series}: {}",
        if hide { "hidden" } else { "shown" }
    ))
}

/// Each legend entry becomes a button that hides and shows its series (pressed: shown).
fn legend_buttons(root: &Element) {
    for item in dom::all(root, "ul.legend li[data-series]") {
        let Some(button) = dom::button_around_content(&item, "legend-toggle") else {
            continue;
        };
        let series = item.get_attribute("data-series").unwrap_or_default();
        dom::set_attr(&button, "aria-pressed", Some("true"));
        dom::set_attr(&button, "data-series", Some(series.as_str()));
        let title = format!("Hide or show {series}");
        dom::set_attr(&button, "title", Some(title.as_str()));
    }
}

/// Makes the chart one tab stop, its legend buttons, and marks the island ready.
fn prepare(root: &Element) {
    legend_buttons(root);
    if let Some(chart) = dom::first(root, "[role=img]") {
        dom::set_attr(&chart, "tabindex", Some("0"));
        let hint = "; arrow keys step through its figures";
        let label = chart.get_attribute("aria-label").unwrap_or_default();
        if !label.ends_with(hint) {
            dom::set_attr(
                &chart,
                "aria-label",
                Some(format!("{label}{hint}").as_str()),
            );
        }
    }
    dom::set_attr(root, "data-ready", Some(""));
}
