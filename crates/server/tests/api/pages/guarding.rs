//! Accounts under attack: guesses counted before they are checked (so parallel ones cannot
//! beat the limit), a delay per account and address instead of a lockout for everyone,
//! `X-Forwarded-For` believed only from a configured proxy, a limit on the change-password
//! form, security headers on every page, and webhooks kept out of the network.

use reqwest::StatusCode;
use sqlx::Row;
use tokentally_server::auth::Role;

use crate::browser_session::Browser;
use crate::helpers::TestApp;
use crate::{storage_test, storage_test_with};

const EMAIL: &str = "fin@example.test";
const PASSWORD: &str = "the right password";

async fn user(app: &TestApp) {
    tokentally_server::app::accounts::add_user(&app.store, EMAIL, PASSWORD, Role::Finance, &[])
        .await
        .unwrap();
}

/// A login from `address` (sent as `X-Forwarded-For`): its status.
async fn login_from(app: &TestApp, address: &str, password: &str) -> StatusCode {
    login_at(app.url("/login"), address, password).await
}

async fn login_at(url: String, address: &str, password: &str) -> StatusCode {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(url)
        .header("x-forwarded-for", address)
        .form(&[("email", EMAIL), ("password", password), ("next", "/")])
        .send()
        .await
        .unwrap()
        .status()
}

storage_test!(parallel_guesses_cannot_beat_the_login_throttle, |app| {
    user(&app).await;
    let mut guesses = tokio::task::JoinSet::new();
    // Wrong guesses only: a right one among the first five checked would rightly start a
    // session and clear the failures, which made this test depend on the tasks' order.
    for _ in 0..40 {
        let url = app.url("/login");
        guesses.spawn(async move { login_at(url, "127.0.0.1", "wrong").await });
    }
    let answers: Vec<StatusCode> = guesses.join_all().await;
    let checked = answers
        .iter()
        .filter(|s| **s != StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert!(
        checked <= 5,
        "only the free attempts may check a password: {answers:?}"
    );
    assert_eq!(
        answers.len() - checked,
        answers
            .iter()
            .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
            .count()
    );
    // After the burst the right password waits too.
    assert_eq!(
        login_from(&app, "127.0.0.1", PASSWORD).await,
        StatusCode::TOO_MANY_REQUESTS
    );
});

storage_test_with!(
    guessing_delays_the_guesser_not_the_owner_and_the_delay_passes,
    |c: &mut tokentally_server::config::Config| c.trusted_proxies =
        vec!["127.0.0.1".parse().unwrap()],
    |app| {
        user(&app).await;
        let attacker = "203.0.113.9";
        for _ in 0..5 {
            assert_eq!(
                login_from(&app, attacker, "wrong").await,
                StatusCode::UNAUTHORIZED
            );
        }
        let r = reqwest::Client::new()
            .post(app.url("/login"))
            .header("x-forwarded-for", attacker)
            .form(&[("email", EMAIL), ("password", "wrong"), ("next", "/")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
        let wait: i64 = r.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=5).contains(&wait), "{wait}");
        // The owner, from elsewhere, is not locked out.
        assert_eq!(
            login_from(&app, "198.51.100.4", PASSWORD).await,
            StatusCode::SEE_OTHER
        );
        // Once the delay has passed (moved back in the record), the attacker's address may
        // try again: a delay, not a lockout.
        sqlx::query("UPDATE login_failures SET at_ms = at_ms - 6000")
            .execute(app.store.pool())
            .await
            .unwrap();
        assert_eq!(
            login_from(&app, attacker, PASSWORD).await,
            StatusCode::SEE_OTHER
        );
    }
);

storage_test!(x_forwarded_for_is_ignored_from_an_untrusted_peer, |app| {
    user(&app).await;
    // Each guess claims another address; without a trusted proxy all count as the peer's.
    for i in 0..5 {
        assert_eq!(
            login_from(&app, &format!("203.0.113.{i}"), "wrong").await,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        login_from(&app, "203.0.113.99", PASSWORD).await,
        StatusCode::TOO_MANY_REQUESTS
    );
    let addresses: Vec<String> = sqlx::query("SELECT address FROM login_failures")
        .fetch_all(app.store.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| r.get("address"))
        .collect();
    assert!(addresses.iter().all(|a| a == "127.0.0.1"), "{addresses:?}");
});

storage_test!(the_change_password_form_limits_guesses, |app| {
    let mut b = Browser::signed_in(&app, Role::Finance, &[]).await;
    for _ in 0..5 {
        let csrf = b.get("/account").await.csrf();
        let r = b
            .post_form(
                "/account/password",
                &[
                    ("csrf", &csrf),
                    ("current", "wrong"),
                    ("new", "a new long password"),
                    ("confirm", "a new long password"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    }
    let csrf = b.get("/account").await.csrf();
    let r = b
        .post_form(
            "/account/password",
            &[
                ("csrf", &csrf),
                ("current", "a long password"),
                ("new", "a new long password"),
                ("confirm", "a new long password"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
    assert!(
        r.body.contains("Too many wrong current passwords"),
        "{}",
        r.body
    );
});

storage_test!(every_page_carries_the_security_headers, |app| {
    let mut b = Browser::signed_in(&app, Role::Admin, &[]).await;
    let cookie = format!("tt_session={}", b.cookie.clone().unwrap());
    let _ = b.get("/").await;
    for (path, signed_in) in [
        ("/login", false),
        ("/", true),
        ("/showback?month=2026-03", true),
        ("/admin/keys", true),
        ("/no-such-page", true),
    ] {
        let mut r = app.client.get(app.url(path));
        if signed_in {
            r = r.header("cookie", &cookie);
        }
        let r = r.send().await.unwrap();
        let h = r.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(csp.contains("script-src 'self'"), "{path}: {csp}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["referrer-policy"], "same-origin", "{path}");
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        if signed_in {
            assert_eq!(h["cache-control"], "no-store", "{path}");
        }
    }
});

storage_test!(webhooks_into_the_network_need_an_explicit_setting, |app| {
    for url in [
        "http://127.0.0.1:9/hook",
        "http://localhost/hook",
        "http://10.0.0.5/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
    ] {
        let (status, body) = app
            .admin_post("/api/v1/webhook", &serde_json::json!({"url": url}))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{url}: {body}");
        assert!(
            body["error"]
                .as_str()
                .unwrap()
                .contains("TOKENTALLY_ALLOW_PRIVATE_WEBHOOKS"),
            "{body}"
        );
    }
    let (status, body) = app
        .admin_post(
            "/api/v1/webhook",
            &serde_json::json!({"url": "http://hooks.example.com/alerts"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
});
