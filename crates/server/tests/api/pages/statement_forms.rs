//! The statements page's month-wide forms: "issue all" (with the close confirmed as a single
//! issue asks) and switching a team to chargeback. Both databases.

use reqwest::StatusCode;
use serde_json::Value;
use tokentally_server::auth::Role;

use super::{MONTH, seed};
use crate::browser_session::Browser;
use crate::helpers::{TestApp, json_of};
use crate::storage_test;

async fn statements(app: &TestApp) -> Vec<(String, String, String)> {
    let path = format!("/api/v1/statements?month={MONTH}");
    let (status, body) = json_of(app.get(&path, &app.finance_token).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let mut rows: Vec<(String, String, String)> = body["statements"]
        .as_array()
        .or_else(|| body.as_array())
        .unwrap_or_else(|| panic!("a list: {body}"))
        .iter()
        .map(|s: &Value| {
            let text = |k: &str| s[k].as_str().unwrap_or_default().to_owned();
            (text("team"), text("status"), text("mode"))
        })
        .collect();
    rows.sort();
    rows
}

fn status_of(rows: &[(String, String, String)]) -> Vec<(&str, &str)> {
    rows.iter()
        .map(|(t, s, _)| (t.as_str(), s.as_str()))
        .collect()
}

storage_test!(
    issue_all_issues_every_draft_once_the_close_is_confirmed,
    |app| {
        seed(&app).await;
        let mut finance = Browser::signed_in(&app, Role::Finance, &[]).await;
        let page = finance.get(&format!("/statements?month={MONTH}")).await;
        assert!(page.body.contains("Issue all 2 drafts"), "{}", page.body);
        let csrf = page.csrf();
        let all = format!("/months/{MONTH}/issue-all");

        // Without the box ticked nothing is issued and the month stays open.
        let r = finance.post_form(&all, &[("csrf", &csrf)]).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
        assert!(r.body.contains("Issuing closes 2026-03"), "{}", r.body);
        let before = statements(&app).await;
        assert!(before.iter().all(|(_, s, _)| s == "draft"), "{before:?}");
        assert!(
            app.store
                .month_close(MONTH.parse().unwrap())
                .await
                .unwrap()
                .is_none()
        );

        // A viewer may not.
        let mut viewer = Browser::signed_in(&app, Role::Viewer, &[]).await;
        let vcsrf = viewer.get("/account").await.csrf();
        let r = viewer
            .post_form(&all, &[("csrf", &vcsrf), ("confirm_close", "yes")])
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);

        let r = finance
            .post_form(&all, &[("csrf", &csrf), ("confirm_close", "yes")])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let back = r.location.unwrap();
        assert!(back.contains("done=issued_all&count=2"), "{back}");
        let page = finance.get(&back).await;
        assert!(page.body.contains("2 statements issued."), "{}", page.body);
        assert!(page.body.contains("2026-03 is closed"), "{}", page.body);
        assert!(!page.body.contains("Issue all"), "nothing is left to issue");
        assert_eq!(
            status_of(&statements(&app).await),
            [
                ("Unallocated", "draft"),
                ("search", "issued"),
                ("support", "issued")
            ]
        );
        // Each statement is issued once: a second "issue all" issues nothing (the month is
        // closed now, so no box is needed).
        let r = finance.post_form(&all, &[("csrf", &csrf)]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert!(r.location.unwrap().contains("count=0"));
        let issues: i64 = sqlx::query_scalar(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM audit_log WHERE action = 'statement.issue'",
        )
        .fetch_one(app.store.pool())
        .await
        .unwrap();
        assert_eq!(issues, 2);
    }
);

storage_test!(issue_all_through_the_api, |app| {
    seed(&app).await;
    let path = format!("/api/v1/months/{MONTH}/issue-all");
    let (status, body) = json_of(app.post(&path, &app.finance_token).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let mut issued: Vec<&str> = body["issued"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    issued.sort();
    assert_eq!(issued, ["search", "support"]);
    let viewer = app.token_for(Role::Viewer, &[]).await;
    let r = app.post(&path, &viewer).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
});

storage_test!(
    finance_switches_a_team_to_chargeback_on_the_statements_page,
    |app| {
        seed(&app).await;
        let mut finance = Browser::signed_in(&app, Role::Finance, &[]).await;
        let page = finance.get(&format!("/statements?month={MONTH}")).await;
        assert!(page.body.contains("Switch to chargeback"), "{}", page.body);
        let csrf = page.csrf();
        let mode = |m: &'static str| {
            [
                ("csrf", csrf.clone()),
                ("mode", m.to_owned()),
                ("month", MONTH.to_owned()),
            ]
        };

        // A mode that does not exist, and Unallocated, are refused; nothing changes.
        let r = finance
            .post_form("/statements/search/mode", &pairs(&mode("free")))
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        let r = finance
            .post_form("/statements/Unallocated/mode", &pairs(&mode("chargeback")))
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        let mut lead = Browser::signed_in(&app, Role::Lead, &["search"]).await;
        let lcsrf = lead.get("/account").await.csrf();
        let r = lead
            .post_form(
                "/statements/search/mode",
                &[
                    ("csrf", lcsrf.as_str()),
                    ("mode", "chargeback"),
                    ("month", MONTH),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert!(
            statements(&app)
                .await
                .iter()
                .all(|(_, _, m)| m == "showback")
        );

        let r = finance
            .post_form("/statements/search/mode", &pairs(&mode("chargeback")))
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let page = finance.get(&r.location.unwrap()).await;
        assert!(
            page.body.contains("search is now on chargeback"),
            "{}",
            page.body
        );
        assert!(page.body.contains("Switch to showback"), "{}", page.body);
        let modes: Vec<(String, String)> = statements(&app)
            .await
            .into_iter()
            .map(|(t, _, m)| (t, m))
            .collect();
        assert!(
            modes.contains(&("search".into(), "chargeback".into())),
            "{modes:?}"
        );
        assert!(
            modes.contains(&("support".into(), "showback".into())),
            "{modes:?}"
        );
        let doc = finance.get(&format!("/statements/search/{MONTH}")).await;
        assert!(
            doc.body.to_lowercase().contains("chargeback"),
            "{}",
            doc.body
        );
        let audited = app.store.list_audit(Some("team:search"), 5).await.unwrap();
        assert!(
            audited.iter().any(|e| e.action == "statement.mode"),
            "{audited:?}"
        );
    }
);

fn pairs<'a>(fields: &'a [(&'static str, String); 3]) -> Vec<(&'static str, &'a str)> {
    fields.iter().map(|(k, v)| (*k, v.as_str())).collect()
}
