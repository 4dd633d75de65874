//! The table island: a data table that sorts by any column and filters its rows by name
//! without a reload.
//!
//! The server draws the whole table, its sort links (where it sorts, as on the showback) and
//! its filter form (where it filters); without JavaScript those work as links and forms. Once
//! hydrated, the island sorts and filters the rows already on the page: a column heading
//! without a link becomes a button; a sort link or the filter form is answered in place and
//! the page's address and the CSV link take the same parameters, so the address still gives
//! the same page and the CSV what is shown. A table of four columns or more gets a column
//! picker: unticking a column hides it (the CSV keeps every column, as the server writes it).
//! When a form island swaps in the server's fresh table, the island prepares it again with
//! the columns and the filter the reader chose. It carries no data of its own: no props, no
//! state serialised into the page.

use leptos::ev;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{
    Element, HtmlInputElement, HtmlTableCellElement, HtmlTableElement, HtmlTableRowElement,
};

use super::dom;
use super::order::{self, SortKey};

/// Rows that stay last whatever the order (the server keeps Unallocated under the teams).
const PINNED: [&str; 2] = ["unallocated", "idle"];
/// Rows that are not one of the table's subjects (idle commitment): never filtered out.
const NOT_A_SUBJECT: &str = "idle";
/// Tables with fewer columns than this have nothing to pick.
const PICKABLE_FROM: u32 = 4;

#[island]
pub fn TableIsland(children: Children) -> impl IntoView {
    let root = NodeRef::<leptos::html::Div>::new();
    // The island's own filter box, once hydrated, where the server drew no filter form.
    let own_filter = RwSignal::new(false);
    Effect::new(move || {
        if let Some(el) = root.get() {
            own_filter.set(prepare(&el));
        }
    });
    let on_click = move |e: ev::MouseEvent| {
        if let Some(el) = root.get_untracked() {
            click(&el, &e);
        }
    };
    let on_input = move |e: ev::Event| {
        if let Some(el) = root.get_untracked() {
            input(&el, &e);
        }
    };
    // A column picked or dropped.
    let on_change = move |e: ev::Event| {
        if let Some(el) = root.get_untracked()
            && dom::target(&e).is_some_and(|t| t.has_attribute("data-column"))
        {
            apply_columns(&el);
        }
    };
    // A table swapped in by a form island is as the server drew it: prepare it again before
    // the reader uses it.
    let approach = move || {
        if let Some(el) = root.get_untracked()
            && is_fresh(&el)
        {
            prepare(&el);
        }
    };
    let on_pointer_near = move |_: ev::MouseEvent| approach();
    let on_focus_near = move |_: ev::FocusEvent| approach();
    // The server's filter form is answered in place (`input` already filtered).
    let on_submit = move |e: ev::SubmitEvent| {
        if dom::target(&e).is_some_and(|f| dom::has_class(&f, "table-filter")) {
            e.prevent_default();
        }
    };
    view! {
        <div class="table-island" node_ref=root on:click=on_click on:input=on_input on:change=on_change on:submit=on_submit on:mouseover=on_pointer_near on:focusin=on_focus_near>
            {move || own_filter.get().then(|| view! {
                <div class="table-filter">
                    <label>"Filter rows "<input type="search" autocomplete="off"/></label>
                    " "<span class="filter-status" role="status"></span>
                </div>
            })}
            {children()}
        </div>
    }
}

/// Turns each plain column heading into a sort button, adds the column picker, applies the
/// columns and filter chosen (to a table swapped in), and marks the island ready; answers
/// whether the island should draw its own filter box (the server drew no filter form).
fn prepare(root: &Element) -> bool {
    sort_buttons(root);
    column_picker(root);
    apply_columns(root);
    if let Some(field) =
        dom::first(root, "input[type=search]").and_then(|f| f.dyn_into::<HtmlInputElement>().ok())
        && !field.value().is_empty()
    {
        filter_rows(root, &field.value());
    }
    dom::set_attr(root, "data-ready", Some(""));
    dom::first(root, "form.table-filter").is_none()
}

/// The table is as the server drew it: a heading without its sort link or button.
fn is_fresh(root: &Element) -> bool {
    dom::all(root, "thead th")
        .iter()
        .any(|th| dom::first(th, "a, button").is_none())
}

fn sort_buttons(root: &Element) {
    for th in dom::all(root, "thead th") {
        dom::button_around_content(&th, "sort");
    }
}

/// The headings of the table's first header row.
fn headings(root: &Element) -> Vec<Element> {
    dom::all(root, "thead tr:first-child th")
}

/// A "Columns" disclosure before the table with a box per column but the first (the row's
/// name): made once per island, and kept when the table is swapped.
fn column_picker(root: &Element) {
    if dom::first(root, ".column-picker").is_some() {
        return;
    }
    let headings = headings(root);
    let (Some(table), Some(document)) = (dom::first(root, "table"), root.owner_document()) else {
        return;
    };
    if (headings.len() as u32) < PICKABLE_FROM {
        return;
    }
    let make = |tag: &str| document.create_element(tag).ok();
    let (Some(picker), Some(summary)) = (make("details"), make("summary")) else {
        return;
    };
    picker.set_class_name("column-picker no-print");
    summary.set_text_content(Some("Columns"));
    let _ = picker.append_child(&summary);
    for (i, th) in headings.iter().enumerate().skip(1) {
        let (Some(label), Some(input)) = (make("label"), make("input")) else {
            continue;
        };
        dom::set_attr(&input, "type", Some("checkbox"));
        dom::set_attr(&input, "checked", Some(""));
        dom::set_attr(&input, "data-column", Some(i.to_string().as_str()));
        let _ = label.append_child(&input);
        let _ = label.append_with_str_1(&format!(" {}", heading_text(th)));
        let _ = picker.append_child(&label);
    }
    if let Some(note) = make("p") {
        note.set_class_name("muted");
        note.set_text_content(Some("The CSV keeps every column."));
        let _ = picker.append_child(&note);
    }
    if let Some(parent) = table.parent_node() {
        let _ = parent.insert_before(&picker, Some(&table));
    }
}

/// A heading's words, without the sort arrow.
fn heading_text(th: &Element) -> String {
    dom::text(th)
        .trim_end_matches(['↑', '↓'])
        .trim_end()
        .to_owned()
}

/// Hides the columns whose box is unticked, in every row: a cell spanning several columns
/// narrows by the hidden ones it covers, and hides when it covers only hidden ones.
fn apply_columns(root: &Element) {
    let hidden: Vec<usize> = dom::all(root, ".column-picker input[data-column]")
        .iter()
        .filter(|i| {
            !i.dyn_ref::<HtmlInputElement>()
                .is_some_and(HtmlInputElement::checked)
        })
        .filter_map(|i| i.get_attribute("data-column")?.parse().ok())
        .collect();
    let Some(table) = dom::first(root, "table").and_then(|t| t.dyn_into::<HtmlTableElement>().ok())
    else {
        return;
    };
    let rows = table.rows();
    for r in 0..rows.length() {
        let Some(row) = rows
            .item(r)
            .and_then(|r| r.dyn_into::<HtmlTableRowElement>().ok())
        else {
            continue;
        };
        let cells = row.cells();
        let mut start = 0usize;
        for c in 0..cells.length() {
            let Some(cell) = cells
                .item(c)
                .and_then(|c| c.dyn_into::<HtmlTableCellElement>().ok())
            else {
                continue;
            };
            // The span the server drew, remembered before it is first narrowed.
            let span = match cell.get_attribute("data-span") {
                Some(s) => s.parse().unwrap_or(1),
                None => {
                    let s = cell.col_span().max(1);
                    if s > 1 {
                        dom::set_attr(&cell, "data-span", Some(s.to_string().as_str()));
                    }
                    s
                }
            } as usize;
            let covered = (start..start + span).filter(|i| hidden.contains(i)).count();
            dom::set_attr(&cell, "hidden", (covered == span).then_some(""));
            if span > 1 && covered < span {
                cell.set_col_span((span - covered) as u32);
            }
            start += span;
        }
    }
}

/// A click on a sort link or a sort button of a heading.
fn click(root: &Element, e: &ev::MouseEvent) {
    // A link opened elsewhere (new tab, window) is the browser's.
    if e.button() != 0 || e.ctrl_key() || e.meta_key() || e.shift_key() || e.alt_key() {
        return;
    }
    let Some(target) = dom::target(e) else {
        return;
    };
    let Some(th) = dom::closest(&target, "thead th") else {
        return;
    };
    let Some(column) = th
        .dyn_ref::<HtmlTableCellElement>()
        .and_then(|c| u32::try_from(c.cell_index()).ok())
    else {
        return;
    };
    let numeric = dom::has_class(&th, "num");
    let link = dom::closest(&target, "a");
    let descending = match &link {
        // The server's sort link says the order it asks for.
        Some(a) => {
            e.prevent_default();
            let href = a.get_attribute("href").unwrap_or_default();
            dom::param(&href, "dir").map_or(numeric, |d| d == "desc")
        }
        None if dom::closest(&target, "button.sort").is_some() => {
            match th.get_attribute("aria-sort").as_deref() {
                Some("descending") => false,
                Some("ascending") => true,
                _ => numeric,
            }
        }
        None => return,
    };
    sort_rows(root, column, numeric, descending);
    mark_headings(root, &th, descending);
    if let Some(a) = link {
        let href = a.get_attribute("href").unwrap_or_default();
        let key = dom::param(&href, "sort").unwrap_or_default();
        let dir = if descending { "desc" } else { "asc" };
        dom::replace_address(&[("sort", key.as_str()), ("dir", dir)]);
        update_csv(root, &[("sort", key.as_str()), ("dir", dir)]);
    }
}

/// Orders the body's rows by one column; the pinned rows stay last, in their order.
fn sort_rows(root: &Element, column: u32, numeric: bool, descending: bool) {
    let Some(tbody) = dom::first(root, "tbody") else {
        return;
    };
    let mut keyed = Vec::new();
    let mut pinned = Vec::new();
    for row in dom::all(&tbody, "tr") {
        if PINNED.iter().any(|c| dom::has_class(&row, c)) {
            pinned.push(row);
            continue;
        }
        let cells = row.dyn_ref::<HtmlTableRowElement>().map(|r| r.cells());
        let cell = |i: u32| cells.as_ref().and_then(|c| c.item(i));
        let key = SortKey::of(
            &cell(column).map(|c| dom::text(&c)).unwrap_or_default(),
            numeric,
        );
        let name = cell(0).map(|c| dom::text(&c)).unwrap_or_default();
        keyed.push(((key, name), row));
    }
    let keys: Vec<(SortKey, String)> = keyed.iter().map(|(k, _)| k.clone()).collect();
    for i in order::order(&keys, descending) {
        let _ = tbody.append_child(&keyed[i].1);
    }
    for row in pinned {
        let _ = tbody.append_child(&row);
    }
}

/// `aria-sort` on the heading sorted by, none on the others; the server's sort links point
/// where the server would point them now (the heading sorted by: the other way; the rest:
/// their first order) and carry its arrow.
fn mark_headings(root: &Element, sorted: &Element, descending: bool) {
    for th in dom::all(root, "thead th") {
        let is_sorted = th == *sorted;
        let state = if descending {
            "descending"
        } else {
            "ascending"
        };
        dom::set_attr(&th, "aria-sort", is_sorted.then_some(state));
        let Some(a) = dom::first(&th, "a") else {
            continue;
        };
        let numeric = dom::has_class(&th, "num");
        let next_desc = if is_sorted { !descending } else { numeric };
        let href = a.get_attribute("href").unwrap_or_default();
        if let Some(next) =
            dom::with_params(&href, &[("dir", if next_desc { "desc" } else { "asc" })])
        {
            dom::set_attr(&a, "href", Some(next.as_str()));
        }
        let label = dom::text(&a)
            .trim_end_matches(['↑', '↓'])
            .trim_end()
            .to_owned();
        let arrow = match (is_sorted, descending) {
            (false, _) => "",
            (true, true) => " ↓",
            (true, false) => " ↑",
        };
        a.set_text_content(Some(format!("{label}{arrow}").as_str()));
    }
}

/// Typing in the filter box: rows whose name does not hold the text are hidden.
fn input(root: &Element, e: &ev::Event) {
    let Some(field) = dom::target(e).and_then(|t| t.dyn_into::<HtmlInputElement>().ok()) else {
        return;
    };
    if field.type_() != "search" {
        return;
    }
    let query = field.value();
    filter_rows(root, &query);
    // A filter the server also reads (`q`) goes in the address and the CSV link.
    if field.name() == "q" {
        dom::replace_address(&[("q", query.trim())]);
        update_csv(root, &[("q", query.trim())]);
    }
}

/// Hides the rows whose name does not hold `query`, and says how many match.
fn filter_rows(root: &Element, query: &str) {
    let (mut shown, mut total) = (0, 0);
    if let Some(tbody) = dom::first(root, "tbody") {
        for row in dom::all(&tbody, "tr") {
            // Rows without a heading cell (an empty table's note) and idle commitment stay.
            let Some(name) = dom::first(&row, "th") else {
                continue;
            };
            if dom::has_class(&row, NOT_A_SUBJECT) {
                continue;
            }
            total += 1;
            let show = order::matches(&dom::text(&name), query);
            shown += usize::from(show);
            dom::set_attr(&row, "hidden", (!show).then_some(""));
        }
    }
    if let Some(status) = dom::first(root, ".filter-status") {
        status.set_text_content(Some(order::status(shown, total, query).as_str()));
    }
}

/// The section's CSV link takes the parameters it already reads (`sort` and `dir` where it
/// has them; `q` on a table the server filters), so it downloads what the table shows.
fn update_csv(root: &Element, params: &[(&str, &str)]) {
    let Some(link) = dom::closest(root, "section").and_then(|s| dom::first(&s, "a.download"))
    else {
        return;
    };
    let href = link.get_attribute("href").unwrap_or_default();
    let known: Vec<(&str, &str)> = params
        .iter()
        .copied()
        .filter(|(name, _)| *name == "q" || dom::param(&href, name).is_some())
        .collect();
    if let Some(next) = dom::with_params(&href, &known) {
        dom::set_attr(&link, "href", Some(next.as_str()));
    }
}
