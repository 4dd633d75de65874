//! Email and reminders (issue 17): the monthly digest reaches a local SMTP sink over STARTTLS
//! with showback's figures to the cent, a lead's digest holds only their teams, the schedule
//! sends a month once; finance is reminded of a month left open, on its channel and by email.

use chrono::NaiveDate;
use reqwest::StatusCode;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use tokentally_server::app::notify::{digest, reminders};
use tokentally_server::auth::Role;
use tokentally_server::config::{Config, SmtpConfig, StartTls};

use crate::helpers::{Db, TestApp, json_of, money, spawn_app, spawn_app_with, team};
use crate::https_fake::CA;
use crate::smtp_sink::{Inbox, Received, smtp_sink};

fn smtp_at(c: &mut Config, port: u16, starttls: StartTls) {
    c.smtp = Some(SmtpConfig {
        host: "127.0.0.1".into(),
        port,
        username: None,
        password: None,
        from: "tokentally <finops@example.test>".into(),
        starttls,
    });
    c.ca_pem = Some(CA.ca_pem.clone().into_bytes());
    c.allow_private_webhooks = true;
    c.close_reminder_day = 3;
}

/// The app with email to a sink; `sink_tls`: the sink offers STARTTLS.
async fn mail_app(db: Db, sink_tls: bool, starttls: StartTls) -> Option<(TestApp, Inbox)> {
    let (port, inbox) = smtp_sink(sink_tls).await;
    let app = spawn_app_with(db, move |c| smtp_at(c, port, starttls)).await?;
    Some((app, inbox))
}

/// Runs a scenario on SQLite and PostgreSQL.
macro_rules! both_databases {
    ($name:ident, $scenario:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$scenario(crate::helpers::Db::Sqlite).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$scenario(crate::helpers::Db::Postgres).await;
            }
        }
    };
}

async fn add_user(app: &TestApp, email: &str, role: Role, teams: &[&str]) {
    let teams: Vec<String> = teams.iter().map(|t| t.to_string()).collect();
    tokentally_server::app::accounts::add_user(&app.store, email, "a long password", role, &teams)
        .await
        .expect("a user");
}

/// Two teams over two months, with a budget for search.
async fn usage(app: &TestApp) {
    let call = |id: &str,
                day: &str,
                team: &str,
                feature: &str,
                model: &str,
                key: &str,
                input: u64| {
        json!({"id": id, "timestamp": format!("{day}T10:00:00Z"), "provider": "openai", "model": model,
            "team": team, "feature": feature, "api_key": key, "input_tokens": input, "output_tokens": input / 4})
    };
    let (s, b) = app
        .post_events(&json!([
            call(
                "a1",
                "2026-08-03",
                "search",
                "answers",
                "gpt-4o",
                "k-search",
                400_000
            ),
            call(
                "a2",
                "2026-08-04",
                "growth",
                "copy",
                "gpt-4o-mini",
                "k-growth",
                900_000
            ),
            call(
                "s1",
                "2026-09-02",
                "search",
                "answers",
                "gpt-4o",
                "k-search",
                1_000_000
            ),
            call(
                "s2",
                "2026-09-03",
                "search",
                "ranking",
                "gpt-4o-mini",
                "k-search",
                3_000_000
            ),
            call(
                "s3",
                "2026-09-04",
                "search",
                "answers",
                "gpt-4o",
                "k-search",
                123_457
            ),
            call(
                "d1",
                "2026-09-05",
                "growth",
                "copy",
                "gpt-4o-mini",
                "k-growth",
                2_000_000
            ),
            call(
                "d2",
                "2026-09-06",
                "growth",
                "targeting",
                "gpt-4o",
                "k-growth",
                777_777
            ),
            call("u1", "2026-09-07", "", "", "gpt-4o", "k-nobody", 50_000),
        ]))
        .await;
    assert_eq!(s, 200, "{b}");
    let (s, b) = app
        .admin_post(
            "/api/v1/budgets",
            &json!({"month": "2026-09", "team": "search", "amount": "100.00"}),
        )
        .await;
    assert!(s.is_success(), "{b}");
}

/// The amount on the line `Spend: $1,234.56` of a digest's text.
fn spend_lines(text: &str) -> Vec<Decimal> {
    text.lines()
        .filter_map(|l| l.strip_prefix("Spend: $"))
        .map(|a| a.replace(',', "").parse().expect("an amount"))
        .collect()
}

fn to<'a>(inbox: &'a [Received], who: &str) -> &'a Received {
    inbox
        .iter()
        .find(|m| m.to == [who])
        .unwrap_or_else(|| panic!("nothing to {who} in {inbox:#?}"))
}

async fn digest_reaches_the_sink_with_showbacks_figures(db: Db) {
    let Some((app, inbox)) = mail_app(db, true, StartTls::Required).await else {
        return;
    };
    usage(&app).await;
    add_user(&app, "fin@example.test", Role::Finance, &[]).await;
    add_user(&app, "lead-search@example.test", Role::Lead, &["search"]).await;
    add_user(&app, "lead-growth@example.test", Role::Lead, &["growth"]).await;
    add_user(&app, "viewer@example.test", Role::Viewer, &[]).await;

    // Only admins and finance send it.
    for role in [Role::Viewer, Role::Lead] {
        let token = app.token_for(role, &["search"]).await;
        let r = app
            .post("/api/v1/digests/send?month=2026-09", &token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
    }
    assert!(inbox.lock().unwrap().is_empty());
    let r = app
        .post("/api/v1/digests/send?month=2026-13", &app.finance_token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);

    let (s, report) = json_of(
        app.post("/api/v1/digests/send?month=2026-09", &app.finance_token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 200, "{report}");
    assert_eq!(
        (report["sent"].clone(), report["failed"].clone()),
        (json!(3), json!(0)),
        "{report}"
    );

    let sb = app.showback("2026-09").await;
    let got = inbox.lock().unwrap().clone();
    assert_eq!(got.len(), 3, "{got:#?}");
    for m in &got {
        assert!(m.secure, "sent after STARTTLS");
        assert_eq!(m.from, "finops@example.test");
        assert!(
            m.header("Content-Type")
                .unwrap()
                .starts_with("multipart/alternative"),
            "{}",
            m.data
        );
    }
    // Finance: the organisation's total, to the cent.
    let fin = to(&got, "fin@example.test");
    let text = fin.part("text/plain");
    assert_eq!(
        spend_lines(&text),
        [money(&sb["org_total"]).round_dp(2)],
        "{text}"
    );
    assert!(text.contains("== Organisation =="), "{text}");
    assert!(text.contains("Top models:"), "{text}");
    assert!(text.contains("team search"), "the budget: {text}");
    let html = fin.part("text/html");
    assert!(
        html.contains(&tokentally_web::format::money(
            money(&sb["org_total"]),
            "USD"
        )),
        "{html}"
    );
    // A lead: their team, and nothing of the others.
    let lead = to(&got, "lead-search@example.test");
    let text = lead.part("text/plain");
    assert_eq!(
        spend_lines(&text),
        [money(&team(&sb, "search")["blended_cost"]).round_dp(2)],
        "{text}"
    );
    assert!(text.contains("== search =="), "{text}");
    assert!(
        text.contains("answers") && text.contains("ranking"),
        "{text}"
    );
    assert!(text.contains("Change vs last month: +$"), "{text}");
    assert!(text.contains("team search: $"), "its budget: {text}");
    for other in [
        "growth",
        "copy",
        "targeting",
        "k-nobody",
        "Unallocated",
        "Organisation",
    ] {
        assert!(!text.contains(other), "{other} in {text}");
        assert!(
            !lead.part("text/html").contains(other),
            "{other} in the HTML"
        );
    }
    let growth = to(&got, "lead-growth@example.test").part("text/plain");
    assert_eq!(
        spend_lines(&growth),
        [money(&team(&sb, "growth")["blended_cost"]).round_dp(2)]
    );
    assert!(!growth.contains("search"), "{growth}");

    // The schedule: from its day on, last month's digest once, whichever server runs it.
    let state = app.state.clone();
    let (a, b) = tokio::join!(
        digest::run_due(&app.state, NaiveDate::from_ymd_opt(2026, 9, 5).unwrap()),
        digest::run_due(&state, NaiveDate::from_ymd_opt(2026, 9, 5).unwrap()),
    );
    let runs: Vec<_> = [a.unwrap(), b.unwrap()].into_iter().flatten().collect();
    assert_eq!(runs.len(), 1, "one server sends it");
    assert_eq!(runs[0].month.to_string(), "2026-08");
    assert_eq!(runs[0].sent, 3);
    assert_eq!(inbox.lock().unwrap().len(), 6);
    let again = digest::run_due(&app.state, NaiveDate::from_ymd_opt(2026, 9, 20).unwrap())
        .await
        .unwrap();
    assert!(again.is_none(), "sent already");
    // Before the digest day (the 2nd by default; 1 here is too early), nothing.
    let early = digest::run_due(&app.state, NaiveDate::from_ymd_opt(2026, 10, 1).unwrap())
        .await
        .unwrap();
    assert!(early.is_none());
    assert_eq!(inbox.lock().unwrap().len(), 6);
    let august = to(&inbox.lock().unwrap()[3..], "lead-search@example.test").part("text/plain");
    let sb8 = app.showback("2026-08").await;
    assert_eq!(
        spend_lines(&august),
        [money(&team(&sb8, "search")["blended_cost"]).round_dp(2)]
    );
}
both_databases!(
    the_digest_reaches_the_smtp_sink_with_showbacks_figures,
    digest_reaches_the_sink_with_showbacks_figures
);

async fn required_starttls_refuses_a_plain_server(db: Db) {
    let Some((app, inbox)) = mail_app(db, false, StartTls::Required).await else {
        return;
    };
    add_user(&app, "fin@example.test", Role::Finance, &[]).await;
    let (s, report) = json_of(
        app.post("/api/v1/digests/send?month=2026-09", &app.admin_token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 200, "{report}");
    assert_eq!(report["failed"], 1, "{report}");
    assert!(
        report["deliveries"][0]["error"]
            .as_str()
            .unwrap()
            .contains("fin@example.test")
    );
    assert!(inbox.lock().unwrap().is_empty(), "nothing sent in clear");
    // The scheduled run that failed is tried again later, not at once.
    let day = NaiveDate::from_ymd_opt(2026, 10, 5).unwrap();
    let first = digest::run_due(&app.state, day).await.unwrap().unwrap();
    assert_eq!(first.failed, 1);
    assert!(digest::run_due(&app.state, day).await.unwrap().is_none());
}
both_databases!(
    required_starttls_sends_nothing_to_a_server_without_it,
    required_starttls_refuses_a_plain_server
);

async fn plain_smtp_for_a_local_relay(db: Db) {
    let Some((app, inbox)) = mail_app(db, false, StartTls::None).await else {
        return;
    };
    add_user(&app, "fin@example.test", Role::Finance, &[]).await;
    let (s, report) = json_of(
        app.post("/api/v1/digests/send?month=2026-09", &app.admin_token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (s, report["sent"].clone()),
        (StatusCode::OK, json!(1)),
        "{report}"
    );
    let got = inbox.lock().unwrap().clone();
    assert!(!got[0].secure);
    assert_eq!(spend_lines(&got[0].part("text/plain")), [Decimal::ZERO]);
}
both_databases!(
    starttls_none_sends_in_clear_to_a_local_relay,
    plain_smtp_for_a_local_relay
);

async fn no_smtp_no_digest(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let (s, body) = json_of(
        app.post("/api/v1/digests/send?month=2026-09", &app.admin_token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.to_string().contains("TOKENTALLY_SMTP_HOST"), "{body}");
}
both_databases!(
    without_smtp_settings_the_digest_is_refused_with_a_reason,
    no_smtp_no_digest
);

async fn finance_is_reminded_of_an_open_month(db: Db) {
    let Some((app, inbox)) = mail_app(db, true, StartTls::Required).await else {
        return;
    };
    add_user(&app, "fin@example.test", Role::Finance, &[]).await;
    add_user(&app, "lead@example.test", Role::Lead, &["search"]).await;
    let (slack, seen) = crate::connections::slack_receiver().await;
    let (s, body) = app
        .admin_post(
            "/api/v1/webhook",
            &json!({"url": "", "finance": {"url": slack, "format": "slack"}}),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["finance"]["format"], "slack");
    let day = |m, d| NaiveDate::from_ymd_opt(2026, m, d).unwrap();

    // Before the reminder day (the 3rd here), nothing.
    let r = reminders::run_due(&app.state, day(10, 2)).await.unwrap();
    assert_eq!(r.month, None);
    assert!(seen.lock().unwrap().is_empty());

    let r = reminders::run_due(&app.state, day(10, 5)).await.unwrap();
    assert_eq!(r.month.map(|m| m.to_string()).as_deref(), Some("2026-09"));
    assert_eq!(r.emails, 1, "{r:?}");
    let hooks: Vec<Value> = seen.lock().unwrap().clone();
    assert_eq!(hooks.len(), 1);
    let text = hooks[0]["text"].as_str().unwrap();
    assert!(text.contains("2026-09 is still open"), "{text}");
    let mail = inbox.lock().unwrap().clone();
    assert_eq!(mail.len(), 1);
    assert_eq!(mail[0].to, ["fin@example.test"]);
    assert!(mail[0].secure);
    assert!(mail[0].part("text/plain").contains("2026-09 is still open"));
    assert_eq!(
        mail[0].header("Subject").as_deref(),
        Some("tokentally: 2026-09 is not closed yet")
    );

    // Once: later days and other runs remind no more.
    let r = reminders::run_due(&app.state, day(10, 6)).await.unwrap();
    assert_eq!(r.month, None);
    assert_eq!(seen.lock().unwrap().len(), 1);
    assert_eq!(inbox.lock().unwrap().len(), 1);

    // Finance sees the reminder among the alerts; a lead does not.
    let alerts = |token: String| {
        let app = &app;
        async move {
            json_of(app.get("/api/v1/alerts", &token).send().await.unwrap())
                .await
                .1
        }
    };
    let fin = alerts(app.finance_token.clone()).await;
    assert!(fin.to_string().contains("month_close"), "{fin}");
    let lead = alerts(app.token_for(Role::Lead, &["search"]).await).await;
    assert!(!lead.to_string().contains("month_close"), "{lead}");

    // A month closed in time is not reminded of.
    let r = app
        .post("/api/v1/months/2026-10/close", &app.finance_token)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    let r = reminders::run_due(&app.state, day(11, 5)).await.unwrap();
    assert_eq!(r.month, None);
    assert_eq!(seen.lock().unwrap().len(), 1);
    assert_eq!(inbox.lock().unwrap().len(), 1);
}
both_databases!(
    finance_is_reminded_once_of_a_month_left_open,
    finance_is_reminded_of_an_open_month
);

async fn the_alerts_page_form_sends_the_digest(db: Db) {
    let Some((app, inbox)) = mail_app(db, true, StartTls::Required).await else {
        return;
    };
    usage(&app).await;
    // A lead sees no form and may not send it.
    let mut lead = crate::browser_session::Browser::signed_in(&app, Role::Lead, &["search"]).await;
    let page = lead.get("/alerts").await;
    assert!(!page.body.contains("digest-form"), "{}", page.body);
    let csrf = page.csrf();
    let refused = lead
        .post_form("/alerts/digest", &[("csrf", &csrf), ("month", "2026-09")])
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(inbox.lock().unwrap().is_empty());

    let mut fin = crate::browser_session::Browser::signed_in(&app, Role::Finance, &[]).await;
    let page = fin.get("/alerts").await;
    assert!(page.body.contains("id=\"digest-form\""), "{}", page.body);
    let csrf = page.csrf();
    let done = fin
        .post_form("/alerts/digest", &[("csrf", &csrf), ("month", "2026-09")])
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let back = fin.get(done.location.as_deref().unwrap()).await;
    assert!(
        back.body.contains("the 2026-09 digest went to 2 people"),
        "{}",
        back.body
    );
    let got = inbox.lock().unwrap().clone();
    assert_eq!(got.len(), 2, "the finance user and the lead");
    let lead_text = to(&got, "lead-search@example.test").part("text/plain");
    assert!(lead_text.contains("== search =="), "{lead_text}");
    assert!(!lead_text.contains("growth"), "{lead_text}");
    let sb = app.showback("2026-09").await;
    assert_eq!(
        spend_lines(&to(&got, "finance-@example.test").part("text/plain")),
        [money(&sb["org_total"]).round_dp(2)]
    );
}
both_databases!(
    the_alerts_page_form_sends_the_digest_to_finance_and_leads,
    the_alerts_page_form_sends_the_digest
);
