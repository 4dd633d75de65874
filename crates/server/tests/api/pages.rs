//! Pages and their access rules, forms, sessions and CSRF, on both databases.

use reqwest::StatusCode;
use serde_json::json;
use sqlx::Row;
use tokentally_server::auth::Role;
use tokentally_web::format::money;

use crate::browser_session::Browser;
use crate::helpers::{TestApp, team};
use crate::storage_test;

const MONTH: &str = "2026-03";

/// Two teams of spend in March 2026, and an unmapped key.
async fn seed(app: &TestApp) {
    let mut events = Vec::new();
    for (i, (team, key)) in [
        ("search", "key-search"),
        ("support", "key-support"),
        ("", "key-orphan"),
    ]
    .iter()
    .enumerate()
    {
        for d in 1..=5 {
            let mut e = json!({"id": format!("{i}-{d}"), "timestamp": format!("2026-03-{d:02}T10:00:00Z"), "provider": "openai",
                "model": "gpt-4o-mini", "api_key": key, "feature": "chat", "input_tokens": 1_000_000 * (i + 1), "output_tokens": 1000,
                "outcome": "success"});
            if !team.is_empty() {
                e["team"] = json!(team);
            }
            events.push(e);
        }
    }
    let (status, body) = app.post_events(&json!(events)).await;
    assert_eq!(status, 200, "{body}");
}

/// Where each role may go: (path, admin, finance, viewer, lead of search).
#[rustfmt::skip]
const ROUTES: &[(&str, u16, u16, u16, u16)] = &[
    ("/?month=2026-03", 200, 200, 200, 200),
    ("/showback.csv?month=2026-03", 200, 200, 200, 200),
    ("/teams/search?month=2026-03", 200, 200, 200, 200),
    ("/teams/search/features/chat/export.csv?month=2026-03&table=outcomes", 200, 200, 200, 200),
    ("/showback.csv?month=2026-03&table=unpriced", 200, 200, 200, 200),
    (
        "/teams/search/export.csv?month=2026-03&table=features",
        200,
        200,
        200,
        200,
    ),
    (
        "/teams/search/features/chat?month=2026-03",
        200,
        200,
        200,
        200,
    ),
    ("/teams/support?month=2026-03", 200, 200, 200, 403),
    (
        "/teams/support/export.csv?month=2026-03&table=keys",
        200,
        200,
        200,
        403,
    ),
    (
        "/teams/support/features/chat?month=2026-03",
        200,
        200,
        200,
        403,
    ),
    ("/teams/Unallocated?month=2026-03", 200, 200, 200, 403),
    ("/keys/key-search?month=2026-03", 200, 200, 200, 200),
    ("/keys/key-support?month=2026-03", 200, 200, 200, 403),
    ("/models/gpt-4o-mini?month=2026-03", 200, 200, 200, 200),
    ("/account", 200, 200, 200, 200),
    ("/scorecard?month=2026-03", 200, 200, 200, 200),
    ("/alerts", 200, 200, 200, 200),
    ("/budgets?month=2026-03", 200, 200, 200, 200),
    ("/waste?month=2026-03", 200, 200, 200, 200),
    ("/admin/keys", 200, 403, 403, 403),
    ("/admin/rules", 200, 403, 403, 403),
    ("/admin/prices", 200, 403, 403, 403),
    ("/admin/users", 200, 403, 403, 403),
    ("/admin/tokens", 200, 403, 403, 403),
    ("/admin/audit", 200, 403, 403, 403),
    ("/admin/teams", 200, 403, 403, 403),
    ("/costs?month=2026-03", 200, 200, 403, 403),
    ("/transactions?month=2026-03", 200, 200, 200, 200),
    ("/statements?month=2026-03", 200, 200, 200, 200),
    ("/statements/search/2026-03", 200, 200, 200, 200),
    ("/statements/support/2026-03", 200, 200, 200, 403),
    ("/reconciliation?month=2026-03", 200, 200, 403, 403),
];

/// API routes: (path, admin, finance, viewer, lead of search); ingest tokens get 403 on all.
#[rustfmt::skip]
const API_ROUTES: &[(&str, u16, u16, u16, u16)] = &[
    ("/api/v1/showback?month=2026-03", 200, 200, 200, 200),
    ("/api/v1/teams/search?month=2026-03", 200, 200, 200, 200),
    ("/api/v1/teams/support?month=2026-03", 200, 200, 200, 403),
    ("/api/v1/prices", 200, 200, 200, 200),
    ("/api/v1/key-mappings", 200, 200, 403, 403),
    ("/api/v1/keys", 200, 200, 403, 403),
    ("/api/v1/rules", 200, 200, 403, 403),
    ("/api/v1/overheads?month=2026-03", 200, 200, 403, 403),
    ("/api/v1/teams/search/features/chat?month=2026-03", 200, 200, 200, 200),
    ("/api/v1/teams/support/features/chat?month=2026-03", 200, 200, 200, 403),
    ("/api/v1/workflows?month=2026-03", 200, 200, 200, 200),
    ("/api/v1/transactions?month=2026-03", 200, 200, 200, 200),
    ("/api/v1/commitments?month=2026-03", 200, 200, 200, 403),
    ("/api/v1/discounts", 200, 200, 200, 403),
    ("/api/v1/statements?month=2026-03", 200, 200, 200, 200),
    ("/api/v1/statements/search/2026-03", 200, 200, 200, 200),
    ("/api/v1/statements/support/2026-03", 200, 200, 200, 403),
    ("/api/v1/statements/search/2026-03/export.csv", 200, 200, 200, 200),
    ("/api/v1/export/focus?month=2026-03", 200, 200, 200, 403),
    ("/api/v1/reconciliation?month=2026-03", 200, 200, 403, 403),
    ("/api/v1/scorecard?month=2026-03", 200, 200, 200, 200),
    ("/api/v1/scorecard/thresholds", 200, 200, 200, 200),
    ("/api/v1/unit-targets", 200, 200, 200, 200),
    ("/api/v1/budgets?month=2026-03", 200, 200, 200, 200),
    ("/api/v1/alerts", 200, 200, 200, 200),
    ("/api/v1/waste?month=2026-03", 200, 200, 200, 200),
    ("/api/v1/webhook", 200, 403, 403, 403),
    ("/api/v1/webhook/deliveries", 200, 403, 403, 403),
];

storage_test!(every_route_checks_every_role, |app| {
    seed(&app).await;
    let roles = [
        (Role::Admin, vec![]),
        (Role::Finance, vec![]),
        (Role::Viewer, vec![]),
        (Role::Lead, vec!["search"]),
    ];
    for (i, (role, teams)) in roles.iter().enumerate() {
        let mut b = Browser::signed_in(&app, *role, teams).await;
        let token = app.token_for(*role, teams).await;
        for route in ROUTES {
            let expected = [route.1, route.2, route.3, route.4][i];
            let page = b.get(route.0).await;
            assert_eq!(page.status.as_u16(), expected, "{role} on {}", route.0);
            assert!(
                !page.body.contains("<script"),
                "{} needs no JavaScript",
                route.0
            );
        }
        for route in API_ROUTES {
            let expected = [route.1, route.2, route.3, route.4][i];
            let status = app.get(route.0, &token).send().await.unwrap().status();
            assert_eq!(status.as_u16(), expected, "{role} token on {}", route.0);
        }
    }
    let mut anonymous = Browser::new(&app);
    for route in ROUTES {
        let page = anonymous.get(route.0).await;
        assert_eq!(
            page.status,
            StatusCode::SEE_OTHER,
            "anonymous on {}",
            route.0
        );
        assert!(
            page.location
                .as_deref()
                .unwrap()
                .starts_with("/login?next="),
            "{:?}",
            page.location
        );
    }
    for route in API_ROUTES {
        let r = app.client.get(app.url(route.0)).send().await.unwrap();
        assert_eq!(
            r.status(),
            StatusCode::UNAUTHORIZED,
            "anonymous on {}",
            route.0
        );
        let r = app.get(route.0, &app.ingest_token).send().await.unwrap();
        assert_eq!(
            r.status(),
            StatusCode::FORBIDDEN,
            "ingest token on {}",
            route.0
        );
    }
});

storage_test!(a_lead_sees_only_their_teams_on_the_rendered_page, |app| {
    seed(&app).await;
    let mut lead = Browser::signed_in(&app, Role::Lead, &["search"]).await;
    let page = lead.get("/?month=2026-03").await;
    assert!(page.body.contains(">search</a>"), "{}", page.body);
    assert!(!page.body.contains(">support</a>"));
    assert!(!page.body.contains("Unallocated</a>"));
    let csv = lead.get("/showback.csv?month=2026-03").await.body;
    assert!(
        csv.contains("search") && !csv.contains("support") && !csv.contains("Unallocated"),
        "{csv}"
    );
    let model = lead.get("/models/gpt-4o-mini?month=2026-03").await.body;
    assert!(
        !model.contains("support"),
        "the model page holds only the lead's teams"
    );
});

storage_test!(page_numbers_equal_the_api, |app| {
    seed(&app).await;
    let api = app.showback(MONTH).await;
    let mut finance = Browser::signed_in(&app, Role::Finance, &[]).await;
    let page = finance.get("/?month=2026-03").await.body;
    for t in api["teams"].as_array().unwrap() {
        let blended = money(t["blended_cost"].as_str().unwrap().parse().unwrap(), "USD");
        let row = page
            .split("<tr")
            .find(|r| r.contains(&format!(">{}</a>", t["team"].as_str().unwrap())))
            .unwrap();
        assert!(row.contains(&blended), "{} {blended} in {row}", t["team"]);
    }
    assert!(page.contains(&money(
        api["org_total"].as_str().unwrap().parse().unwrap(),
        "USD"
    )));
    let team_page = finance.get("/teams/search?month=2026-03").await.body;
    assert!(
        team_page.contains(&money(
            team(&api, "search")["blended_cost"]
                .as_str()
                .unwrap()
                .parse()
                .unwrap(),
            "USD"
        ))
    );
    // The CSV adds up to the page's total.
    // The team's drill-down API and its pages: each feature line, and the feature page's cards.
    let (_, drill) = crate::helpers::json_of(
        app.get("/api/v1/teams/search?month=2026-03", &app.finance_token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    let usd = |v: &serde_json::Value| money(v.as_str().unwrap().parse().unwrap(), "USD");
    let unit = |v: &serde_json::Value| {
        tokentally_web::format::unit_money(v.as_str().unwrap().parse().unwrap(), "USD")
    };
    for f in drill["features"].as_array().unwrap() {
        let row = team_page
            .split("<tr")
            .find(|r| r.contains(&format!(">{}</a>", f["name"].as_str().unwrap())))
            .unwrap();
        assert!(
            row.contains(&usd(&f["blended_cost"])) && row.contains(&unit(&f["cost_per_query"])),
            "{f} in {row}"
        );
    }
    let chat = &drill["features"][0];
    let feature_page = finance
        .get("/teams/search/features/chat?month=2026-03")
        .await
        .body;
    for v in [
        usd(&chat["blended_cost"]),
        unit(&chat["cost_per_query"]),
        unit(&chat["cost_per_successful_outcome"]),
    ] {
        assert!(feature_page.contains(&v), "{v} on the feature page");
    }
    let csv = finance.get("/showback.csv?month=2026-03").await.body;
    let total: rust_decimal::Decimal = csv
        .lines()
        .skip(1)
        .map(|l| {
            l.split(',')
                .nth(2)
                .unwrap()
                .parse::<rust_decimal::Decimal>()
                .unwrap()
        })
        .sum();
    assert_eq!(total.to_string(), api["org_total"].as_str().unwrap());
});

storage_test!(sessions_are_httponly_samesite_and_end_on_logout, |app| {
    let mut b = Browser::signed_in(&app, Role::Finance, &[]).await;
    let cookie = b.set_cookie.clone().unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let session = b.cookie.clone().unwrap();
    let stored: String = sqlx::query("SELECT token_hash FROM sessions")
        .fetch_one(app.store.pool())
        .await
        .unwrap()
        .get("token_hash");
    assert_ne!(stored, session, "the session token is stored as a digest");
    let csrf = b.get("/account").await.csrf();
    let out = b.post_form("/logout", &[("csrf", &csrf)]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    // The old cookie no longer works: the session is gone on the server.
    b.cookie = Some(session);
    assert_eq!(b.get("/").await.status, StatusCode::SEE_OTHER);
    let n: i64 = sqlx::query("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM sessions")
        .fetch_one(app.store.pool())
        .await
        .unwrap()
        .get("n");
    assert_eq!(n, 0);
});

storage_test!(a_form_without_the_right_csrf_token_is_refused, |app| {
    seed(&app).await;
    let mut admin = Browser::signed_in(&app, Role::Admin, &[]).await;
    for csrf in ["", "forged"] {
        let r = admin
            .post_form(
                "/admin/keys",
                &[
                    ("csrf", csrf),
                    ("api_key", "key-orphan"),
                    ("team", "search"),
                    ("valid_from", "2026-03-01"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    }
    assert!(
        app.store.list_key_mappings().await.unwrap().is_empty(),
        "nothing was mapped"
    );
    let r = admin.post_form("/logout", &[("csrf", "forged")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // A login form posted from another site is refused too.
    let r = app
        .client
        .post(app.url("/login"))
        .header("origin", "https://evil.example")
        .form(&[("email", "x@y"), ("password", "p")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
});

storage_test!(repeated_wrong_passwords_are_throttled, |app| {
    tokentally_server::app::accounts::add_user(
        &app.store,
        "fin@example.test",
        "the right password",
        Role::Finance,
        &[],
    )
    .await
    .unwrap();
    let mut b = Browser::new(&app);
    for _ in 0..5 {
        assert_eq!(
            b.login("fin@example.test", "wrong").await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    let blocked = b.login("fin@example.test", "the right password").await;
    assert_eq!(blocked.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(blocked.body.contains("Too many failed attempts"));
    assert!(b.cookie.is_none());
});

storage_test!(passwords_are_argon2id_and_tokens_are_stored_hashed, |app| {
    tokentally_server::app::accounts::add_user(
        &app.store,
        "a@example.test",
        "a long password",
        Role::Admin,
        &[],
    )
    .await
    .unwrap();
    let hash: String = sqlx::query("SELECT password_hash FROM users")
        .fetch_one(app.store.pool())
        .await
        .unwrap()
        .get("password_hash");
    assert!(hash.starts_with("$argon2id$v=19$"), "{hash}");
    let rows = sqlx::query("SELECT token_hash FROM api_tokens")
        .fetch_all(app.store.pool())
        .await
        .unwrap();
    let stored: Vec<String> = rows.iter().map(|r| r.get("token_hash")).collect();
    for token in [&app.ingest_token, &app.admin_token, &app.finance_token] {
        assert!(!stored.contains(token), "a token is stored in clear");
        assert!(stored.contains(&tokentally_server::auth::tokens::digest(token)));
    }
});

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

storage_test!(every_table_downloads_as_csv, |app| {
    seed(&app).await;
    let unknown = json!([{"id": "u", "timestamp": "2026-03-02T00:00:00Z", "provider": "internal", "model": "mystery", "input_tokens": 42}]);
    app.post_events(&unknown).await;
    let mut finance = Browser::signed_in(&app, Role::Finance, &[]).await;
    let page = finance
        .get("/teams/search/features/chat?month=2026-03")
        .await
        .body;
    for table in ["models", "outcomes", "classes", "keys", "days"] {
        let href =
            format!("/teams/search/features/chat/export.csv?month=2026-03&amp;table={table}");
        assert!(page.contains(&href), "the page links {table}'s CSV");
        let csv = finance.get(&href.replace("&amp;", "&")).await;
        assert_eq!(csv.status, StatusCode::OK, "{table}");
        assert!(csv.body.lines().count() >= 2, "{table}: {}", csv.body);
    }
    let outcomes = finance
        .get("/teams/search/features/chat/export.csv?month=2026-03&table=outcomes")
        .await
        .body;
    assert!(
        outcomes.starts_with("month,Outcome,Requests,Share,Cost"),
        "{outcomes}"
    );
    assert!(outcomes.contains("2026-03,success,5,"), "{outcomes}");
    let unpriced = finance
        .get("/showback.csv?month=2026-03&table=unpriced")
        .await
        .body;
    assert!(unpriced.contains("internal,mystery,1,1,42"), "{unpriced}");
    assert_eq!(
        finance
            .get("/teams/search/export.csv?month=2026-03&table=nope")
            .await
            .status,
        StatusCode::NOT_FOUND
    );
});

storage_test!(
    finance_sets_overheads_commitments_and_discounts_in_forms,
    |app| {
        seed(&app).await;
        let mut b = Browser::signed_in(&app, Role::Finance, &[]).await;
        let csrf = b.get("/costs?month=2026-03").await.csrf();
        // February's overhead, then March copies it.
        let page = b
            .post_form(
                "/costs/overheads",
                &[
                    ("csrf", &csrf),
                    ("month", "2026-02"),
                    ("category", "vector search"),
                    ("amount", "90.00"),
                    ("allocation", "fixed"),
                    ("shares", "search 2, support 1"),
                ],
            )
            .await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
        let page = b.get("/costs?month=2026-03").await;
        assert!(
            page.body
                .contains("Copy 1 overhead categories from last month"),
            "{}",
            page.body
        );
        let page = b
            .post_form(
                "/costs/overheads/copy",
                &[("csrf", &csrf), ("month", "2026-03")],
            )
            .await;
        assert_eq!(page.status, StatusCode::SEE_OTHER);
        let page = b
            .post_form(
                "/costs/commitments",
                &[
                    ("csrf", &csrf),
                    ("month", "2026-03"),
                    ("provider", "openai"),
                    ("model", "gpt-4o-mini"),
                    ("fee", "100"),
                    ("capacity_tokens", "60000000"),
                    ("utilisation_floor", ""),
                ],
            )
            .await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
        let page = b
            .post_form(
                "/costs/discounts",
                &[
                    ("csrf", &csrf),
                    ("month", "2026-03"),
                    ("discount_provider", "openai"),
                    ("percent", "10"),
                    ("effective_from", "2026-03-01"),
                ],
            )
            .await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
        // A bad amount comes back with its reason, and nothing is saved.
        let page = b
            .post_form(
                "/costs/overheads",
                &[
                    ("csrf", &csrf),
                    ("month", "2026-03"),
                    ("category", "egress"),
                    ("amount", "lots"),
                    ("allocation", "proportional"),
                ],
            )
            .await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            page.body.contains("`lots` is not an amount"),
            "{}",
            page.body
        );
        // Without the CSRF token, refused.
        let page = b
            .post_form(
                "/costs/discounts",
                &[
                    ("month", "2026-03"),
                    ("discount_provider", "x"),
                    ("percent", "1"),
                    ("effective_from", "2026-03-01"),
                ],
            )
            .await;
        assert_eq!(page.status, StatusCode::FORBIDDEN);

        // The API agrees with what the forms set: 90.00 split 2:1, a commitment and a
        // discount. Token use of gpt-4o-mini: 30,000,000 input + 15,000 output of 60,000,000.
        let sb = app.showback(MONTH).await;
        assert_eq!(
            team(&sb, "search")["overhead_by_category"]["vector search"],
            "60.00"
        );
        assert_eq!(
            team(&sb, "support")["overhead_by_category"]["vector search"],
            "30.00"
        );
        assert_eq!(sb["commitments"][0]["used_tokens"], 30_015_000);
        assert_eq!(sb["commitments"][0]["underused"], true);
        assert_ne!(sb["list_cost"], sb["token_cost"]);

        let page = b.get("/costs?month=2026-03").await;
        assert_eq!(page.status, StatusCode::OK);
        for text in [
            "vector search",
            "openai/gpt-4o-mini",
            "under-used",
            "Idle commitment",
            "10%",
        ] {
            assert!(page.body.contains(text), "{text} missing");
        }
        let org = money(sb["org_total"].as_str().unwrap().parse().unwrap(), "USD");
        assert!(
            page.body.contains(&org),
            "the page shows the API's total {org}"
        );

        let audit = sqlx::query("SELECT action FROM audit_log ORDER BY id")
            .fetch_all(app.store.pool())
            .await
            .unwrap();
        let actions: Vec<String> = audit.iter().map(|r| r.get::<String, _>("action")).collect();
        assert_eq!(
            actions.iter().filter(|a| *a == "overhead.set").count(),
            2,
            "{actions:?}"
        );
        assert!(actions.contains(&"commitment.set".to_owned()));
        assert!(actions.contains(&"discount.set".to_owned()));
    }
);

storage_test!(
    a_lead_reports_transactions_for_their_team_in_the_form,
    |app| {
        seed(&app).await;
        let mut b = Browser::signed_in(&app, Role::Lead, &["search"]).await;
        let csrf = b.get("/transactions?month=2026-03").await.csrf();
        let form = |team: &'static str, count: &'static str| {
            vec![
                ("period", "2026-03"),
                ("team", team),
                ("feature", "chat"),
                ("name", "answers"),
                ("count", count),
            ]
        };
        let mut ok = form("search", "50");
        ok.push(("csrf", csrf.as_str()));
        let page = b.post_form("/transactions", &ok).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
        let mut other = form("support", "5");
        other.push(("csrf", csrf.as_str()));
        assert_eq!(
            b.post_form("/transactions", &other).await.status,
            StatusCode::FORBIDDEN
        );
        let mut bad = form("search", "many");
        bad.push(("csrf", csrf.as_str()));
        assert_eq!(
            b.post_form("/transactions", &bad).await.status,
            StatusCode::UNPROCESSABLE_ENTITY
        );

        let page = b.get("/transactions?month=2026-03").await;
        assert!(
            page.body.contains("answers") && page.body.contains(">50<"),
            "{}",
            page.body
        );
        let (_, f) = crate::helpers::json_of(
            app.get(
                "/api/v1/teams/search/features/chat?month=2026-03",
                &app.admin_token,
            )
            .send()
            .await
            .unwrap(),
        )
        .await;
        assert_eq!(f["total"]["transactions"], 50);
    }
);

storage_test!(
    finance_issues_voids_and_closes_in_the_statements_page,
    |app| {
        seed(&app).await;
        let mut b = Browser::signed_in(&app, Role::Finance, &[]).await;
        let page = b.get("/statements?month=2026-03").await;
        assert!(page.body.contains("Close 2026-03"), "{}", page.body);
        let csrf = page.csrf();
        let r = b
            .post_form("/statements/search/2026-03/issue", &[("csrf", &csrf)])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let page = b.get("/statements?month=2026-03&done=issued").await;
        assert!(page.body.contains("issued v1"), "{}", page.body);
        assert!(
            page.body.contains("2026-03 is closed"),
            "issuing closed the month"
        );
        let doc = b.get("/statements/search/2026-03").await;
        assert!(doc.body.contains("Issued, version 1"), "{}", doc.body);
        let (_, api) = crate::helpers::json_of(
            app.get("/api/v1/statements/search/2026-03", &app.finance_token)
                .send()
                .await
                .unwrap(),
        )
        .await;
        let total = money(api["total"].as_str().unwrap().parse().unwrap(), "USD");
        assert!(
            doc.body.contains(&total),
            "the page shows the API's total {total}"
        );
        assert!(doc.body.contains(api["sha256"].as_str().unwrap()));
        let r = b
            .post_form(
                "/statements/search/2026-03/void",
                &[("csrf", &csrf), ("reason", "wrong key")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let page = b.get("/statements?month=2026-03").await;
        assert!(page.body.contains(">draft"), "{}", page.body);
        // A lead may read, not issue.
        let mut lead = Browser::signed_in(&app, Role::Lead, &["search"]).await;
        let csrf = lead.get("/statements?month=2026-03").await.csrf();
        let r = lead
            .post_form("/statements/search/2026-03/issue", &[("csrf", &csrf)])
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        // Reconciliation: an invoice, and the identity holds.
        let csrf = b.get("/reconciliation?month=2026-03").await.csrf();
        let r = b
            .post_form(
                "/reconciliation/invoices",
                &[
                    ("csrf", &csrf),
                    ("month", "2026-03"),
                    ("provider", "openai"),
                    ("amount", "12.34"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let page = b.get("/reconciliation?month=2026-03").await;
        assert!(page.body.contains("$12.34"), "{}", page.body);
        assert!(
            page.body
                .contains("add up to the month&#x27;s total to the cent")
                || page
                    .body
                    .contains("add up to the month's total to the cent"),
            "{}",
            page.body
        );
    }
);

storage_test!(team_budgets_show_on_the_showback_and_team_pages, |app| {
    seed(&app).await;
    // search spends 0.75 + 0.003 (5 days × 1M input + 1,000 output at gpt-4o-mini rates):
    // a 0.50 budget is over; support's 100.00 is on track.
    for (team, amount) in [("search", "0.50"), ("support", "100")] {
        let r = app
            .post("/api/v1/budgets", &app.finance_token)
            .json(&json!({"month": MONTH, "team": team, "amount": amount}))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    }
    let mut b = Browser::signed_in(&app, Role::Viewer, &[]).await;
    let page = b.get("/?month=2026-03").await;
    assert!(page.body.contains(">Budget<"), "a budget column");
    assert!(
        page.body
            .contains("$0.50 <span class=\"badge warn\">over</span>")
            || page.body.contains(">over<"),
        "{}",
        page.body
    );
    assert!(page.body.contains("$100.00"), "{}", page.body);
    let team_page = b.get("/teams/support?month=2026-03").await;
    assert!(
        team_page.body.contains("on track: month-end forecast"),
        "{}",
        team_page.body
    );
});
