//! Why the bill moved, through the API: `GET /api/v1/movement`, on SQLite and PostgreSQL. The
//! parts themselves are hand-computed in the domain's tests; here the API must serve them for
//! the months as stored, with its totals equal to the two showbacks, and refuse bad input.

use reqwest::StatusCode;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde_json::{Value, json};
use tokentally_server::auth::Role;

use crate::helpers::{json_of, money, team};
use crate::storage_test;

/// A gpt-4o-mini call (0.15 input, 0.60 output per 1M) of 1,000,000 input and 100,000 output
/// tokens: 0.15 + 0.06 = 0.21.
fn call(id: &str, ts: &str, team: &str, feature: &str) -> Value {
    json!({"id": id, "timestamp": ts, "provider": "openai", "model": "gpt-4o-mini",
        "team": team, "feature": feature, "input_tokens": 1_000_000, "output_tokens": 100_000,
        "outcome": "success"})
}

/// The parts' amounts by kind.
fn part(movement: &Value, kind: &str) -> Decimal {
    movement["parts"]
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["kind"] == kind))
        .map(|p| money(&p["amount"]))
        .unwrap_or_else(|| panic!("no part {kind} in {movement}"))
}

fn sum_of_parts(movement: &Value) -> Decimal {
    movement["parts"]
        .as_array()
        .expect("parts")
        .iter()
        .map(|p| money(&p["amount"]))
        .sum()
}

storage_test!(
    the_movement_explains_the_change_between_two_showbacks,
    |app| {
        // February: search/answers makes two calls. March: three, and support/triage starts.
        let events = json!([
            call("f1", "2026-02-03T10:00:00Z", "search", "answers"),
            call("f2", "2026-02-04T10:00:00Z", "search", "answers"),
            call("m1", "2026-03-03T10:00:00Z", "search", "answers"),
            call("m2", "2026-03-04T10:00:00Z", "search", "answers"),
            call("m3", "2026-03-05T10:00:00Z", "search", "answers"),
            call("m4", "2026-03-06T10:00:00Z", "support", "triage"),
        ]);
        assert_eq!(app.post_events(&events).await.0, 200);
        let (status, body) = app
            .admin_post(
                "/api/v1/overheads",
                &json!({"month": "2026-03", "category": "retrieval", "amount": "10.00"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");

        let get = |path: String| {
            let r = app.get(&path, &app.finance_token);
            async move { json_of(r.send().await.expect("request")).await }
        };
        let (status, m) = get("/api/v1/movement?from=2026-02&to=2026-03".into()).await;
        assert_eq!(status, StatusCode::OK, "{m}");
        let feb = app.showback("2026-02").await;
        let mar = app.showback("2026-03").await;
        assert_eq!(money(&m["before_total"]), money(&feb["org_total"]));
        assert_eq!(money(&m["after_total"]), money(&mar["org_total"]));
        // 0.42 → 0.84 of tokens and 10.00 of overheads: +10.42, to the cent.
        assert_eq!(money(&m["change"]), dec!(10.42));
        assert_eq!(sum_of_parts(&m), dec!(10.42));
        // One more call of the same mix is volume; support's first month is new; the overhead is
        // its own part; nothing was re-rated or re-owned.
        assert_eq!(part(&m, "volume"), dec!(0.21));
        assert_eq!(part(&m, "new"), dec!(0.21));
        assert_eq!(part(&m, "overheads"), dec!(10.00));
        assert_eq!(part(&m, "price"), Decimal::ZERO);
        assert_eq!(part(&m, "attribution"), Decimal::ZERO);

        // The team's movement adds up to the team's change on the two showbacks.
        let (status, t) = get("/api/v1/movement?from=2026-02&to=2026-03&team=search".into()).await;
        assert_eq!(status, StatusCode::OK, "{t}");
        let change = money(&team(&mar, "search")["blended_cost"])
            - money(&team(&feb, "search")["blended_cost"]);
        assert_eq!(money(&t["change"]), change);
        assert_eq!(sum_of_parts(&t), change);
        assert_eq!(part(&t, "volume"), dec!(0.21));

        // Without months: the last full month against the one before, answered all the same.
        let (status, _) = get("/api/v1/movement".into()).await;
        assert_eq!(status, StatusCode::OK);
    }
);

storage_test!(bad_movement_requests_are_refused_with_a_reason, |app| {
    let get = |path: &str, token: &str| {
        let r = app.get(path, token);
        async move { json_of(r.send().await.expect("request")).await }
    };
    let finance = app.finance_token.clone();
    for (path, expected) in [
        (
            "/api/v1/movement?from=2026-03&to=2026-02",
            StatusCode::BAD_REQUEST,
        ),
        (
            "/api/v1/movement?from=2026-03&to=2026-03",
            StatusCode::BAD_REQUEST,
        ),
        (
            "/api/v1/movement?from=March&to=2026-03",
            StatusCode::BAD_REQUEST,
        ),
        (
            "/api/v1/movement?from=2026-02&to=2026-03&feature=answers",
            StatusCode::BAD_REQUEST,
        ),
        (
            "/api/v1/movement?from=2026-02&to=2026-03&team=",
            StatusCode::BAD_REQUEST,
        ),
    ] {
        let (status, body) = get(path, &finance).await;
        assert_eq!(status, expected, "{path}: {body}");
        assert!(
            body["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{body}"
        );
    }
    let lead = app.token_for(Role::Lead, &["search"]).await;
    let (status, _) = get(
        "/api/v1/movement?from=2026-02&to=2026-03&team=search",
        &lead,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    for path in [
        "/api/v1/movement?from=2026-02&to=2026-03&team=support",
        "/api/v1/movement?from=2026-02&to=2026-03",
    ] {
        let (status, body) = get(path, &lead).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {body}");
    }
    let ingest = app.ingest_token.clone();
    let (status, _) = get("/api/v1/movement", &ingest).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
});
