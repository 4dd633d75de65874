//! Statement use cases: drafts computed live, issuing (a frozen snapshot with its SHA-256),
//! voiding, month close, and the month's statements as finance reads them (issued where
//! issued, draft elsewhere).

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokentally_domain::allocation::cents;
use tokentally_domain::attribution::UNALLOCATED;
use tokentally_domain::month::Month;
use tokentally_domain::showback::{Ledger, Showback, TeamShowback};
use tokentally_domain::statement::{LateUsage, Mode, Statement, statement};

use crate::app::reports::MonthContext;
use crate::app::{AppError, AppResult, audit};
use crate::state::AppState;
use crate::storage::StoredStatement;

/// Every team's draft for the month (Unallocated included), with the showback they come
/// from.
pub async fn drafts(
    state: &AppState,
    month: Month,
) -> Result<(Showback, Vec<Statement>), AppError> {
    super::kept::kept(state, format!("drafts {month}"), fresh_drafts(state, month)).await
}

/// [`drafts`] computed from the database: for issuing, which closes the month first and must
/// freeze what the data says after the close.
async fn fresh_drafts(
    state: &AppState,
    month: Month,
) -> Result<(Showback, Vec<Statement>), AppError> {
    let ctx = as_closed(state, month).await?;
    let sb = ctx.showback(&state.config.currency);
    let ledger = ctx.ledger();
    let late = late_by_team(state, &ctx, month).await?;
    let modes: BTreeMap<String, Mode> = state.store.statement_modes().await?.into_iter().collect();
    // A team whose only charge this month is usage of a closed month still gets a statement.
    let idle_teams: Vec<TeamShowback> = late
        .keys()
        .filter(|t| sb.team(t).is_none())
        .map(|t| TeamShowback {
            team: t.clone(),
            ..TeamShowback::default()
        })
        .collect();
    let statements = sb
        .teams
        .iter()
        .chain(&idle_teams)
        .map(|t| {
            statement(
                t,
                month,
                &sb.currency,
                modes.get(&t.team).copied().unwrap_or_default(),
                &ledger,
                late.get(&t.team).map_or(&[][..], Vec::as_slice),
            )
        })
        .collect();
    Ok((sb, statements))
}

/// The month as its statements see it: once closed, without the usage that arrived after
/// the close (that usage is an adjustment on a later month's statements instead).
pub async fn as_closed(state: &AppState, month: Month) -> Result<MonthContext, AppError> {
    let mut ctx = MonthContext::load(&state.store, &state.prices, month).await?;
    // Late usage stays where it was carried even if the month has been reopened since
    // (a later month's statements may have charged it), so it is taken out either way.
    let late = state.store.late_usage_of(month).await?;
    if late.is_empty() {
        return Ok(ctx);
    }
    let mut rows: BTreeMap<_, _> = state
        .store
        .list_rollups(month)
        .await?
        .into_iter()
        .map(|r| (r.key, r.totals))
        .collect();
    for l in late {
        if let Some(t) = rows.get_mut(&l.key) {
            t.saturating_sub(&l.totals);
        }
    }
    std::sync::Arc::make_mut(&mut ctx.data).rows = rows
        .into_iter()
        .filter(|(_, t)| t.events > 0)
        .map(|(key, totals)| tokentally_domain::showback::UsageRow { key, totals })
        .collect();
    Ok(ctx)
}

/// Late usage landing on `month`'s statements, priced and attributed now, per team.
async fn late_by_team(
    state: &AppState,
    ctx: &MonthContext,
    month: Month,
) -> Result<BTreeMap<String, Vec<LateUsage>>, AppError> {
    let late = state.store.late_usage(month).await?;
    if late.is_empty() {
        return Ok(BTreeMap::new());
    }
    // Priced per month they belong to (rarely more than one), then per team.
    let mut by_month: BTreeMap<Month, Vec<_>> = BTreeMap::new();
    for (belongs_to, row) in late {
        by_month.entry(belongs_to).or_default().push(row);
    }
    let mut out: BTreeMap<String, Vec<LateUsage>> = BTreeMap::new();
    for (belongs_to, rows) in &by_month {
        for (team, token_cost) in price_late(ctx, rows) {
            out.entry(team).or_default().push(LateUsage {
                belongs_to: *belongs_to,
                token_cost,
            });
        }
    }
    Ok(out)
}

/// Late usage priced and attributed as the statements of `ctx`'s month charge it: the exact
/// token cost per team.
fn price_late(
    ctx: &MonthContext,
    rows: &[tokentally_domain::showback::UsageRow],
) -> BTreeMap<String, Decimal> {
    let ledger = Ledger::new(rows, &ctx.data.discounts, &ctx.attributor, &ctx.book);
    ledger
        .summarize(|r| Some(r.owner.team.clone()))
        .into_iter()
        .map(|(team, s)| (team, s.token_cost()))
        .collect()
}

/// Usage of `month` received after it closed, as the later statements charge it: each
/// team's adjustment line rounded to the cent, as it is printed there, and summed. So the
/// month's "carried forward" and the later months' "adjustments" are one figure with one
/// rounding.
async fn carried_forward(state: &AppState, month: Month) -> Result<Decimal, AppError> {
    let mut by_target: BTreeMap<Month, Vec<_>> = BTreeMap::new();
    for (target, row) in state.store.late_usage_carried(month).await? {
        by_target.entry(target).or_default().push(row);
    }
    let mut total = Decimal::ZERO;
    for (target, rows) in &by_target {
        let ctx = MonthContext::load(&state.store, &state.prices, *target).await?;
        total += price_late(&ctx, rows)
            .values()
            .map(|c| tokentally_domain::allocation::from_cents(cents(c.normalize())))
            .sum::<Decimal>();
    }
    Ok(total)
}

/// A statement as the API shows it: the issued snapshot (its bytes as issued) or the draft.
#[derive(Debug, Clone)]
pub struct Current {
    pub status: &'static str,
    pub version: Option<i64>,
    pub sha256: String,
    pub issued_ms: Option<i64>,
    pub issued_by: Option<String>,
    pub total: Decimal,
    pub mode: Mode,
    /// The statement's JSON.
    pub content: String,
    /// For an issued statement: what the month's inputs give now (the draft's total) when it
    /// differs from what was issued, e.g. after a rule or a team rename reached the closed
    /// month. `None` when the issued statement still matches (and for drafts).
    pub changed_since_issue: Option<Decimal>,
}

impl Current {
    /// The answer body. The snapshot is embedded byte for byte.
    pub fn to_json(&self) -> String {
        let envelope = serde_json::json!({
            "status": self.status,
            "version": self.version,
            "sha256": self.sha256,
            "issued_at": self.issued_ms.and_then(chrono::DateTime::from_timestamp_millis),
            "issued_by": self.issued_by,
            "total": self.total,
            "mode": self.mode,
            "changed_since_issue": self.changed_since_issue.is_some(),
            "total_now": self.changed_since_issue,
        })
        .to_string();
        format!(
            "{},\"statement\":{}}}",
            envelope.strip_suffix('}').unwrap_or(&envelope),
            self.content
        )
    }
}

pub fn sha256(content: &str) -> String {
    hex::encode(Sha256::digest(content.as_bytes()))
}

fn canonical(s: &Statement) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

fn of_stored(s: &StoredStatement) -> Result<Current, AppError> {
    let parsed: Statement = serde_json::from_str(&s.content)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("stored statement unreadable: {e}")))?;
    Ok(Current {
        status: "issued",
        version: Some(s.version),
        sha256: s.sha256.clone(),
        issued_ms: Some(s.issued_ms),
        issued_by: Some(s.issued_by.clone()),
        total: parsed.total,
        mode: parsed.mode,
        content: s.content.clone(),
        changed_since_issue: None,
    })
}

fn of_draft(s: &Statement) -> Current {
    let content = canonical(s);
    Current {
        status: "draft",
        version: None,
        sha256: sha256(&content),
        issued_ms: None,
        issued_by: None,
        total: s.total,
        mode: s.mode,
        content,
        changed_since_issue: None,
    }
}

/// The team's statement: issued if one stands, else the live draft; `None` when the team
/// has nothing in the month.
pub async fn current(
    state: &AppState,
    team: &str,
    month: Month,
) -> Result<Option<Current>, AppError> {
    let issued = state.store.issued_statement(team, month).await?;
    let (_, drafts) = drafts(state, month).await?;
    let draft = drafts.iter().find(|s| s.team == team);
    let Some(s) = issued else {
        return Ok(draft.map(of_draft));
    };
    let mut current = of_stored(&s)?;
    let frozen: Statement = serde_json::from_str(&s.content)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("stored statement unreadable: {e}")))?;
    current.changed_since_issue = changed(&frozen, draft);
    Ok(Some(current))
}

/// What an issued statement's inputs give now, when that differs from what was issued.
/// Compared as values, so that a field added to statements since does not count as a
/// change; a team with nothing left in the month now gives zero.
fn changed(issued: &Statement, draft: Option<&Statement>) -> Option<Decimal> {
    match draft {
        Some(d) if d == issued => None,
        Some(d) => Some(d.total),
        None if issued.total.is_zero() => None,
        None => Some(Decimal::ZERO),
    }
}

/// Every team's statement as it stands (issued, else draft), Unallocated included, and the
/// showback.
pub async fn month(
    state: &AppState,
    month: Month,
) -> Result<(Showback, Vec<(Current, Statement)>), AppError> {
    let (sb, drafts) = drafts(state, month).await?;
    let issued: BTreeMap<String, StoredStatement> = state
        .store
        .list_statements(month)
        .await?
        .into_iter()
        .filter(|s| s.status == "issued")
        .map(|s| (s.team.clone(), s))
        .collect();
    let mut out = Vec::new();
    for d in drafts {
        match issued.get(&d.team) {
            Some(s) => {
                let frozen: Statement = serde_json::from_str(&s.content).map_err(|e| {
                    AppError::Internal(anyhow::anyhow!("stored statement unreadable: {e}"))
                })?;
                let mut current = of_stored(s)?;
                current.changed_since_issue = changed(&frozen, Some(&d));
                out.push((current, frozen));
            }
            None => out.push((of_draft(&d), d)),
        }
    }
    // A team issued once may have no usage now (a mapping moved it away): its snapshot stands.
    for (team, s) in &issued {
        if !out.iter().any(|(_, st)| st.team == *team) {
            let frozen: Statement = serde_json::from_str(&s.content).map_err(|e| {
                AppError::Internal(anyhow::anyhow!("stored statement unreadable: {e}"))
            })?;
            let mut current = of_stored(s)?;
            current.changed_since_issue = changed(&frozen, None);
            out.push((current, frozen));
        }
    }
    Ok((sb, out))
}

/// Issues the team's draft: the month is closed first (so that usage arriving later is an
/// adjustment on a later statement, never a change to this one), then the draft is frozen.
pub async fn issue(
    state: &AppState,
    team: &str,
    month: Month,
    actor: &str,
) -> Result<Current, AppError> {
    if team == UNALLOCATED {
        return Err(AppError::invalid(
            "Unallocated has no owner to send a statement to; map its keys first",
        ));
    }
    let conflict = || {
        AppError::Conflict(format!(
            "{team}'s statement for {month} is issued already; void it to re-issue"
        ))
    };
    if state.store.issued_statement(team, month).await?.is_some() {
        return Err(conflict());
    }
    close(state, month, actor).await?;
    let (_, drafts) = fresh_drafts(state, month).await?;
    let history = state.store.list_statements(month).await?;
    let empty;
    let draft = match drafts.iter().find(|s| s.team == team) {
        Some(d) => d,
        // A voided statement whose usage has since moved away is re-issued as nothing.
        None if history.iter().any(|s| s.team == team) => {
            let ctx = as_closed(state, month).await?;
            let nothing = TeamShowback {
                team: team.to_owned(),
                ..TeamShowback::default()
            };
            let mode = state
                .store
                .statement_modes()
                .await?
                .into_iter()
                .find(|(t, _)| t == team)
                .map(|(_, m)| m)
                .unwrap_or_default();
            empty = statement(
                &nothing,
                month,
                &state.config.currency,
                mode,
                &ctx.ledger(),
                &[],
            );
            &empty
        }
        None => {
            return Err(AppError::NotFound(format!(
                "team `{team}` has nothing in {month}"
            )));
        }
    };
    freeze(state, draft, month, actor)
        .await?
        .ok_or_else(conflict)
}

/// Stores a draft as issued and audits it; `None` when the team's statement was issued
/// meanwhile.
async fn freeze(
    state: &AppState,
    draft: &Statement,
    month: Month,
    actor: &str,
) -> Result<Option<Current>, AppError> {
    let team = &draft.team;
    let content = canonical(draft);
    let hash = sha256(&content);
    let Some(stored) = state
        .store
        .issue_statement(team, month, &content, &hash, actor)
        .await?
    else {
        return Ok(None);
    };
    state
        .store
        .add_audit(
            actor,
            "statement.issue",
            &format!("statement:{team}:{month}:v{}", stored.version),
            None,
            Some(serde_json::json!({"sha256": hash, "total": draft.total})),
        )
        .await?;
    of_stored(&stored).map(Some)
}

/// Issues every draft of the month at once (each team's statement not issued yet; never
/// Unallocated), closing the month first as a single issue does. Answers the teams issued,
/// in the drafts' order; none when every statement is issued already.
pub async fn issue_all(state: &AppState, month: Month, actor: &str) -> AppResult<Vec<String>> {
    close(state, month, actor).await?;
    let (_, drafts) = fresh_drafts(state, month).await?;
    let issued: std::collections::BTreeSet<String> = state
        .store
        .list_statements(month)
        .await?
        .into_iter()
        .filter(|s| s.status == "issued")
        .map(|s| s.team)
        .collect();
    let mut done = Vec::new();
    for draft in drafts
        .iter()
        .filter(|d| d.team != UNALLOCATED && !issued.contains(&d.team))
    {
        // One issued meanwhile (another person, another server) is left as it is.
        if freeze(state, draft, month, actor).await?.is_some() {
            done.push(draft.team.clone());
        }
    }
    Ok(done)
}

pub async fn void(
    state: &AppState,
    team: &str,
    month: Month,
    reason: &str,
    actor: &str,
) -> Result<i64, AppError> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(AppError::invalid(
            "say why the statement is voided (`reason`)",
        ));
    }
    let before = state
        .store
        .void_statement(team, month, reason, actor)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("{team} has no issued statement for {month}")))?;
    state
        .store
        .add_audit(
            actor,
            "statement.void",
            &format!("statement:{team}:{month}:v{}", before.version),
            Some(serde_json::json!({"status": "issued", "sha256": before.sha256})),
            Some(serde_json::json!({"status": "void", "reason": reason})),
        )
        .await?;
    Ok(before.version)
}

/// Closes the month (audited once).
pub async fn close(state: &AppState, month: Month, actor: &str) -> Result<bool, AppError> {
    let closed = state.store.close_month(month, actor).await?;
    if closed {
        state
            .store
            .add_audit(actor, "month.close", &format!("month:{month}"), None, None)
            .await?;
    }
    Ok(closed)
}

/// A provider's cost in tokentally against what it invoiced.
#[derive(Debug, Clone, Serialize)]
pub struct ProviderLine {
    pub provider: String,
    pub list_cost: Decimal,
    pub effective_cost: Decimal,
    pub invoiced: Option<Decimal>,
    /// Invoiced − effective cost.
    pub difference: Option<Decimal>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Reconciliation {
    pub month: Month,
    pub currency: String,
    pub providers: Vec<ProviderLine>,
    /// Σ statements of the teams (issued, else draft), without their adjustments.
    pub statements: Decimal,
    pub unallocated: Decimal,
    pub unpriced: Decimal,
    pub idle_commitment: Decimal,
    /// Adjustments on this month's statements (usage of earlier, closed months).
    pub adjustments: Decimal,
    /// Usage of this month received after it was closed, carried to a later month's
    /// statements (the live showback includes it; the statements do not).
    pub carried_forward: Decimal,
    /// The month as closed: what its statements add up to.
    pub org_total: Decimal,
    /// statements + unallocated + unpriced + idle = org_total.
    pub balanced: bool,
    /// When the sum does not hold: what breaks it, line by line (an issued statement whose
    /// inputs changed since, then any difference left).
    pub breaks: Vec<String>,
    /// What senders reported the calls cost (LiteLLM, gateways, OpenTelemetry) beside
    /// tokentally's price of the same calls, per source, model and key.
    pub reported_costs: crate::app::reported_costs::ReportedCosts,
}

pub async fn reconcile(state: &AppState, m: Month) -> Result<Reconciliation, AppError> {
    super::kept::kept(
        state,
        format!("reconciliation {m}"),
        reconcile_anew(state, m),
    )
    .await
}

async fn reconcile_anew(state: &AppState, m: Month) -> Result<Reconciliation, AppError> {
    let (closed, all) = month(state, m).await?;
    let live = MonthContext::load(&state.store, &state.prices, m).await?;
    let ledger = live.ledger();
    let by_provider = ledger.summarize(|r| {
        r.card
            .map(|_| tokentally_domain::catalog::canonical_provider(&r.row.key.provider))
    });
    let invoices: BTreeMap<String, Decimal> =
        state.store.list_invoices(m).await?.into_iter().collect();
    let money = |d: Decimal| tokentally_domain::allocation::from_cents(cents(d));
    let mut providers: Vec<ProviderLine> = by_provider
        .iter()
        .map(|(p, s)| {
            let effective = money(s.token_cost());
            let invoiced = invoices.get(p).copied();
            ProviderLine {
                provider: p.clone(),
                list_cost: money(s.list_cost.total()),
                effective_cost: effective,
                invoiced,
                difference: invoiced.map(|i| i - effective),
            }
        })
        .collect();
    for (p, amount) in &invoices {
        if !by_provider.contains_key(p) {
            providers.push(ProviderLine {
                provider: p.clone(),
                list_cost: Decimal::ZERO,
                effective_cost: Decimal::ZERO,
                invoiced: Some(*amount),
                difference: Some(*amount),
            });
        }
    }
    let is_unallocated = |s: &Statement| s.team == UNALLOCATED;
    let without_adjustments = |s: &Statement| s.total - s.adjustments;
    let statements: Decimal = all
        .iter()
        .filter(|(_, s)| !is_unallocated(s))
        .map(|(_, s)| without_adjustments(s))
        .sum();
    let unallocated: Decimal = all
        .iter()
        .filter(|(_, s)| is_unallocated(s))
        .map(|(_, s)| without_adjustments(s))
        .sum();
    let adjustments: Decimal = all.iter().map(|(_, s)| s.adjustments).sum();
    let balanced = statements + unallocated + closed.idle_commitment == closed.org_total;
    let mut breaks = Vec::new();
    if !balanced {
        let cur = &closed.currency;
        let mut explained = Decimal::ZERO;
        for (c, s) in &all {
            if let Some(now) = c.changed_since_issue {
                let issued = s.total - s.adjustments;
                let now_without = now - s.adjustments;
                explained += issued - now_without;
                breaks.push(format!(
                    "{}: issued for {issued} {cur}, its inputs now give {now_without} {cur} (changed since issue by {}); void and re-issue it, or undo the change",
                    s.team,
                    now_without - issued
                ));
            }
        }
        let left = statements + unallocated + closed.idle_commitment - closed.org_total - explained;
        if !left.is_zero() {
            breaks.push(format!(
                "statements + Unallocated + idle commitment differ from the month's total ({} {cur}) by {left} {cur} beyond the statements above",
                closed.org_total
            ));
        }
    }
    Ok(Reconciliation {
        month: m,
        currency: closed.currency.clone(),
        providers,
        statements,
        unallocated,
        unpriced: Decimal::ZERO,
        idle_commitment: closed.idle_commitment,
        adjustments,
        carried_forward: carried_forward(state, m).await?,
        org_total: closed.org_total,
        balanced,
        breaks,
        reported_costs: crate::app::reported_costs::of_month(state, m).await?,
    })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewInvoice {
    pub month: Month,
    pub provider: String,
    pub amount: Decimal,
}

pub async fn record_invoice(state: &AppState, actor: &str, i: NewInvoice) -> Result<(), AppError> {
    let provider = tokentally_domain::catalog::canonical_provider(&i.provider);
    if provider.is_empty() {
        return Err(AppError::invalid("`provider` must not be empty"));
    }
    if i.amount.normalize().scale() > 2 {
        return Err(AppError::invalid("`amount` must be in whole cents"));
    }
    if i.amount.abs() > tokentally_domain::bounds::MAX_AMOUNT {
        return Err(AppError::invalid(format!(
            "`amount` may be at most {} either way, got {}",
            tokentally_domain::bounds::MAX_AMOUNT,
            i.amount
        )));
    }
    state
        .store
        .set_invoice(i.month, &provider, i.amount)
        .await?;
    audit::record(
        &state.store,
        actor,
        "invoice.set",
        &format!("invoice:{}:{provider}", i.month),
        None::<()>,
        Some(serde_json::json!({"amount": i.amount})),
    )
    .await?;
    Ok(())
}

/// Sets how a team's statements charge (showback or chargeback); audited.
pub async fn set_mode(state: &AppState, actor: &str, team: &str, mode: &str) -> AppResult<Mode> {
    if team == UNALLOCATED {
        return Err(AppError::invalid("Unallocated has no statement mode"));
    }
    let mode: Mode = mode.parse().map_err(AppError::Invalid)?;
    state.store.set_statement_mode(team, mode).await?;
    let after = serde_json::json!({"mode": mode});
    audit::record(
        &state.store,
        actor,
        "statement.mode",
        &format!("team:{team}"),
        None::<()>,
        Some(after),
    )
    .await?;
    Ok(mode)
}
