//! Admin: import usage from a CSV file. Upload, check the column mapping against a dry-run
//! preview of the first rows and every refused row, then import.

use leptos::prelude::*;

use crate::components::form::csrf;
use crate::shell::{Nav, Viewer, document, render};

/// One column of the file and where it goes (`""` is nowhere, `tags.NAME` a tag).
#[derive(Debug, Clone)]
pub struct ColumnMap {
    pub header: String,
    pub target: String,
}

/// A row of the preview: the event as read, or why it was refused.
#[derive(Debug, Clone)]
pub struct PreviewRow {
    /// 1-based row of data (the header is not counted).
    pub row: usize,
    pub cells: Vec<String>,
    pub error: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Preview {
    pub file_name: String,
    /// The file, base64, so that the import posts the bytes that were previewed.
    pub content: String,
    pub columns: Vec<ColumnMap>,
    /// Native fields a column may fill.
    pub fields: Vec<String>,
    /// Required fields no column fills.
    pub missing: Vec<String>,
    pub rows: Vec<PreviewRow>,
    pub total: usize,
    pub valid: usize,
    /// Every refused row: (row, reason), capped.
    pub errors: Vec<(usize, String)>,
}

/// The outcome of an import.
#[derive(Debug, Clone)]
pub struct Imported {
    pub file_name: String,
    pub accepted: usize,
    pub duplicates: usize,
    pub errors: Vec<(usize, String)>,
}

#[derive(Debug, Clone, Default)]
pub struct ImportPage {
    pub error: Option<String>,
    pub preview: Option<Preview>,
    pub imported: Option<Imported>,
}

/// Columns of the preview table.
pub const PREVIEW_HEADERS: [&str; 10] = [
    "Timestamp",
    "Provider",
    "Model",
    "Key",
    "Team",
    "Feature",
    "Input",
    "Cached",
    "Output",
    "Requests",
];

pub fn import_page(viewer: &Viewer, p: ImportPage) -> String {
    let error = p
        .error
        .map(|e| view! { <p class="alert" role="alert">{e}</p> });
    let imported = p.imported.map(imported_view);
    let preview = p.preview.map(|pv| preview_view(viewer, pv));
    let body = render(view! {
        <h1>"Import usage"</h1>
        <p class="muted">"A CSV file of usage, one call or one aggregate a row. Columns named like the native event fields (timestamp, provider, model, api_key, team, feature, input_tokens, cached_input_tokens, output_tokens, requests, reported_cost, ...) map by themselves; choose where the others go in the preview. Without an id column, each row's id derives from its content, so importing the same file again adds nothing."</p>
        {error}
        {imported}
        <h2>"Upload a CSV file"</h2>
        <form method="post" action="/admin/import" enctype="multipart/form-data" class="grid">
            {csrf(&viewer.csrf)}
            <input type="hidden" name="action" value="preview"/>
            <label for="file">"CSV file"<input id="file" name="file" type="file" accept=".csv,text/csv" required/></label>
            <button type="submit">"Preview"</button>
        </form>
        {preview}
    });
    document("Import usage", Some(viewer), Nav::Import, body)
}

fn errors_view(errors: Vec<(usize, String)>) -> impl IntoView {
    let shown = errors.len();
    let items = errors
        .into_iter()
        .map(|(row, e)| view! { <li>{format!("Row {row}: {e}")}</li> })
        .collect_view();
    (shown > 0).then(|| {
        view! {
            <h3>"Refused rows"</h3>
            <ul class="errors" id="row-errors">{items}</ul>
        }
    })
}

fn imported_view(i: Imported) -> impl IntoView {
    let summary = format!(
        "Imported {}: {} new events, {} already imported, {} rows refused.",
        i.file_name,
        i.accepted,
        i.duplicates,
        i.errors.len()
    );
    view! {
        <section class="notice" role="status" id="imported"><p>{summary}</p></section>
        {errors_view(i.errors)}
    }
}

fn preview_view(viewer: &Viewer, p: Preview) -> impl IntoView + use<> {
    let columns = p
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let tag = format!("tags.{}", c.header);
            let mut options: Vec<(String, String)> = vec![(String::new(), "(ignore)".into())];
            options.extend(p.fields.iter().map(|f| (f.clone(), f.clone())));
            options.push((tag.clone(), format!("tag `{}`", c.header)));
            if c.target.starts_with("tags.") && c.target != tag {
                options.push((c.target.clone(), format!("tag `{}`", &c.target[5..])));
            }
            let options = options
                .into_iter()
                .map(|(value, label)| {
                    let selected = value == c.target;
                    view! { <option value=value selected=selected>{label}</option> }
                })
                .collect_view();
            let id = format!("map-{i}");
            view! {
                <tr>
                    <th scope="row"><label for=id.clone()>{c.header.clone()}</label></th>
                    <td><select id=id name=format!("map_{i}")>{options}</select></td>
                </tr>
            }
        })
        .collect_view();
    let missing = (!p.missing.is_empty()).then(|| {
        view! {
            <p class="alert" role="alert">{format!(
                "No column fills {}: every row will be refused until one does.",
                p.missing.join(", ")
            )}</p>
        }
    });
    let head = PREVIEW_HEADERS
        .iter()
        .map(|h| view! { <th scope="col">{*h}</th> })
        .collect_view();
    let rows = p
        .rows
        .into_iter()
        .map(|r| {
            let cells = match r.error {
                Some(e) => view! { <td colspan="10" class="field-error">{e}</td> }.into_any(),
                None => r
                    .cells
                    .into_iter()
                    .map(|c| view! { <td>{c}</td> })
                    .collect_view()
                    .into_any(),
            };
            view! { <tr><th scope="row">{r.row}</th>{cells}</tr> }
        })
        .collect_view();
    let summary = format!(
        "{}: {} rows, {} valid, {} refused. Nothing is stored until you import.",
        p.file_name,
        p.total,
        p.valid,
        p.total - p.valid
    );
    let import_label = format!("Import {} rows", p.valid);
    view! {
        <h2>"Preview (dry run)"</h2>
        <p class="notice" role="status" id="preview-summary">{summary}</p>
        {missing}
        <form method="post" action="/admin/import" enctype="multipart/form-data">
            {csrf(&viewer.csrf)}
            <input type="hidden" name="content" value=p.content/>
            <input type="hidden" name="name" value=p.file_name/>
            <h3>"Columns"</h3>
            <table class="data" id="mapping">
                <thead><tr><th scope="col">"Column"</th><th scope="col">"Goes to"</th></tr></thead>
                <tbody>{columns}</tbody>
            </table>
            <p>
                <button type="submit" name="action" value="preview" class="secondary">"Preview again"</button>
                " "
                <button type="submit" name="action" value="import">{import_label}</button>
            </p>
        </form>
        <h3>"First rows"</h3>
        <table class="data" id="preview">
            <thead><tr><th scope="col">"Row"</th>{head}</tr></thead>
            <tbody>{rows}</tbody>
        </table>
        {errors_view(p.errors)}
    }
}
