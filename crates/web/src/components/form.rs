//! Form pieces: labelled inputs and selects that show what is wrong with them, and the
//! hidden inputs every post carries.

use std::collections::BTreeMap;

use leptos::prelude::*;

/// Messages per field name, for a form that came back invalid.
pub type FieldErrors = BTreeMap<String, String>;

/// A labelled input; `error` marks it invalid and says why.
#[component]
pub fn Field(
    label: &'static str,
    name: &'static str,
    /// The input's `type`.
    #[prop(default = "text")]
    kind: &'static str,
    #[prop(optional, into)] value: String,
    #[prop(optional)] required: bool,
    #[prop(optional_no_strip)] error: Option<String>,
    /// The id of a [`Choices`] list the input suggests from.
    #[prop(optional)]
    list: Option<&'static str>,
) -> impl IntoView {
    let invalid = error.is_some().then_some("true");
    let described = error.is_some().then(|| format!("{name}-error"));
    let id = format!("f-{name}");
    let label_for = id.clone();
    let message =
        error.map(|e| view! { <span class="field-error" id=format!("{name}-error")>{e}</span> });
    view! {
        <label for=label_for>
            {label}
            <input id=id name=name type=kind value=value required=required aria-invalid=invalid aria-describedby=described list=list/>
            {message}
        </label>
    }
}

/// A labelled select of `options` (value, label), with `selected` chosen.
#[component]
pub fn Select(
    label: &'static str,
    name: &'static str,
    options: Vec<(String, String)>,
    #[prop(into)] selected: String,
    #[prop(optional_no_strip)] error: Option<String>,
) -> impl IntoView {
    let invalid = error.is_some().then_some("true");
    let id = format!("f-{name}");
    let options = options
        .into_iter()
        .map(|(value, text)| {
            let is = value == selected;
            view! { <option value=value selected=is>{text}</option> }
        })
        .collect_view();
    let message = error.map(|e| view! { <span class="field-error">{e}</span> });
    let label_for = id.clone();
    view! {
        <label for=label_for>
            {label}
            <select id=id name=name aria-invalid=invalid>{options}</select>
            {message}
        </label>
    }
}

/// The values a [`Field`] with `list=id` suggests: existing names to choose from, so that a
/// form does not create an owner by a typo.
#[component]
pub fn Choices(id: &'static str, values: Vec<String>) -> impl IntoView {
    let options = values
        .into_iter()
        .map(|v| view! { <option value=v></option> })
        .collect_view();
    view! { <datalist id=id>{options}</datalist> }
}

/// The CSRF token every form post carries.
#[component]
pub fn Csrf(#[prop(into)] token: String) -> impl IntoView {
    view! { <input type="hidden" name="csrf" value=token/> }
}

/// A hidden input.
#[component]
pub fn Hidden(name: &'static str, #[prop(into)] value: String) -> impl IntoView {
    view! { <input type="hidden" name=name value=value/> }
}

/// Forms that answer in place in the browser (the [`FormIsland`](crate::islands::FormIsland)):
/// the server's notice or messages above them, its fresh tables in place of theirs. Without
/// JavaScript they post and reload, as every form does.
#[component]
pub fn InlineForms(children: Children) -> impl IntoView {
    use crate::islands::{FormIsland, with_islands};
    with_islands(move || view! { <FormIsland>{children()}</FormIsland> })
}

/// A page's filter form (a GET form of month, team, environment…) that changes the page in
/// place in the browser (the [`FilterIsland`](crate::islands::FilterIsland)) and keeps the
/// address shareable. Without JavaScript it loads the page for the choice, as it always did.
#[component]
pub fn PageFilter(children: Children) -> impl IntoView {
    use crate::islands::{FilterIsland, with_islands};
    with_islands(move || view! { <FilterIsland>{children()}</FilterIsland> })
}
