//! The month picker: a GET form that loads a page for another month, without JavaScript;
//! with it, the page changes in place ([`PageFilter`]).

use leptos::prelude::*;
use tokentally_domain::month::Month;

use super::PageFilter;

/// Months with data, newest first, with `current` among them even when it has none.
fn choices(current: Month, months: Vec<Month>) -> Vec<Month> {
    let mut months = months;
    if !months.contains(&current) {
        months.push(current);
        months.sort_by(|a, b| b.cmp(a));
    }
    months
}

#[component]
pub fn MonthPicker(
    /// The page's path; the form reloads it with `?month=`.
    #[prop(into)]
    action: String,
    current: Month,
    months: Vec<Month>,
) -> impl IntoView {
    let options = choices(current, months)
        .into_iter()
        .map(|m| {
            let selected = m == current;
            view! { <option value=m.to_string() selected=selected>{m.to_string()}</option> }
        })
        .collect_view();
    view! {
        <PageFilter>
            <form method="get" action=action class="month-picker no-print">
                <label for="month">"Month"</label>
                <select id="month" name="month">{options}</select>
                <button type="submit">"Show"</button>
            </form>
        </PageFilter>
    }
}
