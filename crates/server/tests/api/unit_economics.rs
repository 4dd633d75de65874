//! Unit economics through the API: workflow outcomes set by the client, business
//! transactions, commitments and discounts, on SQLite and PostgreSQL.

use reqwest::StatusCode;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde_json::{Value, json};
use tokentally_server::auth::Role;

use crate::helpers::{json_of, money, team};
use crate::storage_test;

/// A gpt-4o-mini call (0.15 input, 0.60 output per 1M) of 1,000,000 input and 100,000 output
/// tokens: 0.15 + 0.06 = 0.21.
fn call(id: &str, ts: &str, outcome: &str, workflow: Option<&str>, feature: &str) -> Value {
    let mut v = json!({"id": id, "timestamp": ts, "provider": "openai", "model": "gpt-4o-mini",
        "team": "agents", "feature": feature, "input_tokens": 1_000_000, "output_tokens": 100_000,
        "outcome": outcome});
    if let Some(w) = workflow {
        v["workflow_id"] = json!(w);
    }
    v
}

storage_test!(
    a_client_overrides_a_workflows_outcome_and_its_cost_stays,
    |app| {
        // A 3-call workflow whose final call failed, and one standalone success.
        let events = json!([
            call(
                "w1",
                "2026-03-02T10:00:00Z",
                "success",
                Some("wf-1"),
                "answers"
            ),
            call(
                "w2",
                "2026-03-02T10:01:00Z",
                "retry",
                Some("wf-1"),
                "answers"
            ),
            call(
                "w3",
                "2026-03-02T10:02:00Z",
                "failure",
                Some("wf-1"),
                "answers"
            ),
            call("s1", "2026-03-03T10:00:00Z", "success", None, "answers"),
        ]);
        assert_eq!(app.post_events(&events).await.0, 200);
        let before = app.showback("2026-03").await;
        // 4 × 0.21 = 0.84 for one success.
        assert_eq!(money(&team(&before, "agents")["blended_cost"]), dec!(0.84));
        assert_eq!(team(&before, "agents")["successful_outcomes"], 1);

        // The client knows the workflow's answer was accepted after all.
        let r = app
            .post("/api/v1/workflows/wf-1/outcome", &app.ingest_token)
            .json(&json!({"outcome": "success"}))
            .send()
            .await
            .unwrap();
        let (status, wf) = json_of(r).await;
        assert_eq!(status, StatusCode::OK, "{wf}");
        assert_eq!(wf["outcome"], "success");
        assert_eq!(wf["last_call_outcome"], "failure");
        assert_eq!(
            (wf["calls"].as_u64(), money(&wf["cost"])),
            (Some(3), dec!(0.63))
        );

        let after = app.showback("2026-03").await;
        let agents = team(&after, "agents");
        assert_eq!(agents["successful_outcomes"], 2);
        assert_eq!(money(&agents["cost_per_successful_outcome"]), dec!(0.42));
        assert_eq!(money(&agents["blended_cost"]), dec!(0.84));

        // The team API: 0.63 for one completed workflow, 3 calls per workflow.
        let (status, drill) = json_of(
            app.get("/api/v1/teams/agents?month=2026-03", &app.admin_token)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        let total = &drill["total"];
        assert_eq!(money(&total["workflow_cost"]), dec!(0.63));
        assert_eq!(money(&total["cost_per_workflow_completion"]), dec!(0.63));
        assert_eq!(money(&total["calls_per_workflow"]), dec!(3));
        assert_eq!(total["active_users"], 0);

        // Listing and reading it back; clearing the override restores the final call's.
        let (_, list) = json_of(
            app.get(
                "/api/v1/workflows?month=2026-03&team=agents",
                &app.admin_token,
            )
            .send()
            .await
            .unwrap(),
        )
        .await;
        assert_eq!(list["total"], 1);
        assert_eq!(list["workflows"][0]["workflow_id"], "wf-1");
        let r = app
            .post("/api/v1/workflows/wf-1/outcome", &app.admin_token)
            .json(&json!({"outcome": null}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(
            team(&app.showback("2026-03").await, "agents")["successful_outcomes"],
            1
        );

        // Refusals, each with its reason.
        let viewer = app.token_for(Role::Viewer, &[]).await;
        for (token, path, body, status) in [
            (
                &viewer,
                "/api/v1/workflows/wf-1/outcome",
                json!({"outcome": "success"}),
                StatusCode::FORBIDDEN,
            ),
            (
                &app.ingest_token,
                "/api/v1/workflows/nope/outcome",
                json!({"outcome": "success"}),
                StatusCode::NOT_FOUND,
            ),
            (
                &app.ingest_token,
                "/api/v1/workflows/wf-1/outcome",
                json!({"outcome": "great"}),
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
        ] {
            let r = app.post(path, token).json(&body).send().await.unwrap();
            assert_eq!(r.status(), status, "{path} {body}");
        }
        let lead = app.token_for(Role::Lead, &["search"]).await;
        let r = app
            .get("/api/v1/workflows/wf-1", &lead)
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            StatusCode::NOT_FOUND,
            "another team's workflow is not shown"
        );
    }
);

storage_test!(
    business_transactions_give_a_cost_per_transaction_and_never_count_twice,
    |app| {
        let events: Vec<Value> = (0..10)
            .map(|i| {
                call(
                    &format!("a{i}"),
                    "2026-03-05T10:00:00Z",
                    "success",
                    None,
                    "answers",
                )
            })
            .collect();
        assert_eq!(app.post_events(&Value::Array(events)).await.0, 200);
        let lead = app.token_for(Role::Lead, &["agents"]).await;
        let report = json!({"day": "2026-03-05", "team": "agents", "feature": "answers",
                            "name": "tickets resolved", "count": 40});
        // Sent twice (a retry): still 40.
        for _ in 0..2 {
            let r = app
                .post("/api/v1/transactions", &lead)
                .json(&report)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::CREATED);
        }
        let r = app
            .post("/api/v1/transactions", &lead)
            .json(&json!({"month": "2026-03", "team": "search", "name": "x", "count": 1}))
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            StatusCode::FORBIDDEN,
            "a lead reports for their teams only"
        );
        for bad in [
            json!({"team": "agents", "name": "x", "count": 1}),
            json!({"month": "March", "team": "agents", "name": "x", "count": 1}),
            json!({"month": "2026-03", "team": "agents", "name": "x", "count": -1}),
        ] {
            let r = app
                .post("/api/v1/transactions", &app.admin_token)
                .json(&bad)
                .send()
                .await
                .unwrap();
            assert!(r.status().is_client_error(), "{bad}: {}", r.status());
        }

        // 10 × 0.21 = 2.10 for 40 tickets: 0.0525 each.
        let (status, f) = json_of(
            app.get("/api/v1/teams/agents/features/answers?month=2026-03", &lead)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{f}");
        assert_eq!(f["total"]["transactions"], 40);
        assert_eq!(money(&f["total"]["cost_per_transaction"]), dec!(0.0525));
        assert_eq!(money(&f["total"]["cost_per_query"]), dec!(0.21));
        let (_, listed) = json_of(
            app.get("/api/v1/transactions?month=2026-03", &lead)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(listed.as_array().unwrap().len(), 1);
    }
);

storage_test!(
    commitments_and_discounts_reconcile_with_idle_capacity,
    |app| {
        // agents: 10 gpt-4o-mini calls, 11,000,000 tokens, 2.10 at list prices.
        let events: Vec<Value> = (0..10)
            .map(|i| {
                call(
                    &format!("c{i}"),
                    "2026-03-20T10:00:00Z",
                    "success",
                    None,
                    "answers",
                )
            })
            .collect();
        assert_eq!(app.post_events(&Value::Array(events)).await.0, 200);
        let commitment = json!({"month": "2026-03", "provider": "openai", "model": "gpt-4o-mini",
                                "fee": "500.00", "capacity_tokens": 44_000_000});
        let discount =
            json!({"provider": "openai", "percent": "20", "effective_from": "2026-03-01"});
        for (path, body) in [
            ("/api/v1/commitments", &commitment),
            (
                "/api/v1/discounts",
                discount.as_object().map(|_| &discount).unwrap(),
            ),
        ] {
            let viewer = app.token_for(Role::Viewer, &[]).await;
            let r = app.post(path, &viewer).json(body).send().await.unwrap();
            assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path}");
            let r = app
                .post(path, &app.finance_token)
                .json(body)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::CREATED, "{path}");
        }
        let r = app
            .post("/api/v1/commitments", &app.finance_token)
            .json(&json!({"month": "2026-03", "provider": "openai", "model": "m", "fee": "1", "capacity_tokens": 0}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);

        let sb = app.showback("2026-03").await;
        let agents = team(&sb, "agents");
        // List 2.10; 20% off: 1.68. 11M of 44M tokens: 25% of 500.00 = 125.00, 375.00 idle.
        assert_eq!(money(&agents["list_cost"]), dec!(2.10));
        assert_eq!(money(&agents["token_cost"]), dec!(1.68));
        assert_eq!(money(&agents["commitment"]), dec!(125.00));
        assert_eq!(money(&agents["blended_cost"]), dec!(126.68));
        assert_eq!(money(&sb["idle_commitment"]), dec!(375.00));
        assert_eq!(sb["commitments"][0]["underused"], true);
        let teams: Decimal = sb["teams"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| money(&t["blended_cost"]))
            .sum();
        assert_eq!(
            teams + money(&sb["idle_commitment"]),
            money(&sb["org_total"])
        );
        assert_eq!(money(&sb["org_total"]), dec!(501.68));

        // A lead sees their share, not the organisation's commitments.
        let lead = app.token_for(Role::Lead, &["agents"]).await;
        let r = app
            .get("/api/v1/commitments?month=2026-03", &lead)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        let (_, mine) = json_of(
            app.get("/api/v1/showback?month=2026-03", &lead)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(money(&mine["org_total"]), dec!(126.68));
        assert!(mine["commitments"].as_array().unwrap().is_empty());
    }
);

storage_test!(
    the_organisation_has_a_cost_and_tokens_per_successful_outcome,
    |app| {
        // agents: two successes and a failure (0.63); support: one success (0.21).
        let mut other = call("o1", "2026-03-04T10:00:00Z", "success", None, "triage");
        other["team"] = json!("support");
        let events = json!([
            call("a1", "2026-03-02T10:00:00Z", "success", None, "answers"),
            call("a2", "2026-03-02T11:00:00Z", "success", None, "answers"),
            call("a3", "2026-03-02T12:00:00Z", "failure", None, "answers"),
            other,
        ]);
        assert_eq!(app.post_events(&events).await.0, 200);
        let sb = app.showback("2026-03").await;
        assert_eq!(money(&sb["org_total"]), dec!(0.84));
        assert_eq!(sb["successful_outcomes"], 3);
        // 0.84 ÷ 3, and 4 × 1,100,000 tokens ÷ 3; the failure stays in both numerators.
        assert_eq!(money(&sb["cost_per_successful_outcome"]), dec!(0.28));
        assert_eq!(money(&sb["tokens_per_successful_outcome"]), dec!(1466666.7));
        let agents = team(&sb, "agents");
        assert_eq!(money(&agents["cost_per_successful_outcome"]), dec!(0.315));
        assert_eq!(
            money(&agents["tokens_per_successful_outcome"]),
            dec!(1650000)
        );

        // A lead's showback is their teams': the figures are theirs too.
        let lead = app.token_for(Role::Lead, &["support"]).await;
        let (status, mine) = json_of(
            app.get("/api/v1/showback?month=2026-03", &lead)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(money(&mine["cost_per_successful_outcome"]), dec!(0.21));
        assert_eq!(money(&mine["tokens_per_successful_outcome"]), dec!(1100000));

        // The page: a card, and the value in the total row.
        let mut finance =
            crate::browser_session::Browser::signed_in(&app, Role::Finance, &[]).await;
        let page = finance.get("/?month=2026-03").await.body;
        assert!(page.contains("Cost per successful outcome"), "{page}");
        let total_row = page
            .split("<tfoot>")
            .nth(1)
            .and_then(|t| t.split("</tfoot>").next())
            .expect("a total row");
        assert!(
            total_row.contains("$0.2800") && total_row.contains("1,466,666.7"),
            "{total_row}"
        );
    }
);
