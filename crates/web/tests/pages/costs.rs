use rust_decimal_macros::dec;
use tokentally_web::pages::costs_page::{
    BlendedRow, CommitmentRow, CostForms, CostsPage, DiscountRow, FxRateRow, OverheadRow,
    costs_page,
};

use crate::fixtures::{admin, day, errors, month, months};
use crate::snapshot;

#[test]
fn costs_page_with_every_section_and_an_invalid_form() {
    let page = CostsPage {
        month: month(),
        months: months(),
        currency: "USD".into(),
        categories: vec!["vector search".into(), "support staff".into()],
        teams: vec![BlendedRow {
            team: "search".into(),
            token_cost: dec!(1234.5),
            overheads: vec![dec!(60), dec!(30.005)],
            commitment: dec!(12.34),
            blended_cost: dec!(1336.85),
        }],
        idle_commitment: dec!(87.66),
        org_total: dec!(1424.51),
        overheads: vec![OverheadRow {
            category: "vector search".into(),
            amount: dec!(90),
            allocation: "fixed: search 2, support 1".into(),
        }],
        previous_overheads: 1,
        commitments: vec![CommitmentRow {
            label: "openai/gpt-4o".into(),
            fee: dec!(100),
            capacity_tokens: 10_000_000,
            used_tokens: 1_234_000,
            utilisation: dec!(12.3),
            underused: true,
            idle: dec!(87.66),
        }],
        discounts: vec![DiscountRow {
            provider: "openai".into(),
            percent: dec!(12.5),
            effective_from: day(1),
        }],
        fx_rates: vec![FxRateRow {
            base: "USD".into(),
            quote: "EUR".into(),
            rate: dec!(0.9213),
            source: "ECB reference rate".into(),
        }],
        closed: false,
        forms: CostForms {
            category: "support staff".into(),
            amount: "ten".into(),
            allocation: "even".into(),
            ..CostForms::default()
        },
        errors: errors("amount", "`ten` is not an amount"),
        notice: Some("Saved: overhead.".into()),
        team_names: vec!["search".into(), "support".into()],
    };
    snapshot!("costs", costs_page(&admin(), page));
}
