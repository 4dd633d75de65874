//! The report filter: a GET form choosing the month and the environment (production,
//! staging, …) a report shows, without JavaScript, and the line that says which environment
//! a page is narrowed to.

use leptos::prelude::*;
use tokentally_domain::month::Month;

use super::{MonthPicker, PageFilter};
use crate::pages::showback_page::urlencode;

/// The environment a page is narrowed to, and those it could be.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnvironmentFilter {
    /// The environment shown; none for all of them.
    pub current: Option<String>,
    /// The environments with usage in the month, as the page's subject saw them; empty where
    /// the page cannot be narrowed (then the form chooses the month alone).
    pub choices: Vec<String>,
}

impl EnvironmentFilter {
    /// `&env=…` for links that keep the filter, or nothing.
    pub fn query(&self) -> String {
        self.current
            .as_ref()
            .map(|e| format!("&env={}", urlencode(e)))
            .unwrap_or_default()
    }

    /// The filter names an environment with no usage here.
    pub fn unknown(&self) -> bool {
        self.current
            .as_ref()
            .is_some_and(|c| !self.choices.contains(c))
    }
}

/// The month and, where there are environments to choose from, the environment ("All" first).
#[component]
pub fn ReportFilter(
    /// The page's path; the form reloads it with `?month=` and `env=`.
    #[prop(into)]
    action: String,
    current: Month,
    months: Vec<Month>,
    environments: EnvironmentFilter,
) -> impl IntoView {
    if environments.choices.is_empty() && environments.current.is_none() {
        return view! { <MonthPicker action current months/> }.into_any();
    }
    let mut months = months;
    if !months.contains(&current) {
        months.push(current);
        months.sort_by(|a, b| b.cmp(a));
    }
    let month_options = months
        .into_iter()
        .map(|m| {
            let selected = m == current;
            view! { <option value=m.to_string() selected=selected>{m.to_string()}</option> }
        })
        .collect_view();
    let mut names = environments.choices.clone();
    if let Some(c) = environments.current.as_ref().filter(|c| !names.contains(c)) {
        names.push(c.clone());
    }
    let env_options = names
        .into_iter()
        .map(|e| {
            let selected = environments.current.as_ref() == Some(&e);
            view! { <option value=e.clone() selected=selected>{e.clone()}</option> }
        })
        .collect_view();
    let all = environments.current.is_none();
    view! {
        <PageFilter>
            <form method="get" action=action class="month-picker no-print">
                <label for="month">"Month"</label>
                <select id="month" name="month">{month_options}</select>
                <label for="env">"Environment"</label>
                <select id="env" name="env">
                    <option value="" selected=all>"All"</option>
                    {env_options}
                </select>
                <button type="submit">"Show"</button>
            </form>
        </PageFilter>
    }
    .into_any()
}

/// Says which environment the page shows and how shared costs were split, or that the
/// environment had no usage; nothing when the page shows all environments.
#[component]
pub fn EnvironmentNote(
    /// The page's path, for the link back to all environments.
    #[prop(into)]
    action: String,
    filter: EnvironmentFilter,
    month: Month,
) -> impl IntoView {
    let env = filter.current.clone()?;
    let all = format!("{action}?month={month}");
    let unknown = filter.unknown().then(|| {
        view! {
            <p class="notice" role="status" id="environment-empty">
                {format!("No usage in environment “{env}” in {month}: nothing to show.")}
            </p>
        }
    });
    Some(view! {
        <p class="filter-note" id="environment-note">
            "Environment: "<strong>{env.clone()}</strong>
            ". Overheads and commitment fees are this environment’s part of each team’s shares, in proportion to its usage; value, budgets, forecasts and month-on-month movement cover all environments and are left out. "
            <a href=all>"All environments"</a>
        </p>
        {unknown}
    })
}
