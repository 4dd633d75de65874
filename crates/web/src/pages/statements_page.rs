//! Statements: the month's list (with issue, void and close for finance), one statement as a
//! print-friendly A4 document, and the reconciliation of a month.

use leptos::prelude::*;
use rust_decimal::Decimal;
use tokentally_domain::month::Month;
use tokentally_domain::statement::{LineKind, Statement};

use crate::components::form::{FieldErrors, csrf, field};
use crate::components::month_picker;
use crate::format::{count, money};
use crate::shell::{Nav, Viewer, document, render};

#[derive(Debug, Clone)]
pub struct StatementRow {
    pub team: String,
    pub status: String,
    pub version: Option<i64>,
    pub mode: String,
    pub total: Decimal,
}

#[derive(Debug, Clone)]
pub struct StatementsPage {
    pub month: Month,
    pub months: Vec<Month>,
    pub currency: String,
    pub rows: Vec<StatementRow>,
    pub closed: Option<String>,
    /// Finance and admins see the issue, void and close forms.
    pub manage: bool,
    pub notice: Option<String>,
}

fn enc(s: &str) -> String {
    crate::pages::showback_page::urlencode(s)
}

pub fn statements_page(viewer: &Viewer, p: StatementsPage) -> String {
    let cur = p.currency.clone();
    let month = p.month;
    let token = viewer.csrf.clone();
    let rows = p
        .rows
        .iter()
        .map(|r| {
            let href = format!("/statements/{}/{month}", enc(&r.team));
            let action = p.manage.then(|| {
                let token = token.clone();
                if r.status == "issued" {
                    let to = format!("/statements/{}/{month}/void", enc(&r.team));
                    view! {
                        <form method="post" action=to class="inline">
                            <input type="hidden" name="csrf" value=token/>
                            <input name="reason" placeholder="Reason to void" required aria-label="Reason to void"/>
                            <button type="submit" class="secondary">"Void"</button>
                        </form>
                    }
                    .into_any()
                } else if r.team != tokentally_domain::attribution::UNALLOCATED {
                    let to = format!("/statements/{}/{month}/issue", enc(&r.team));
                    view! {
                        <form method="post" action=to class="inline">
                            <input type="hidden" name="csrf" value=token/>
                            <button type="submit">"Issue"</button>
                        </form>
                    }
                    .into_any()
                } else {
                    view! { <span class="muted">"map its keys"</span> }.into_any()
                }
            });
            let status = match r.version {
                Some(v) => format!("{} v{v}", r.status),
                None => r.status.clone(),
            };
            view! {
                <tr>
                    <th scope="row"><a href=href>{r.team.clone()}</a></th>
                    <td>{status}</td>
                    <td>{r.mode.clone()}</td>
                    <td class="num strong">{money(r.total, &cur)}</td>
                    <td class="no-print">{action}</td>
                </tr>
            }
        })
        .collect_view();
    let close = match (&p.closed, p.manage) {
        (Some(c), _) => view! { <p class="muted">{format!("{month} is closed ({c}): usage arriving now for it goes on the next open month's statements as an adjustment.")}</p> }.into_any(),
        (None, true) => {
            let to = format!("/months/{month}/close");
            let token = token.clone();
            view! {
                <form method="post" action=to class="inline">
                    <input type="hidden" name="csrf" value=token/>
                    <button type="submit" class="secondary">{format!("Close {month}")}</button>
                </form>
            }
            .into_any()
        }
        (None, false) => view! { <p class="muted">{format!("{month} is open: drafts follow the data.")}</p> }.into_any(),
    };
    let notice = p
        .notice
        .clone()
        .map(|n| view! { <p class="notice" role="status">{n}</p> });
    let focus = format!("/api/v1/export/focus?month={month}");
    let reconcile = p.manage.then(|| {
        let href = format!("/reconciliation?month={month}");
        view! { <a href=href>"Reconciliation"</a> }
    });
    let body = render(view! {
        <div class="page-head">
            <h1>{format!("Statements · {month}")}</h1>
            {month_picker("/statements", month, &p.months)}
        </div>
        {notice}
        {close}
        <table class="data" id="statements">
            <thead><tr><th scope="col">"Team"</th><th scope="col">"Status"</th><th scope="col">"Mode"</th><th scope="col" class="num">"Total"</th><th scope="col" class="no-print"></th></tr></thead>
            <tbody>{rows}</tbody>
        </table>
        <p class="no-print"><a href=focus>"FOCUS export (CSV)"</a>" "{reconcile}</p>
    });
    document("Statements", Some(viewer), Nav::Statements, body)
}

/// One statement as a document: what finance sends a team, laid out for A4.
#[derive(Debug, Clone)]
pub struct StatementDocument {
    pub statement: Statement,
    pub status: String,
    pub version: Option<i64>,
    pub sha256: String,
    pub issued: Option<String>,
}

fn kind_label(k: LineKind) -> &'static str {
    match k {
        LineKind::Usage => "Usage",
        LineKind::Overhead => "Overheads",
        LineKind::Commitment => "Commitments",
        LineKind::Adjustment => "Adjustments",
    }
}

pub fn statement_document(viewer: &Viewer, d: StatementDocument) -> String {
    let s = &d.statement;
    let cur = s.currency.clone();
    let sections = [
        LineKind::Usage,
        LineKind::Overhead,
        LineKind::Commitment,
        LineKind::Adjustment,
    ]
    .into_iter()
    .filter(|k| s.lines.iter().any(|l| l.kind == *k))
    .map(|k| {
        let rows = s
            .lines
            .iter()
            .filter(|l| l.kind == k)
            .map(|l| {
                let rate = l
                    .rate_per_million
                    .map(|r| format!("{} {r}", cur))
                    .unwrap_or_default();
                let qty = l.quantity.map(count).unwrap_or_default();
                view! {
                    <tr>
                        <td>{l.description.clone()}</td>
                        <td class="num">{qty}</td>
                        <td class="num">{rate}</td>
                        <td class="num">{money(l.amount, &cur)}</td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <tbody>
                <tr class="group"><th colspan="4" scope="rowgroup">{kind_label(k)}</th></tr>
                {rows}
            </tbody>
        }
    })
    .collect_view();
    let basis = s
        .basis
        .iter()
        .map(|b| view! { <tr><td>{b.basis.clone()}</td><td>{if b.api_key.is_empty() { "(no key)".to_owned() } else { b.api_key.clone() }}</td><td class="num">{count(b.requests)}</td><td class="num">{money(b.token_cost, &cur)}</td></tr> })
        .collect_view();
    let status = match (&d.status[..], d.version, &d.issued) {
        ("issued", Some(v), Some(when)) => format!("Issued, version {v}, {when}"),
        _ => "Draft: follows the data until issued".to_owned(),
    };
    let kind = match s.mode {
        tokentally_domain::statement::Mode::Chargeback => "Chargeback statement",
        tokentally_domain::statement::Mode::Showback => "Showback statement (informational)",
    };
    let csv = format!("/api/v1/statements/{}/{}/export.csv", enc(&s.team), s.month);
    let total = money(s.total, &cur);
    let body = render(view! {
        <article class="statement">
            <header>
                <p class="muted">{kind}</p>
                <h1>{format!("{} · {}", s.team, s.month)}</h1>
                <dl class="facts">
                    <dt>"Period"</dt><dd>{format!("{} to {}", s.period_start, s.period_end)}</dd>
                    <dt>"Currency"</dt><dd>{cur.clone()}</dd>
                    <dt>"Status"</dt><dd>{status}</dd>
                    <dt>"SHA-256"</dt><dd class="hash">{d.sha256.clone()}</dd>
                </dl>
            </header>
            <table class="data" id="lines">
                <thead><tr><th scope="col">"Line"</th><th scope="col" class="num">"Tokens"</th><th scope="col" class="num">"Rate per 1M"</th><th scope="col" class="num">"Amount"</th></tr></thead>
                {sections}
                <tfoot><tr><th scope="row" colspan="3">"Total"</th><td class="num strong" id="statement-total">{total}</td></tr></tfoot>
            </table>
            <h2>"Basis"</h2>
            <p class="muted">"Which attribution put this usage on the team: a key's mapping, the calls' team tag, or a rule."</p>
            <table class="data" id="basis">
                <thead><tr><th scope="col">"Basis"</th><th scope="col">"Key"</th><th scope="col" class="num">"Requests"</th><th scope="col" class="num">"Token cost"</th></tr></thead>
                <tbody>{basis}</tbody>
            </table>
            <p class="no-print"><a href=csv>"Download CSV"</a>" · Print this page for a PDF."</p>
        </article>
    });
    document(
        &format!("Statement {} {}", s.team, s.month),
        Some(viewer),
        Nav::Statements,
        body,
    )
}

#[derive(Debug, Clone)]
pub struct ProviderRow {
    pub provider: String,
    pub list_cost: Decimal,
    pub effective_cost: Decimal,
    pub invoiced: Option<Decimal>,
    pub difference: Option<Decimal>,
}

#[derive(Debug, Clone)]
pub struct ReconciliationPage {
    pub month: Month,
    pub months: Vec<Month>,
    pub currency: String,
    pub providers: Vec<ProviderRow>,
    pub statements: Decimal,
    pub unallocated: Decimal,
    pub unpriced: Decimal,
    pub idle: Decimal,
    pub org_total: Decimal,
    pub adjustments: Decimal,
    pub carried_forward: Decimal,
    pub balanced: bool,
    pub errors: FieldErrors,
    pub notice: Option<String>,
}

pub fn reconciliation_page(viewer: &Viewer, p: ReconciliationPage) -> String {
    let cur = p.currency.clone();
    let opt = |d: Option<Decimal>| d.map(|d| money(d, &cur)).unwrap_or_else(|| "–".into());
    let rows = p
        .providers
        .iter()
        .map(|r| {
            view! {
                <tr>
                    <th scope="row">{r.provider.clone()}</th>
                    <td class="num">{money(r.list_cost, &cur)}</td>
                    <td class="num">{money(r.effective_cost, &cur)}</td>
                    <td class="num">{opt(r.invoiced)}</td>
                    <td class="num">{opt(r.difference)}</td>
                </tr>
            }
        })
        .collect_view();
    let line = |label: &'static str, amount: Decimal| view! { <tr><th scope="row">{label}</th><td class="num">{money(amount, &cur)}</td></tr> };
    let verdict = if p.balanced {
        "Statements, Unallocated, Unpriced and idle commitments add up to the month's total to the cent."
    } else {
        "The statements do not add up to the month's total: see the lines above."
    };
    let notice = p
        .notice
        .clone()
        .map(|n| view! { <p class="notice" role="status">{n}</p> });
    let error = p
        .errors
        .get("form")
        .cloned()
        .map(|e| view! { <p class="alert" role="alert">{e}</p> });
    let month = p.month.to_string();
    let body = render(view! {
        <div class="page-head">
            <h1>{format!("Reconciliation · {}", p.month)}</h1>
            {month_picker("/reconciliation", p.month, &p.months)}
        </div>
        {notice}
        <h2>"Providers"</h2>
        <table class="data" id="providers">
            <thead><tr><th scope="col">"Provider"</th><th scope="col" class="num">"List cost"</th><th scope="col" class="num">"Effective cost"</th><th scope="col" class="num">"Invoiced"</th><th scope="col" class="num">"Difference"</th></tr></thead>
            <tbody>{rows}</tbody>
        </table>
        {error}
        <form method="post" action="/reconciliation/invoices" class="grid">
            {csrf(&viewer.csrf)}
            <input type="hidden" name="month" value=month/>
            {field("Provider", "provider", "text", String::new(), true, &p.errors)}
            {field("Invoiced amount", "amount", "text", String::new(), true, &p.errors)}
            <button type="submit">"Save invoice"</button>
        </form>
        <h2>"The month adds up"</h2>
        <table class="data" id="identity">
            <tbody>
                {line("Team statements", p.statements)}
                {line("Unallocated", p.unallocated)}
                {line("Unpriced", p.unpriced)}
                {line("Idle commitments", p.idle)}
            </tbody>
            <tfoot><tr><th scope="row">"Month total"</th><td class="num strong">{money(p.org_total, &cur)}</td></tr></tfoot>
        </table>
        <p id="verdict">{verdict}</p>
        <p class="muted">{format!("Adjustments for earlier closed months on this month's statements: {}. Usage of this month received after it closed, carried to later statements: {}.", money(p.adjustments, &cur), money(p.carried_forward, &cur))}</p>
    });
    document("Reconciliation", Some(viewer), Nav::Statements, body)
}
