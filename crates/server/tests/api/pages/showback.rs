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

storage_test!(every_feature_row_adds_up_to_its_blended_cost, |app| {
    // Two features on gpt-4o-mini, an overhead and a commitment on the model: each row's
    // token cost + overhead + commitment is its blended cost, in the CSV and on the page.
    let events = json!([
        {"id": "a", "timestamp": "2026-03-02T10:00:00Z", "provider": "openai", "model": "gpt-4o-mini",
         "input_tokens": 3_000_000, "output_tokens": 0, "team": "search", "feature": "chat"},
        {"id": "b", "timestamp": "2026-03-03T10:00:00Z", "provider": "openai", "model": "gpt-4o-mini",
         "input_tokens": 1_000_000, "output_tokens": 0, "team": "search", "feature": "extract"},
    ]);
    assert_eq!(app.post_events(&events).await.0, 200);
    for (path, body) in [
        (
            "/api/v1/overheads",
            json!({"month": MONTH, "category": "retrieval", "amount": "10.00"}),
        ),
        (
            "/api/v1/commitments",
            json!({"month": MONTH, "provider": "openai", "model": "gpt-4o-mini", "fee": "20.00", "capacity_tokens": 100_000_000}),
        ),
    ] {
        let (s, b) = app.admin_post(path, &body).await;
        assert_eq!(s, StatusCode::CREATED, "{path}: {b}");
    }
    let mut finance = Browser::signed_in(&app, Role::Finance, &[]).await;
    let csv = finance
        .get("/teams/search/export.csv?month=2026-03&table=features")
        .await
        .body;
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (blended, tokens, overhead, commitment) = (
        col("blended_cost"),
        col("token_cost"),
        col("overhead"),
        col("commitment"),
    );
    let mut commitments = rust_decimal::Decimal::ZERO;
    for line in lines {
        let cells: Vec<&str> = line.split(',').collect();
        let d = |i: usize| cells[i].parse::<rust_decimal::Decimal>().unwrap();
        assert_eq!(
            d(tokens) + d(overhead) + d(commitment),
            d(blended),
            "{line}"
        );
        commitments += d(commitment);
    }
    let (_, drill) = crate::helpers::json_of(
        app.get("/api/v1/teams/search?month=2026-03", &app.finance_token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(commitments > rust_decimal::Decimal::ZERO, "{csv}");
    assert_eq!(
        commitments,
        crate::helpers::money(&drill["total"]["commitment"]),
        "{csv}"
    );
    let page = finance
        .get("/teams/search/features/chat?month=2026-03")
        .await
        .body;
    assert!(
        page.contains(" commitment"),
        "the feature's blended cost names its commitment"
    );
});

storage_test!(
    months_without_usage_have_no_stage_in_the_scorecard_history,
    |app| {
        seed(&app).await;
        let mut finance = Browser::signed_in(&app, Role::Finance, &[]).await;
        let page = finance.get("/scorecard?month=2026-03").await.body;
        let row = |m: &str| {
            let start = page
                .find(&format!(r#"<th scope="row">{m}</th>"#))
                .unwrap_or_else(|| panic!("{m} in the history: {page}"));
            page[start..].split("</tr>").next().unwrap().to_owned()
        };
        // February has no usage: no stage at all, rather than stage 1.
        let february = row("2026-02");
        assert!(
            !february.chars().skip(30).any(|c| c.is_ascii_digit()),
            "{february}"
        );
        assert!(february.contains('–'), "{february}");
        // March has usage and a stage.
        let march = row("2026-03");
        assert!(
            march.chars().skip(30).any(|c| c.is_ascii_digit()),
            "{march}"
        );
    }
);

/// The `style` of the swatch beside `team`'s name in the team table of a showback page.
fn swatch_of(html: &str, team: &str) -> String {
    let end = html
        .find(&format!(">{team}</a></th>"))
        .unwrap_or_else(|| panic!("{team}'s row in {html}"));
    let marker = "class=\"swatch\" style=\"";
    let start = html[..end].rfind(marker).expect("a swatch") + marker.len();
    html[start..]
        .split('"')
        .next()
        .unwrap_or_default()
        .to_owned()
}

storage_test!(
    a_team_keeps_its_colour_when_teams_are_added_and_for_its_lead,
    |app| {
        seed(&app).await;
        let mut finance = Browser::signed_in(&app, Role::Finance, &[]).await;
        let before = finance.get("/?month=2026-03").await.body;
        let search = swatch_of(&before, "search");
        let support = swatch_of(&before, "support");
        assert_ne!(search, support, "two teams, two colours");
        // A team that sorts before both starts spending.
        let (status, body) = app
            .post_events(&json!([{"id": "new-1", "timestamp": "2026-03-09T10:00:00Z",
            "provider": "openai", "model": "gpt-4o-mini", "team": "aardvark",
            "input_tokens": 1000, "output_tokens": 10}]))
            .await;
        assert_eq!(status, 200, "{body}");
        let after = finance.get("/?month=2026-03").await.body;
        assert_eq!(swatch_of(&after, "search"), search);
        assert_eq!(swatch_of(&after, "support"), support);
        let aardvark = swatch_of(&after, "aardvark");
        assert!(aardvark != search && aardvark != support, "{aardvark}");
        let mut lead = Browser::signed_in(&app, Role::Lead, &["support"]).await;
        let theirs = lead.get("/?month=2026-03").await.body;
        assert_eq!(
            swatch_of(&theirs, "support"),
            support,
            "the lead sees finance's colour"
        );
    }
);

storage_test!(
    a_leads_landing_page_shows_their_budgets_for_this_month,
    |app| {
        seed(&app).await;
        let now = tokentally_domain::month::Month::of(chrono::Utc::now().date_naive()).to_string();
        for (team, amount) in [("search", "250"), ("support", "900")] {
            let r = app
                .post("/api/v1/budgets", &app.finance_token)
                .json(&json!({"month": now, "team": team, "amount": amount}))
                .send()
                .await
                .unwrap();
            assert!(r.status().is_success(), "{}", r.text().await.unwrap());
        }
        let token = app.token_for(Role::Lead, &["search"]).await;
        let api: serde_json::Value = app
            .get(&format!("/api/v1/budgets?month={now}"), &token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let budget = &api.as_array().unwrap()[0];
        let mut lead = Browser::signed_in(&app, Role::Lead, &["search"]).await;
        let page = lead.get("/").await.body;
        assert!(page.contains(&format!("Your budgets, {now}")), "{page}");
        let table = &page[page.find("id=\"own-budgets\"").expect("the table")..];
        let table = &table[..table.find("</table>").unwrap()];
        let figure = |v: &serde_json::Value| money(v.as_str().unwrap().parse().unwrap(), "USD");
        for expected in [
            "$250.00".to_owned(),
            figure(&budget["forecast"]["month_to_date"]),
            figure(&budget["forecast"]["month_end"]),
        ] {
            assert!(table.contains(&expected), "{expected} in {table}");
        }
        assert!(
            table.contains(">search</a>") && !table.contains("support"),
            "{table}"
        );
        assert!(
            !page.contains(">Unallocated</div>"),
            "no card that is always zero for a lead"
        );
        // Finance's landing page keeps the organisation's cards and no such section.
        let mut finance = Browser::signed_in(&app, Role::Finance, &[]).await;
        let theirs = finance.get("/").await.body;
        assert!(theirs.contains(">Unallocated</div>") && !theirs.contains("Your budgets"));
    }
);

storage_test!(
    the_headline_change_agrees_with_the_total_row_for_a_lead_too,
    |app| {
        seed(&app).await;
        // February: search spent a fifth of March's input; support too, which the lead cannot see.
        let events: Vec<_> = ["search", "support"]
        .iter()
        .map(|team| json!({"id": format!("feb-{team}"), "timestamp": "2026-02-10T10:00:00Z",
            "provider": "openai", "model": "gpt-4o-mini", "team": team, "api_key": format!("key-{team}"),
            "input_tokens": 1_000_000, "output_tokens": 1000, "outcome": "success"}))
        .collect();
        let (status, body) = app.post_events(&json!(events)).await;
        assert_eq!(status, 200, "{body}");
        let token = app.token_for(Role::Lead, &["search"]).await;
        let api: serde_json::Value = app
            .get("/api/v1/showback?month=2026-03", &token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let change = team(&api, "search")["mom_change"]
            .as_str()
            .unwrap()
            .to_owned();
        let change = money(change.parse().unwrap(), "USD");
        for (role, teams) in [(Role::Lead, vec!["search"]), (Role::Finance, vec![])] {
            let mut b = Browser::signed_in(&app, role, &teams).await;
            let page = b.get("/?month=2026-03").await.body;
            let card = page.split("<div class=\"sub\">").nth(1).unwrap();
            let card = card.split(" vs 2026-02").next().unwrap();
            let foot = &page[page.find("<tfoot>").unwrap()..page.find("</tfoot>").unwrap()];
            let (amount, pct) = card.split_once(' ').expect("amount and percentage");
            assert!(
                foot.contains(&format!("<span>{amount}</span> <span>{pct}</span>")),
                "{role}: the card's {card} on the total row: {foot}"
            );
            if role == Role::Lead {
                // Their total is search alone: its change is the team row's.
                assert_eq!(amount, change, "{page}");
            }
        }
    }
);

storage_test!(
    the_team_filter_lists_the_matching_teams_on_the_page_and_in_the_csv,
    |app| {
        seed(&app).await;
        let mut finance = Browser::signed_in(&app, Role::Finance, &[]).await;
        let page = finance.get("/?month=2026-03&q=SUP").await.body;
        let start = page.find(r#"<table id="teams""#).unwrap();
        let table = &page[start..start + page[start..].find("</table>").unwrap()];
        assert!(table.contains(">support</a>"), "{table}");
        assert!(!table.contains(">search</a>"), "{table}");
        assert!(!table.contains(">Unallocated</a>"), "{table}");
        assert!(page.contains("1 of 3 rows match “SUP”"), "{page}");
        // The sort links and the CSV link keep the filter.
        assert!(
            page.contains("/showback.csv?month=2026-03&amp;sort=blended&amp;dir=desc&amp;q=SUP"),
            "{page}"
        );
        let csv = finance
            .get("/showback.csv?month=2026-03&sort=blended&dir=desc&q=SUP")
            .await
            .body;
        let teams: Vec<&str> = csv
            .lines()
            .skip(1)
            .map(|l| l.split(',').nth(1).unwrap())
            .collect();
        assert_eq!(teams, ["support"], "{csv}");
        // No filter, every team.
        let all = finance.get("/?month=2026-03&q=").await.body;
        assert!(all.contains(">search</a>") && all.contains(">Unallocated</a>"));
    }
);
