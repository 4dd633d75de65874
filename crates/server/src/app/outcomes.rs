//! Outcomes of single calls as they become known (an evaluation, an accepted answer, a
//! resolved ticket): reported by (source, id), in bulk, idempotently, all or nothing, and
//! audited. A late outcome changes the month's successes, and so its cost per successful
//! outcome, on the next read; an issued statement is a frozen snapshot and stays as issued.
//! A call that belongs to a workflow is refused: a workflow's outcome is reported as the
//! workflow's (`app::workflows::set_outcome`), since its success is counted once.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use tokentally_domain::event::Outcome;

use super::{AppError, AppResult, audit};
use crate::auth::{Capability, Principal};
use crate::state::AppState;
use crate::storage::{OutcomeRefusal, ReportedOutcome};

/// Most reports one request takes.
pub const MAX_REPORTS: usize = 10_000;

/// One report as a client sends it (JSON or a CSV row).
#[derive(Debug, Clone, Deserialize)]
pub struct OutcomeReport {
    /// The event's `source`; `api` when left out, as for events.
    #[serde(default)]
    pub source: Option<String>,
    pub id: String,
    pub outcome: String,
}

/// A report refused, by its index in the request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Refused {
    pub index: usize,
    pub source: String,
    pub id: String,
    pub error: String,
}

/// What a request changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutcomesRecorded {
    /// Calls whose outcome changed.
    pub changed: usize,
    /// Calls that already had the reported outcome (a resent report).
    pub unchanged: usize,
}

/// Why a request was refused: every refused report, so that a client can mend them all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutcomesRefused {
    pub error: String,
    pub rejected: Vec<Refused>,
}

/// Either what was recorded, or why nothing was.
pub type OutcomesAnswer = Result<OutcomesRecorded, OutcomesRefused>;

fn refusal(sent: usize, rejected: Vec<Refused>) -> OutcomesRefused {
    OutcomesRefused {
        error: format!(
            "{} of {sent} reports refused; nothing was recorded",
            rejected.len()
        ),
        rejected,
    }
}

/// Checks the reports as sent: a known outcome, an id, no call named twice with two outcomes.
/// Answers each distinct report with its index in the request.
fn parse(reports: Vec<OutcomeReport>) -> Result<Vec<(usize, ReportedOutcome)>, Vec<Refused>> {
    let mut parsed = Vec::with_capacity(reports.len());
    let mut refused = Vec::new();
    let mut seen: HashMap<(String, String), Outcome> = HashMap::new();
    for (index, r) in reports.into_iter().enumerate() {
        let source = r
            .source
            .filter(|s| !s.trim().is_empty())
            .unwrap_or_else(|| "api".to_owned());
        let mut refuse = |error: String| {
            refused.push(Refused {
                index,
                source: source.clone(),
                id: r.id.clone(),
                error,
            })
        };
        if r.id.trim().is_empty() {
            refuse("`id` must name the call".into());
            continue;
        }
        let Ok(outcome) = r.outcome.parse::<Outcome>() else {
            refuse(format!(
                "unknown outcome `{}`; expected success, failure, retry or unknown",
                r.outcome
            ));
            continue;
        };
        match seen.insert((source.clone(), r.id.clone()), outcome) {
            Some(earlier) if earlier != outcome => {
                refuse("the same call is reported twice with different outcomes".into());
                continue;
            }
            Some(_) => continue,
            None => {}
        }
        parsed.push((
            index,
            ReportedOutcome {
                source,
                id: r.id,
                outcome,
            },
        ));
    }
    if refused.is_empty() {
        Ok(parsed)
    } else {
        Err(refused)
    }
}

/// Records late outcomes of single calls for a caller who may (an ingest token or an admin).
/// All or nothing: an unknown call, a call of a workflow or a malformed report refuses the
/// whole request, and says why for each.
pub async fn report(
    state: &AppState,
    principal: &Principal,
    reports: Vec<OutcomeReport>,
) -> AppResult<OutcomesAnswer> {
    principal.ensure(Capability::RecordOutcomes)?;
    if reports.is_empty() {
        return Err(AppError::invalid(
            "no outcome reported: send a list of {source, id, outcome}",
        ));
    }
    if reports.len() > MAX_REPORTS {
        return Err(AppError::invalid(format!(
            "{} reports in one request; send at most {MAX_REPORTS}",
            reports.len()
        )));
    }
    let sent = reports.len();
    let (indexes, parsed): (Vec<usize>, Vec<ReportedOutcome>) = match parse(reports) {
        Ok(p) => p.into_iter().unzip(),
        Err(rejected) => return Ok(Err(refusal(sent, rejected))),
    };
    let changes = match state
        .store
        .set_call_outcomes(&parsed, &principal.name)
        .await?
    {
        Ok(changes) => changes,
        Err(refused) => {
            let rejected = refused
                .into_iter()
                .map(|(i, why)| {
                    let r = &parsed[i];
                    Refused {
                        index: indexes[i],
                        source: r.source.clone(),
                        id: r.id.clone(),
                        error: match why {
                            OutcomeRefusal::Unknown => {
                                format!("no stored call has source `{}` and id `{}`", r.source, r.id)
                            }
                            OutcomeRefusal::InWorkflow(w) => format!(
                                "the call belongs to workflow `{w}`: report its outcome at /api/v1/workflows/{w}/outcome"
                            ),
                        },
                    }
                })
                .collect();
            return Ok(Err(refusal(sent, rejected)));
        }
    };
    if !changes.is_empty() {
        let list = |f: &dyn Fn(&crate::storage::OutcomeChange) -> Outcome| {
            changes
                .iter()
                .map(|c| serde_json::json!({"source": c.source, "id": c.id, "outcome": f(c).as_str()}))
                .collect::<Vec<_>>()
        };
        audit::record(
            &state.store,
            &principal.name,
            "call.outcomes",
            &format!("calls:{}", changes.len()),
            Some(list(&|c| c.before)),
            Some(list(&|c| c.after)),
        )
        .await?;
    }
    Ok(Ok(OutcomesRecorded {
        changed: changes.len(),
        unchanged: sent - changes.len(),
    }))
}
