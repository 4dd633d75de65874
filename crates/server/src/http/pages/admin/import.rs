//! `GET /admin/import` and `POST /admin/import`: upload a CSV file of usage, check the column
//! mapping against a dry-run preview, then import it (audited). The preview carries the file
//! back (base64), so the import stores exactly the bytes that were previewed.

use std::collections::HashMap;

use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use tokentally_web::pages::import_page::{
    ColumnMap, ImportPage, Imported, Preview, PreviewRow, import_page,
};

use super::require_admin;
use crate::http::error::ApiError;
use crate::http::extract::PageUser;
use crate::http::pages::{PageError, viewer_of};
use crate::ingest::csv::{self, CsvFile, Target};
use crate::ingest::{self, Rejection};
use crate::state::AppState;

/// Rows shown in the preview, and refused rows listed.
const PREVIEW_ROWS: usize = 10;
const LISTED_ERRORS: usize = 200;

pub async fn page(
    State(_state): State<AppState>,
    user: PageUser,
) -> Result<Html<String>, PageError> {
    require_admin(&user)?;
    Ok(Html(import_page(&viewer_of(&user), ImportPage::default())))
}

/// What the upload or preview form sent.
#[derive(Default)]
struct Upload {
    csrf: String,
    action: String,
    file: Option<(String, Vec<u8>)>,
    content: String,
    name: String,
    map: HashMap<usize, String>,
}

async fn read_form(mut parts: Multipart) -> Result<Upload, PageError> {
    let bad = |e: axum::extract::multipart::MultipartError| {
        PageError::from(ApiError::BadRequest(e.body_text()))
    };
    let mut u = Upload::default();
    while let Some(field) = parts.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or("").to_owned();
        let file_name = field.file_name().map(str::to_owned);
        let bytes = field.bytes().await.map_err(bad)?;
        let text = || String::from_utf8_lossy(&bytes).into_owned();
        match name.as_str() {
            "csrf" => u.csrf = text(),
            "action" => u.action = text(),
            "content" => u.content = text(),
            "name" => u.name = text(),
            "file" if !bytes.is_empty() => {
                u.file = Some((
                    file_name.unwrap_or_else(|| "upload.csv".into()),
                    bytes.to_vec(),
                ))
            }
            other => {
                if let Some(i) = other.strip_prefix("map_").and_then(|i| i.parse().ok()) {
                    u.map.insert(i, text());
                }
            }
        }
    }
    Ok(u)
}

pub async fn post(
    State(state): State<AppState>,
    user: PageUser,
    parts: Multipart,
) -> Result<Response, PageError> {
    let form = read_form(parts).await?;
    require_admin(&user)?;
    user.check_csrf(&form.csrf)?;
    let viewer = viewer_of(&user);
    let refuse = |message: String| {
        let p = ImportPage {
            error: Some(message),
            ..Default::default()
        };
        Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            Html(import_page(&viewer, p)),
        )
            .into_response())
    };
    let (file_name, body) = match form.file {
        Some(f) => f,
        None if !form.content.is_empty() => match STANDARD.decode(form.content.trim()) {
            Ok(b) => (form.name.clone(), b),
            Err(_) => {
                return refuse(
                    "The previewed file did not come back intact; upload it again.".into(),
                );
            }
        },
        None => return refuse("Choose a CSV file to upload.".into()),
    };
    let file = match CsvFile::read(&body) {
        Ok(f) => f,
        Err(e) => return refuse(format!("The file cannot be read as CSV: {e}.")),
    };
    let mut overrides = HashMap::new();
    for (i, header) in file.headers.iter().enumerate() {
        if let Some(spec) = form.map.get(&i) {
            match Target::parse(spec) {
                Ok(t) => overrides.insert(header.clone(), t),
                Err(e) => return refuse(format!("Column {header}: {e}")),
            };
        }
    }
    let targets = file.targets(&overrides);
    let now = chrono::Utc::now();
    if form.action == "import" {
        let report = ingest::import_csv(
            &state.store,
            &user.principal.name,
            &file_name,
            &body,
            &file,
            &targets,
            now,
        )
        .await?;
        let imported = Imported {
            file_name,
            accepted: report.accepted,
            duplicates: report.duplicates,
            errors: listed(&report.rejected),
        };
        let p = ImportPage {
            imported: Some(imported),
            ..Default::default()
        };
        return Ok(Html(import_page(&viewer, p)).into_response());
    }
    let rows = csv::rows(&file, &targets, now);
    let rejected: Vec<Rejection> = rows.iter().filter_map(|r| r.clone().err()).collect();
    let preview = Preview {
        content: STANDARD.encode(&body),
        columns: file
            .headers
            .iter()
            .zip(&targets)
            .map(|(h, t)| ColumnMap {
                header: h.clone(),
                target: t.spec(),
            })
            .collect(),
        fields: csv::FIELDS.iter().map(|f| (*f).to_owned()).collect(),
        missing: csv::missing(&targets)
            .iter()
            .map(|f| (*f).to_owned())
            .collect(),
        total: rows.len(),
        valid: rows.len() - rejected.len(),
        rows: rows
            .iter()
            .take(PREVIEW_ROWS)
            .enumerate()
            .map(|(i, r)| preview_row(i + 1, r))
            .collect(),
        errors: listed(&rejected),
        file_name,
    };
    let p = ImportPage {
        preview: Some(preview),
        ..Default::default()
    };
    Ok(Html(import_page(&viewer, p)).into_response())
}

fn listed(rejected: &[Rejection]) -> Vec<(usize, String)> {
    rejected
        .iter()
        .take(LISTED_ERRORS)
        .map(|r| (r.index + 1, r.error.clone()))
        .collect()
}

fn preview_row(
    row: usize,
    r: &Result<tokentally_domain::event::UsageEvent, Rejection>,
) -> PreviewRow {
    match r {
        Ok(e) => {
            let opt = |s: &Option<String>| s.clone().unwrap_or_default();
            PreviewRow {
                row,
                cells: vec![
                    e.timestamp.to_rfc3339(),
                    e.provider.clone(),
                    e.model.clone(),
                    opt(&e.api_key),
                    opt(&e.team),
                    opt(&e.feature),
                    e.tokens.input.to_string(),
                    e.tokens.cached_input.to_string(),
                    e.tokens.output.to_string(),
                    e.requests.to_string(),
                ],
                error: None,
            }
        }
        Err(r) => PreviewRow {
            row,
            cells: vec![],
            error: Some(r.error.clone()),
        },
    }
}
