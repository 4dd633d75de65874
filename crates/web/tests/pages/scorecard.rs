use rust_decimal_macros::dec;
use tokentally_domain::scorecard::{Criterion, Scorecard, Thresholds, UnitTarget};
use tokentally_web::pages::scorecard_page::{ScorecardPage, scorecard_page};

use crate::fixtures::{admin, lead, month, months};
use crate::snapshot;

fn card(scope: &str, stage: u8) -> Scorecard {
    Scorecard {
        scope: scope.into(),
        month: month(),
        stage,
        criteria: vec![
            Criterion {
                id: "priced",
                stage: 1,
                name: "Usage is priced",
                measured: "0.4%".into(),
                threshold: "under 1%".into(),
                pass: true,
                next_step: "Keep price cards current".into(),
                link: "/admin/prices".into(),
            },
            Criterion {
                id: "allocated",
                stage: 2,
                name: "Spend is allocated",
                measured: "7.5%".into(),
                threshold: "under 5%".into(),
                pass: false,
                next_step: "Map the unallocated keys".into(),
                link: "/admin/keys".into(),
            },
        ],
    }
}

fn page(may: bool) -> ScorecardPage {
    ScorecardPage {
        month: month(),
        months: months(),
        org: may.then(|| card("org", 1)),
        teams: vec![card("search", 2)],
        history: vec![
            (months()[1], may.then_some(1), vec![("search".into(), 1)]),
            (month(), may.then_some(1), vec![("search".into(), 2)]),
        ],
        published: may.then(|| "ada@example.test on 2026-03-02".into()),
        thresholds: Thresholds::default(),
        targets: vec![UnitTarget {
            team: "search".into(),
            feature: "chat".into(),
            target: dec!(0.05),
        }],
        may_publish: may,
        may_set_thresholds: may,
        notice: may.then(|| "Saved: thresholds.".into()),
        error: None,
    }
}

#[test]
fn scorecard_page_with_every_form() {
    snapshot!("scorecard_admin", scorecard_page(&admin(), page(true)));
}

#[test]
fn scorecard_page_of_a_lead() {
    snapshot!("scorecard_lead", scorecard_page(&lead(), page(false)));
}
