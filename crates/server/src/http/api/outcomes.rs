//! `POST /api/v1/outcomes` (an ingest token or an admin): outcomes of single calls reported
//! after the fact, as JSON (`[{"source", "id", "outcome"}]` or `{"outcomes": [...]}`) or as
//! CSV (`Content-Type: text/csv`, a header row `source,id,outcome`). All or nothing: any bad
//! report answers 422 with every refusal by index, and nothing is recorded.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use serde::Deserialize;

use crate::app::outcomes::{self, OutcomeReport, OutcomesRecorded};
use crate::auth::Principal;
use crate::http::error::ApiError;
use crate::state::AppState;

#[derive(Deserialize)]
#[serde(untagged)]
enum Body {
    List(Vec<OutcomeReport>),
    Wrapped { outcomes: Vec<OutcomeReport> },
}

fn is_csv(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().contains("csv"))
}

/// The reports of a CSV body: a header row naming `id` and `outcome` (and `source`, optional).
pub fn from_csv(body: &[u8]) -> Result<Vec<OutcomeReport>, ApiError> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(body);
    let headers = reader
        .headers()
        .map_err(|e| ApiError::BadRequest(format!("the CSV header does not read: {e}")))?
        .clone();
    let column = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
    let (Some(id), Some(outcome)) = (column("id"), column("outcome")) else {
        return Err(ApiError::invalid(
            "the CSV needs a header row with the columns `id` and `outcome` (and `source`)",
        ));
    };
    let source = column("source");
    let mut out = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| ApiError::BadRequest(format!("CSV row {}: {e}", i + 2)))?;
        let cell = |c: usize| record.get(c).unwrap_or_default().to_owned();
        out.push(OutcomeReport {
            source: source.map(cell),
            id: cell(id),
            outcome: cell(outcome),
        });
    }
    Ok(out)
}

pub async fn post(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<OutcomesRecorded>, ApiError> {
    let reports = if is_csv(&headers) {
        from_csv(&body)?
    } else {
        match serde_json::from_slice::<Body>(&body) {
            Ok(Body::List(l)) | Ok(Body::Wrapped { outcomes: l }) => l,
            Err(e) => {
                return Err(ApiError::invalid(format!(
                    "send a JSON list of {{\"source\", \"id\", \"outcome\"}} (or CSV with `Content-Type: text/csv`): {e}"
                )));
            }
        }
    };
    match outcomes::report(&state, &principal, reports).await? {
        Ok(recorded) => Ok(Json(recorded)),
        Err(refused) => Err(ApiError::Unprocessable(
            serde_json::to_value(refused).map_err(anyhow::Error::from)?,
        )),
    }
}
