//! Unit cost over time through the API: `GET /api/v1/trends`, on SQLite and PostgreSQL. Each
//! point must be the figure of that month's showback (or the feature's drill-down), and a
//! month without usage a gap (`null`), never a zero.

use reqwest::StatusCode;
use rust_decimal_macros::dec;
use serde_json::{Value, json};
use tokentally_server::auth::Role;

use crate::helpers::{TestApp, json_of, money, team};
use crate::storage_test;

/// A gpt-4o-mini call of 1,000,000 input and 100,000 output tokens: 0.21.
fn call(id: &str, ts: &str, team: &str, feature: &str, outcome: &str) -> Value {
    json!({"id": id, "timestamp": ts, "provider": "openai", "model": "gpt-4o-mini",
        "team": team, "feature": feature, "input_tokens": 1_000_000, "output_tokens": 100_000,
        "outcome": outcome})
}

async fn get(app: &TestApp, path: &str, token: &str) -> (StatusCode, Value) {
    json_of(app.get(path, token).send().await.expect("request")).await
}

/// The series of `metric` in a trend answer, as (month, value) pairs.
fn series<'a>(trend: &'a Value, metric: &str) -> Vec<(&'a str, &'a Value)> {
    trend["series"]
        .as_array()
        .expect("series")
        .iter()
        .find(|s| s["metric"] == metric)
        .unwrap_or_else(|| panic!("no {metric} in {trend}"))["points"]
        .as_array()
        .expect("points")
        .iter()
        .map(|p| (p["month"].as_str().expect("a month"), &p["value"]))
        .collect()
}

storage_test!(each_trend_point_is_that_months_showback_figure, |app| {
    // January: search/answers, two successes and a failure; support, one success. February:
    // nothing. March: search/answers, one success, and a call of search/other.
    let events = json!([
        call("j1", "2026-01-05T10:00:00Z", "search", "answers", "success"),
        call("j2", "2026-01-06T10:00:00Z", "search", "answers", "success"),
        call("j3", "2026-01-07T10:00:00Z", "search", "answers", "failure"),
        call("j4", "2026-01-08T10:00:00Z", "support", "triage", "success"),
        call("m1", "2026-03-05T10:00:00Z", "search", "answers", "success"),
        call("m2", "2026-03-06T10:00:00Z", "search", "other", "unknown"),
    ]);
    assert_eq!(app.post_events(&events).await.0, 200);
    let finance = app.finance_token.clone();

    let (status, org) = get(&app, "/api/v1/trends?month=2026-03", &finance).await;
    assert_eq!(status, StatusCode::OK, "{org}");
    assert_eq!(
        (org["from"].as_str(), org["to"].as_str()),
        (Some("2025-04"), Some("2026-03"))
    );
    let (status, search) = get(&app, "/api/v1/trends?month=2026-03&team=search", &finance).await;
    assert_eq!(status, StatusCode::OK, "{search}");
    let (status, answers) = get(
        &app,
        "/api/v1/trends?month=2026-03&team=search&feature=answers",
        &finance,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answers}");

    for metric in [
        "cost_per_successful_outcome",
        "cost_per_query",
        "tokens_per_successful_outcome",
    ] {
        let (org_s, team_s, feature_s) = (
            series(&org, metric),
            series(&search, metric),
            series(&answers, metric),
        );
        assert_eq!(org_s.len(), 12);
        for (i, (month, org_value)) in org_s.iter().enumerate() {
            let month = *month;
            let sb = app.showback(month).await;
            let used = sb["requests"].as_u64() != Some(0);
            if !used {
                // No usage: a gap in every scope.
                assert!(
                    org_value.is_null() && team_s[i].1.is_null() && feature_s[i].1.is_null(),
                    "{month} {metric} must be null"
                );
                continue;
            }
            let org_figure = match metric {
                "cost_per_query" => (money(&sb["org_total"])
                    / rust_decimal::Decimal::from(sb["requests"].as_u64().unwrap()))
                .round_dp(6)
                .normalize(),
                _ => money(&sb[metric]),
            };
            assert_eq!(money(org_value), org_figure, "org {metric} {month}");
            let row = team(&sb, "search");
            if metric != "cost_per_query" {
                assert_eq!(
                    money(team_s[i].1),
                    money(&row[metric]),
                    "search {metric} {month}"
                );
            }
            let (status, drill) = get(
                &app,
                &format!("/api/v1/teams/search/features/answers?month={month}"),
                &finance,
            )
            .await;
            assert_eq!(status, StatusCode::OK, "{drill}");
            assert_eq!(
                money(feature_s[i].1),
                money(&drill["total"][metric]),
                "answers {metric} {month}"
            );
        }
    }
    // By hand: January's organisation, 0.84 for three successes; search's 0.63 for two.
    let january = |s: &Vec<(&str, &Value)>| money(s[9].1);
    assert_eq!(
        january(&series(&org, "cost_per_successful_outcome")),
        dec!(0.28)
    );
    assert_eq!(
        january(&series(&search, "cost_per_successful_outcome")),
        dec!(0.315)
    );
    assert_eq!(
        january(&series(&answers, "tokens_per_successful_outcome")),
        dec!(1650000)
    );
    // March: search has one success for two calls, 0.42; answers alone one call, 0.21.
    let march = |s: &Vec<(&str, &Value)>| money(s[11].1);
    assert_eq!(
        march(&series(&search, "cost_per_successful_outcome")),
        dec!(0.42)
    );
    assert_eq!(
        march(&series(&answers, "cost_per_successful_outcome")),
        dec!(0.21)
    );
    assert_eq!(march(&series(&search, "cost_per_query")), dec!(0.21));

    // One metric asked for: one series. A target set on the scorecard comes with its status.
    let (status, body) = app
        .admin_post(
            "/api/v1/unit-targets",
            &json!({"team": "search", "feature": "answers", "target": "0.25"}),
        )
        .await;
    assert!(status.is_success(), "{body}");
    let (_, one) = get(
        &app,
        "/api/v1/trends?month=2026-03&team=search&feature=answers&metric=cost_per_successful_outcome",
        &finance,
    )
    .await;
    assert_eq!(one["series"].as_array().map(Vec::len), Some(1));
    assert_eq!(money(&one["target"]), dec!(0.25));
    assert_eq!(one["on_target"], true);
});

storage_test!(bad_trend_requests_are_refused_with_a_reason, |app| {
    let finance = app.finance_token.clone();
    for path in [
        "/api/v1/trends?metric=cost",
        "/api/v1/trends?feature=answers",
        "/api/v1/trends?month=March",
        "/api/v1/trends?team=",
    ] {
        let (status, body) = get(&app, path, &finance).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {body}");
        assert!(body.to_string().len() > 10, "{path} says why: {body}");
    }
    let lead = app.token_for(Role::Lead, &["search"]).await;
    let (status, _) = get(&app, "/api/v1/trends?team=support", &lead).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = get(&app, "/api/v1/trends?team=search", &lead).await;
    assert_eq!(status, StatusCode::OK);
});

storage_test!(
    unit_cost_targets_are_drawn_on_the_team_and_feature_trends_with_their_status,
    |app| {
        // March: search/answers one success (0.21), search/other one call of unknown outcome
        // (0.21): search's cost per success is 0.42, answers' 0.21.
        let events = json!([
            call("m1", "2026-03-05T10:00:00Z", "search", "answers", "success"),
            call("m2", "2026-03-06T10:00:00Z", "search", "other", "unknown"),
        ]);
        assert_eq!(app.post_events(&events).await.0, 200);
        let finance = app.finance_token.clone();
        // The team's own target (no feature) and one of its features'.
        for target in [
            json!({"team": "search", "target": "0.30"}),
            json!({"team": "search", "feature": "answers", "target": "0.25"}),
        ] {
            let (status, body) = app.admin_post("/api/v1/unit-targets", &target).await;
            assert!(status.is_success(), "{target}: {body}");
        }
        for bad in [
            json!({"team": "", "target": "1"}),
            json!({"team": "search", "target": "0"}),
            json!({"team": "search", "target": "cheap"}),
        ] {
            let (status, body) = app.admin_post("/api/v1/unit-targets", &bad).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {body}");
        }
        let (_, targets) = get(&app, "/api/v1/unit-targets", &finance).await;
        assert_eq!(targets.as_array().map(Vec::len), Some(2), "{targets}");

        let (_, team) = get(&app, "/api/v1/trends?month=2026-03&team=search", &finance).await;
        assert_eq!(money(&team["target"]), dec!(0.30));
        assert_eq!(team["on_target"], false, "0.42 is above 0.30");
        let (_, feature) = get(
            &app,
            "/api/v1/trends?month=2026-03&team=search&feature=answers",
            &finance,
        )
        .await;
        assert_eq!(money(&feature["target"]), dec!(0.25));
        assert_eq!(feature["on_target"], true);
        let (_, org) = get(&app, "/api/v1/trends?month=2026-03", &finance).await;
        assert!(org["target"].is_null(), "{org}");

        // The pages: the target on the chart, its status beside it, and the team's targets.
        use crate::browser_session::Browser;
        let mut b = Browser::signed_in(&app, Role::Lead, &["search"]).await;
        let page = b.get("/teams/search?month=2026-03").await;
        assert_eq!(page.status, StatusCode::OK);
        let trend = &page.body[page.body.find(r#"id="trend""#).expect("a trend")..];
        assert!(
            trend.contains("Target: cost per successful outcome at most $0.3000")
                && trend.contains(r#"<span class="badge warn">off target</span>"#),
            "{trend}"
        );
        assert!(trend.contains("target $0.3000"), "the chart draws it");
        let table = &page.body[page.body.find(r#"id="targets""#).expect("targets")..];
        let table = &table[..table.find("</table>").unwrap()];
        assert!(
            table.contains("whole team")
                && table.contains("$0.4200")
                && table.contains("off target")
                && table.contains("answers")
                && table.contains("$0.2100")
                && table.contains("on target"),
            "{table}"
        );
        let page = b.get("/teams/search/features/answers?month=2026-03").await;
        let trend = &page.body[page.body.find(r#"id="trend""#).expect("a trend")..];
        assert!(
            trend.contains("at most $0.2500")
                && trend.contains(r#"<span class="badge">on target</span>"#)
                && trend.contains("target $0.2500"),
            "{trend}"
        );
    }
);

storage_test!(
    cost_per_active_user_is_the_months_cost_over_its_distinct_users,
    |app| {
        // January: search/answers, users ann and bob (ann twice), and a call without a user;
        // support/triage, user cy. March: search/answers, ann only. Each call costs 0.21.
        let with_user = |id: &str, ts: &str, team: &str, feature: &str, user: Option<&str>| {
            let mut c = call(id, ts, team, feature, "success");
            if let Some(u) = user {
                c["user"] = json!(u);
            }
            c
        };
        let events = json!([
            with_user(
                "j1",
                "2026-01-05T10:00:00Z",
                "search",
                "answers",
                Some("ann")
            ),
            with_user(
                "j2",
                "2026-01-06T10:00:00Z",
                "search",
                "answers",
                Some("ann")
            ),
            with_user(
                "j3",
                "2026-01-07T10:00:00Z",
                "search",
                "answers",
                Some("bob")
            ),
            with_user("j4", "2026-01-07T11:00:00Z", "search", "answers", None),
            with_user(
                "j5",
                "2026-01-08T10:00:00Z",
                "support",
                "triage",
                Some("cy")
            ),
            with_user(
                "m1",
                "2026-03-05T10:00:00Z",
                "search",
                "answers",
                Some("ann")
            ),
        ]);
        assert_eq!(app.post_events(&events).await.0, 200);
        let finance = app.finance_token.clone();
        let metric = "cost_per_active_user";
        let at = |trend: &Value, month: &str| -> Value {
            series(trend, metric)
                .into_iter()
                .find(|(m, _)| *m == month)
                .map(|(_, v)| v.clone())
                .unwrap()
        };
        // Half the users still in the log, half folded into the rollup: counted once each.
        let (_, org) = get(&app, "/api/v1/trends?month=2026-03", &finance).await;
        assert_eq!(
            money(&at(&org, "2026-01")),
            dec!(0.35),
            "1.05 over 3 users: {org}"
        );
        assert!(at(&org, "2026-02").is_null(), "no usage: a gap");
        assert_eq!(money(&at(&org, "2026-03")), dec!(0.21));
        app.store.compact_party_log().await.unwrap();
        let more = json!([with_user(
            "j6",
            "2026-01-09T10:00:00Z",
            "search",
            "answers",
            Some("bob")
        )]);
        assert_eq!(app.post_events(&more).await.0, 200);

        let (_, search) = get(
            &app,
            &format!("/api/v1/trends?month=2026-03&team=search&metric={metric}"),
            &finance,
        )
        .await;
        assert_eq!(
            money(&at(&search, "2026-01")),
            dec!(0.525),
            "1.05 over ann and bob"
        );
        let (_, support) = get(
            &app,
            "/api/v1/trends?month=2026-03&team=support&feature=triage",
            &finance,
        )
        .await;
        assert_eq!(money(&at(&support, "2026-01")), dec!(0.21));
        // A lead's organisation is their teams: search's users only.
        let lead = app.token_for(Role::Lead, &["search"]).await;
        let (_, theirs) = get(&app, "/api/v1/trends?month=2026-03", &lead).await;
        assert_eq!(money(&at(&theirs, "2026-01")), dec!(0.525), "{theirs}");

        // The CSV carries the count and the figure.
        let mut b = crate::browser_session::Browser::signed_in(&app, Role::Finance, &[]).await;
        let csv = b
            .get("/teams/search/export.csv?month=2026-03&table=trend")
            .await
            .body;
        let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
        let january: Vec<&str> = csv
            .lines()
            .find(|l| l.starts_with("2026-01"))
            .unwrap()
            .split(',')
            .collect();
        let cell = |name: &str| january[header.iter().position(|h| *h == name).unwrap()];
        assert_eq!(
            (cell("active_users"), cell("cost_per_active_user")),
            ("2", "0.525")
        );
    }
);
