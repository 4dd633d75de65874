//! A team's workflows on SQLite and PostgreSQL: the month's costliest with their figures,
//! one workflow's steps (each priced alone, adding up to the workflow's cost), runaway
//! workflows flagged by the ceilings an admin sets, and a lead refused another team's.

use reqwest::StatusCode;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde_json::{Value, json};
use tokentally_server::auth::Role;

use crate::helpers::{TestApp, json_of, money};
use crate::storage_test;

/// One gpt-4o call of a workflow (2.50 per 1M input, 10.00 per 1M output).
fn call(wf: &str, team: &str, step: u32, input: u64, output: u64, outcome: &str) -> Value {
    json!({"id": format!("{wf}-{step}"), "timestamp": format!("2026-03-05T10:{step:02}:00Z"),
        "provider": "openai", "model": "gpt-4o", "team": team, "feature": "answers",
        "api_key": format!("key-{team}"), "input_tokens": input, "output_tokens": output,
        "outcome": outcome, "workflow_id": wf})
}

/// search/answers: `w-calls` (12 calls of 1,000 in and 100 out: 0.042, runaway on calls),
/// `w-grow` (3 calls reading 1,000, 3,000 and 5,000, 100 out each: 0.0255, runaway on
/// context, 5×) and `w-ok` (2,000 then 4,000 in, 500 out each: 0.025). support: `w-other`.
async fn seed(app: &TestApp) {
    let mut events: Vec<Value> = (1..=12)
        .map(|i| {
            let outcome = if i == 12 { "failure" } else { "success" };
            call("w-calls", "search", i, 1_000, 100, outcome)
        })
        .collect();
    // Sent out of order: the steps come back in time order.
    for (i, input) in [(3, 5_000), (1, 1_000), (2, 3_000)] {
        events.push(call("w-grow", "search", i, input, 100, "success"));
    }
    events.push(call("w-ok", "search", 1, 2_000, 500, "success"));
    events.push(call("w-ok", "search", 2, 4_000, 500, "success"));
    events.push(call("w-other", "support", 1, 1_000, 100, "success"));
    events.push(call("w-other", "support", 2, 1_500, 100, "success"));
    let (status, body) = app.post_events(&Value::Array(events)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

async fn get(app: &TestApp, path: &str, token: &str) -> (StatusCode, Value) {
    json_of(app.get(path, token).send().await.expect("request")).await
}

fn listed(list: &Value) -> &Vec<Value> {
    list["costliest"].as_array().expect("costliest")
}

storage_test!(
    a_teams_costliest_workflows_with_their_figures_and_runaways,
    |app| {
        seed(&app).await;
        let (status, list) = get(
            &app,
            "/api/v1/teams/search/workflows?month=2026-03",
            &app.finance_token,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{list}");
        let ids: Vec<&str> = listed(&list)
            .iter()
            .map(|w| w["workflow_id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, ["w-calls", "w-grow", "w-ok"], "dearest first");
        let costs: Vec<Decimal> = listed(&list).iter().map(|w| money(&w["cost"])).collect();
        assert_eq!(costs, [dec!(0.042), dec!(0.0255), dec!(0.025)]);
        assert_eq!(list["workflows"], 3);
        assert_eq!(list["completed"], 2);
        assert_eq!(list["calls"], 17);
        assert_eq!(money(&list["cost"]), dec!(0.0925));
        // 17 calls ÷ 3; (1,000 + 5,000 + 4,000) ÷ (1,000 + 1,000 + 2,000).
        assert_eq!(money(&list["calls_per_workflow"]), dec!(5.67));
        assert_eq!(money(&list["context_growth"]), dec!(2.5));
        // Runaway: w-calls on calls (12 > 10), w-grow on context (5× > 4×).
        assert_eq!(list["runaway"], 2);
        let flags: Vec<(bool, bool)> = listed(&list)
            .iter()
            .map(|w| {
                (
                    w["runaway"]["calls"].as_bool().unwrap(),
                    w["runaway"]["context"].as_bool().unwrap(),
                )
            })
            .collect();
        assert_eq!(flags, [(true, false), (false, true), (false, false)]);
        assert_eq!(money(&listed(&list)[1]["context_growth"]), dec!(5));
        assert_eq!(listed(&list)[0]["outcome"], "failure");

        // A feature narrows it; another feature has none.
        let (_, answers) = get(
            &app,
            "/api/v1/teams/search/workflows?month=2026-03&feature=answers",
            &app.finance_token,
        )
        .await;
        assert_eq!(answers["workflows"], 3);
        let (_, none) = get(
            &app,
            "/api/v1/teams/search/workflows?month=2026-03&feature=other",
            &app.finance_token,
        )
        .await;
        assert_eq!(none["workflows"], 0);
        assert!(listed(&none).is_empty());

        // The page shows the same figures and flags.
        use crate::browser_session::Browser;
        let mut b = Browser::signed_in(&app, Role::Finance, &[]).await;
        let page = b.get("/teams/search/workflows?month=2026-03").await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        let first = page.body.find("w-calls").unwrap();
        assert!(first < page.body.find("w-grow").unwrap());
        assert!(page.body.contains("runaway: calls"), "{}", page.body);
        assert!(page.body.contains("runaway: context"));
        assert!(page.body.contains("$0.0420"), "{}", page.body);
        assert!(page.body.contains("5.67"));
        // The team page links to it.
        let team = b.get("/teams/search?month=2026-03").await;
        assert!(
            team.body
                .contains(r#"href="/teams/search/workflows?month=2026-03""#),
            "{}",
            team.body
        );

        // An admin raises the ceiling of calls: w-calls is no longer runaway.
        let (status, _) = app
            .admin_post(
                "/api/v1/recommendations/settings",
                &json!({"max_calls_per_workflow": 15}),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        let (_, after) = get(
            &app,
            "/api/v1/teams/search/workflows?month=2026-03",
            &app.finance_token,
        )
        .await;
        assert_eq!(after["runaway"], 1);
        assert_eq!(listed(&after)[0]["runaway"]["calls"], false);
        assert_eq!(money(&after["max_calls_per_workflow"]), dec!(15));
    }
);

storage_test!(
    a_workflows_steps_are_in_order_and_add_up_to_its_cost,
    |app| {
        seed(&app).await;
        let (status, w) = get(&app, "/api/v1/workflows/w-grow/calls", &app.finance_token).await;
        assert_eq!(status, StatusCode::OK, "{w}");
        let steps = w["steps"].as_array().unwrap();
        let inputs: Vec<u64> = steps
            .iter()
            .map(|s| s["input_tokens"].as_u64().unwrap())
            .collect();
        assert_eq!(inputs, [1_000, 3_000, 5_000], "in time order");
        let added: Vec<Value> = steps.iter().map(|s| s["context_added"].clone()).collect();
        assert_eq!(added, [Value::Null, json!(2_000), json!(2_000)]);
        // 1,000 × 2.50/M + 100 × 10/M = 0.0035; then 0.0085 and 0.0135.
        let costs: Vec<Decimal> = steps.iter().map(|s| money(&s["cost"])).collect();
        assert_eq!(costs, [dec!(0.0035), dec!(0.0085), dec!(0.0135)]);
        let sum: Decimal = costs.iter().sum();
        assert_eq!(sum, money(&w["cost"]));
        assert_eq!(sum, dec!(0.0255));
        assert_eq!(w["all_steps_shown"], true);
        assert_eq!(w["runaway"]["context"], true);
        // The same cost as the workflow's own answer.
        let (_, plain) = get(&app, "/api/v1/workflows/w-grow", &app.finance_token).await;
        assert_eq!(money(&plain["cost"]), sum);
        // Every workflow's steps add up to it, to the last digit.
        for id in ["w-calls", "w-ok", "w-other"] {
            let (_, w) = get(
                &app,
                &format!("/api/v1/workflows/{id}/calls"),
                &app.finance_token,
            )
            .await;
            let sum: Decimal = w["steps"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| money(&s["cost"]))
                .sum();
            assert_eq!(sum, money(&w["cost"]), "{id}");
        }

        // The page: each step's cost, the total, the flag.
        use crate::browser_session::Browser;
        let mut b = Browser::signed_in(&app, Role::Lead, &["search"]).await;
        let page = b.get("/workflows/w-grow").await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        for cost in ["0.0035", "0.0085", "0.0135"] {
            assert!(
                page.body.contains(&format!(r#"data-cost="{cost}""#)),
                "{cost} in {}",
                page.body
            );
        }
        let total = &page.body[page.body.find(r#"id="workflow-total""#).expect("a total")..];
        assert!(
            total[..total.find("</td>").unwrap()].ends_with(">$0.0255"),
            "{total}"
        );
        assert!(page.body.contains("ran away (context)"), "{}", page.body);
    }
);

storage_test!(a_lead_is_refused_another_teams_workflows, |app| {
    seed(&app).await;
    let lead = app.token_for(Role::Lead, &["search"]).await;
    let (status, _) = get(&app, "/api/v1/workflows/w-other/calls", &lead).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "as if it did not exist");
    let (status, _) = get(&app, "/api/v1/workflows/w-grow/calls", &lead).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = get(&app, "/api/v1/teams/support/workflows?month=2026-03", &lead).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    use crate::browser_session::Browser;
    let mut b = Browser::signed_in(&app, Role::Lead, &["search"]).await;
    let page = b.get("/workflows/w-other").await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(!page.body.contains("w-other-1"));
    let page = b.get("/teams/support/workflows?month=2026-03").await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    // A bad month is the caller's fault.
    let (status, _) = get(&app, "/api/v1/teams/search/workflows?month=2026-13", &lead).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
});
