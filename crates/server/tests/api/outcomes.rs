//! Outcomes of single calls reported late: `POST /api/v1/outcomes` (JSON and CSV), on SQLite
//! and PostgreSQL. A late outcome moves cost per successful outcome on the next read, never
//! an issued statement; bad reports are refused all together, with nothing stored.

use reqwest::StatusCode;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde_json::{Value, json};
use tokentally_server::auth::Role;

use crate::helpers::{TestApp, json_of, money, team};
use crate::storage_test;

/// A gpt-4o-mini call of 1,000,000 input and 100,000 output tokens: 0.21.
fn call(id: &str, ts: &str, outcome: &str) -> Value {
    json!({"id": id, "timestamp": ts, "provider": "openai", "model": "gpt-4o-mini",
        "team": "agents", "feature": "answers", "input_tokens": 1_000_000,
        "output_tokens": 100_000, "outcome": outcome})
}

async fn report(app: &TestApp, token: &str, body: Value) -> (StatusCode, Value) {
    json_of(
        app.post("/api/v1/outcomes", token)
            .json(&body)
            .send()
            .await
            .unwrap(),
    )
    .await
}

/// The agents team's successes and cost per successful outcome in March.
async fn agents(app: &TestApp) -> (u64, Option<Decimal>, Decimal) {
    let sb = app.showback("2026-03").await;
    let t = team(&sb, "agents");
    (
        t["successful_outcomes"].as_u64().unwrap(),
        t["cost_per_successful_outcome"]
            .as_str()
            .map(|c| c.parse().unwrap()),
        money(&t["blended_cost"]),
    )
}

async fn statement(app: &TestApp) -> String {
    let r = app
        .get("/api/v1/statements/agents/2026-03", &app.finance_token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    r.text().await.unwrap()
}

storage_test!(
    a_late_outcome_moves_cost_per_success_but_not_an_issued_statement,
    |app| {
        let events = json!([
            call("c1", "2026-03-02T10:00:00Z", "success"),
            call("c2", "2026-03-03T10:00:00Z", "unknown"),
            call("c3", "2026-03-04T10:00:00Z", "unknown"),
        ]);
        assert_eq!(app.post_events(&events).await.0, 200);
        assert_eq!(agents(&app).await, (1, Some(dec!(0.63)), dec!(0.63)));
        let (status, issued) = json_of(
            app.post(
                "/api/v1/statements/agents/2026-03/issue",
                &app.finance_token,
            )
            .json(&json!({}))
            .send()
            .await
            .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{issued}");
        let before = statement(&app).await;
        let org_before = app.showback("2026-03").await;

        // The evaluation came back: c2 was a success after all.
        let (status, body) = report(
            &app,
            &app.ingest_token,
            json!([{"source": "api", "id": "c2", "outcome": "success"}]),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body, json!({"changed": 1, "unchanged": 0}));
        // The next read: two successes for the same cost.
        assert_eq!(agents(&app).await, (2, Some(dec!(0.315)), dec!(0.63)));
        let org = app.showback("2026-03").await;
        assert_eq!(money(&org["cost_per_successful_outcome"]), dec!(0.315));
        assert_eq!(org["org_total"], org_before["org_total"]);
        assert_eq!(org["tokens"], org_before["tokens"]);
        // The issued statement is as it was issued.
        assert_eq!(statement(&app).await, before, "byte-identical");

        // Sent again: nothing changes. Without `source`: `api`, as for events.
        let (status, body) = report(
            &app,
            &app.ingest_token,
            json!({"outcomes": [{"id": "c2", "outcome": "success"}]}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body, json!({"changed": 0, "unchanged": 1}));

        // The same through CSV: c1 turns out a failure, c3 a success.
        let r = app
            .post("/api/v1/outcomes", &app.admin_token)
            .header("content-type", "text/csv")
            .body("source,id,outcome\napi,c1,failure\napi,c3,success\n")
            .send()
            .await
            .unwrap();
        let (status, body) = json_of(r).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["changed"], 2);
        assert_eq!(agents(&app).await, (2, Some(dec!(0.315)), dec!(0.63)));
        let (status, feature) = json_of(
            app.get(
                "/api/v1/teams/agents/features/answers?month=2026-03",
                &app.finance_token,
            )
            .send()
            .await
            .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        // c1 failed: its cost is now waste.
        assert_eq!(money(&feature["total"]["waste"]), dec!(0.21));
        assert_eq!(statement(&app).await, before, "still byte-identical");
        // The feature page says how many outcomes came later: all three calls were reported
        // after the fact (c2, then c1 and c3).
        let mut finance =
            crate::browser_session::Browser::signed_in(&app, Role::Finance, &[]).await;
        let csv = finance
            .get("/teams/agents/features/answers/export.csv?month=2026-03&table=outcomes")
            .await
            .body;
        let row = |outcome: &str| -> Vec<String> {
            csv.lines()
                .find(|l| l.starts_with(&format!("2026-03,{outcome},")))
                .unwrap_or_else(|| panic!("{outcome} in {csv}"))
                .split(',')
                .map(str::to_owned)
                .collect()
        };
        assert!(
            csv.starts_with("month,Outcome,Requests,Share,Cost,Reported later"),
            "{csv}"
        );
        let (success, failure) = (row("success"), row("failure"));
        assert_eq!(
            (success[2].as_str(), success.last().unwrap().as_str()),
            ("2", "2"),
            "{csv}"
        );
        assert_eq!(
            (failure[2].as_str(), failure.last().unwrap().as_str()),
            ("1", "1"),
            "{csv}"
        );

        // Audited: who changed which call from what to what.
        let audit: Vec<(String, Option<String>)> = sqlx::query_as(
            "SELECT actor, after FROM audit_log WHERE action = 'call.outcomes' ORDER BY id",
        )
        .fetch_all(app.store.pool())
        .await
        .unwrap();
        assert_eq!(audit.len(), 2, "{audit:?}");
        let first = audit[0].1.clone().unwrap_or_default();
        assert!(
            first.contains("\"c2\"") && first.contains("success"),
            "{audit:?}"
        );
    }
);

storage_test!(
    bad_outcome_reports_are_refused_and_nothing_is_stored,
    |app| {
        let mut in_flow = call("w1", "2026-03-05T10:00:00Z", "unknown");
        in_flow["workflow_id"] = json!("wf-1");
        let events = json!([call("c1", "2026-03-02T10:00:00Z", "unknown"), in_flow]);
        assert_eq!(app.post_events(&events).await.0, 200);
        let before = app.showback("2026-03").await;
        let ingest = app.ingest_token.clone();
        for (body, expected, says) in [
            // An unknown call beside a good report: neither is taken.
            (
                json!([{"id": "c1", "outcome": "success"}, {"id": "nope", "outcome": "success"}]),
                StatusCode::UNPROCESSABLE_ENTITY,
                "no stored call",
            ),
            // The call exists, but under another source.
            (
                json!([{"source": "gateway", "id": "c1", "outcome": "success"}]),
                StatusCode::UNPROCESSABLE_ENTITY,
                "no stored call",
            ),
            (
                json!([{"id": "c1", "outcome": "great"}]),
                StatusCode::UNPROCESSABLE_ENTITY,
                "unknown outcome",
            ),
            (
                json!([{"id": "w1", "outcome": "success"}]),
                StatusCode::UNPROCESSABLE_ENTITY,
                "/api/v1/workflows/wf-1/outcome",
            ),
            (
                json!([{"id": "c1", "outcome": "success"}, {"id": "c1", "outcome": "failure"}]),
                StatusCode::UNPROCESSABLE_ENTITY,
                "twice",
            ),
            (json!([]), StatusCode::UNPROCESSABLE_ENTITY, "no outcome"),
            (
                json!({"id": "c1"}),
                StatusCode::UNPROCESSABLE_ENTITY,
                "JSON list",
            ),
        ] {
            let (status, answer) = report(&app, &ingest, body.clone()).await;
            assert_eq!(status, expected, "{body}: {answer}");
            assert!(answer.to_string().contains(says), "{body}: {answer}");
        }
        let (status, answer) = report(
            &app,
            &ingest,
            json!([{"id": "c1", "outcome": "success"}, {"id": "nope", "outcome": "success"}]),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(answer["rejected"][0]["index"], 1, "{answer}");
        // Readers may not report outcomes.
        let lead = app.token_for(Role::Lead, &["agents"]).await;
        for token in [&app.finance_token, &lead] {
            let (status, _) =
                report(&app, token, json!([{"id": "c1", "outcome": "success"}])).await;
            assert_eq!(status, StatusCode::FORBIDDEN);
        }
        assert_eq!(app.showback("2026-03").await, before, "nothing was stored");
        let stored: i64 = sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM call_outcomes")
            .fetch_one(app.store.pool())
            .await
            .unwrap();
        assert_eq!(stored, 0);
    }
);
