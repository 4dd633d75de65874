//! Form pieces: labelled inputs that show what is wrong with them.

use std::collections::BTreeMap;

use leptos::prelude::*;

/// Messages per field name, for a form that came back invalid.
pub type FieldErrors = BTreeMap<String, String>;

/// A labelled text input; `errors` marks it invalid and says why.
pub fn field(
    label: &'static str,
    name: &'static str,
    kind: &'static str,
    value: String,
    required: bool,
    errors: &FieldErrors,
) -> impl IntoView + use<> {
    let error = errors.get(name).cloned();
    let invalid = error.is_some().then_some("true");
    let described = error.is_some().then(|| format!("{name}-error"));
    let id = format!("f-{name}");
    let for_id = id.clone();
    let message =
        error.map(|e| view! { <span class="field-error" id=format!("{name}-error")>{e}</span> });
    view! {
        <label for=for_id>
            {label}
            <input id=id name=name type=kind value=value required=required aria-invalid=invalid aria-describedby=described/>
            {message}
        </label>
    }
}

/// A labelled select of `options` (value, label), with `selected` chosen.
pub fn select(
    label: &'static str,
    name: &'static str,
    options: Vec<(String, String)>,
    selected: &str,
    errors: &FieldErrors,
) -> impl IntoView + use<> {
    let error = errors.get(name).cloned();
    let invalid = error.is_some().then_some("true");
    let id = format!("f-{name}");
    let for_id = id.clone();
    let options = options
        .into_iter()
        .map(|(value, text)| {
            let is = value == selected;
            view! { <option value=value selected=is>{text}</option> }
        })
        .collect_view();
    let message = error.map(|e| view! { <span class="field-error">{e}</span> });
    view! {
        <label for=for_id>
            {label}
            <select id=id name=name aria-invalid=invalid>{options}</select>
            {message}
        </label>
    }
}

pub fn csrf(token: &str) -> impl IntoView + use<> {
    let token = token.to_owned();
    view! { <input type="hidden" name="csrf" value=token/> }
}
