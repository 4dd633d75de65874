//! The showback is kept between requests until the data changes: every kind of change shows
//! on the next read, on this server and on a second one sharing the database.

use std::net::SocketAddr;

use rust_decimal_macros::dec;
use serde_json::{Value, json};
use tokentally_server::config::Config;
use tokentally_server::startup::Application;

use crate::helpers::{money, team};
use crate::storage_test;

/// The `Cookie` header of a finance user signed in through the login form.
async fn finance_session(app: &crate::helpers::TestApp) -> String {
    let finance = crate::browser_session::Browser::signed_in(
        app,
        tokentally_server::auth::Role::Finance,
        &[],
    )
    .await;
    format!("tt_session={}", finance.cookie.expect("signed in"))
}

/// A gpt-4o-mini call of 1M input and 100k output tokens: 0.15 + 0.06 = 0.21.
fn call(id: &str, team: Option<&str>, key: &str, outcome: &str, workflow: Option<&str>) -> Value {
    let mut v = json!({"id": id, "timestamp": "2026-03-10T10:00:00Z", "provider": "openai",
        "model": "gpt-4o-mini", "api_key": key, "input_tokens": 1_000_000,
        "output_tokens": 100_000, "outcome": outcome});
    if let Some(t) = team {
        v["team"] = json!(t);
    }
    if let Some(w) = workflow {
        v["workflow_id"] = json!(w);
    }
    v
}

storage_test!(every_change_shows_on_the_next_read, |app| {
    let (status, _) = app
        .post_events(&json!([
            call("a", Some("search"), "k-search", "success", None),
            call("b", None, "k-new", "success", None),
            call("w1", Some("search"), "k-search", "failure", Some("wf")),
        ]))
        .await;
    assert_eq!(status, 200);
    let first = app.showback("2026-03").await;
    assert_eq!(first, app.showback("2026-03").await, "kept between reads");
    assert_eq!(money(&team(&first, "search")["token_cost"]), dec!(0.42));
    assert_eq!(team(&first, "search")["successful_outcomes"], 1);
    assert_eq!(
        money(&team(&first, "Unallocated")["token_cost"]),
        dec!(0.21)
    );

    // Ingest.
    app.post_events(&json!([call(
        "c",
        Some("search"),
        "k-search",
        "success",
        None
    )]))
    .await;
    let sb = app.showback("2026-03").await;
    assert_eq!(money(&team(&sb, "search")["token_cost"]), dec!(0.63));

    // A key mapping moves the unowned key's call to its team.
    let (status, b) = app
        .admin_post(
            "/api/v1/key-mappings",
            &json!({"api_key": "k-new", "team": "growth", "valid_from": "2026-01-01"}),
        )
        .await;
    assert_eq!(status, 201, "{b}");
    let sb = app.showback("2026-03").await;
    assert_eq!(money(&team(&sb, "growth")["token_cost"]), dec!(0.21));
    assert_eq!(money(&team(&sb, "Unallocated")["token_cost"]), dec!(0));

    // An overhead.
    let (status, b) = app
        .admin_post(
            "/api/v1/overheads",
            &json!({"month": "2026-03", "category": "review", "amount": "10", "allocation": "direct", "team": "growth"}),
        )
        .await;
    assert_eq!(status, 201, "{b}");
    let sb = app.showback("2026-03").await;
    assert_eq!(money(&team(&sb, "growth")["overhead"]), dec!(10));

    // A workflow's outcome set by the client.
    assert_eq!(team(&sb, "search")["successful_outcomes"], 2);
    let r = app
        .post("/api/v1/workflows/wf/outcome", &app.ingest_token)
        .json(&json!({"outcome": "success"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let sb = app.showback("2026-03").await;
    assert_eq!(team(&sb, "search")["successful_outcomes"], 3);

    // A discount.
    let (status, b) = app
        .admin_post(
            "/api/v1/discounts",
            &json!({"provider": "openai", "percent": "50", "effective_from": "2026-03-01"}),
        )
        .await;
    assert_eq!(status, 201, "{b}");
    let sb = app.showback("2026-03").await;
    assert_eq!(money(&team(&sb, "growth")["token_cost_exact"]), dec!(0.105));
});

storage_test!(a_second_server_on_the_database_sees_the_changes, |app| {
    // Another server process: its own kept reports, the same database.
    let other = Application::with_store(
        app.store.clone(),
        Config::new("unused://", SocketAddr::from(([127, 0, 0, 1], 0))),
    )
    .await
    .unwrap();
    let other_address = format!("http://127.0.0.1:{}", other.port());
    tokio::spawn(other.run_until_stopped());
    let read_other = || async {
        let r = app
            .client
            .get(format!("{other_address}/api/v1/showback?month=2026-03"))
            .bearer_auth(&app.finance_token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        r.json::<Value>().await.unwrap()
    };

    app.post_events(&json!([call("a", Some("search"), "k", "success", None)]))
        .await;
    let before = read_other().await;
    assert_eq!(money(&team(&before, "search")["token_cost"]), dec!(0.21));
    app.post_events(&json!([call("b", Some("search"), "k", "success", None)]))
        .await;
    let after = read_other().await;
    assert_eq!(money(&team(&after, "search")["token_cost"]), dec!(0.42));
});

storage_test!(no_cache_asks_for_a_fresh_showback, |app| {
    app.post_events(&json!([call("a", Some("search"), "k", "success", None)]))
        .await;
    let kept = app.showback("2026-03").await;
    // A change written past the server (as by a migration or a restore) does not move the
    // version; a request with `Cache-Control: no-cache` still sees it.
    for table in ["usage_rollups", "usage_rollups_monthly"] {
        sqlx::query(&format!(
            "UPDATE {table} SET input_tokens = input_tokens * 2"
        ))
        .execute(app.store.pool())
        .await
        .unwrap();
    }
    assert_eq!(app.showback("2026-03").await, kept);
    let r = app
        .get("/api/v1/showback?month=2026-03", &app.finance_token)
        .header("Cache-Control", "no-cache")
        .send()
        .await
        .unwrap();
    let fresh: Value = r.json().await.unwrap();
    assert_eq!(money(&team(&fresh, "search")["token_cost"]), dec!(0.36));
    assert_eq!(money(&team(&kept, "search")["token_cost"]), dec!(0.21));
});

// Team and feature drill-downs are kept like the showback: the same answer
// until the data changes, every change on the next read, and `no-cache` reads the database.
storage_test!(drill_downs_are_kept_until_the_data_changes, |app| {
    let mut a = call("a", Some("search"), "k", "success", None);
    a["feature"] = json!("chat");
    a["user"] = json!("ann");
    app.post_events(&json!([a])).await;
    let read = |path: &'static str, fresh: bool| {
        let mut r = app.get(path, &app.finance_token);
        if fresh {
            r = r.header("Cache-Control", "no-cache");
        }
        async move {
            let r = r.send().await.unwrap();
            assert_eq!(r.status(), 200);
            r.json::<Value>().await.unwrap()
        }
    };
    let team_api = "/api/v1/teams/search?month=2026-03";
    let feature_api = "/api/v1/teams/search/features/chat?month=2026-03";
    let first = read(team_api, false).await;
    assert_eq!(first["total"]["active_users"], 1);
    assert_eq!(money(&first["total"]["token_cost"]), dec!(0.21));
    assert_eq!(read(feature_api, false).await["total"]["active_users"], 1);

    // Ingest moves the version: a second user and call show on the next read.
    let mut b = call("b", Some("search"), "k", "success", None);
    b["feature"] = json!("chat");
    b["user"] = json!("bob");
    app.post_events(&json!([b])).await;
    let second = read(team_api, false).await;
    assert_eq!(second["total"]["active_users"], 2);
    assert_eq!(money(&second["total"]["token_cost"]), dec!(0.42));
    assert_eq!(read(feature_api, false).await["total"]["active_users"], 2);

    // A change written past the server does not move the version: kept answers stay, and
    // `no-cache` sees it.
    sqlx::query("UPDATE usage_user_words SET bits = 0")
        .execute(app.store.pool())
        .await
        .unwrap();
    assert_eq!(read(team_api, false).await, second);
    assert_eq!(read(feature_api, false).await["total"]["active_users"], 2);
    assert_eq!(read(team_api, true).await["total"]["active_users"], 0);
    assert_eq!(read(feature_api, true).await["total"]["active_users"], 0);
});

// Statements, reconciliation, scorecards, workflow listings and the drill-down pages are kept
// like the showback (issue 24): the same answer until the data changes, every change on the
// next read, and `no-cache` reads the database.
storage_test!(every_kept_answer_follows_the_data_version, |app| {
    app.post_events(&json!([call(
        "a",
        Some("search"),
        "k",
        "success",
        Some("wf")
    )]))
    .await;
    // Pages are read signed in, the API with a token.
    let session = finance_session(&app).await;
    let read = |path: &'static str, fresh: bool| {
        let mut r = if path.starts_with("/api/") {
            app.get(path, &app.finance_token)
        } else {
            app.client
                .get(app.url(path))
                .header("Cookie", session.clone())
        };
        if fresh {
            r = r.header("Cache-Control", "no-cache");
        }
        async move {
            let r = r.send().await.unwrap();
            assert_eq!(r.status(), 200, "{path}");
            r.text().await.unwrap()
        }
    };
    let paths = [
        "/api/v1/statements/search/2026-03",
        "/api/v1/reconciliation?month=2026-03",
        "/keys/k/export.csv?month=2026-03&table=teams",
        "/models/gpt-4o-mini/export.csv?month=2026-03&table=teams",
        "/teams/search/features/Unassigned/export.csv?month=2026-03&table=models",
    ];
    let mut kept = Vec::new();
    for p in paths {
        let first = read(p, false).await;
        assert!(first.contains("0.21"), "{p}: {first}");
        kept.push(first);
    }
    // Written past the server: the version stays, kept answers stay, `no-cache` sees it
    // (1M input tokens become 2M: 0.30 + 0.06 = 0.36).
    for table in ["usage_rollups", "usage_rollups_monthly"] {
        sqlx::query(&format!(
            "UPDATE {table} SET input_tokens = input_tokens * 2"
        ))
        .execute(app.store.pool())
        .await
        .unwrap();
    }
    for (p, before) in paths.iter().zip(&kept) {
        assert_eq!(&read(p, false).await, before, "{p} kept");
        let fresh = read(p, true).await;
        assert!(fresh.contains("0.36"), "{p} anew: {fresh}");
    }
    // Ingest moves the version: the next read is computed again (two calls: 0.36 + 0.21).
    app.post_events(&json!([call("b", Some("search"), "k", "success", None)]))
        .await;
    for p in paths {
        let after = read(p, false).await;
        assert!(after.contains("0.57"), "{p} after ingest: {after}");
    }

    // The workflow listing is priced from the raw calls: a new workflow shows on the next read.
    let listing = "/api/v1/workflows?month=2026-03";
    let before = read(listing, false).await;
    assert!(
        before.contains("\"wf\"") && !before.contains("wf2"),
        "{before}"
    );
    assert_eq!(read(listing, false).await, before);
    app.post_events(&json!([call(
        "c",
        Some("search"),
        "k",
        "success",
        Some("wf2")
    )]))
    .await;
    assert!(read(listing, false).await.contains("wf2"));
});

// The showback page is kept whole (issue 24): besides the showback it reads budgets,
// forecasts, movement and trends, and a reader between two changes pays for none of them.
// A change written past the server shows only with `no-cache` or once the version moves.
storage_test!(the_showback_page_is_kept_until_the_data_changes, |app| {
    app.post_events(&json!([call("a", Some("search"), "k", "success", None)]))
        .await;
    let (s, b) = app
        .admin_post(
            "/api/v1/budgets",
            &json!({"month": "2026-03", "scope": "team", "team": "search", "amount": "500"}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    let session = finance_session(&app).await;
    let page = |fresh: bool| {
        let mut r = app
            .client
            .get(app.url("/?month=2026-03"))
            .header("Cookie", session.clone());
        if fresh {
            r = r.header("Cache-Control", "no-cache");
        }
        async move {
            let r = r.send().await.unwrap();
            assert_eq!(r.status(), 200);
            r.text().await.unwrap()
        }
    };
    let first = page(false).await;
    assert!(first.contains("$500.00"), "{first}");

    sqlx::query("UPDATE budgets SET amount = '777'")
        .execute(app.store.pool())
        .await
        .unwrap();
    let kept = page(false).await;
    assert!(
        kept.contains("$500.00") && !kept.contains("$777.00"),
        "{kept}"
    );
    assert!(page(true).await.contains("$777.00"), "no-cache reads anew");

    // Ingest moves the version: the next read is computed again.
    app.post_events(&json!([call("b", Some("search"), "k", "success", None)]))
        .await;
    let after = page(false).await;
    assert!(
        after.contains("$777.00") && after.contains("0.42"),
        "{after}"
    );
});
