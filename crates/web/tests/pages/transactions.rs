use tokentally_web::pages::transactions_page::{
    TransactionForm, TransactionRow, TransactionsPage, transactions_page,
};

use rust_decimal_macros::dec;

use crate::fixtures::{errors, lead, month, months};
use crate::snapshot;

#[test]
fn transactions_page_with_rows_and_an_invalid_form() {
    let page = TransactionsPage {
        month: month(),
        months: months(),
        rows: vec![
            TransactionRow {
                period: "2026-03".into(),
                team: "search".into(),
                feature: "chat".into(),
                name: "tickets resolved".into(),
                count: 12_345,
                value: Some((dec!(24690), "USD".into())),
                basis: Some("2 per transaction".into()),
            },
            TransactionRow {
                period: "2026-03-04".into(),
                team: "support".into(),
                feature: String::new(),
                name: "documents".into(),
                count: 7,
                value: None,
                basis: None,
            },
        ],
        form: TransactionForm {
            period: "2026-03".into(),
            team: "search".into(),
            feature: String::new(),
            name: "tickets".into(),
            count: "-1".into(),
            value: "12.5".into(),
            value_basis: "total".into(),
            ..TransactionForm::default()
        },
        errors: errors("count", "count `-1` is not a whole number ≥ 0"),
        notice: Some("Saved.".into()),
        currency: "USD".into(),
    };
    snapshot!("transactions", transactions_page(&lead(), page));
}
