//! "Why the bill moved" on the showback, team and feature pages: the waterfall with its bars
//! linked to the team or feature, and a CSV whose parts add up to the API's change.

use reqwest::StatusCode;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde_json::{Value, json};
use tokentally_server::auth::Role;

use crate::browser_session::Browser;
use crate::helpers::{TestApp, json_of, money};
use crate::storage_test;

/// A gpt-4o-mini call of 1,000,000 input and 100,000 output tokens: 0.21.
fn call(id: &str, ts: &str, team: &str, feature: &str) -> Value {
    json!({"id": id, "timestamp": ts, "provider": "openai", "model": "gpt-4o-mini",
        "team": team, "feature": feature, "input_tokens": 1_000_000, "output_tokens": 100_000,
        "outcome": "success"})
}

/// February: search/answers twice. March: search/answers three times, support/triage once.
async fn two_months(app: &TestApp) {
    let events = json!([
        call("f1", "2026-02-03T10:00:00Z", "search", "answers"),
        call("f2", "2026-02-04T10:00:00Z", "search", "answers"),
        call("m1", "2026-03-03T10:00:00Z", "search", "answers"),
        call("m2", "2026-03-04T10:00:00Z", "search", "answers"),
        call("m3", "2026-03-05T10:00:00Z", "search", "answers"),
        call("m4", "2026-03-06T10:00:00Z", "support", "triage"),
    ]);
    assert_eq!(app.post_events(&events).await.0, 200);
}

/// The `change` of `GET /api/v1/movement` for the query.
async fn api_change(app: &TestApp, query: &str) -> Decimal {
    let (status, m) = json_of(
        app.get(
            &format!("/api/v1/movement?from=2026-02&to=2026-03{query}"),
            &app.finance_token,
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{m}");
    money(&m["change"])
}

/// The CSV's parts (the rows without `by`, between the two totals), and its two totals.
fn csv_parts(csv: &str) -> (Decimal, Vec<(String, Decimal)>, Decimal) {
    let rows: Vec<Vec<&str>> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    let amount = |r: &Vec<&str>| r[8].parse::<Decimal>().expect("an amount");
    let before = amount(rows.first().expect("a row"));
    let after = amount(rows.last().expect("a row"));
    let parts = rows[1..rows.len() - 1]
        .iter()
        .filter(|r| r[5].is_empty())
        .map(|r| (r[4].to_owned(), amount(r)))
        .collect();
    (before, parts, after)
}

storage_test!(the_pages_show_why_the_bill_moved_and_link_its_bars, |app| {
    two_months(&app).await;
    let mut finance = Browser::signed_in(&app, Role::Finance, &[]).await;

    let page = finance.get("/?month=2026-03").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Why the bill moved, 2026-02 → 2026-03"));
    // support's first month is a bar of "new", search's third call one of "volume": both
    // link to the team's page.
    for team in ["search", "support"] {
        assert!(
            page.body.contains(&format!(
                r#"<a href="/teams/{team}?month=2026-03" data-amount="0.21">"#
            )),
            "a bar for {team} in {}",
            page.body
        );
    }
    let csv = finance
        .get("/showback.csv?month=2026-03&table=movement")
        .await
        .body;
    let (before, parts, after) = csv_parts(&csv);
    assert_eq!((before, after), (dec!(0.42), dec!(0.84)));
    assert_eq!(parts.len(), 8, "{csv}");
    let sum: Decimal = parts.iter().map(|p| p.1).sum();
    assert_eq!(sum, api_change(&app, "").await);
    assert_eq!(sum, after - before);
    assert!(parts.contains(&("new".into(), dec!(0.21))), "{csv}");

    // The team page: search's movement, its bars linking to its features.
    let page = finance.get("/teams/search?month=2026-03").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Why the bill moved"));
    assert!(
        page.body.contains(
            r#"<a href="/teams/search/features/answers?month=2026-03" data-amount="0.21">"#
        )
    );
    let csv = finance
        .get("/teams/search/export.csv?month=2026-03&table=movement")
        .await
        .body;
    let (before, parts, after) = csv_parts(&csv);
    let sum: Decimal = parts.iter().map(|p| p.1).sum();
    assert_eq!(sum, api_change(&app, "&team=search").await);
    assert_eq!((sum, after - before), (dec!(0.21), dec!(0.21)));

    // The feature page, and its CSV.
    let page = finance
        .get("/teams/search/features/answers?month=2026-03")
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Why the bill moved"));
    let csv = finance
        .get("/teams/search/features/answers/export.csv?month=2026-03&table=movement")
        .await
        .body;
    let (_, parts, _) = csv_parts(&csv);
    assert_eq!(
        parts.iter().map(|p| p.1).sum::<Decimal>(),
        api_change(&app, "&team=search&feature=answers").await
    );
});

storage_test!(a_lead_sees_the_movement_of_their_team_only, |app| {
    two_months(&app).await;
    let mut lead = Browser::signed_in(&app, Role::Lead, &["search"]).await;
    let page = lead.get("/?month=2026-03").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("Why the bill moved"));
    let csv = lead.get("/showback.csv?month=2026-03&table=movement").await;
    assert_eq!(csv.status, StatusCode::FORBIDDEN, "{}", csv.body);
    let page = lead.get("/teams/search?month=2026-03").await;
    assert!(page.body.contains("Why the bill moved"));
    assert!(!page.body.contains("/teams/support?"));
    let other = lead
        .get("/teams/support/export.csv?month=2026-03&table=movement")
        .await;
    assert_eq!(other.status, StatusCode::FORBIDDEN);
});
