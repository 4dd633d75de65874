//! Which role may open which page and API route, and what a lead sees on them.

use reqwest::StatusCode;
use tokentally_server::auth::Role;

use super::seed;
use crate::browser_session::Browser;
use crate::storage_test;

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
    ("/planning", 200, 200, 200, 200),
    ("/recommendations?month=2026-03", 200, 200, 200, 200),
    ("/recommendations.csv?month=2026-03", 200, 200, 200, 200),
    ("/admin/keys", 200, 403, 403, 403),
    ("/admin/rules", 200, 403, 403, 403),
    ("/admin/prices", 200, 403, 403, 403),
    ("/admin/users", 200, 403, 403, 403),
    ("/admin/tokens", 200, 403, 403, 403),
    ("/admin/audit", 200, 403, 403, 403),
    ("/admin/connections", 200, 403, 403, 403),
    ("/admin/teams", 200, 403, 403, 403),
    ("/costs?month=2026-03", 200, 200, 403, 403),
    ("/transactions?month=2026-03", 200, 200, 200, 200),
    ("/statements?month=2026-03", 200, 200, 200, 200),
    ("/statements/search/2026-03", 200, 200, 200, 200),
    ("/statements/support/2026-03", 200, 200, 200, 403),
    ("/reconciliation?month=2026-03", 200, 200, 403, 403),
    ("/teams/search/workflows?month=2026-03", 200, 200, 200, 200),
    ("/teams/support/workflows?month=2026-03", 200, 200, 200, 403),
];

/// API routes: (path, admin, finance, viewer, lead of search); ingest tokens get 403 on all.
#[rustfmt::skip]
const API_ROUTES: &[(&str, u16, u16, u16, u16)] = &[
    ("/api/v1/showback?month=2026-03", 200, 200, 200, 200),
    ("/api/v1/teams/search?month=2026-03", 200, 200, 200, 200),
    ("/api/v1/teams/support?month=2026-03", 200, 200, 200, 403),
    ("/api/v1/teams/search/workflows?month=2026-03", 200, 200, 200, 200),
    ("/api/v1/teams/support/workflows?month=2026-03", 200, 200, 200, 403),
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
    ("/api/v1/export/focus?month=2026-03&version=1.2", 200, 200, 200, 403),
    ("/api/v1/export/focus/billing-periods", 200, 200, 200, 403),
    ("/api/v1/export/focus/invoice-details?month=2026-03", 200, 200, 200, 403),
    ("/api/v1/fx-rates", 200, 200, 200, 403),
    ("/api/v1/currency", 200, 200, 200, 403),
    ("/api/v1/reconciliation?month=2026-03", 200, 200, 403, 403),
    ("/api/v1/scorecard?month=2026-03", 200, 200, 200, 200),
    ("/api/v1/scorecard/thresholds", 200, 200, 200, 200),
    ("/api/v1/unit-targets", 200, 200, 200, 200),
    ("/api/v1/budgets?month=2026-03", 200, 200, 200, 200),
    ("/api/v1/alerts", 200, 200, 200, 200),
    ("/api/v1/recommendations?month=2026-03", 200, 200, 200, 200),
    ("/api/v1/recommendations/settings", 200, 200, 200, 200),
    ("/api/v1/webhook", 200, 403, 403, 403),
    ("/api/v1/connections", 200, 403, 403, 403),
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
