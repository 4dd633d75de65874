//! The environment filter (`env=`) on the showback, team and feature APIs, their pages and
//! CSVs: figures equal hand sums of the environment's events, shared costs follow the
//! environment's part of each team, and the filter never widens what a lead may read.

use reqwest::StatusCode;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde_json::{Value, json};
use tokentally_server::auth::Role;

use crate::browser_session::Browser;
use crate::helpers::{TestApp, json_of, money, team};
use crate::storage_test;

/// gpt-4o-mini input is 0.15 per 1M tokens, so `m` million input tokens cost 0.15 × m.
fn event(id: &str, team: &str, feature: &str, env: Option<&str>, millions: u64) -> Value {
    let mut e = json!({"id": id, "timestamp": "2026-03-04T10:00:00Z", "provider": "openai",
        "model": "gpt-4o-mini", "team": team, "feature": feature,
        "input_tokens": millions * 1_000_000});
    if let Some(env) = env {
        e["environment"] = json!(env);
    }
    e
}

/// search: answers/production 10M (1.50), answers/staging 2M (0.30), rerank/production 4M
/// (0.60), rerank with no environment 1M (0.15): 2.55.
/// support: chat/staging 6M (0.90), and 2M (0.30) through a key mapped to support in
/// production although the event says staging (the mapping wins): 1.20.
/// Overhead "retrieval" 100.00 in proportion to token cost: search 68.00, support 32.00.
/// Commitment of 10.00 on gpt-4o-mini for exactly the 25M tokens used: search 17M → 6.80,
/// support 8M → 3.20.
async fn seed(app: &TestApp) {
    let (status, body) = app
        .admin_post(
            "/api/v1/key-mappings",
            &json!({"api_key": "k-support", "team": "support", "feature": "chat",
                "environment": "production", "valid_from": "2026-01-01"}),
        )
        .await;
    assert!(status.is_success(), "{body}");
    let mut mapped = event("s2", "support", "chat", Some("staging"), 2);
    mapped["api_key"] = json!("k-support");
    let events = json!([
        event("a1", "search", "answers", Some("production"), 10),
        event("a2", "search", "answers", Some("staging"), 2),
        event("r1", "search", "rerank", Some("production"), 4),
        event("r2", "search", "rerank", None, 1),
        event("s1", "support", "chat", Some("staging"), 6),
        mapped,
    ]);
    let (status, body) = app.post_events(&events).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = app
        .admin_post(
            "/api/v1/overheads",
            &json!({"month": "2026-03", "category": "retrieval", "amount": "100.00"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = app
        .admin_post(
            "/api/v1/commitments",
            &json!({"month": "2026-03", "provider": "openai", "model": "gpt-4o-mini",
                "fee": "10.00", "capacity_tokens": 25_000_000}),
        )
        .await;
    assert!(status.is_success(), "{body}");
}

async fn get(app: &TestApp, path: &str) -> (StatusCode, Value) {
    json_of(app.get(path, &app.admin_token).send().await.unwrap()).await
}

/// (token cost, overhead, commitment, blended) of a row or line, and that they add up.
fn costs(v: &Value) -> (Decimal, Decimal, Decimal, Decimal) {
    let c = (
        money(&v["token_cost"]),
        money(&v["overhead"]),
        money(&v["commitment"]),
        money(&v["blended_cost"]),
    );
    assert_eq!(c.0 + c.1 + c.2, c.3, "a row that does not add up: {v}");
    c
}

storage_test!(
    a_filtered_team_and_feature_equal_the_environments_events,
    |app| {
        seed(&app).await;
        let whole = app.showback("2026-03").await;
        assert_eq!(
            costs(team(&whole, "search")),
            (dec!(2.55), dec!(68.00), dec!(6.80), dec!(77.35))
        );

        // search in production: answers 10M (1.50) and rerank 4M (0.60).
        // Overhead 68.00 × 2.10 / 2.55 = 56.00; commitment 6.80 × 14M / 17M = 5.60.
        let (status, drill) = get(&app, "/api/v1/teams/search?month=2026-03&env=production").await;
        assert_eq!(status, StatusCode::OK, "{drill}");
        assert_eq!(
            costs(&drill),
            (dec!(2.10), dec!(56.00), dec!(5.60), dec!(63.70))
        );
        assert_eq!(costs(&drill["total"]), costs(&drill));
        assert_eq!(drill["total"]["requests"], 2);
        assert_eq!(drill["total"]["tokens"]["input"], 14_000_000);
        // Its features share the environment's part by token cost (overhead) and tokens
        // (commitment): answers 1.50 + 40.00 + 4.00, rerank 0.60 + 16.00 + 1.60.
        let line = |name: &str| {
            drill["features"]
                .as_array()
                .unwrap()
                .iter()
                .find(|l| l["name"] == name)
                .cloned()
                .unwrap_or_else(|| panic!("no feature {name} in {drill}"))
        };
        assert_eq!(
            costs(&line("answers")),
            (dec!(1.50), dec!(40.00), dec!(4.00), dec!(45.50))
        );
        assert_eq!(
            costs(&line("rerank")),
            (dec!(0.60), dec!(16.00), dec!(1.60), dec!(18.20))
        );
        for view in ["features", "models", "keys", "days"] {
            let lines = drill[view].as_array().unwrap();
            let sum: Decimal = lines.iter().map(|l| costs(l).3).sum();
            assert_eq!(sum, dec!(63.70), "{view} add up to the environment's part");
        }

        // The feature's API: the same line, and its views add up to it.
        let (status, fd) = get(
            &app,
            "/api/v1/teams/search/features/answers?month=2026-03&env=production",
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{fd}");
        assert_eq!(
            costs(&fd["total"]),
            (dec!(1.50), dec!(40.00), dec!(4.00), dec!(45.50))
        );
        assert_eq!(fd["total"]["requests"], 1);
        assert_eq!(fd["total"]["tokens"]["input"], 10_000_000);
        let outcomes: Decimal = fd["outcomes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| costs(l).3)
            .sum();
        assert_eq!(outcomes, dec!(45.50));

        // Usage with no environment is "(none)": search's rerank call r2, 1M tokens.
        // Overhead 68.00 × 0.15 / 2.55 = 4.00; commitment 6.80 × 1M / 17M = 0.40.
        let (status, none) = get(&app, "/api/v1/teams/search?month=2026-03&env=%28none%29").await;
        assert_eq!(status, StatusCode::OK, "{none}");
        assert_eq!(
            costs(&none),
            (dec!(0.15), dec!(4.00), dec!(0.40), dec!(4.55))
        );

        // A key's mapping names the environment before the event's tag: support's production is
        // the mapped call alone (0.30; overhead 32.00 × 0.30 / 1.20 = 8.00; commitment 3.20 ×
        // 2M / 8M = 0.80).
        let (status, support) =
            get(&app, "/api/v1/teams/support?month=2026-03&env=production").await;
        assert_eq!(status, StatusCode::OK, "{support}");
        assert_eq!(
            costs(&support),
            (dec!(0.30), dec!(8.00), dec!(0.80), dec!(9.10))
        );

        // The showback in each environment: every team's environments add up to the team, and
        // no filtered total exceeds the whole.
        let mut sums: std::collections::BTreeMap<String, Decimal> = Default::default();
        for env in ["production", "staging", "%28none%29"] {
            let (status, sb) =
                get(&app, &format!("/api/v1/showback?month=2026-03&env={env}")).await;
            assert_eq!(status, StatusCode::OK, "{sb}");
            assert!(money(&sb["org_total"]) <= money(&whole["org_total"]));
            assert_eq!(sb["forecast"], Value::Null);
            let mut total = Decimal::ZERO;
            for t in sb["teams"].as_array().unwrap() {
                let (_, _, _, blended) = costs(t);
                total += blended;
                *sums
                    .entry(t["team"].as_str().unwrap().to_owned())
                    .or_default() += blended;
            }
            assert_eq!(money(&sb["org_total"]), total);
        }
        for t in ["search", "support"] {
            assert_eq!(sums[t], money(&team(&whole, t)["blended_cost"]), "{t}");
        }
        let (_, staging) = get(&app, "/api/v1/showback?month=2026-03&env=staging").await;
        assert_eq!(staging["environment"], "staging");
        // search staging: 0.30 + 68.00 × 0.30 / 2.55 (8.00) + 6.80 × 2M / 17M (0.80).
        assert_eq!(
            costs(team(&staging, "search")),
            (dec!(0.30), dec!(8.00), dec!(0.80), dec!(9.10))
        );
        assert_eq!(
            costs(team(&staging, "support")),
            (dec!(0.90), dec!(24.00), dec!(2.40), dec!(27.30))
        );
        // An unfiltered answer is not the filtered one kept (and the other way round).
        let again = app.showback("2026-03").await;
        assert_eq!(again["org_total"], whole["org_total"]);
        assert_eq!(again["environment"], Value::Null);
    }
);

storage_test!(an_unknown_environment_is_refused_with_a_reason, |app| {
    seed(&app).await;
    let (status, body) = get(&app, "/api/v1/showback?month=2026-03&env=prod").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let reason = body.to_string();
    assert!(
        reason.contains("prod") && reason.contains("production") && reason.contains("staging"),
        "{reason}"
    );
    // support has no usage without an environment: refused for the team, and its features.
    let (status, body) = get(&app, "/api/v1/teams/support?month=2026-03&env=%28none%29").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, body) = get(
        &app,
        "/api/v1/teams/support/features/chat?month=2026-03&env=%28none%29",
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    // A known environment in which the feature has no usage: not found.
    let (status, body) = get(
        &app,
        "/api/v1/teams/search/features/answers?month=2026-03&env=%28none%29",
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    // An empty `env` is no filter.
    let (status, body) = get(&app, "/api/v1/showback?month=2026-03&env=").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(money(&body["org_total"]), dec!(113.75));

    // The page shows an empty month and says why.
    let mut finance = Browser::signed_in(&app, Role::Finance, &[]).await;
    let page = finance.get("/?month=2026-03&env=prod").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body
            .contains("No usage in environment “prod” in 2026-03")
    );
    assert!(!page.body.contains(">search</a>"));
    let page = finance
        .get("/teams/support?month=2026-03&env=%28none%29")
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body
            .contains("No usage in environment “(none)” in 2026-03")
    );
});

storage_test!(a_lead_may_not_filter_another_teams_environment, |app| {
    seed(&app).await;
    let lead = app.token_for(Role::Lead, &["support"]).await;
    for path in [
        "/api/v1/teams/search?month=2026-03&env=production",
        "/api/v1/teams/search/features/answers?month=2026-03&env=production",
    ] {
        let r = app.get(path, &lead).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path}");
    }
    let r = app
        .get("/api/v1/showback?month=2026-03&env=production", &lead)
        .send()
        .await
        .unwrap();
    let (status, sb) = json_of(r).await;
    assert_eq!(status, StatusCode::OK, "{sb}");
    let teams: Vec<&str> = sb["teams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["team"].as_str().unwrap())
        .collect();
    assert_eq!(teams, ["support"]);
    assert_eq!(money(&sb["org_total"]), dec!(9.10));
    let mut browser = Browser::signed_in(&app, Role::Lead, &["support"]).await;
    let page = browser
        .get("/teams/search?month=2026-03&env=production")
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    let page = browser
        .get("/teams/search/features/answers/export.csv?month=2026-03&table=models&env=production")
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
});

storage_test!(
    the_pages_offer_the_environments_and_keep_the_filter,
    |app| {
        seed(&app).await;
        let mut finance = Browser::signed_in(&app, Role::Finance, &[]).await;
        let page = finance.get("/?month=2026-03").await.body;
        // A plain GET form: the month and the environment, "All" chosen.
        assert!(page.contains(r#"<select id="env" name="env">"#), "{page}");
        assert!(
            page.contains(r#"<option value="" selected>All</option>"#),
            "{page}"
        );
        for env in ["production", "staging", "(none)"] {
            assert!(
                page.contains(&format!(r#"<option value="{env}">{env}</option>"#)),
                "{env}"
            );
        }
        assert!(!page.contains("Environment: "));

        let page = finance.get("/?month=2026-03&env=staging").await.body;
        assert!(
            page.contains("Environment: <strong>staging</strong>"),
            "{page}"
        );
        assert!(page.contains(r#"<option value="staging" selected>staging</option>"#));
        // Team links and the CSV keep the filter.
        assert!(
            page.contains(r#"href="/teams/search?month=2026-03&amp;env=staging""#),
            "{page}"
        );
        assert!(
            page.contains(
                "/showback.csv?month=2026-03&amp;sort=blended&amp;dir=desc&amp;env=staging"
            )
        );
        let csv = finance
            .get("/showback.csv?month=2026-03&sort=blended&dir=desc&env=staging")
            .await
            .body;
        let search = csv.lines().find(|l| l.contains(",search,")).unwrap();
        assert!(search.contains(",9.10,0.30,8.00,0.80,"), "{search}");

        let page = finance
            .get("/teams/search?month=2026-03&env=staging")
            .await
            .body;
        assert!(page.contains("Environment: <strong>staging</strong>"));
        // The team's environments only: support's are not search's.
        assert!(page.contains(r#"<option value="(none)">(none)</option>"#));
        assert!(
            page.contains(r#"href="/teams/search/features/answers?env=staging&amp;month=2026-03""#),
            "{page}"
        );
        assert!(page.contains(r#"href="/?month=2026-03&amp;env=staging""#));
        assert!(
            page.contains(
                "/teams/search/export.csv?month=2026-03&amp;table=features&amp;env=staging"
            )
        );
        let csv = finance
            .get("/teams/search/export.csv?month=2026-03&table=features&env=staging")
            .await
            .body;
        let answers = csv.lines().find(|l| l.contains(",answers,")).unwrap();
        assert!(answers.contains(",9.10,0.30,8.00,0.80,"), "{answers}");
        assert!(!csv.contains(",rerank,"), "{csv}");

        let page = finance
            .get("/teams/search/features/answers?month=2026-03&env=staging")
            .await
            .body;
        assert!(page.contains("Environment: <strong>staging</strong>"));
        assert!(page.contains(r#"href="/teams/search?month=2026-03&amp;env=staging""#));
        let support = finance.get("/teams/support?month=2026-03").await.body;
        assert!(!support.contains(r#"<option value="(none)">"#), "{support}");
    }
);
