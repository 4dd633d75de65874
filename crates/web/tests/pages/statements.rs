use chrono::NaiveDate;
use rust_decimal_macros::dec;
use tokentally_domain::statement::{BasisLine, LineKind, Mode, Statement, StatementLine};
use tokentally_web::pages::statements_page::{
    ProviderRow, ReconciliationPage, ReportedCostRow, ReportedUnitRow, StatementDocument,
    StatementRow, StatementsPage, reconciliation_page, statement_document, statements_page,
};

use tokentally_web::stamp::Stamp;

use crate::fixtures::{admin, at, day, errors, lead, month, months};
use crate::snapshot;

fn rows() -> Vec<StatementRow> {
    vec![
        StatementRow {
            team: "search".into(),
            status: "issued".into(),
            version: Some(2),
            mode: "chargeback".into(),
            total: dec!(1336.85),
            total_now: None,
        },
        StatementRow {
            team: "support & ops".into(),
            status: "draft".into(),
            version: None,
            mode: "showback".into(),
            total: dec!(20),
            total_now: None,
        },
        StatementRow {
            team: "Unallocated".into(),
            status: "draft".into(),
            version: None,
            mode: "showback".into(),
            total: dec!(3.5),
            total_now: None,
        },
    ]
}

#[test]
fn statements_page_for_finance_of_an_open_month() {
    let page = StatementsPage {
        month: month(),
        months: months(),
        currency: "USD".into(),
        rows: rows(),
        closed: None,
        manage: true,
        reopen: true,
        notice: Some("Issued search.".into()),
    };
    let html = statements_page(&admin(), page);
    // Issuing in an open month asks to confirm the close, on every issue form.
    assert_eq!(
        html.matches(r#"name="confirm_close" value="yes" required"#)
            .count(),
        2,
        "the draft of `support & ops` (Unallocated has no issue form), and \"issue all\""
    );
    assert!(
        !html.contains("/reopen"),
        "an open month has nothing to reopen"
    );
    assert!(html.contains("Issue all (1 draft)"), "{html}");
    assert_eq!(
        html.matches(r#"action="/statements/support%20%26%20ops/mode""#)
            .count(),
        1,
        "a mode switch for each team but Unallocated"
    );
    assert!(html.contains("Switch to showback") && html.contains("Switch to chargeback"));
    snapshot!("statements_manage", html);
}

#[test]
fn an_admin_may_reopen_a_closed_month_and_sees_statements_whose_inputs_changed() {
    let mut rows = rows();
    rows[0].total_now = Some(dec!(1340.10));
    let page = StatementsPage {
        month: month(),
        months: months(),
        currency: "USD".into(),
        rows,
        closed: Some(Stamp {
            by: "ada@example.test".into(),
            at: at(31, 23, 0),
        }),
        manage: true,
        reopen: true,
        notice: None,
    };
    let html = statements_page(&admin(), page);
    assert!(
        html.contains(r#"action="/months/2026-03/reopen""#),
        "{html}"
    );
    assert!(html.contains("inputs changed since issue: they now give $1,340.10"));
    assert!(
        !html.contains("confirm_close"),
        "a closed month needs no close confirmed"
    );
}

#[test]
fn statements_page_of_a_closed_month_for_a_lead() {
    let page = StatementsPage {
        month: month(),
        months: months(),
        currency: "USD".into(),
        rows: rows(),
        closed: Some(Stamp {
            by: "ada@example.test".into(),
            at: at(31, 23, 0),
        }),
        manage: false,
        reopen: false,
        notice: None,
    };
    snapshot!("statements_closed", statements_page(&lead(), page));
}

fn line(
    kind: LineKind,
    description: &str,
    quantity: Option<u64>,
    rate: Option<rust_decimal::Decimal>,
    amount: rust_decimal::Decimal,
) -> StatementLine {
    StatementLine {
        kind,
        description: description.into(),
        provider: None,
        model: None,
        token_class: None,
        quantity,
        rate_per_million: rate,
        list_rate_per_million: rate,
        rate_key: None,
        amount,
        exact_amount: None,
        belongs_to: None,
        parts: vec![],
    }
}

#[test]
fn statement_document_issued() {
    let statement = Statement {
        team: "search".into(),
        month: month(),
        period_start: NaiveDate::from_ymd_opt(2026, 3, 1).expect("a day"),
        period_end: NaiveDate::from_ymd_opt(2026, 3, 31).expect("a day"),
        currency: "USD".into(),
        mode: Mode::Chargeback,
        lines: vec![
            line(
                LineKind::Usage,
                "openai gpt-4o input",
                Some(1_234_567),
                Some(dec!(2.5)),
                dec!(3.09),
            ),
            line(LineKind::Overhead, "vector search", None, None, dec!(60)),
            line(
                LineKind::Adjustment,
                "late usage of 2026-02",
                Some(1000),
                Some(dec!(10)),
                dec!(0.01),
            ),
        ],
        usage: dec!(3.09),
        overhead: dec!(60),
        commitment: dec!(0),
        adjustments: dec!(0.01),
        total: dec!(63.10),
        basis: vec![
            BasisLine {
                basis: "key mapping".into(),
                api_key: "key-search-prod-01".into(),
                requests: 1200,
                token_cost: dec!(3.09),
            },
            BasisLine {
                basis: "team tag".into(),
                api_key: String::new(),
                requests: 3,
                token_cost: dec!(0),
            },
        ],
    };
    let doc = StatementDocument {
        statement,
        status: "issued".into(),
        version: Some(2),
        sha256: "ab12cd34".into(),
        issued: Some(Stamp {
            by: "ada@example.test".into(),
            at: at(31, 9, 0),
        }),
    };
    snapshot!("statement_document", statement_document(&admin(), doc));
}

#[test]
fn reconciliation_page_that_balances() {
    let page = ReconciliationPage {
        reported_costs: vec![ReportedCostRow {
            provider: "openai".into(),
            model: "gpt-4o-mini".into(),
            day: day(3),
            computed: dec!(0.21),
            reported: dec!(0.25),
            difference: dec!(0.04),
            flagged: true,
        }],
        reported_units: vec![
            ReportedUnitRow {
                provider: "openai".into(),
                model: "gpt-4o-mini".into(),
                unit: "input".into(),
                priced: true,
                computed: dec!(0.15),
                reported: dec!(0.25),
                difference: dec!(0.10),
                flagged: true,
            },
            ReportedUnitRow {
                provider: "openai".into(),
                model: "gpt-4o-mini".into(),
                unit: "output".into(),
                priced: true,
                computed: dec!(0.06),
                reported: dec!(0),
                difference: dec!(-0.06),
                flagged: true,
            },
        ],
        sender_costs: Vec::new(),
        month: month(),
        months: months(),
        currency: "USD".into(),
        providers: vec![
            ProviderRow {
                provider: "openai".into(),
                list_cost: dec!(1400),
                effective_cost: dec!(1225),
                invoiced: Some(dec!(1225.5)),
                difference: Some(dec!(0.5)),
            },
            ProviderRow {
                provider: "anthropic".into(),
                list_cost: dec!(10),
                effective_cost: dec!(10),
                invoiced: None,
                difference: None,
            },
        ],
        statements: dec!(1336.85),
        unallocated: dec!(3.5),
        unpriced: dec!(0),
        idle: dec!(87.66),
        org_total: dec!(1428.01),
        adjustments: dec!(0.01),
        carried_forward: dec!(-2),
        balanced: true,
        breaks: vec![],
        errors: errors("amount", "`x` is not an amount"),
        notice: None,
    };
    snapshot!("reconciliation", reconciliation_page(&admin(), page));
}
