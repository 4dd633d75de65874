//! Every API route checks the caller's role on the server.

use reqwest::StatusCode;
use serde_json::json;
use tokentally_server::auth::Role;

use crate::helpers::json_of;
use crate::storage_test;

storage_test!(
    an_ingest_token_reads_nothing_and_readers_change_nothing,
    |app| {
        for path in [
            "/api/v1/showback?month=2026-03",
            "/api/v1/teams/search?month=2026-03",
            "/api/v1/prices",
            "/api/v1/key-mappings",
            "/api/v1/keys",
            "/api/v1/rules",
            "/api/v1/overheads?month=2026-03",
            "/api/v1/teams/search/features/f?month=2026-03",
            "/api/v1/workflows?month=2026-03",
            "/api/v1/workflows/w",
            "/api/v1/transactions?month=2026-03",
            "/api/v1/commitments?month=2026-03",
            "/api/v1/discounts",
        ] {
            let r = app.get(path, &app.ingest_token).send().await.unwrap();
            assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path}");
            let anonymous = app.client.get(app.url(path)).send().await.unwrap();
            assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED, "{path}");
        }
        let viewer = app.token_for(Role::Viewer, &[]).await;
        for (path, body) in [
            ("/api/v1/key-mappings", json!({"api_key": "k", "team": "t"})),
            ("/api/v1/rules", json!({"model": "m", "team": "t"})),
        ] {
            for token in [&viewer, &app.finance_token, &app.ingest_token] {
                let r = app.post(path, token).json(&body).send().await.unwrap();
                assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path}");
            }
        }
        // Finance manages the money beyond tokens; viewers and ingest tokens do not.
        for (path, body) in [
            (
                "/api/v1/overheads",
                json!({"month": "2026-03", "category": "c", "amount": "1"}),
            ),
            (
                "/api/v1/commitments",
                json!({"month": "2026-03", "provider": "openai", "model": "m", "fee": "1", "capacity_tokens": 1}),
            ),
            (
                "/api/v1/discounts",
                json!({"provider": "openai", "percent": "1", "effective_from": "2026-03-01"}),
            ),
            (
                "/api/v1/transactions",
                json!({"month": "2026-03", "team": "t", "name": "n", "count": 1}),
            ),
        ] {
            for token in [&viewer, &app.ingest_token] {
                let r = app.post(path, token).json(&body).send().await.unwrap();
                assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path}");
            }
            let r = app
                .post(path, &app.finance_token)
                .json(&body)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::CREATED, "{path}");
        }
        let r = app
            .post("/api/v1/prices/import", &app.finance_token)
            .body("{}")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
    }
);

storage_test!(a_lead_sees_only_their_teams, |app| {
    let events = json!([
        {"id": "1", "timestamp": "2026-03-02T00:00:00Z", "provider": "openai", "model": "gpt-4o-mini", "team": "search", "input_tokens": 1000000},
        {"id": "2", "timestamp": "2026-03-02T00:00:00Z", "provider": "openai", "model": "gpt-4o-mini", "team": "support", "input_tokens": 1000000},
        {"id": "3", "timestamp": "2026-03-02T00:00:00Z", "provider": "internal", "model": "secret-model", "input_tokens": 1000000},
    ]);
    assert_eq!(app.post_events(&events).await.0, 200);
    let lead = app.token_for(Role::Lead, &["search"]).await;
    let (status, sb) = json_of(
        app.get("/api/v1/showback?month=2026-03", &lead)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let teams: Vec<&str> = sb["teams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["team"].as_str().unwrap())
        .collect();
    assert_eq!(teams, vec!["search"]);
    assert_eq!(
        sb["org_total"], "0.15",
        "the total is the lead's teams only"
    );
    assert!(sb["unpriced"].as_array().unwrap().is_empty());
    assert_eq!(
        app.get("/api/v1/teams/search?month=2026-03", &lead)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    for other in ["support", "Unallocated"] {
        let r = app
            .get(&format!("/api/v1/teams/{other}?month=2026-03"), &lead)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{other}");
    }
});

storage_test!(health_and_metrics_answer, |app| {
    assert_eq!(
        app.client
            .get(app.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    app.post_events(&json!([{"id": "m", "timestamp": "2026-03-02T00:00:00Z", "provider": "openai", "model": "gpt-4o", "input_tokens": 1}])).await;
    let metrics = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("tokentally_events_accepted_total 1"),
        "{metrics}"
    );
    assert_eq!(
        app.client
            .get(app.url("/nope"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );
});
