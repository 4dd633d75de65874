//! An admin's care of accounts on /admin/users: disable, enable, delete, role and teams,
//! password reset; a disabled account's sessions and own tokens stop at once; the last admin
//! is kept. And the same through the CLI.

use clap::Parser;
use reqwest::StatusCode;
use sqlx::Row;
use tokentally_server::app::accounts;
use tokentally_server::auth::Role;
use tokentally_server::cli::{Cli, run};
use tokentally_server::storage::Store;

use super::{MONTH, seed};
use crate::browser_session::Browser;
use crate::helpers::TestApp;
use crate::storage_test;

const SHOWBACK: &str = "/api/v1/showback?month=2026-03";

async fn id_of(app: &TestApp, email: &str) -> i64 {
    app.store
        .get_user_by_email(email)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("{email} exists"))
        .id
}

async fn api_status(app: &TestApp, token: &str) -> StatusCode {
    app.get(SHOWBACK, token).send().await.unwrap().status()
}

/// Posts one of the row forms of /admin/users for account `id`.
async fn change(
    admin: &mut Browser<'_>,
    id: i64,
    what: &str,
    fields: &[(&str, &str)],
) -> (StatusCode, String) {
    let csrf = admin.get("/admin/users").await.csrf();
    let mut form = vec![("csrf", csrf.as_str())];
    form.extend_from_slice(fields);
    let r = admin
        .post_form(&format!("/admin/users/{id}/{what}"), &form)
        .await;
    (r.status, r.body)
}

/// The audited changes to accounts, oldest first.
async fn actions(store: &Store) -> Vec<(String, String)> {
    sqlx::query("SELECT actor, action FROM audit_log WHERE subject LIKE 'user:%' ORDER BY id")
        .fetch_all(store.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get("actor"), r.get("action")))
        .collect()
}

async fn actions_by_admin(app: &TestApp) -> Vec<String> {
    actions(&app.store)
        .await
        .into_iter()
        .map(|(actor, action)| {
            assert_eq!(actor, "admin-@example.test");
            action
        })
        .collect()
}

storage_test!(
    a_disabled_account_stops_at_once_and_comes_back_when_enabled,
    |app| {
        seed(&app).await;
        let mut admin = Browser::signed_in(&app, Role::Admin, &[]).await;
        let mut lin = Browser::signed_in(&app, Role::Viewer, &[]).await;
        let email = "viewer-@example.test";
        let token = accounts::create_personal_token(&app.store, "lin's script", email)
            .await
            .unwrap();
        assert_eq!(api_status(&app, &token).await, StatusCode::OK);
        assert_eq!(
            lin.get(&format!("/?month={MONTH}")).await.status,
            StatusCode::OK
        );
        let id = id_of(&app, email).await;

        let (status, body) = change(&mut admin, id, "disable", &[]).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(body.contains("Disabled viewer-@example.test"), "{body}");
        // The open session and the person's token stop on their next request.
        let page = lin.get(&format!("/?month={MONTH}")).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER);
        assert!(page.location.unwrap().starts_with("/login"));
        assert_eq!(api_status(&app, &token).await, StatusCode::UNAUTHORIZED);
        // Signing in again is refused like a wrong password; a service token is untouched.
        let mut again = Browser::new(&app);
        assert_eq!(
            again.login(email, "a long password").await.status,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(api_status(&app, &app.finance_token).await, StatusCode::OK);
        assert!(admin.get("/admin/users").await.body.contains("disabled"));

        let (status, body) = change(&mut admin, id, "enable", &[]).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(
            again.login(email, "a long password").await.status,
            StatusCode::SEE_OTHER
        );
        assert_eq!(api_status(&app, &token).await, StatusCode::OK);
        assert_eq!(
            actions_by_admin(&app).await,
            ["user.disable", "user.enable"]
        );
    }
);

storage_test!(
    a_deleted_account_is_gone_with_its_sessions_and_tokens,
    |app| {
        seed(&app).await;
        let mut admin = Browser::signed_in(&app, Role::Admin, &[]).await;
        let mut lin = Browser::signed_in(&app, Role::Finance, &[]).await;
        let email = "finance-@example.test";
        let token = accounts::create_personal_token(&app.store, "lin's script", email)
            .await
            .unwrap();
        let id = id_of(&app, email).await;

        // Without the confirmation box nothing is deleted.
        let (status, body) = change(&mut admin, id, "delete", &[]).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(body.contains("confirm"), "{body}");
        assert!(app.store.get_user_by_email(email).await.unwrap().is_some());
        assert_eq!(api_status(&app, &token).await, StatusCode::OK);

        let (status, body) = change(&mut admin, id, "delete", &[("confirm", "yes")]).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(app.store.get_user_by_email(email).await.unwrap().is_none());
        assert_eq!(lin.get("/account").await.status, StatusCode::SEE_OTHER);
        assert_eq!(api_status(&app, &token).await, StatusCode::UNAUTHORIZED);
        let tokens = admin.get("/admin/tokens").await.body;
        assert!(tokens.contains("revoked"), "{tokens}");
        assert_eq!(actions_by_admin(&app).await, ["user.delete"]);
        // The email may be used again.
        accounts::add_user(&app.store, email, "another long one", Role::Viewer, &[])
            .await
            .unwrap();
    }
);

storage_test!(role_and_teams_change_at_once, |app| {
    seed(&app).await;
    let mut admin = Browser::signed_in(&app, Role::Admin, &[]).await;
    let mut lead = Browser::signed_in(&app, Role::Lead, &["search"]).await;
    let email = "lead-search@example.test";
    let token = accounts::create_personal_token(&app.store, "lead's script", email)
        .await
        .unwrap();
    let id = id_of(&app, email).await;
    assert_eq!(
        lead.get("/teams/support?month=2026-03").await.status,
        StatusCode::FORBIDDEN
    );
    let support = "/api/v1/teams/support?month=2026-03";
    let status = |token: String| {
        let app = &app;
        async move { app.get(support, &token).send().await.unwrap().status() }
    };
    assert_eq!(status(token.clone()).await, StatusCode::FORBIDDEN);

    // A lead without a team is refused, and nothing changes.
    let (code, body) = change(
        &mut admin,
        id,
        "access",
        &[("role", "lead"), ("teams", " ")],
    )
    .await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (code, body) = change(
        &mut admin,
        id,
        "access",
        &[("role", "ingest"), ("teams", "")],
    )
    .await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

    let (code, body) = change(
        &mut admin,
        id,
        "access",
        &[("role", "lead"), ("teams", "search, support")],
    )
    .await;
    assert_eq!(code, StatusCode::OK, "{body}");
    assert_eq!(
        lead.get("/teams/support?month=2026-03").await.status,
        StatusCode::OK
    );
    assert_eq!(status(token.clone()).await, StatusCode::OK);

    let (code, body) = change(
        &mut admin,
        id,
        "access",
        &[("role", "admin"), ("teams", "")],
    )
    .await;
    assert_eq!(code, StatusCode::OK, "{body}");
    assert_eq!(lead.get("/admin/users").await.status, StatusCode::OK);
    let record = app.store.get_user_by_email(email).await.unwrap().unwrap();
    assert_eq!(record.role, "admin");
    assert_eq!(
        actions_by_admin(&app).await,
        ["user.set_access", "user.set_access"]
    );
    let entry = &app
        .store
        .list_audit(Some(&format!("user:{email}")), 1)
        .await
        .unwrap()[0];
    assert!(
        entry.before.as_deref().unwrap().contains("\"lead\""),
        "{entry:?}"
    );
    assert!(
        entry.after.as_deref().unwrap().contains("\"admin\""),
        "{entry:?}"
    );
});

storage_test!(the_last_enabled_admin_cannot_be_removed, |app| {
    let mut admin = Browser::signed_in(&app, Role::Admin, &[]).await;
    let me = id_of(&app, "admin-@example.test").await;
    for (what, fields) in [
        ("disable", vec![]),
        ("delete", vec![("confirm", "yes")]),
        ("access", vec![("role", "finance"), ("teams", "")]),
    ] {
        let (status, body) = change(&mut admin, me, what, &fields).await;
        assert_eq!(status, StatusCode::CONFLICT, "{what}: {body}");
        assert!(body.contains("last enabled admin"), "{what}: {body}");
    }
    let record = app
        .store
        .get_user_by_email("admin-@example.test")
        .await
        .unwrap()
        .unwrap();
    assert_eq!((record.role.as_str(), record.disabled_ms), ("admin", None));
    assert!(
        actions(&app.store).await.is_empty(),
        "a refusal is not audited"
    );
    // A disabled admin does not count: with a second admin disabled, still refused.
    let other = accounts::add_user(
        &app.store,
        "second@example.test",
        "a long password",
        Role::Admin,
        &[],
    )
    .await
    .unwrap();
    let (status, _) = change(&mut admin, other, "disable", &[]).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = change(
        &mut admin,
        me,
        "access",
        &[("role", "viewer"), ("teams", "")],
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    // Once the second admin is back, the first may step down; their session goes on, as a viewer.
    let (status, _) = change(&mut admin, other, "enable", &[]).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = change(
        &mut admin,
        me,
        "access",
        &[("role", "viewer"), ("teams", "")],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        admin.get("/admin/users").await.status,
        StatusCode::FORBIDDEN
    );
});

storage_test!(an_admin_resets_a_password_and_only_admins_may, |app| {
    let mut admin = Browser::signed_in(&app, Role::Admin, &[]).await;
    let mut lin = Browser::signed_in(&app, Role::Viewer, &[]).await;
    let email = "viewer-@example.test";
    let id = id_of(&app, email).await;
    let (status, body) = change(&mut admin, id, "password", &[("password", "short")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("8 characters"), "{body}");

    let (status, body) = change(
        &mut admin,
        id,
        "password",
        &[("password", "a fresh password")],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        lin.get("/account").await.status,
        StatusCode::SEE_OTHER,
        "signed out"
    );
    let mut b = Browser::new(&app);
    assert_eq!(
        b.login(email, "a long password").await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        b.login(email, "a fresh password").await.status,
        StatusCode::SEE_OTHER
    );
    let entry = &app
        .store
        .list_audit(Some(&format!("user:{email}")), 1)
        .await
        .unwrap()[0];
    assert_eq!(entry.action, "user.password_reset");
    assert!(
        !entry.after.as_deref().unwrap().contains("fresh"),
        "no password in the log"
    );

    // Anyone but an admin is refused, and nothing changes.
    let mut finance = Browser::signed_in(&app, Role::Finance, &[]).await;
    let csrf = finance.get("/account").await.csrf();
    for what in ["disable", "enable", "delete", "access", "password"] {
        let r = finance
            .post_form(
                &format!("/admin/users/{id}/{what}"),
                &[
                    ("csrf", &csrf),
                    ("confirm", "yes"),
                    ("role", "admin"),
                    ("password", "12345678"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{what}");
    }
    assert_eq!(
        b.login(email, "a fresh password").await.status,
        StatusCode::SEE_OTHER
    );
    // An account that does not exist is a 404.
    let (status, _) = change(&mut admin, 999_999, "disable", &[]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
});

#[tokio::test]
async fn the_cli_manages_accounts_and_keeps_the_last_admin() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("cli.db").display());
    let cli = |args: &[&str]| {
        let mut all = vec!["tokentally", "--database-url", &url];
        all.extend_from_slice(args);
        Cli::try_parse_from(all).unwrap()
    };
    let password = ["--password", "a long password"];
    let add = |email: &'static str, role: &'static str| {
        let mut args = vec!["user", "add", "--email", email, "--role", role];
        args.extend_from_slice(&password);
        args
    };
    run(cli(&add("root@example.test", "admin"))).await.unwrap();
    run(cli(&add("lin@example.test", "viewer"))).await.unwrap();
    let store = Store::connect(&url).await.unwrap();

    let refused = run(cli(&["user", "disable", "--email", "root@example.test"])).await;
    assert!(
        refused
            .unwrap_err()
            .to_string()
            .contains("last enabled admin")
    );
    let refused = run(cli(&[
        "user",
        "set-role",
        "--email",
        "root@example.test",
        "--role",
        "viewer",
    ]))
    .await;
    assert!(refused.is_err());
    let unknown = run(cli(&["user", "disable", "--email", "nobody@example.test"])).await;
    assert!(
        unknown
            .unwrap_err()
            .to_string()
            .contains("nobody@example.test")
    );

    // Teams come from the list: a typo is refused, an existing team is taken.
    let typo = run(cli(&[
        "user",
        "set-role",
        "--email",
        "lin@example.test",
        "--role",
        "lead",
        "--team",
        "serach",
    ]))
    .await;
    assert!(
        typo.unwrap_err()
            .to_string()
            .contains("No team is named `serach`")
    );
    store.add_team("search").await.unwrap();
    run(cli(&[
        "user",
        "set-role",
        "--email",
        "LIN@example.test",
        "--role",
        "lead",
        "--team",
        "search",
    ]))
    .await
    .unwrap();
    run(cli(&["user", "disable", "--email", "lin@example.test"]))
        .await
        .unwrap();
    let lin = store
        .get_user_by_email("lin@example.test")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (lin.role.as_str(), lin.teams.clone()),
        ("lead", vec!["search".to_owned()])
    );
    assert!(lin.is_disabled());
    run(cli(&["user", "enable", "--email", "lin@example.test"]))
        .await
        .unwrap();
    run(cli(&[
        "user",
        "reset-password",
        "--email",
        "lin@example.test",
        "--password",
        "a fresh password",
    ]))
    .await
    .unwrap();
    let lin = store
        .get_user_by_email("lin@example.test")
        .await
        .unwrap()
        .unwrap();
    assert!(!lin.is_disabled());
    assert!(tokentally_server::auth::passwords::verify(
        "a fresh password",
        &lin.password_hash
    ));
    run(cli(&[
        "token",
        "create",
        "--name",
        "lin's",
        "--owner",
        "lin@example.test",
    ]))
    .await
    .unwrap();
    run(cli(&["user", "delete", "--email", "lin@example.test"]))
        .await
        .unwrap();
    assert!(
        store
            .get_user_by_email("lin@example.test")
            .await
            .unwrap()
            .is_none()
    );
    let tokens = store.list_api_tokens().await.unwrap();
    assert!(tokens[0].revoked_ms.is_some(), "{tokens:?}");

    let expected = [
        "user.set_access",
        "user.disable",
        "user.enable",
        "user.password_reset",
        "user.delete",
    ];
    assert_eq!(
        actions(&store).await,
        expected.map(|a| ("cli".to_owned(), a.to_owned()))
    );
}
