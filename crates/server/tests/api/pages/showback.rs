//! The reading pages: their numbers against the API, their CSV downloads, budgets on them.

use reqwest::StatusCode;
use serde_json::json;
use tokentally_server::auth::Role;
use tokentally_web::format::money;

use super::{MONTH, seed};
use crate::browser_session::Browser;
use crate::helpers::team;
use crate::storage_test;

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
