use std::collections::BTreeMap;

use rust_decimal_macros::dec;
use tokentally_domain::attribution::UNALLOCATED;
use tokentally_domain::pricing::Cost;
use tokentally_domain::showback::{Showback, TeamShowback, UnpricedModel};
use tokentally_domain::tokens::TokenCounts;
use tokentally_web::pages::showback_page::{
    MonthTotals, ShowbackPage, SortKey, TeamBudget, showback_page,
};

use crate::fixtures::{admin, lead, month, months};
use crate::snapshot;

fn team(name: &str, blended: rust_decimal::Decimal) -> TeamShowback {
    TeamShowback {
        team: name.into(),
        token_cost: blended - dec!(10),
        token_cost_exact: blended - dec!(10),
        token_cost_by_class: Cost {
            input: blended - dec!(20),
            output: dec!(10),
            ..Cost::default()
        },
        overhead: dec!(8),
        commitment: dec!(2),
        blended_cost: blended,
        requests: 12_345,
        tokens: TokenCounts {
            input: 1_234_567,
            output: 45_678,
            ..TokenCounts::default()
        },
        successful_outcomes: 12_000,
        cost_per_successful_outcome: Some(blended / dec!(12000)),
        mom_change: Some(dec!(-12.5)),
        mom_change_pct: Some(dec!(-3.04)),
        ..TeamShowback::default()
    }
}

fn showback() -> Showback {
    let mut unallocated = team(UNALLOCATED, dec!(30));
    unallocated.mom_change = None;
    unallocated.mom_change_pct = None;
    unallocated.cost_per_successful_outcome = None;
    Showback {
        month: month(),
        currency: "USD".into(),
        org_total: dec!(1480.5),
        token_cost: dec!(1410.5),
        list_cost: dec!(1500),
        overhead: dec!(16),
        commitment: dec!(4),
        idle_commitment: dec!(50),
        requests: 24_690,
        tokens: TokenCounts {
            input: 2_469_134,
            output: 91_356,
            ..TokenCounts::default()
        },
        successful_outcomes: 24_000,
        teams: vec![team("search", dec!(1400.5)), unallocated],
        commitments: vec![],
        unpriced: vec![UnpricedModel {
            provider: "internal".into(),
            model: "mystery".into(),
            events: 1,
            requests: 1,
            tokens: TokenCounts {
                input: 42,
                ..TokenCounts::default()
            },
        }],
        previous_org_total: Some(dec!(1400)),
    }
}

fn page(month_to_date: bool) -> ShowbackPage {
    ShowbackPage {
        showback: showback(),
        months: months(),
        month_to_date,
        forecast: month_to_date.then_some(dec!(2100.25)),
        sort: SortKey::Blended,
        descending: true,
        history: vec![
            MonthTotals {
                month: months()[1],
                by_team: vec![
                    ("search".into(), dec!(1300)),
                    (UNALLOCATED.into(), dec!(100)),
                ],
            },
            MonthTotals {
                month: month(),
                by_team: vec![
                    ("search".into(), dec!(1400.5)),
                    (UNALLOCATED.into(), dec!(30)),
                ],
            },
        ],
        budgets: if month_to_date {
            BTreeMap::from([(
                "search".to_owned(),
                TeamBudget {
                    amount: dec!(2000),
                    month_end: dec!(2100.25),
                    status: "at risk".into(),
                },
            )])
        } else {
            BTreeMap::new()
        },
    }
}

#[test]
fn showback_page_of_a_month_to_date_with_budgets() {
    snapshot!(
        "showback_month_to_date",
        showback_page(&admin(), page(true))
    );
}

#[test]
fn showback_page_of_a_past_month() {
    let mut p = page(false);
    p.sort = SortKey::Team;
    p.descending = false;
    snapshot!("showback_past_month", showback_page(&lead(), p));
}
