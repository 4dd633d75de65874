//! Admin: import usage from a CSV file. Upload, check the column mapping against a dry-run
//! preview of the first rows and every refused row, then import.

use leptos::either::Either;
use leptos::prelude::*;

use crate::components::{Alert, Column, Csrf, DataTable};
use crate::shell::{Nav, Shell, Viewer, render};

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
    let csrf = viewer.csrf.clone();
    let imported = p
        .imported
        .map(|outcome| view! { <ImportedSummary outcome/> });
    let preview = p
        .preview
        .map(|preview| view! { <PreviewSection preview csrf=csrf.clone()/> });
    let viewer = viewer.clone();
    render(move || {
        view! {
            <Shell title="Import usage" viewer=Some(viewer) active=Nav::Import>
                <h1>"Import usage"</h1>
                <p class="muted">"A CSV file of usage, one call or one aggregate a row. Columns named like the native event fields (timestamp, provider, model, api_key, team, feature, input_tokens, cached_input_tokens, output_tokens, requests, reported_cost, ...) map by themselves; choose where the others go in the preview. Without an id column, each row's id derives from its content, so importing the same file again adds nothing."</p>
                <Alert message=p.error/>
                {imported}
                <h2>"Upload a CSV file"</h2>
                <form method="post" action="/admin/import" enctype="multipart/form-data" class="grid">
                    <Csrf token=csrf/>
                    <input type="hidden" name="action" value="preview"/>
                    <label for="file">"CSV file"<input id="file" name="file" type="file" accept=".csv,text/csv" required/></label>
                    <button type="submit">"Preview"</button>
                </form>
                {preview}
            </Shell>
        }
    })
}

/// Every refused row and why, when there is any.
#[component]
fn RefusedRows(errors: Vec<(usize, String)>) -> impl IntoView {
    (!errors.is_empty()).then(|| {
        let items = errors
            .into_iter()
            .map(|(row, e)| view! { <li>{format!("Row {row}: {e}")}</li> })
            .collect_view();
        view! {
            <h3>"Refused rows"</h3>
            <ul class="errors" id="row-errors">{items}</ul>
        }
    })
}

#[component]
fn ImportedSummary(outcome: Imported) -> impl IntoView {
    let summary = format!(
        "Imported {}: {} new events, {} already imported, {} rows refused.",
        outcome.file_name,
        outcome.accepted,
        outcome.duplicates,
        outcome.errors.len()
    );
    view! {
        <section class="notice" role="status" id="imported"><p>{summary}</p></section>
        <RefusedRows errors=outcome.errors/>
    }
}

/// Where one column of the file goes: ignored, a native field, or a tag.
#[component]
fn ColumnChoice(index: usize, column: ColumnMap, fields: Vec<String>) -> impl IntoView {
    let tag = format!("tags.{}", column.header);
    let mut options: Vec<(String, String)> = vec![(String::new(), "(ignore)".into())];
    options.extend(fields.into_iter().map(|f| (f.clone(), f)));
    options.push((tag.clone(), format!("tag `{}`", column.header)));
    if let Some(other) = column
        .target
        .strip_prefix("tags.")
        .filter(|_| column.target != tag)
    {
        options.push((column.target.clone(), format!("tag `{other}`")));
    }
    let options = options
        .into_iter()
        .map(|(value, label)| {
            let selected = value == column.target;
            view! { <option value=value selected=selected>{label}</option> }
        })
        .collect_view();
    let id = format!("map-{index}");
    let label_for = id.clone();
    view! {
        <tr>
            <th scope="row"><label for=label_for>{column.header}</label></th>
            <td><select id=id name=format!("map_{index}")>{options}</select></td>
        </tr>
    }
}

#[component]
fn PreviewEntry(row: PreviewRow) -> impl IntoView {
    let cells = match row.error {
        Some(e) => Either::Left(view! { <td colspan="10" class="field-error">{e}</td> }),
        None => Either::Right(
            row.cells
                .into_iter()
                .map(|c| view! { <td>{c}</td> })
                .collect_view(),
        ),
    };
    view! { <tr><th scope="row">{row.row}</th>{cells}</tr> }
}

#[component]
fn PreviewSection(preview: Preview, csrf: String) -> impl IntoView {
    let p = preview;
    let columns = p
        .columns
        .into_iter()
        .enumerate()
        .map(|(index, column)| view! { <ColumnChoice index column fields=p.fields.clone()/> })
        .collect_view();
    let missing = (!p.missing.is_empty()).then(|| {
        format!(
            "No column fills {}: every row will be refused until one does.",
            p.missing.join(", ")
        )
    });
    let rows = p
        .rows
        .into_iter()
        .map(|row| view! { <PreviewEntry row/> })
        .collect_view();
    let summary = format!(
        "{}: {} rows, {} valid, {} refused. Nothing is stored until you import.",
        p.file_name,
        p.total,
        p.valid,
        p.total - p.valid
    );
    let import_label = format!("Import {} rows", p.valid);
    let preview_columns = std::iter::once("Row")
        .chain(PREVIEW_HEADERS)
        .map(Column::text)
        .collect::<Vec<_>>();
    view! {
        <h2>"Preview (dry run)"</h2>
        <p class="notice" role="status" id="preview-summary">{summary}</p>
        <Alert message=missing/>
        <form method="post" action="/admin/import" enctype="multipart/form-data">
            <Csrf token=csrf/>
            <input type="hidden" name="content" value=p.content/>
            <input type="hidden" name="name" value=p.file_name/>
            <h3>"Columns"</h3>
            <DataTable id="mapping" columns=vec![Column::text("Column"), Column::text("Goes to")]>
                {columns}
            </DataTable>
            <p>
                <button type="submit" name="action" value="preview" class="secondary">"Preview again"</button>
                " "
                <button type="submit" name="action" value="import">{import_label}</button>
            </p>
        </form>
        <h3>"First rows"</h3>
        <DataTable id="preview" columns=preview_columns>{rows}</DataTable>
        <RefusedRows errors=p.errors/>
    }
}
