//! The seeded demo gives a showback with spend, an Unallocated row and Unpriced usage.

use rust_decimal::Decimal;
use tokentally_domain::month::Month;
use tokentally_server::demo::{generate::DemoSpec, seed};

use crate::helpers::{TestApp, money, team};
use crate::storage_test;

storage_test!(
    the_demo_month_has_teams_unallocated_and_unpriced_usage,
    |app| {
        let now = "2026-11-20T12:00:00Z".parse().unwrap();
        let mut spec = DemoSpec::ending(now);
        spec.events_per_month = 3_000;
        let n = seed(&app.store, &spec).await.expect("the demo seeds");
        assert_eq!(app.count_events().await as usize, n);
        let last_full: Month = "2026-10".parse().unwrap();
        let sb = app.showback(&last_full.to_string()).await;
        let teams = sb["teams"].as_array().unwrap();
        let paying = teams
            .iter()
            .filter(|t| t["team"] != "Unallocated" && money(&t["blended_cost"]) > Decimal::ZERO)
            .count();
        assert!(paying >= 6, "{paying} teams with spend");
        assert!(money(&team(&sb, "Unallocated")["token_cost"]) > Decimal::ZERO);
        assert!(!sb["unpriced"].as_array().unwrap().is_empty());
        assert!(money(&sb["overhead"]) > Decimal::ZERO);
        // The demo's gpt-4o commitment leaves a little idle capacity, which no team pays.
        let sum: Decimal = teams.iter().map(|t| money(&t["blended_cost"])).sum();
        assert!(money(&sb["idle_commitment"]) > Decimal::ZERO);
        assert_eq!(sum + money(&sb["idle_commitment"]), money(&sb["org_total"]));
        assert!(
            money(&sb["list_cost"]) > money(&sb["token_cost"]),
            "the Anthropic discount"
        );
        assert!(
            sb["teams"][0]["mom_change"].is_string(),
            "the previous month is there to compare"
        );
        // Anthropic's billable extras (issue 23): 1-hour cache writes and web searches.
        let tokens = &sb["tokens"];
        assert!(
            tokens["cache_write_1h"].as_u64().unwrap_or(0) > 0,
            "{tokens}"
        );
        assert!(tokens["web_search"].as_u64().unwrap_or(0) > 0, "{tokens}");
        assert!(
            sb["unpriced"]
                .as_array()
                .unwrap()
                .iter()
                .all(|u| !u.to_string().contains("web_search")),
            "web searches are priced: {}",
            sb["unpriced"]
        );
    }
);

/// The demo seeded with `events_per_month`, and a price of gpt-4o-mini imported from
/// 9 October beside the demo's own mapping change (15 October): October is a month whose
/// stretches of days differ in price and in owner.
pub(crate) async fn demo_october_with_changes(app: &TestApp, events_per_month: u32) -> Month {
    let now = "2026-11-20T12:00:00Z".parse().unwrap();
    let mut spec = DemoSpec::ending(now);
    spec.events_per_month = events_per_month;
    seed(&app.store, &spec).await.expect("the demo seeds");
    let file = serde_json::json!({"gpt-4o-mini": {"litellm_provider": "openai", "mode": "chat", "input_cost_per_token": 3e-07, "output_cost_per_token": 1.2e-06}});
    let r = app
        .post(
            "/api/v1/prices/import?effective_from=2026-10-09",
            &app.admin_token,
        )
        .body(file.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let month: Month = "2026-10".parse().unwrap();
    let changes = app.store.change_days(month).await.unwrap();
    assert!(changes.len() >= 2, "{changes:?}");
    month
}

storage_test!(showback_from_stretches_equals_showback_from_days, |app| {
    let month = demo_october_with_changes(&app, 2_000).await;
    let stretches = app.store.list_rollups_by_stretch(month).await.unwrap();
    let days = app.store.list_rollups(month).await.unwrap();
    assert!(
        stretches.len() * 3 < days.len(),
        "{} stretch rows for {} daily rows",
        stretches.len(),
        days.len()
    );
    let book =
        tokentally_domain::catalog::PriceBook::new(app.store.list_price_cards().await.unwrap());
    let attributor = tokentally_server::app::reports::attributor(&app.store)
        .await
        .unwrap();
    let data = |rows| tokentally_domain::showback::MonthData {
        rows,
        ..Default::default()
    };
    let a = tokentally_domain::showback::showback(
        month,
        "USD",
        &data(stretches),
        None,
        &book,
        &attributor,
    );
    let b =
        tokentally_domain::showback::showback(month, "USD", &data(days), None, &book, &attributor);
    assert_eq!(a, b);
    assert!(a.token_cost > Decimal::ZERO);
});

storage_test!(
    the_demo_month_has_recommendations_within_what_could_be_saved,
    |app| {
        let now = "2026-11-20T12:00:00Z".parse().unwrap();
        let mut spec = DemoSpec::ending(now);
        spec.events_per_month = 3_000;
        seed(&app.store, &spec).await.expect("the demo seeds");
        let sb = app.showback("2026-10").await;
        let r = app
            .get("/api/v1/recommendations?month=2026-10", &app.admin_token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), reqwest::StatusCode::OK);
        let list: serde_json::Value = r.json().await.unwrap();
        let items = list["items"].as_array().unwrap();
        let mut levers: Vec<&str> = items.iter().filter_map(|i| i["lever"].as_str()).collect();
        levers.sort();
        levers.dedup();
        eprintln!("demo levers: {levers:?}");
        // The levers the demo's data supports: several models per provider (routing), failures
        // and retries, agent workflows, large uncached prompts, long outputs and contexts, an
        // owned key nobody uses, reserved Sonnet capacity used under its floor (idle
        // commitment), and features marked not latency-bound on models with batch rates.
        for lever in [
            "batch",
            "caching",
            "idle_commitment",
            "long_context",
            "output_cap",
            "retries",
            "routing",
            "runaway",
            "zombie_key",
        ] {
            assert!(levers.contains(&lever), "{lever} missing from {levers:?}");
        }
        // Every lever the domain knows shows on the demo.
        assert_eq!(
            levers.len(),
            tokentally_domain::recommendation::Lever::ALL.len(),
            "{levers:?}"
        );
        let idle = items
            .iter()
            .find(|i| i["lever"] == "idle_commitment")
            .unwrap();
        assert_eq!(
            idle["model"], "anthropic/claude-3-5-sonnet-20241022",
            "{idle}"
        );
        assert!(money(&idle["monthly_saving"]) > Decimal::ZERO);
        // It is the idle part of the Sonnet fee, which no team pays.
        assert!(money(&idle["monthly_saving"]) <= money(&sb["idle_commitment"]));
        let batch: Vec<&serde_json::Value> =
            items.iter().filter(|i| i["lever"] == "batch").collect();
        assert!(
            batch.iter().all(|i| [
                ("data-platform", "offline-evals"),
                ("growth", "email-personalization")
            ]
            .iter()
            .any(|(t, f)| i["team"] == *t && i["feature"] == *f)),
            "{batch:?}"
        );
        assert!(
            batch
                .iter()
                .all(|i| money(&i["monthly_saving"]) > Decimal::ZERO)
        );
        // The page total never exceeds the month's token cost and commitment fees.
        let total = money(&list["total"]);
        assert!(total > Decimal::ZERO);
        assert!(
            total
                <= money(&sb["token_cost"])
                    + money(&sb["commitment"])
                    + money(&sb["idle_commitment"]),
            "{total} against {sb}"
        );
        let counted: Decimal = items
            .iter()
            .filter(|i| i["basis"] != "untested")
            .map(|i| money(&i["monthly_saving"]))
            .sum();
        assert_eq!(counted, total);
    }
);
