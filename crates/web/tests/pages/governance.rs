use rust_decimal_macros::dec;
use tokentally_domain::budget::{Budget, BudgetStatus, Forecast, Scope, Status};
use tokentally_web::pages::alerts_page::{
    AlertRow, AlertsPage, BudgetsPage, DeliveryRow, alerts_page, budgets_page,
};

use tokentally_web::stamp::Stamp;

use crate::fixtures::{admin, at, lead, month, months};
use crate::snapshot;

fn alert(id: i64, acknowledged: Option<Stamp>, may_acknowledge: bool) -> AlertRow {
    AlertRow {
        id,
        kind: "budget".into(),
        subject: "team search".into(),
        team: "search".into(),
        period: "2026-03".into(),
        detail: "80% of $1,000.00 used".into(),
        first_seen: at(14, 9, 30),
        acknowledged,
        may_acknowledge,
    }
}

#[test]
fn alerts_page_of_an_admin_with_the_webhook() {
    let page = AlertsPage {
        alerts: vec![
            alert(
                1,
                Some(Stamp {
                    by: "ada@example.test".into(),
                    at: at(14, 10, 0),
                }),
                true,
            ),
            alert(2, None, true),
        ],
        may_evaluate: true,
        digest_month: month(),
        webhook: Some((
            "http://hooks.example.test/in".into(),
            vec![DeliveryRow {
                alert_id: 2,
                status: "failed".into(),
                attempts: 3,
                last: "500".into(),
            }],
        )),
        anomaly: Some(tokentally_domain::anomaly::AnomalySettings::default()),
        notice: Some("Done: evaluated.".into()),
        error: None,
    };
    snapshot!("alerts_admin", alerts_page(&admin(), page));
}

#[test]
fn alerts_page_of_a_reader() {
    let page = AlertsPage {
        alerts: vec![alert(3, None, false)],
        may_evaluate: false,
        digest_month: month(),
        webhook: None,
        anomaly: None,
        notice: None,
        error: Some("Something went wrong.".into()),
    };
    snapshot!("alerts_reader", alerts_page(&lead(), page));
}

fn budget(subject: &str, scope: Scope, status: Status) -> BudgetStatus {
    BudgetStatus {
        budget: Budget {
            month: month(),
            scope,
            subject: subject.into(),
            feature: String::new(),
            amount: dec!(1000),
            thresholds: vec![50, 80, 100],
            recurring: false,
            carried_from: None,
        },
        forecast: Forecast {
            month_to_date: dec!(812.345),
            run_rate: dec!(40.5),
            days_left: 10,
            month_end: dec!(1217.35),
            conservative: dec!(1100),
            peak: dec!(1300),
        },
        status,
        used_pct: dec!(81.2),
        crossed: vec![50, 80],
    }
}

#[test]
fn budgets_page_with_the_form() {
    let page = BudgetsPage {
        month: month(),
        months: months(),
        currency: "USD".into(),
        budgets: vec![
            budget("search", Scope::Team, Status::AtRisk),
            budget("key-search-prod-01", Scope::Key, Status::OnTrack),
        ],
        may_edit: true,
        notice: Some("Done: budget saved.".into()),
        error: None,
        team_names: vec!["search".into(), "support".into()],
        feature_names: vec!["chat".into()],
    };
    snapshot!("budgets", budgets_page(&admin(), page));
}
