//! Statements: the month's list (with issue, void and close for finance), one statement as a
//! print-friendly A4 document, and the reconciliation of a month.

use leptos::either::EitherOf3;
use leptos::prelude::*;
use rust_decimal::Decimal;
use tokentally_domain::month::Month;
use tokentally_domain::statement::{LineKind, Statement};

use crate::components::{
    Alert, Column, Csrf, DataTable, Field, FieldErrors, Hidden, MonthPicker, Notice,
};
use crate::format::{count, money, when_utc};
use crate::shell::{Nav, Shell, Viewer, render};
use crate::stamp::Stamp;

#[derive(Debug, Clone)]
pub struct StatementRow {
    pub team: String,
    pub status: String,
    pub version: Option<i64>,
    pub mode: String,
    pub total: Decimal,
    /// An issued statement whose inputs changed since: what they give now.
    pub total_now: Option<Decimal>,
}

#[derive(Debug, Clone)]
pub struct StatementsPage {
    pub month: Month,
    pub months: Vec<Month>,
    pub currency: String,
    pub rows: Vec<StatementRow>,
    /// Who closed the month, and when.
    pub closed: Option<Stamp>,
    /// Finance and admins see the issue, void and close forms.
    pub manage: bool,
    /// Admins see the form that reopens a closed month.
    pub reopen: bool,
    pub notice: Option<String>,
}

fn enc(s: &str) -> String {
    crate::pages::showback_page::urlencode(s)
}

pub fn statements_page(viewer: &Viewer, p: StatementsPage) -> String {
    let cur = p.currency.clone();
    let month = p.month;
    let closed = p.closed.is_some();
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
                    EitherOf3::A(view! {
                        <form method="post" action=to class="inline">
                            <Csrf token/>
                            <input name="reason" placeholder="Reason to void" required aria-label="Reason to void"/>
                            <button type="submit" class="secondary">"Void"</button>
                        </form>
                    })
                } else if r.team != tokentally_domain::attribution::UNALLOCATED {
                    let to = format!("/statements/{}/{month}/issue", enc(&r.team));
                    // Issuing closes an open month: the box must be ticked first (the
                    // server refuses the issue without it too).
                    let confirm = (!closed).then(|| {
                        view! {
                            <label class="confirm">
                                <input type="checkbox" name="confirm_close" value="yes" required/>
                                {format!(" and close {month}")}
                            </label>
                        }
                    });
                    EitherOf3::B(view! {
                        <form method="post" action=to class="inline">
                            <Csrf token/>
                            <button type="submit">"Issue"</button>
                            {confirm}
                        </form>
                    })
                } else {
                    EitherOf3::C(view! { <span class="muted">"map its keys"</span> })
                }
            });
            let status = match r.version {
                Some(v) => format!("{} v{v}", r.status),
                None => r.status.clone(),
            };
            let changed = r.total_now.map(|now| {
                let text = format!(
                    "inputs changed since issue: they now give {}",
                    money(now, &cur)
                );
                view! { <br/><span class="changed-since-issue warn">{text}</span> }
            });
            // A team's mode applies to its drafts from now on; an issued statement keeps the
            // mode it was issued with.
            let switch = (p.manage && r.team != tokentally_domain::attribution::UNALLOCATED)
                .then(|| {
                    let to = format!("/statements/{}/mode", enc(&r.team));
                    let other = if r.mode == "chargeback" { "showback" } else { "chargeback" };
                    view! {
                        " "
                        <form method="post" action=to class="inline no-print">
                            <Csrf token=token.clone()/>
                            <Hidden name="mode" value=other/>
                            <Hidden name="month" value=month.to_string()/>
                            <button type="submit" class="secondary">{format!("Switch to {other}")}</button>
                        </form>
                    }
                });
            view! {
                <tr>
                    <th scope="row"><a href=href>{r.team.clone()}</a></th>
                    <td>{status}{changed}</td>
                    <td>{r.mode.clone()}{switch}</td>
                    <td class="num strong">{money(r.total, &cur)}</td>
                    <td class="no-print">{action}</td>
                </tr>
            }
        })
        .collect_view();
    let close = match (&p.closed, p.manage) {
        (Some(c), _) => {
            let text = format!(
                "{month} is closed (by {} on {}): usage arriving now for it goes on the next open month's statements as an adjustment, and overheads, commitments, key mappings and price cards dated inside it are refused.",
                c.by,
                when_utc(c.at)
            );
            let reopen = p.reopen.then(|| {
                let to = format!("/months/{month}/reopen");
                view! {
                    <form method="post" action=to class="inline no-print">
                        <Csrf token=token.clone()/>
                        <input name="reason" placeholder="Why reopen" required aria-label="Reason to reopen"/>
                        <button type="submit" class="secondary">{format!("Reopen {month} and void its statements")}</button>
                    </form>
                }
            });
            EitherOf3::A(view! { <p class="muted">{text}</p>{reopen} })
        }
        (None, true) => {
            let to = format!("/months/{month}/close");
            EitherOf3::B(view! {
                <form method="post" action=to class="inline">
                    <Csrf token=token.clone()/>
                    <button type="submit" class="secondary">{format!("Close {month}")}</button>
                </form>
            })
        }
        (None, false) => EitherOf3::C(
            view! { <p class="muted">{format!("{month} is open: drafts follow the data.")}</p> },
        ),
    };
    // Every draft at once, with the same confirmation of the close as a single issue.
    let drafts = p
        .rows
        .iter()
        .filter(|r| r.status != "issued" && r.team != tokentally_domain::attribution::UNALLOCATED)
        .count();
    let issue_all = (p.manage && drafts > 0).then(|| {
        let to = format!("/months/{month}/issue-all");
        let label = match drafts {
            1 => "Issue all (1 draft)".to_owned(),
            n => format!("Issue all {n} drafts"),
        };
        let confirm = (!closed).then(|| {
            view! {
                <label class="confirm">
                    <input type="checkbox" name="confirm_close" value="yes" required/>
                    {format!(" and close {month}")}
                </label>
            }
        });
        view! {
            <form method="post" action=to class="inline no-print">
                <Csrf token=token.clone()/>
                <button type="submit">{label}</button>
                {confirm}
            </form>
        }
    });
    let focus = format!("/api/v1/export/focus?month={month}");
    let reconcile = p.manage.then(|| {
        let href = format!("/reconciliation?month={month}");
        view! { <a href=href>"Reconciliation"</a> }
    });
    let columns = vec![
        Column::text("Team"),
        Column::text("Status"),
        Column::text("Mode"),
        Column::num("Total"),
        Column::with_class("", "no-print"),
    ];
    let StatementsPage { months, notice, .. } = p;
    let viewer = viewer.clone();
    render(move || {
        view! {
            <Shell title="Statements" viewer=Some(viewer) active=Nav::Statements>
                <div class="page-head">
                    <h1>{format!("Statements · {month}")}</h1>
                    <MonthPicker action="/statements" current=month months/>
                </div>
                <Notice message=notice/>
                {close}
                {issue_all}
                <DataTable id="statements" columns>{rows}</DataTable>
                <p class="no-print"><a href=focus>"FOCUS export (CSV)"</a>" (its BilledCost adds up to the statements and Unallocated: idle commitments are in no statement, so it is the showback total less them) "{reconcile}</p>
            </Shell>
        }
    })
}

/// One statement as a document: what finance sends a team, laid out for A4.
#[derive(Debug, Clone)]
pub struct StatementDocument {
    pub statement: Statement,
    pub status: String,
    pub version: Option<i64>,
    pub sha256: String,
    /// Who issued it, and when.
    pub issued: Option<Stamp>,
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
                // Units (web search queries, ...) are counted and priced one by one.
                let unit = l.token_class.and_then(|c| c.unit());
                let rate = l
                    .rate_per_million
                    .map(|r| match unit {
                        Some(_) => format!("{cur} {r} each"),
                        None => format!("{cur} {r}"),
                    })
                    .unwrap_or_default();
                let qty = l
                    .quantity
                    .map(|q| match unit {
                        Some(u) => format!("{} {}", count(q), u.to_lowercase()),
                        None => count(q),
                    })
                    .unwrap_or_default();
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
        ("issued", Some(v), Some(issued)) => format!(
            "Issued, version {v}, {} by {}",
            when_utc(issued.at),
            issued.by
        ),
        _ => "Draft: follows the data until issued".to_owned(),
    };
    let kind = match s.mode {
        tokentally_domain::statement::Mode::Chargeback => "Chargeback statement",
        tokentally_domain::statement::Mode::Showback => "Showback statement (informational)",
    };
    let csv = format!("/api/v1/statements/{}/{}/export.csv", enc(&s.team), s.month);
    let total = money(s.total, &cur);
    let title = format!("Statement {} {}", s.team, s.month);
    let heading = format!("{} · {}", s.team, s.month);
    let period = format!("{} to {}", s.period_start, s.period_end);
    let basis_columns = vec![
        Column::text("Basis"),
        Column::text("Key"),
        Column::num("Requests"),
        Column::num("Token cost"),
    ];
    let sha256 = d.sha256.clone();
    let viewer = viewer.clone();
    render(move || {
        view! {
            <Shell title viewer=Some(viewer) active=Nav::Statements>
            <article class="statement">
                <header>
                    <p class="muted">{kind}</p>
                    <h1>{heading}</h1>
                    <dl class="facts">
                        <dt>"Period"</dt><dd>{period}</dd>
                        <dt>"Currency"</dt><dd>{cur}</dd>
                        <dt>"Status"</dt><dd>{status}</dd>
                        <dt>"SHA-256"</dt><dd class="hash">{sha256}</dd>
                    </dl>
                </header>
                <div class="table-scroll">
                    <table class="data" id="lines">
                        <thead><tr><th scope="col">"Line"</th><th scope="col" class="num">"Tokens"</th><th scope="col" class="num">"Rate per 1M"</th><th scope="col" class="num">"Amount"</th></tr></thead>
                        {sections}
                        <tfoot><tr><th scope="row" colspan="3">"Total"</th><td class="num strong" id="statement-total">{total}</td></tr></tfoot>
                    </table>
                </div>
                <h2>"Basis"</h2>
                <p class="muted">"Which attribution put this usage on the team: a key's mapping, the calls' team tag, or a rule."</p>
                <DataTable id="basis" columns=basis_columns>{basis}</DataTable>
                <p class="no-print"><a href=csv>"Download CSV"</a>" · Print this page for a PDF."</p>
            </article>
            </Shell>
        }
    })
}

#[derive(Debug, Clone)]
pub struct ProviderRow {
    pub provider: String,
    pub list_cost: Decimal,
    pub effective_cost: Decimal,
    pub invoiced: Option<Decimal>,
    pub difference: Option<Decimal>,
}

/// A provider's own cost of a model on a day (its cost report, pulled by a connection)
/// beside the cost tokentally computes.
#[derive(Debug, Clone)]
pub struct ReportedCostRow {
    pub provider: String,
    pub model: String,
    pub day: chrono::NaiveDate,
    pub computed: Decimal,
    pub reported: Decimal,
    pub difference: Decimal,
    /// The difference is over the threshold.
    pub flagged: bool,
}

/// A provider's cost of one unit of a model over the month (`input`, `output`, `web_search`,
/// ...), beside what tokentally computes for the classes that unit bills.
#[derive(Debug, Clone)]
pub struct ReportedUnitRow {
    pub provider: String,
    pub model: String,
    pub unit: String,
    /// Whether tokentally prices the unit at all.
    pub priced: bool,
    pub computed: Decimal,
    pub reported: Decimal,
    pub difference: Decimal,
    pub flagged: bool,
}

/// What a sender (LiteLLM, a gateway, an OpenTelemetry exporter) reported its calls cost,
/// beside tokentally's price of the same calls: per model (all keys), then per key.
#[derive(Debug, Clone)]
pub struct SenderCostRow {
    pub source: String,
    pub provider: String,
    pub model: String,
    /// `None` on a model's line (all its keys).
    pub api_key: Option<String>,
    pub calls: u64,
    pub reported: Decimal,
    pub computed: Decimal,
    pub difference: Decimal,
    pub flagged: bool,
}

#[derive(Debug, Clone)]
pub struct ReconciliationPage {
    /// The providers' cost reports per model and day; empty: the section is left out.
    pub reported_costs: Vec<ReportedCostRow>,
    /// The same over the month, per model and unit billed.
    pub reported_units: Vec<ReportedUnitRow>,
    /// Senders' reported costs per model and key; empty: the section is left out.
    pub sender_costs: Vec<SenderCostRow>,
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
    /// What breaks the sum, line by line, when it does not add up.
    pub breaks: Vec<String>,
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
        "The statements do not add up to the month's total:"
    };
    let general = p.errors.get("form").cloned();
    let error = |name: &str| p.errors.get(name).cloned();
    let (provider_error, amount_error) = (error("provider"), error("amount"));
    let columns = vec![
        Column::text("Provider"),
        Column::num("List cost"),
        Column::num("Effective cost"),
        Column::num("Invoiced"),
        Column::num("Difference"),
    ];
    let identity = view! {
        {line("Team statements", p.statements)}
        {line("Unallocated", p.unallocated)}
        {line("Unpriced", p.unpriced)}
        {line("Idle commitments", p.idle)}
    };
    let total = money(p.org_total, &cur);
    let carried = format!(
        "Adjustments for earlier closed months on this month's statements: {}. Usage of this month received after it closed, carried to later statements: {}.",
        money(p.adjustments, &cur),
        money(p.carried_forward, &cur)
    );
    let reported = (!p.reported_costs.is_empty()).then(|| {
        let rows = p
            .reported_costs
            .iter()
            .map(|r| {
                let flag = if r.flagged { "over the threshold" } else { "" };
                let class = if r.flagged { "num strong" } else { "num" };
                view! {
                    <tr>
                        <th scope="row">{r.provider.clone()}</th>
                        <td>{r.model.clone()}</td>
                        <td>{r.day.to_string()}</td>
                        <td class="num">{money(r.computed, &cur)}</td>
                        <td class="num">{money(r.reported, &cur)}</td>
                        <td class=class>{money(r.difference, &cur)}</td>
                        <td>{flag}</td>
                    </tr>
                }
            })
            .collect_view();
        let columns = vec![
            Column::text("Provider"),
            Column::text("Model"),
            Column::text("Day"),
            Column::num("Computed"),
            Column::num("Provider reported"),
            Column::num("Difference"),
            Column::text("Flag"),
        ];
        let unit_rows = p
            .reported_units
            .iter()
            .map(|r| {
                let flag = match (r.priced, r.flagged) {
                    (false, _) => "not priced by tokentally",
                    (true, true) => "over the threshold",
                    (true, false) => "",
                };
                let class = if r.flagged { "num strong" } else { "num" };
                view! {
                    <tr>
                        <th scope="row">{r.provider.clone()}</th>
                        <td>{r.model.clone()}</td>
                        <td>{r.unit.clone()}</td>
                        <td class="num">{money(r.computed, &cur)}</td>
                        <td class="num">{money(r.reported, &cur)}</td>
                        <td class=class>{money(r.difference, &cur)}</td>
                        <td>{flag}</td>
                    </tr>
                }
            })
            .collect_view();
        let unit_columns = vec![
            Column::text("Provider"),
            Column::text("Model"),
            Column::text("Unit billed"),
            Column::num("Computed"),
            Column::num("Provider reported"),
            Column::num("Difference"),
            Column::text("Flag"),
        ];
        view! {
            <h2>"Provider-reported cost"</h2>
            <p class="muted">"Each connected provider's own cost report beside the cost tokentally computes at list prices, per model and day. A difference over 2% and over a cent is flagged. The provider's figure never prices anything."</p>
            <DataTable id="reported-costs" columns>{rows}</DataTable>
            <h3>"By unit billed, over the month"</h3>
            <p class="muted">"The same report per unit the provider billed (input, cached input, output, cache writes, web searches, ...), beside the classes of tokens or calls tokentally priced for it, so a difference points at its unit. A class tokentally priced that the report billed under no unit of its own is listed by tokentally's name with nothing reported."</p>
            <DataTable id="reported-units" columns=unit_columns>{unit_rows}</DataTable>
        }
    });
    let senders = (!p.sender_costs.is_empty()).then(|| {
        let rows = p
            .sender_costs
            .iter()
            .map(|r| {
                let flag = if r.flagged { "over the threshold" } else { "" };
                let class = if r.flagged { "num strong" } else { "num" };
                let (key, row_class) = match &r.api_key {
                    None => ("all keys".to_owned(), "subtotal"),
                    Some(k) if k.is_empty() => ("(no key)".to_owned(), ""),
                    Some(k) => (k.clone(), ""),
                };
                view! {
                    <tr class=row_class>
                        <th scope="row">{r.source.clone()}</th>
                        <td>{r.provider.clone()}</td>
                        <td>{r.model.clone()}</td>
                        <td>{key}</td>
                        <td class="num">{crate::format::count(r.calls)}</td>
                        <td class="num">{money(r.computed, &cur)}</td>
                        <td class="num">{money(r.reported, &cur)}</td>
                        <td class=class>{money(r.difference, &cur)}</td>
                        <td>{flag}</td>
                    </tr>
                }
            })
            .collect_view();
        let columns = vec![
            Column::text("Source"),
            Column::text("Provider"),
            Column::text("Model"),
            Column::text("Key"),
            Column::num("Calls"),
            Column::num("Computed"),
            Column::num("Sender reported"),
            Column::num("Difference"),
            Column::text("Flag"),
        ];
        view! {
            <h2>"Cost reported by senders"</h2>
            <p class="muted">"What a gateway, LiteLLM or an OpenTelemetry exporter said its calls cost, beside tokentally's price of the same calls (the calls that carried a figure), per model and then per key. A difference over 2% and over a cent is flagged. The senders' figures never price anything."</p>
            <DataTable id="sender-costs" columns>{rows}</DataTable>
        }
    });
    let ReconciliationPage {
        month,
        months,
        notice,
        breaks,
        ..
    } = p;
    let breaks = (!breaks.is_empty()).then(|| {
        let items = breaks
            .into_iter()
            .map(|b| view! { <li>{b}</li> })
            .collect_view();
        view! { <ul id="breaks" class="warn">{items}</ul> }
    });
    let viewer = viewer.clone();
    render(move || {
        view! {
            <Shell title="Reconciliation" viewer=Some(viewer.clone()) active=Nav::Reconciliation>
            <div class="page-head">
                <h1>{format!("Reconciliation · {month}")}</h1>
                <MonthPicker action="/reconciliation" current=month months/>
            </div>
            <Notice message=notice/>
            <h2>"Providers"</h2>
            <DataTable id="providers" columns>{rows}</DataTable>
            <Alert message=general/>
            <form method="post" action="/reconciliation/invoices" class="grid">
                <Csrf token=viewer.csrf/>
                <Hidden name="month" value=month.to_string()/>
                <Field label="Provider" name="provider" required=true error=provider_error/>
                <Field label="Invoiced amount" name="amount" required=true error=amount_error/>
                <button type="submit">"Save invoice"</button>
            </form>
            <h2>"The month adds up"</h2>
            <DataTable id="identity" foot=view! { <tr><th scope="row">"Month total"</th><td class="num strong">{total}</td></tr> }.into_any()>
                {identity}
            </DataTable>
            <p id="verdict">{verdict}</p>
            {breaks}
            <p class="muted">{carried}</p>
            {reported}
            {senders}
            </Shell>
        }
    })
}
