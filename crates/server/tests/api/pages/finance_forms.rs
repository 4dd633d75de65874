//! Finance's and leads' forms: overheads, commitments, discounts, transactions, statements.

use reqwest::StatusCode;
use sqlx::Row;
use tokentally_server::auth::Role;
use tokentally_web::format::money;

use super::{MONTH, seed};
use crate::browser_session::Browser;
use crate::helpers::team;
use crate::storage_test;

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
        // Amounts are read as people type them: `$1,200.50` is 1200.50; a decimal comma is
        // refused rather than guessed.
        for (typed, stored) in [("$1,200.50", Some("1200.50")), ("1,20", None)] {
            let page = b
                .post_form(
                    "/costs/overheads",
                    &[
                        ("csrf", &csrf),
                        ("month", "2026-03"),
                        ("category", "typed"),
                        ("amount", typed),
                        ("allocation", "proportional"),
                    ],
                )
                .await;
            let (_, list) = crate::helpers::json_of(
                app.get("/api/v1/overheads?month=2026-03", &app.finance_token)
                    .send()
                    .await
                    .unwrap(),
            )
            .await;
            let typed_row = list
                .as_array()
                .unwrap()
                .iter()
                .find(|o| o["category"] == "typed")
                .map(|o| crate::helpers::money(&o["amount"]));
            match stored {
                Some(amount) => {
                    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
                    assert_eq!(typed_row, Some(amount.parse().unwrap()));
                }
                None => {
                    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
                    assert!(page.body.contains("is not an amount"), "{}", page.body);
                    assert_eq!(typed_row, Some("1200.50".parse().unwrap()), "unchanged");
                }
            }
        }
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
            3,
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
        // Issuing closes the open month: without the confirmation it is refused, and the
        // month stays open.
        let r = b
            .post_form("/statements/search/2026-03/issue", &[("csrf", &csrf)])
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
        assert!(r.body.contains("Issuing closes 2026-03"), "{}", r.body);
        assert!(
            !b.get("/statements?month=2026-03")
                .await
                .body
                .contains("2026-03 is closed")
        );
        let r = b
            .post_form(
                "/statements/search/2026-03/issue",
                &[("csrf", &csrf), ("confirm_close", "yes")],
            )
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

storage_test!(
    finance_states_a_months_exchange_rate_in_the_costs_form,
    |app| {
        seed(&app).await;
        let mut b = Browser::signed_in(&app, Role::Finance, &[]).await;
        let csrf = b.get("/costs?month=2026-04").await.csrf();
        let rate = |month: &'static str, value: &'static str| {
            [
                ("month", month),
                ("fx_base", "USD"),
                ("fx_quote", "EUR"),
                ("fx_rate", value),
                ("fx_source", "ECB reference rate"),
            ]
        };
        let with_csrf = |fields: [(&'static str, &'static str); 5]| {
            let mut v: Vec<(&str, &str)> = vec![("csrf", csrf.as_str())];
            v.extend(fields);
            v
        };
        let page = b
            .post_form("/costs/fx-rates", &with_csrf(rate("2026-04", "0.9213")))
            .await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
        let page = b.get("/costs?month=2026-04&saved=fx-rate").await;
        assert!(page.body.contains("USD → EUR"), "{}", page.body);
        assert!(page.body.contains("0.9213"));
        assert!(page.body.contains("ECB reference rate"));
        // A malformed rate comes back with its reason; nothing is stored.
        let page = b
            .post_form("/costs/fx-rates", &with_csrf(rate("2026-04", "-2")))
            .await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            page.body.contains("`rate` must be above 0"),
            "{}",
            page.body
        );
        // Once March is closed, its rate cannot be set any more.
        let r = app
            .post("/api/v1/months/2026-03/close", &app.finance_token)
            .json(&serde_json::json!({}))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success());
        let page = b
            .post_form("/costs/fx-rates", &with_csrf(rate("2026-03", "0.9")))
            .await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.body.contains("is closed"), "{}", page.body);
        let stored = sqlx::query("SELECT month, rate FROM fx_rates")
            .fetch_all(app.store.pool())
            .await
            .unwrap();
        assert_eq!(stored.len(), 1);
        assert_eq!(stored[0].get::<String, _>("rate"), "0.9213");
    }
);
