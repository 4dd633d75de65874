//! The table every page lists its rows in: `class="data"`, column headings with their
//! alignment, the rows as children, and an optional caption and footer; interactive (the
//! [`TableIsland`]) where a page asks.

use leptos::either::Either;
use leptos::prelude::*;

use crate::islands::{TableIsland, with_islands};

/// A column heading: its text and its class (`num` right-aligns numbers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub label: String,
    pub class: Option<&'static str>,
}

impl Column {
    /// A column of text.
    pub fn text(label: impl Into<String>) -> Self {
        Self {
            label: label.into(),
            class: None,
        }
    }

    /// A column of numbers or amounts, right-aligned.
    pub fn num(label: impl Into<String>) -> Self {
        Self {
            label: label.into(),
            class: Some("num"),
        }
    }

    /// A column with a class of its own (`no-print`).
    pub fn with_class(label: impl Into<String>, class: &'static str) -> Self {
        Self {
            label: label.into(),
            class: Some(class),
        }
    }
}

/// Column headings as `<th scope="col">` cells.
#[component]
pub fn Headings(columns: Vec<Column>) -> impl IntoView {
    columns
        .into_iter()
        .map(|c| match c.class {
            Some(class) => Either::Left(view! { <th scope="col" class=class>{c.label}</th> }),
            None => Either::Right(view! { <th scope="col">{c.label}</th> }),
        })
        .collect_view()
}

/// A data table. `columns` head it; `head` adds heading cells of its own (sort links); the
/// children are the body's rows; `foot` goes in `<tfoot>`. It sits in a `table-scroll` box,
/// which scrolls sideways on a narrow screen so that the page never does. An `interactive`
/// table sorts by any column and filters its rows by name in the browser.
#[component]
pub fn DataTable(
    #[prop(optional, into)] id: Option<String>,
    #[prop(optional, into)] caption: Option<String>,
    #[prop(optional)] columns: Vec<Column>,
    #[prop(optional)] head: Option<AnyView>,
    #[prop(optional)] foot: Option<AnyView>,
    #[prop(optional)] interactive: bool,
    children: Children,
) -> impl IntoView {
    let caption = caption.map(|c| view! { <caption>{c}</caption> });
    let thead = (!columns.is_empty() || head.is_some())
        .then(|| view! { <thead><tr><Headings columns/>{head}</tr></thead> });
    let tfoot = foot.map(|f| view! { <tfoot>{f}</tfoot> });
    let table = view! {
        <div class="table-scroll">
            <table class="data" id=id>
                {caption}
                {thead}
                <tbody>{children()}</tbody>
                {tfoot}
            </table>
        </div>
    };
    if interactive {
        Either::Left(view! { <InteractiveTable>{table}</InteractiveTable> })
    } else {
        Either::Right(table)
    }
}

/// A table that sorts and filters in the browser (the [`TableIsland`]) around its children:
/// the table, and the server's filter form where the page has one (`form.table-filter`).
#[component]
pub fn InteractiveTable(children: Children) -> impl IntoView {
    with_islands(move || view! { <TableIsland>{children()}</TableIsland> })
}
