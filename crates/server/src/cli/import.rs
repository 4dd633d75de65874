//! `tokentally import FILE --format ...`: every adapter from the command line. CSV imports are
//! recorded in the audit log (actor `cli`); `--dry-run` reads and checks the file, shows the
//! first rows and every refused row, and stores nothing.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Context, bail};
use chrono::Utc;

use super::{ImportFormat, connect};
use crate::ingest::common::{gunzip, is_gzip};
use crate::ingest::csv::{self, CsvFile, Target};
use crate::ingest::{
    self, IngestReport, ParsedBatch, Rejection, anthropic, bedrock, litellm, native, openai, otlp,
};

/// Rows shown by a dry run.
const PREVIEW_ROWS: usize = 10;
/// The largest file inflated from gzip.
const MAX_INFLATED: usize = 2 << 30;

pub async fn run(
    database_url: &str,
    path: &Path,
    body: &[u8],
    format: ImportFormat,
    map: &[String],
    dry_run: bool,
) -> anyhow::Result<()> {
    let inflated;
    let body = if is_gzip(body) {
        inflated =
            gunzip(body, MAX_INFLATED).with_context(|| format!("reading {}", path.display()))?;
        &inflated[..]
    } else {
        body
    };
    let now = Utc::now();
    let read = || format!("reading {}", path.display());
    if format == ImportFormat::Csv {
        let file = CsvFile::read(body).with_context(read)?;
        let targets = file.targets(&overrides(map)?);
        for (header, target) in file.headers.iter().zip(&targets) {
            let to = match target {
                Target::Ignore => "(ignored)".to_owned(),
                t => t.spec(),
            };
            eprintln!("column {header:?} → {to}");
        }
        let missing = csv::missing(&targets);
        if !missing.is_empty() {
            eprintln!(
                "warning: no column fills {}; every row will be refused (use --map HEADER=FIELD)",
                missing.join(", ")
            );
        }
        if dry_run {
            let batch = csv::parse(&file, &targets, now);
            return preview(&batch);
        }
        let store = connect(database_url).await?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.display().to_string());
        let report = ingest::import_csv(&store, "cli", &name, body, &file, &targets, now).await?;
        print_report(&report);
        return Ok(());
    }
    if !map.is_empty() {
        bail!("--map applies to --format csv only");
    }
    let batch = match format {
        ImportFormat::Native => {
            let f = if looks_like_json_document(body) {
                native::BodyFormat::Json
            } else {
                native::BodyFormat::NdJson
            };
            native::parse(body, f, now).map_err(anyhow::Error::from)
        }
        ImportFormat::Openai => openai::parse_calls(body, now).map_err(Into::into),
        ImportFormat::OpenaiUsage => openai::parse_usage_pages(body, now).map_err(Into::into),
        ImportFormat::Anthropic => anthropic::parse_calls(body, now).map_err(Into::into),
        ImportFormat::AnthropicUsage => {
            anthropic::parse_usage_report(body, now).map_err(Into::into)
        }
        ImportFormat::Litellm if looks_like_json(body) => {
            litellm::parse_json(body, now).map_err(Into::into)
        }
        ImportFormat::Litellm => litellm::parse_csv(body, now).map_err(Into::into),
        ImportFormat::Bedrock => bedrock::parse(body, now).map_err(Into::into),
        ImportFormat::Otlp => otlp::parse_json_file(body, now).map_err(Into::into),
        ImportFormat::Csv => unreachable!("handled above"),
    }
    .with_context(read)?;
    if dry_run {
        return preview(&batch);
    }
    let store = connect(database_url).await?;
    print_report(&ingest::ingest(&store, batch).await?);
    Ok(())
}

/// `HEADER=FIELD` pairs; the last `=` would be ambiguous in a header, so the first one splits.
fn overrides(map: &[String]) -> anyhow::Result<HashMap<String, Target>> {
    map.iter()
        .map(|m| {
            let (header, target) = m
                .split_once('=')
                .with_context(|| format!("--map {m:?}: expected HEADER=FIELD"))?;
            let target = Target::parse(target).map_err(|e| anyhow::anyhow!("--map {m:?}: {e}"))?;
            Ok((header.trim().to_owned(), target))
        })
        .collect()
}

fn preview(batch: &ParsedBatch) -> anyhow::Result<()> {
    println!(
        "dry run: {} valid, {} refused{}; nothing stored",
        batch.events.len(),
        batch.rejected.len(),
        batch
            .ignored
            .map(|n| format!(", {n} ignored"))
            .unwrap_or_default()
    );
    for e in batch.events.iter().take(PREVIEW_ROWS) {
        println!("{}", e.to_json());
    }
    print_rejections(&batch.rejected);
    Ok(())
}

fn print_rejections(rejected: &[Rejection]) {
    for r in rejected {
        eprintln!(
            "rejected #{} {}: {}",
            r.index,
            r.id.as_deref().unwrap_or("-"),
            r.error
        );
    }
}

fn print_report(report: &IngestReport) {
    print_rejections(&report.rejected);
    println!(
        "accepted {}, duplicates {}, rejected {}{}",
        report.accepted,
        report.duplicates,
        report.rejected.len(),
        report
            .ignored
            .map(|n| format!(", ignored {n}"))
            .unwrap_or_default()
    );
}

fn looks_like_json(body: &[u8]) -> bool {
    matches!(
        body.iter().find(|b| !b.is_ascii_whitespace()),
        Some(b'{') | Some(b'[')
    )
}

fn looks_like_json_document(body: &[u8]) -> bool {
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    // An NDJSON file also starts with `{`; a whole document parses as one value.
    first == Some(&b'[')
        || (first == Some(&b'{') && serde_json::from_slice::<serde::de::IgnoredAny>(body).is_ok())
}
