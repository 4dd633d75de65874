//! The admin's forms: key mappings, users, tokens, rules, prices, teams and features.

use reqwest::StatusCode;
use serde_json::json;
use sqlx::Row;
use tokentally_server::auth::Role;

use super::{MONTH, seed};
use crate::browser_session::Browser;
use crate::helpers::team;
use crate::storage_test;

storage_test!(
    mapping_a_key_in_the_form_is_audited_and_moves_its_spend,
    |app| {
        seed(&app).await;
        let mut admin = Browser::signed_in(&app, Role::Admin, &[]).await;
        let before = app.showback(MONTH).await;
        assert!(team(&before, "Unallocated")["token_cost"] != "0.00");
        let keys = admin.get("/admin/keys?month=2026-03").await;
        let first_row = keys
            .body
            .split("<tbody>")
            .nth(1)
            .unwrap()
            .split("</tr>")
            .next()
            .unwrap();
        assert!(
            first_row.contains("key-orphan"),
            "unmapped keys come first: {first_row}"
        );
        // An invalid post explains the field and stores nothing.
        let bad = admin
            .post_form(
                "/admin/keys",
                &[
                    ("csrf", &keys.csrf()),
                    ("api_key", "key-orphan"),
                    ("team", ""),
                    ("valid_from", "2026-03-01"),
                ],
            )
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            bad.body.contains("aria-invalid=\"true\"") && bad.body.contains("Required."),
            "{}",
            bad.body
        );
        // A new team is created on its own form first: the key form only names teams that
        // exist.
        let created = admin
            .post_form(
                "/admin/teams",
                &[("csrf", &keys.csrf()), ("name", "growth")],
            )
            .await;
        assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
        let ok = admin
            .post_form(
                "/admin/keys",
                &[
                    ("csrf", &keys.csrf()),
                    ("api_key", "key-orphan"),
                    ("team", "growth"),
                    ("feature", "chat"),
                    ("valid_from", "2026-03-01"),
                ],
            )
            .await;
        assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
        let after = app.showback(MONTH).await;
        assert_eq!(team(&after, "Unallocated")["token_cost"], "0.00");
        assert_eq!(
            team(&after, "growth")["token_cost"],
            team(&before, "Unallocated")["token_cost"]
        );
        let history = admin.get("/keys/key-orphan?month=2026-03").await.body;
        assert!(
            history.contains("growth") && history.contains("admin-@example.test on"),
            "{history}"
        );
        let audit = admin.get("/admin/audit").await.body;
        assert!(
            audit.contains("key_mapping.set")
                && audit.contains("key:key-orphan")
                && audit.contains("admin-@example.test"),
            "{audit}"
        );
    }
);

storage_test!(admins_add_users_tokens_rules_and_prices_in_forms, |app| {
    seed(&app).await;
    let mut admin = Browser::signed_in(&app, Role::Admin, &[]).await;
    let csrf = admin.get("/admin/users").await.csrf();
    let r = admin
        .post_form(
            "/admin/users",
            &[
                ("csrf", &csrf),
                ("email", "lead@example.test"),
                ("password", "long enough"),
                ("role", "lead"),
                ("teams", ""),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("A lead needs at least one team"));
    let r = admin
        .post_form(
            "/admin/users",
            &[
                ("csrf", &csrf),
                ("email", "lead@example.test"),
                ("password", "long enough"),
                ("role", "lead"),
                ("teams", "search, support"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        app.store
            .get_user_by_email("lead@example.test")
            .await
            .unwrap()
            .unwrap()
            .teams,
        vec!["search", "support"]
    );

    let r = admin
        .post_form(
            "/admin/tokens",
            &[
                ("csrf", &csrf),
                ("name", "gateway"),
                ("role", "ingest"),
                ("teams", ""),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let after_id = r
        .body
        .split("id=\"new-token\"")
        .nth(1)
        .unwrap_or_else(|| panic!("{}", r.body));
    let token = after_id
        .split('>')
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_owned();
    assert!(token.starts_with("tt_"));
    let e = json!([{"id": "via-form-token", "timestamp": "2026-03-02T00:00:00Z", "provider": "openai", "model": "gpt-4o", "input_tokens": 1}]);
    assert_eq!(
        app.post("/api/v1/events", &token)
            .json(&e)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    let id: i64 = sqlx::query("SELECT id FROM api_tokens WHERE name = 'gateway'")
        .fetch_one(app.store.pool())
        .await
        .unwrap()
        .get("id");
    let listed = admin.get("/admin/tokens").await.body;
    assert!(!listed.contains(&token), "a token is shown once");
    let gateway_row = listed
        .split("<tr>")
        .find(|r| r.contains(">gateway<"))
        .unwrap();
    assert!(
        !gateway_row.contains(">never<"),
        "its last use is shown: {gateway_row}"
    );
    admin
        .post_form(&format!("/admin/tokens/{id}/revoke"), &[("csrf", &csrf)])
        .await;
    assert_eq!(
        app.post("/api/v1/events", &token)
            .json(&e)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::UNAUTHORIZED
    );

    let preview = admin
        .post_form(
            "/admin/rules",
            &[
                ("csrf", &csrf),
                ("action", "preview"),
                ("key_prefix", "key-orphan"),
                ("team", "growth"),
            ],
        )
        .await;
    assert_eq!(preview.status, StatusCode::OK);
    assert!(
        preview.body.contains("id=\"rule-preview\""),
        "{}",
        preview.body
    );
    assert!(
        app.store.list_rules().await.unwrap().is_empty(),
        "a preview saves nothing"
    );
    let saved = admin
        .post_form(
            "/admin/rules",
            &[
                ("csrf", &csrf),
                ("action", "save"),
                ("key_prefix", "key-orphan"),
                ("team", "growth"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::OK);
    assert_eq!(app.store.list_rules().await.unwrap().len(), 1);
    let bad = admin
        .post_form(
            "/admin/rules",
            &[("csrf", &csrf), ("action", "save"), ("team", "growth")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("at least one condition"));

    let card = [
        ("csrf", csrf.as_str()),
        ("provider", "internal"),
        ("model", "acme-7b"),
        ("effective_from", "2026-01-01"),
        ("input", "0.40"),
        ("output", "0.80"),
    ];
    let r = admin.post_form("/admin/prices", &card).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        app.store
            .list_price_cards()
            .await
            .unwrap()
            .iter()
            .any(|c| c.model == "acme-7b")
    );
    let r = admin
        .post_form(
            "/admin/prices",
            &[
                ("csrf", csrf.as_str()),
                ("provider", "x"),
                ("model", "y"),
                ("effective_from", "soon"),
                ("input", "-1"),
                ("output", "1"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("A rate per 1M tokens") && r.body.contains("YYYY-MM-DD"));
    let audit = admin.get("/admin/audit").await.body;
    for action in [
        "user.add",
        "token.create",
        "token.revoke",
        "rule.add",
        "price_card.add",
    ] {
        assert!(audit.contains(action), "{action} is audited");
    }
});

storage_test!(
    teams_and_features_are_created_renamed_and_archived_everywhere,
    |app| {
        seed(&app).await;
        tokentally_server::app::accounts::add_user(
            &app.store,
            "lead@example.test",
            "a long password",
            Role::Lead,
            &["search".into()],
        )
        .await
        .unwrap();
        app.admin_post("/api/v1/key-mappings", &json!({"api_key": "key-search", "team": "search", "feature": "chat", "valid_from": "2026-01-01"})).await;
        let mut admin = Browser::signed_in(&app, Role::Admin, &[]).await;
        let page = admin.get("/admin/teams").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("lead@example.test"), "leads are listed");
        let csrf = page.csrf();
        let before = app.showback(MONTH).await;

        // Rename: the mapping, the lead's scope and usage tagged with the old name all follow.
        let r = admin
            .post_form(
                "/admin/teams/rename",
                &[
                    ("csrf", &csrf),
                    ("team", "search"),
                    ("new_name", "discovery"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let after = app.showback(MONTH).await;
        assert!(
            after["teams"]
                .as_array()
                .unwrap()
                .iter()
                .all(|t| t["team"] != "search")
        );
        assert_eq!(
            team(&after, "discovery")["blended_cost"],
            team(&before, "search")["blended_cost"]
        );
        assert_eq!(
            app.store.list_key_mappings().await.unwrap()[0].team,
            "discovery"
        );
        assert_eq!(
            app.store
                .get_user_by_email("lead@example.test")
                .await
                .unwrap()
                .unwrap()
                .teams,
            vec!["discovery"]
        );
        let late = json!([{"id": "late", "timestamp": "2026-03-06T00:00:00Z", "provider": "openai", "model": "gpt-4o-mini", "team": "search", "input_tokens": 1000000}]);
        app.post_events(&late).await;
        let later = app.showback(MONTH).await;
        assert!(
            later["teams"]
                .as_array()
                .unwrap()
                .iter()
                .all(|t| t["team"] != "search"),
            "an old tag lands on the new name"
        );
        let taken = admin
            .post_form(
                "/admin/teams/rename",
                &[
                    ("csrf", &csrf),
                    ("team", "support"),
                    ("new_name", "discovery"),
                ],
            )
            .await;
        assert_eq!(taken.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(taken.body.contains("exists"), "{}", taken.body);

        // Features: create, rename (the mapping's feature follows), archive.
        let r = admin
            .post_form(
                "/admin/features",
                &[("csrf", &csrf), ("team", "discovery"), ("name", "rerank")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let r = admin
            .post_form(
                "/admin/features/rename",
                &[
                    ("csrf", &csrf),
                    ("team", "discovery"),
                    ("feature", "chat"),
                    ("new_name", "assistant"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(
            app.store.list_key_mappings().await.unwrap()[0]
                .feature
                .as_deref(),
            Some("assistant")
        );
        let (_, drill) = crate::helpers::json_of(
            app.get("/api/v1/teams/discovery?month=2026-03", &app.finance_token)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert!(
            drill["features"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["name"] == "assistant"),
            "{drill}"
        );
        let r = admin
            .post_form(
                "/admin/features/archive",
                &[
                    ("csrf", &csrf),
                    ("team", "discovery"),
                    ("feature", "rerank"),
                    ("archived", "1"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert!(
            app.store
                .list_features()
                .await
                .unwrap()
                .iter()
                .any(|f| f.name == "rerank" && f.archived)
        );

        // Archive a team: no new mappings to it until restored.
        admin
            .post_form(
                "/admin/teams/archive",
                &[("csrf", &csrf), ("team", "support"), ("archived", "1")],
            )
            .await;
        let (status, body) = app
            .admin_post(
                "/api/v1/key-mappings",
                &json!({"api_key": "key-orphan", "team": "support"}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(body["error"].as_str().unwrap().contains("archived"));
        admin
            .post_form(
                "/admin/teams/archive",
                &[("csrf", &csrf), ("team", "support"), ("archived", "0")],
            )
            .await;
        assert_eq!(
            app.admin_post(
                "/api/v1/key-mappings",
                &json!({"api_key": "key-orphan", "team": "support"})
            )
            .await
            .0,
            StatusCode::CREATED
        );

        // The old name in use again is its own team, not an alias of the renamed one.
        assert_eq!(
            admin
                .post_form("/admin/teams", &[("csrf", &csrf), ("name", "search")])
                .await
                .status,
            StatusCode::SEE_OTHER
        );
        app.admin_post(
            "/api/v1/key-mappings",
            &json!({"api_key": "key-orphan", "team": "search", "valid_from": "2026-01-01"}),
        )
        .await;
        let reused = app.showback(MONTH).await;
        // The orphan key's five calls, and the late call tagged `search` (the tag now names it).
        assert_eq!(team(&reused, "search")["requests"], 6);
        assert_eq!(
            team(&reused, "discovery")["requests"],
            team(&before, "search")["requests"]
        );
        assert_eq!(
            admin
                .post_form(
                    "/admin/teams/rename",
                    &[("csrf", &csrf), ("team", "Unallocated"), ("new_name", "x")]
                )
                .await
                .status,
            StatusCode::UNPROCESSABLE_ENTITY
        );

        // Create a team and give it a lead.
        assert_eq!(
            admin
                .post_form("/admin/teams", &[("csrf", &csrf), ("name", "legal-ai")])
                .await
                .status,
            StatusCode::SEE_OTHER
        );
        assert_eq!(
            admin
                .post_form("/admin/teams", &[("csrf", &csrf), ("name", "Unallocated")])
                .await
                .status,
            StatusCode::UNPROCESSABLE_ENTITY
        );
        let r = admin
            .post_form(
                "/admin/teams/lead",
                &[
                    ("csrf", &csrf),
                    ("team", "legal-ai"),
                    ("email", "lead@example.test"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert_eq!(
            app.store
                .get_user_by_email("lead@example.test")
                .await
                .unwrap()
                .unwrap()
                .teams,
            vec!["discovery", "legal-ai"]
        );
        let audit = admin.get("/admin/audit").await.body;
        for action in [
            "team.rename",
            "feature.create",
            "feature.rename",
            "feature.archive",
            "team.archive",
            "team.restore",
            "team.create",
            "user.teams",
        ] {
            assert!(audit.contains(action), "{action} is audited");
        }
    }
);

storage_test!(price_cards_show_their_full_precision, |app| {
    let mut admin = Browser::signed_in(&app, Role::Admin, &[]).await;
    let csrf = admin.get("/admin/prices").await.csrf();
    let card = [
        ("csrf", csrf.as_str()),
        ("provider", "internal"),
        ("model", "tiny-rate-7b"),
        ("effective_from", "2026-01-01"),
        ("input", "0.000000375"),
        ("output", "1.125"),
    ];
    let r = admin.post_form("/admin/prices", &card).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let page = admin.get("/admin/prices?q=tiny-rate").await;
    assert!(page.body.contains("$0.000000375"), "{}", page.body);
    assert!(page.body.contains("$1.125"), "{}", page.body);
    assert!(!page.body.contains("$1.13"), "not rounded: {}", page.body);
    let events = json!([{"id": "t1", "timestamp": "2026-03-02T10:00:00Z", "provider": "internal",
        "model": "tiny-rate-7b", "input_tokens": 1000, "output_tokens": 10}]);
    assert_eq!(app.post_events(&events).await.0, 200);
    let model = admin.get("/models/tiny-rate-7b?month=2026-03").await;
    assert_eq!(model.status, StatusCode::OK);
    assert!(
        model
            .body
            .contains("$0.000000375 in / $1.125 out per 1M tokens"),
        "{}",
        model.body
    );
});
