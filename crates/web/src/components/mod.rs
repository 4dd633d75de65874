//! Pieces shared by pages: charts, the month picker.

pub mod charts;
pub mod form;

use leptos::prelude::*;
use tokentally_domain::month::Month;

/// A GET form that reloads `action` for another month; works without JavaScript.
pub fn month_picker(action: &str, current: Month, months: &[Month]) -> impl IntoView + use<> {
    let mut months = months.to_vec();
    if !months.contains(&current) {
        months.push(current);
        months.sort_by(|a, b| b.cmp(a));
    }
    let options = months
        .into_iter()
        .map(|m| {
            let selected = m == current;
            view! { <option value=m.to_string() selected=selected>{m.to_string()}</option> }
        })
        .collect_view();
    let action = action.to_owned();
    view! {
        <form method="get" action=action class="month-picker no-print">
            <label for="month">"Month"</label>
            <select id="month" name="month">{options}</select>
            <button type="submit">"Show"</button>
        </form>
    }
}
