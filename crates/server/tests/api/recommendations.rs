//! Recommendations through the API on SQLite and PostgreSQL: the list as each role sees it,
//! accepting and dismissing (audited, scoped to the owner), the thresholds (validated, audited,
//! nothing changed on a bad value), and what-if re-pricing against the same usage ingested
//! under the other model's name. The levers' arithmetic is hand-computed in the domain's tests.

use reqwest::StatusCode;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde_json::{Value, json};
use tokentally_server::auth::Role;

use crate::helpers::{TestApp, json_of, money, team};
use crate::storage_test;

/// `n` successful calls of `model` for `team`/`feature` on `day` in one event: 1,000 input
/// and 100 output tokens a call (small prompts and outputs, so that only routing applies).
fn calls(id: &str, day: &str, model: &str, team: &str, feature: &str, n: u64) -> Value {
    json!({"id": id, "timestamp": format!("{day}T10:00:00Z"), "provider": "openai",
        "model": model, "team": team, "feature": feature, "api_key": format!("key-{team}"),
        "requests": n, "input_tokens": 1_000 * n, "output_tokens": 100 * n,
        "outcome": "success"})
}

/// search/answers on gpt-4o (1,000 calls: 1M input × 2.50 + 100k output × 10 = 3.50) and
/// support/triage proving gpt-4o-mini (100 calls, all successful).
async fn seed(app: &TestApp) {
    let events = json!([
        calls("a1", "2026-03-03", "gpt-4o", "search", "answers", 1_000),
        calls("t1", "2026-03-04", "gpt-4o-mini", "support", "triage", 100),
    ]);
    assert_eq!(app.post_events(&events).await.0, StatusCode::OK);
}

async fn get(app: &TestApp, path: &str, token: &str) -> (StatusCode, Value) {
    json_of(app.get(path, token).send().await.expect("request")).await
}

fn items(listing: &Value) -> &Vec<Value> {
    listing["items"].as_array().expect("items")
}

fn routing_of<'a>(listing: &'a Value, team: &str) -> &'a Value {
    items(listing)
        .iter()
        .find(|i| i["lever"] == "routing" && i["team"] == team)
        .unwrap_or_else(|| panic!("no routing for {team} in {listing}"))
}

storage_test!(
    a_proven_cheaper_model_is_recommended_with_its_owner_and_evidence,
    |app| {
        seed(&app).await;
        let (status, list) = get(
            &app,
            "/api/v1/recommendations?month=2026-03",
            &app.finance_token,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{list}");
        let r = routing_of(&list, "search");
        // gpt-4o-mini: 1M × 0.15 + 100k × 0.60 = 0.21; 3.50 − 0.21 = 3.29, measured.
        assert_eq!(money(&r["monthly_saving"]), dec!(3.29));
        assert_eq!(r["basis"], "measured");
        assert_eq!(r["feature"], "answers");
        assert_eq!(r["key"], "key-search");
        assert_eq!(r["candidate"], "openai/gpt-4o-mini");
        assert!(r["id"].as_str().unwrap().starts_with("2026-03-"));
        assert!(!r["evidence"].as_array().unwrap().is_empty());
        // Cost per success: 3.50 ÷ 1,000 now, 0.21 ÷ 1,000 after.
        assert_eq!(money(&r["cost_per_success"]), dec!(0.0035));
        assert_eq!(money(&r["implied_cost_per_success"]), dec!(0.00021));
        // The total is at most the month's token cost and commitments.
        let sb = app.showback("2026-03").await;
        assert!(
            money(&list["total"])
                <= money(&sb["token_cost"])
                    + money(&sb["commitment"])
                    + money(&sb["idle_commitment"])
        );
        assert_eq!(
            money(&list["token_cost"]).round_dp(2),
            money(&sb["token_cost"])
        );

        // Filters: by lever and by team.
        let (_, only) = get(
            &app,
            "/api/v1/recommendations?month=2026-03&lever=caching",
            &app.finance_token,
        )
        .await;
        assert!(
            items(&only).iter().all(|i| i["lever"] == "caching"),
            "{only}"
        );
        let (_, support) = get(
            &app,
            "/api/v1/recommendations?month=2026-03&team=support",
            &app.finance_token,
        )
        .await;
        assert!(
            items(&support).iter().all(|i| i["team"] == "support"),
            "{support}"
        );

        // A lead sees their teams' only, and may not ask for another's.
        let lead = app.token_for(Role::Lead, &["support"]).await;
        let (status, mine) = get(&app, "/api/v1/recommendations?month=2026-03", &lead).await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            items(&mine).iter().all(|i| i["team"] == "support"),
            "{mine}"
        );
        let (status, _) = get(
            &app,
            "/api/v1/recommendations?month=2026-03&team=search",
            &lead,
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN);

        // Bad input: a clear 400.
        for path in [
            "/api/v1/recommendations?month=2026-13",
            "/api/v1/recommendations?month=2026-03&lever=teleport",
        ] {
            let (status, body) = get(&app, path, &app.finance_token).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {body}");
        }
    }
);

storage_test!(
    an_owner_accepts_or_dismisses_with_a_note_audited_and_no_one_else_may,
    |app| {
        seed(&app).await;
        let (_, list) = get(
            &app,
            "/api/v1/recommendations?month=2026-03",
            &app.finance_token,
        )
        .await;
        let id = routing_of(&list, "search")["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let decide = |token: String, id: String, what: &'static str, body: Value| {
            let r = app
                .post(&format!("/api/v1/recommendations/{id}/{what}"), &token)
                .json(&body);
            async move { json_of(r.send().await.expect("request")).await }
        };

        // Another team's lead: not found (ids of other teams reveal nothing); a viewer: 403.
        let other = app.token_for(Role::Lead, &["support"]).await;
        let (status, _) = decide(other, id.clone(), "accept", json!({"note": "x"})).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let viewer = app.token_for(Role::Viewer, &[]).await;
        let (status, _) = decide(viewer, id.clone(), "accept", json!({"note": "x"})).await;
        assert_eq!(status, StatusCode::FORBIDDEN);

        let lead = app.token_for(Role::Lead, &["search"]).await;
        // Bad ids and notes.
        let (status, _) = decide(lead.clone(), "nonsense".into(), "accept", json!({})).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let (status, _) = decide(
            lead.clone(),
            "2026-03-0000000000000000".into(),
            "accept",
            json!({}),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let long = "n".repeat(1_001);
        let (status, _) = decide(lead.clone(), id.clone(), "accept", json!({"note": long})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

        let (status, d) = decide(
            lead.clone(),
            id.clone(),
            "dismiss",
            json!({"note": "later"}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{d}");
        assert_eq!(d["decision"], "dismissed");
        let (status, d) = decide(
            lead.clone(),
            id.clone(),
            "accept",
            json!({"note": "moving to mini"}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{d}");
        assert_eq!(d["decision"], "accepted");
        assert_eq!(money(&d["expected_saving"]), dec!(3.29));

        let (_, list) = get(
            &app,
            "/api/v1/recommendations?month=2026-03",
            &app.finance_token,
        )
        .await;
        let r = routing_of(&list, "search");
        assert_eq!(r["decision"]["decision"], "accepted");
        assert_eq!(r["decision"]["note"], "moving to mini");

        let audit = app
            .store
            .list_audit(Some(&format!("recommendation:{id}")), 10)
            .await
            .unwrap();
        let actions: Vec<&str> = audit.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(
            actions,
            ["recommendation.accepted", "recommendation.dismissed"]
        );
        assert!(
            audit[0]
                .before
                .as_deref()
                .unwrap_or("")
                .contains("dismissed")
        );
    }
);

storage_test!(
    thresholds_are_set_by_admins_and_bad_values_change_nothing,
    |app| {
        let path = "/api/v1/recommendations/settings";
        let (status, before) = get(&app, path, &app.finance_token).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(money(&before["max_retry_waste_pct"]), dec!(5));
        for bad in [
            json!({"max_retry_waste_pct": "120"}),
            json!({"max_calls_per_workflow": "0"}),
            json!({"max_output_tokens": -1}),
            json!({"max_output_tokens": "many"}),
            json!({"no_such_threshold": 1}),
            json!({"not_latency_bound": [{"team": "", "feature": "x"}]}),
        ] {
            let (status, body) = app.admin_post(path, &bad).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {body}");
        }
        let r = app
            .post(path, &app.admin_token)
            .body("{not json")
            .header("content-type", "application/json")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        let (_, after) = get(&app, path, &app.finance_token).await;
        assert_eq!(after, before);

        let finance = app
            .post(path, &app.finance_token)
            .json(&json!({"zombie_days": 10}))
            .send()
            .await
            .unwrap();
        assert_eq!(finance.status(), StatusCode::FORBIDDEN);

        let (status, set) = app
            .admin_post(
                path,
                &json!({"max_retry_waste_pct": "2.5", "max_calls_per_workflow": 6}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{set}");
        assert_eq!(money(&set["max_retry_waste_pct"]), dec!(2.5));
        // The fields not named keep their values.
        assert_eq!(set["zombie_days"], before["zombie_days"]);
        let audit = app
            .store
            .list_audit(Some("setting:recommendations"), 10)
            .await
            .unwrap();
        assert_eq!(audit.len(), 1);
        assert_eq!(audit[0].action, "recommendations.settings");
    }
);

storage_test!(
    what_if_repricing_equals_the_same_usage_ingested_under_the_other_model,
    |app| {
        // March: search/answers on gpt-4o, with cache reads; support proves gpt-4o-mini.
        // April: the very same search calls, ingested as gpt-4o-mini.
        let mixed = |id: &str, day: &str, model: &str| {
            json!({"id": id, "timestamp": format!("{day}T10:00:00Z"), "provider": "openai",
                "model": model, "team": "search", "feature": "answers", "api_key": "key-search",
                "requests": 777, "input_tokens": 1_234_567, "cached_input_tokens": 333_333,
                "output_tokens": 98_765, "reasoning_tokens": 0, "outcome": "success"})
        };
        let events = json!([
            mixed("m1", "2026-03-03", "gpt-4o"),
            calls("t1", "2026-03-04", "gpt-4o-mini", "support", "triage", 100),
            mixed("m2", "2026-04-03", "gpt-4o-mini"),
        ]);
        assert_eq!(app.post_events(&events).await.0, StatusCode::OK);
        let (_, list) = get(
            &app,
            "/api/v1/recommendations?month=2026-03&team=search",
            &app.finance_token,
        )
        .await;
        let r = routing_of(&list, "search");
        let march = app.showback("2026-03").await;
        let april = app.showback("2026-04").await;
        let before: Decimal = money(&team(&march, "search")["token_cost_exact"]);
        let what_if = before - money(&r["monthly_saving"]);
        assert_eq!(
            what_if.round_dp(2),
            money(&team(&april, "search")["token_cost"])
        );
        assert_eq!(what_if, money(&team(&april, "search")["token_cost_exact"]));
    }
);

storage_test!(
    an_accepted_recommendation_shows_the_saving_realised_since,
    |app| {
        // Ten days ago: search/answers on gpt-4o (3.50 for 1,000 successes), support proves
        // gpt-4o-mini. The lead accepts the routing today; today's 1,000 calls run on mini.
        let today = chrono::Utc::now().date_naive();
        let before = today - chrono::Duration::days(10);
        let month = tokentally_domain::month::Month::of(before);
        let events = json!([
            calls(
                "a1",
                &before.to_string(),
                "gpt-4o",
                "search",
                "answers",
                1_000
            ),
            calls(
                "t1",
                &before.to_string(),
                "gpt-4o-mini",
                "support",
                "triage",
                100
            ),
        ]);
        assert_eq!(app.post_events(&events).await.0, StatusCode::OK);
        let path = format!("/api/v1/recommendations?month={month}&team=search");
        let (_, list) = get(&app, &path, &app.finance_token).await;
        let id = routing_of(&list, "search")["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let lead = app.token_for(Role::Lead, &["search"]).await;
        let r = app
            .post(&format!("/api/v1/recommendations/{id}/accept"), &lead)
            .json(&json!({"note": "route to mini"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);

        // Nothing since yet: no realised saving.
        let (_, list) = get(&app, &path, &app.finance_token).await;
        let f = &routing_of(&list, "search")["follow_up"];
        assert_eq!(f["accepted_on"], today.to_string());
        assert_eq!(money(&f["before"]["cost_per_success"]), dec!(0.0035));
        assert!(f["realised"].is_null(), "{f}");

        // Later usage: the same work on gpt-4o-mini, 0.21 for 1,000 successes.
        let later = json!([calls(
            "a2",
            &today.to_string(),
            "gpt-4o-mini",
            "search",
            "answers",
            1_000
        )]);
        assert_eq!(app.post_events(&later).await.0, StatusCode::OK);
        let (_, list) = get(&app, &path, &app.finance_token).await;
        let f = &routing_of(&list, "search")["follow_up"];
        assert_eq!(money(&f["after"]["cost_per_success"]), dec!(0.00021));
        assert_eq!(f["after"]["tokens_per_outcome"], "1100");
        assert_eq!(f["before"]["tokens_per_outcome"], "1100");
        // (0.0035 − 0.00021) × 1,000 = 3.29 realised; 3.29 × 1 day ÷ 30 expected.
        assert_eq!(money(&f["realised"]), dec!(3.29));
        assert_eq!(money(&f["expected"]), dec!(0.109667));
    }
);

storage_test!(
    a_lead_opens_their_team_sees_the_routing_and_accepts_it_in_a_form,
    |app| {
        use crate::browser_session::Browser;
        seed(&app).await;
        let mut b = Browser::signed_in(&app, Role::Lead, &["search"]).await;
        let team = b.get("/teams/search?month=2026-03").await;
        assert_eq!(team.status, StatusCode::OK);
        assert!(team.body.contains("Top recommendations"), "{}", team.body);
        assert!(
            team.body.contains("Route to a cheaper model"),
            "{}",
            team.body
        );

        let page = b.get("/recommendations?month=2026-03&team=search").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("<details class=\"evidence\">"));
        assert!(page.body.contains("openai/gpt-4o-mini"));
        let (_, list) = get(
            &app,
            "/api/v1/recommendations?month=2026-03",
            &app.finance_token,
        )
        .await;
        let id = routing_of(&list, "search")["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let action = format!("/recommendations/{id}/accept");
        assert!(page.body.contains(&action), "{}", page.body);

        // Without the CSRF token: refused, nothing stored.
        let refused = b.post_form(&action, &[("note", "x")]).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
        assert!(
            app.store
                .list_recommendation_decisions()
                .await
                .unwrap()
                .is_empty()
        );

        let csrf = page.csrf();
        let done = b
            .post_form(&action, &[("csrf", &csrf), ("note", "moving to mini")])
            .await;
        assert_eq!(done.status, StatusCode::SEE_OTHER);
        assert!(
            done.location
                .as_deref()
                .unwrap_or("")
                .contains("saved=accepted")
        );
        let decisions = app.store.list_recommendation_decisions().await.unwrap();
        assert_eq!(decisions.len(), 1);
        assert_eq!(
            (decisions[0].decision.as_str(), decisions[0].note.as_str()),
            ("accepted", "moving to mini")
        );
        let feature = b.get("/teams/search/features/answers?month=2026-03").await;
        assert!(feature.body.contains("did they pay?"), "{}", feature.body);

        // The old address leads here.
        let waste = b.get("/waste?month=2026-03").await;
        assert_eq!(waste.status, StatusCode::PERMANENT_REDIRECT);
        assert_eq!(
            waste.location.as_deref(),
            Some("/recommendations?month=2026-03")
        );
    }
);

storage_test!(
    anomaly_thresholds_are_set_by_admins_and_bad_values_change_nothing,
    |app| {
        let path = "/api/v1/anomaly/settings";
        let (status, before) = get(&app, path, &app.finance_token).await;
        assert_eq!(status, StatusCode::OK);
        for bad in [
            json!({"z_threshold": "0", "min_amount": "1", "min_days": 7}),
            json!({"z_threshold": "3.5", "min_amount": "1", "min_days": 40}),
            json!({"z_threshold": "lots", "min_amount": "1", "min_days": 7}),
            json!({"z_threshold": "3.5"}),
        ] {
            let (status, body) = app.admin_post(path, &bad).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {body}");
        }
        let (_, after) = get(&app, path, &app.finance_token).await;
        assert_eq!(after, before);
        let good = json!({"z_threshold": "3", "min_amount": "5", "min_days": 10});
        let r = app
            .post(path, &app.finance_token)
            .json(&good)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        let (status, set) = app.admin_post(path, &good).await;
        assert_eq!(status, StatusCode::OK, "{set}");
        assert_eq!(set["min_days"], 10);
        let audit = app
            .store
            .list_audit(Some("setting:anomaly"), 10)
            .await
            .unwrap();
        assert_eq!(audit.len(), 1);
    }
);

storage_test!(admins_set_the_thresholds_in_a_form, |app| {
    use crate::browser_session::Browser;
    let mut b = Browser::signed_in(&app, Role::Admin, &[]).await;
    let page = b.get("/recommendations?month=2026-03").await;
    assert!(page.body.contains("Save thresholds"), "{}", page.body);
    let csrf = page.csrf();
    let bad = b
        .post_form(
            "/recommendations/settings",
            &[("csrf", &csrf), ("max_retry_waste_pct", "120")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let path = "/api/v1/recommendations/settings";
    let (_, s) = get(&app, path, &app.finance_token).await;
    assert_eq!(money(&s["max_retry_waste_pct"]), dec!(5));
    let ok = b
        .post_form(
            "/recommendations/settings",
            &[
                ("csrf", &csrf),
                ("max_retry_waste_pct", "7"),
                ("max_calls_per_workflow", "12"),
                ("not_latency_bound", "search/answers"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    let (_, s) = get(&app, path, &app.finance_token).await;
    assert_eq!(money(&s["max_retry_waste_pct"]), dec!(7));
    assert_eq!(s["not_latency_bound"][0]["feature"], "answers");
    // A lead sees no form and may not post one.
    let mut lead = Browser::signed_in(&app, Role::Lead, &["search"]).await;
    let page = lead.get("/recommendations?month=2026-03").await;
    assert!(!page.body.contains("Save thresholds"));
    let refused = lead
        .post_form(
            "/recommendations/settings",
            &[("csrf", &page.csrf()), ("zombie_days", "5")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
});

storage_test!(
    admins_set_the_anomaly_thresholds_in_a_form_and_bad_values_change_nothing,
    |app| {
        use crate::browser_session::Browser;
        let path = "/api/v1/anomaly/settings";
        let mut b = Browser::signed_in(&app, Role::Admin, &[]).await;
        let page = b.get("/alerts").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.body.contains("Save anomaly thresholds")
                && page
                    .body
                    .contains(r#"name="z_threshold" inputmode="decimal" required value="3.5""#),
            "{}",
            page.body
        );
        let csrf = page.csrf();
        let (_, before) = get(&app, path, &app.finance_token).await;
        let form = |z: &'static str, amount: &'static str, days: &'static str| {
            vec![
                ("z_threshold", z),
                ("min_amount", amount),
                ("min_days", days),
            ]
        };
        // Out of range, malformed or missing: 422 with the field named, nothing stored.
        for (fields, reason) in [
            (form("0", "1", "7"), "`z_threshold` must be above 0"),
            (form("250", "1", "7"), "at most 100"),
            (form("3.5", "-2", "7"), "`min_amount` must be between 0"),
            (
                form("3.5", "1", "40"),
                "`min_days` must be between 1 and 28",
            ),
            (
                form("lots", "1", "7"),
                "`z_threshold` must be a decimal number, got `lots`",
            ),
            (form("3.5", "1", "7.5"), "`min_days` must be a whole number"),
            (form("3.5", "", "7"), "`min_amount` is required"),
        ] {
            let mut body = vec![("csrf", csrf.as_str())];
            body.extend(fields.iter().copied());
            let refused = b.post_form("/alerts/anomaly", &body).await;
            assert_eq!(
                refused.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{fields:?}: {}",
                refused.body
            );
            assert!(
                refused.body.contains(&reason.replace('`', "&#x60;"))
                    || refused.body.contains(reason),
                "{reason} in {}",
                refused.body
            );
        }
        let (_, after) = get(&app, path, &app.finance_token).await;
        assert_eq!(after, before, "a refused form changes nothing");
        assert!(
            app.store
                .list_audit(Some("setting:anomaly"), 10)
                .await
                .unwrap()
                .is_empty()
        );

        // A good form is saved, audited, and shown back.
        let mut body = vec![("csrf", csrf.as_str())];
        body.extend(form("4.25", "12.50", "10"));
        let ok = b.post_form("/alerts/anomaly", &body).await;
        assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
        let (_, set) = get(&app, path, &app.finance_token).await;
        assert_eq!(money(&set["z_threshold"]), dec!(4.25));
        assert_eq!(money(&set["min_amount"]), dec!(12.50));
        assert_eq!(set["min_days"], 10);
        let audit = app
            .store
            .list_audit(Some("setting:anomaly"), 10)
            .await
            .unwrap();
        assert_eq!(audit.len(), 1);
        let page = b.get("/alerts?saved=anomaly%20thresholds").await;
        assert!(page.body.contains(r#"value="4.25""#), "{}", page.body);

        // Finance and leads see no form, and may not post one.
        for (role, teams) in [(Role::Finance, vec![]), (Role::Lead, vec!["search"])] {
            let mut other = Browser::signed_in(&app, role, &teams).await;
            let page = other.get("/alerts").await;
            assert!(!page.body.contains("Save anomaly thresholds"));
            let csrf = page.csrf();
            let mut body = vec![("csrf", csrf.as_str())];
            body.extend(form("3", "1", "7"));
            let refused = other.post_form("/alerts/anomaly", &body).await;
            assert_eq!(refused.status, StatusCode::FORBIDDEN, "{role:?}");
        }
        let (_, last) = get(&app, path, &app.finance_token).await;
        assert_eq!(last, set);
    }
);

storage_test!(
    the_scorecards_optimisation_stage_reads_the_open_levers,
    |app| {
        seed(&app).await;
        let levers = |card: &Value| -> Value {
            card["teams"]
                .as_array()
                .unwrap()
                .iter()
                .find(|t| t["scope"] == "search")
                .and_then(|t| {
                    t["criteria"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .find(|c| c["id"] == "levers")
                        .cloned()
                })
                .unwrap_or_else(|| panic!("{card}"))
        };
        let (status, list) = get(
            &app,
            "/api/v1/recommendations?month=2026-03&team=search",
            &app.finance_token,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{list}");
        let r = routing_of(&list, "search");
        let saving = money(&r["monthly_saving"]);
        assert!(saving > Decimal::ZERO, "{r}");
        // search's token cost is 3.50: the routing saving's share of it is measured.
        let (_, card) = get(&app, "/api/v1/scorecard?month=2026-03", &app.finance_token).await;
        let c = levers(&card);
        let measured = |c: &Value| -> Decimal {
            c["measured"]
                .as_str()
                .unwrap()
                .trim_end_matches('%')
                .parse()
                .unwrap()
        };
        let share = (saving * dec!(100) / dec!(3.50)).round_dp(1);
        assert_eq!(measured(&c), share, "{c}");
        assert!(
            c["next_step"].as_str().unwrap().contains("cheaper model"),
            "{c}"
        );
        // Accepted: no longer open, so nothing is left to the levers.
        let id = r["id"].as_str().unwrap();
        let r = app
            .post(
                &format!("/api/v1/recommendations/{id}/accept"),
                &app.finance_token,
            )
            .json(&json!({"note": "moving to mini"}))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{}", r.text().await.unwrap());
        let (_, card) = get(&app, "/api/v1/scorecard?month=2026-03", &app.finance_token).await;
        let c = levers(&card);
        assert_eq!(measured(&c), Decimal::ZERO, "{c}");
        assert_eq!(c["pass"], true);
    }
);
