//! Sessions, CSRF, login throttling and how secrets are stored.

use reqwest::StatusCode;
use sqlx::Row;
use tokentally_server::auth::Role;

use super::seed;
use crate::browser_session::Browser;
use crate::storage_test;

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
