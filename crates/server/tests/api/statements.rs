//! Chargeback statements: issued snapshots never change, late usage becomes an adjustment,
//! totals reconcile to the cent, the FOCUS export adds up, and roles hold. Both databases.

use reqwest::StatusCode;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde_json::{Value, json};
use tokentally_server::auth::Role;

use crate::helpers::{TestApp, json_of, money, team};
use crate::storage_test;

/// gpt-4o-mini: 0.15 input, 0.60 output per 1M tokens (the default catalog).
fn mini(id: &str, ts: &str, who: (&str, &str), input: u64, output: u64) -> Value {
    let mut v = json!({"id": id, "timestamp": ts, "provider": "openai", "model": "gpt-4o-mini",
                       "input_tokens": input, "output_tokens": output});
    v[who.0] = json!(who.1);
    v
}

async fn get_text(app: &TestApp, path: &str, token: &str) -> (StatusCode, String) {
    let r = app.get(path, token).send().await.unwrap();
    (r.status(), r.text().await.unwrap())
}

async fn post(app: &TestApp, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
    json_of(app.post(path, token).json(&body).send().await.unwrap()).await
}

storage_test!(
    an_issued_statement_never_changes_and_late_usage_is_adjusted_next_month,
    |app| {
        let (s, b) = app
            .admin_post(
                "/api/v1/key-mappings",
                &json!({"api_key": "k-search", "team": "search", "valid_from": "2026-01-01"}),
            )
            .await;
        assert_eq!(s, 201, "{b}");
        // search: 1M in + 1M out = 0.15 + 0.60 = 0.75; support: 2M in = 0.30.
        let events = json!([
            mini(
                "m1",
                "2026-03-05T10:00:00Z",
                ("api_key", "k-search"),
                1_000_000,
                1_000_000
            ),
            mini(
                "m2",
                "2026-03-06T10:00:00Z",
                ("team", "support"),
                2_000_000,
                0
            ),
        ]);
        assert_eq!(app.post_events(&events).await.0, 200);

        let (status, issued) = post(
            &app,
            "/api/v1/statements/search/2026-03/issue",
            &app.finance_token,
            json!({}),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{issued}");
        assert_eq!(issued["status"], "issued");
        assert_eq!(money(&issued["total"]), dec!(0.75));
        let hash = issued["sha256"].as_str().unwrap().to_owned();
        let path = "/api/v1/statements/search/2026-03";
        let (_, before) = get_text(&app, path, &app.finance_token).await;

        // Late usage for March; a new gpt-4o-mini price from March 1st (0.30 / 1.20) and the
        // key moved to another team from January are refused: March is closed.
        let late = json!([mini(
            "late1",
            "2026-03-20T10:00:00Z",
            ("team", "search"),
            1_000_000,
            0
        )]);
        assert_eq!(app.post_events(&late).await.0, 200);
        let file = json!({"gpt-4o-mini": {"litellm_provider": "openai", "mode": "chat",
            "input_cost_per_token": 3e-07, "output_cost_per_token": 1.2e-06}});
        let r = app
            .post(
                "/api/v1/prices/import?effective_from=2026-03-01",
                &app.admin_token,
            )
            .json(&file)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CONFLICT);
        let (s, b) = app
            .admin_post(
                "/api/v1/key-mappings",
                &json!({"api_key": "k-search", "team": "support", "valid_from": "2026-01-01"}),
            )
            .await;
        assert_eq!(s, 409, "{b}");

        let (status, after) = get_text(&app, path, &app.finance_token).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(after, before, "an issued statement is byte-identical");
        // The hash is of the statement's bytes as the answer carries them.
        let content = after
            .split_once(",\"statement\":")
            .and_then(|(_, rest)| rest.strip_suffix('}'))
            .expect("the statement is the answer's last field");
        use sha2::Digest;
        assert_eq!(
            hex::encode(sha2::Sha256::digest(content.as_bytes())),
            hash,
            "the hash is of the content"
        );
        let after: Value = serde_json::from_str(&after).unwrap();
        assert_eq!(after["sha256"], hash.as_str());
        // Meanwhile the live showback of March did change: it holds the late call.
        let live = app.showback("2026-03").await;
        assert_eq!(money(&team(&live, "search")["token_cost"]), dec!(0.90));

        // The late call is April's adjustment for search: 1M × 0.15.
        let (status, april) = json_of(
            app.get("/api/v1/statements/search/2026-04", &app.finance_token)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{april}");
        assert_eq!(april["status"], "draft");
        let adjustment = &april["statement"]["lines"][0];
        assert_eq!(adjustment["kind"], "adjustment");
        assert_eq!(adjustment["belongs_to"], "2026-03");
        assert_eq!(money(&adjustment["amount"]), dec!(0.15));
        assert_eq!(money(&april["total"]), dec!(0.15));

        // Issuing twice is refused; voiding needs a reason; re-issuing is version 2.
        let (status, _) = post(
            &app,
            "/api/v1/statements/search/2026-03/issue",
            &app.finance_token,
            json!({}),
        )
        .await;
        assert_eq!(status, StatusCode::CONFLICT);
        let (status, _) = post(
            &app,
            "/api/v1/statements/search/2026-03/void",
            &app.finance_token,
            json!({"reason": " "}),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let (status, voided) = post(
            &app,
            "/api/v1/statements/search/2026-03/void",
            &app.finance_token,
            json!({"reason": "re-issue"}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{voided}");
        assert_eq!(
            (voided["status"].as_str(), voided["version"].as_i64()),
            (Some("void"), Some(1))
        );
        let (status, v2) = post(
            &app,
            "/api/v1/statements/search/2026-03/issue",
            &app.admin_token,
            json!({}),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED);
        assert_eq!(v2["version"], 2);
        // search's March, as closed, without the late call (April's adjustment).
        assert_eq!(money(&v2["total"]), dec!(0.75));
        let audit: Vec<String> =
            sqlx::query_scalar::<_, String>("SELECT action FROM audit_log ORDER BY id")
                .fetch_all(app.store.pool())
                .await
                .unwrap();
        for action in ["month.close", "statement.issue", "statement.void"] {
            assert!(
                audit.iter().any(|a| a == action),
                "{action} audited: {audit:?}"
            );
        }
    }
);

storage_test!(
    statements_equal_the_showback_and_reconcile_to_the_cent,
    |app| {
        // Three teams, an unmapped key, overheads of odd cents, a commitment and a discount.
        let mut events = Vec::new();
        for (i, (field, who)) in [
            ("team", "search"),
            ("team", "support"),
            ("team", "growth"),
            ("api_key", "k-orphan"),
        ]
        .iter()
        .enumerate()
        {
            for d in 1..=7u64 {
                events.push(mini(
                    &format!("e{i}-{d}"),
                    &format!("2026-03-{d:02}T10:00:00Z"),
                    (field, who),
                    333_333 * (i as u64 + 1) * d,
                    77_777 * d,
                ));
            }
        }
        assert_eq!(app.post_events(&Value::Array(events)).await.0, 200);
        for (path, body) in [
            (
                "/api/v1/overheads",
                json!({"month": "2026-03", "category": "retrieval", "amount": "100.01"}),
            ),
            (
                "/api/v1/overheads",
                json!({"month": "2026-03", "category": "review", "amount": "33.33", "allocation": "even"}),
            ),
            (
                "/api/v1/commitments",
                json!({"month": "2026-03", "provider": "openai", "model": "gpt-4o-mini", "fee": "50.00", "capacity_tokens": 100_000_000}),
            ),
            (
                "/api/v1/discounts",
                json!({"provider": "openai", "percent": "7.5", "effective_from": "2026-03-04"}),
            ),
        ] {
            let (s, b) = post(&app, path, &app.finance_token, body).await;
            assert_eq!(s, StatusCode::CREATED, "{path}: {b}");
        }
        let sb = app.showback("2026-03").await;
        let (status, list) = json_of(
            app.get("/api/v1/statements?month=2026-03", &app.finance_token)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        let mut sum = Decimal::ZERO;
        for t in sb["teams"].as_array().unwrap() {
            let name = t["team"].as_str().unwrap();
            let listed = list
                .as_array()
                .unwrap()
                .iter()
                .find(|s| s["team"] == name)
                .unwrap();
            assert_eq!(money(&listed["total"]), money(&t["blended_cost"]), "{name}");
            let (_, st) = json_of(
                app.get(
                    &format!("/api/v1/statements/{name}/2026-03"),
                    &app.finance_token,
                )
                .send()
                .await
                .unwrap(),
            )
            .await;
            let lines: Decimal = st["statement"]["lines"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| money(&l["amount"]))
                .sum();
            assert_eq!(lines, money(&st["total"]), "{name}'s lines add up");
            for l in st["statement"]["lines"].as_array().unwrap() {
                assert_eq!(money(&l["amount"]), money(&l["amount"]).round_dp(2));
            }
            sum += money(&st["total"]);
        }
        assert_eq!(sum + money(&sb["idle_commitment"]), money(&sb["org_total"]));

        let (status, rec) = json_of(
            app.get("/api/v1/reconciliation?month=2026-03", &app.finance_token)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{rec}");
        assert_eq!(rec["balanced"], true);
        assert_eq!(
            money(&rec["statements"])
                + money(&rec["unallocated"])
                + money(&rec["unpriced"])
                + money(&rec["idle_commitment"]),
            money(&sb["org_total"])
        );
        assert!(money(&rec["unallocated"]) > Decimal::ZERO);
        // An invoice from OpenAI, a dollar over tokentally's effective cost.
        let openai = rec["providers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["provider"] == "openai")
            .unwrap();
        let invoiced = money(&openai["effective_cost"]) + dec!(1);
        let (s, _) = post(
            &app,
            "/api/v1/invoices",
            &app.finance_token,
            json!({"month": "2026-03", "provider": "OpenAI", "amount": invoiced.to_string()}),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED);
        let (_, rec) = json_of(
            app.get("/api/v1/reconciliation?month=2026-03", &app.finance_token)
                .send()
                .await
                .unwrap(),
        )
        .await;
        let openai = rec["providers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["provider"] == "openai")
            .unwrap();
        assert_eq!(money(&openai["difference"]), dec!(1));
        assert!(money(&openai["list_cost"]) > money(&openai["effective_cost"]));
    }
);

storage_test!(the_focus_export_of_the_demo_month_adds_up, |app| {
    let now = "2026-11-20T12:00:00Z".parse().unwrap();
    let mut spec = tokentally_server::demo::generate::DemoSpec::ending(now);
    spec.events_per_month = 2_000;
    tokentally_server::demo::seed(&app.store, &spec)
        .await
        .expect("the demo seeds");
    let (status, csv) = get_text(
        &app,
        "/api/v1/export/focus?month=2026-10",
        &app.finance_token,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let mut reader = csv.lines();
    let header: Vec<&str> = reader.next().unwrap().split(',').collect();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| *h == name)
            .unwrap_or_else(|| panic!("no column {name}"))
    };
    for name in tokentally_domain::focus::Version::LATEST.columns() {
        col(name);
    }
    let mut billed = Decimal::ZERO;
    let mut rows = 0;
    for line in reader {
        let cells = split_csv(line);
        assert_eq!(cells.len(), header.len(), "{line}");
        assert_eq!(cells[col("ServiceCategory")], "AI and Machine Learning");
        let d = |name: &str| {
            cells[col(name)]
                .parse::<Decimal>()
                .unwrap_or_else(|_| panic!("{name} in {line}"))
        };
        // What is billed is the contracted cost, rounded (the parts of a line to the cent).
        assert!(
            (d("BilledCost") - d("ContractedCost")).abs() <= dec!(0.02),
            "{line}"
        );
        if cells[col("PricingUnit")] == "1000000 Tokens" {
            assert_eq!(cells[col("ConsumedUnit")], "Tokens");
            assert_eq!(d("ConsumedQuantity") / dec!(1000000), d("PricingQuantity"));
        }
        billed += d("BilledCost");
        rows += 1;
    }
    assert!(rows > 50, "{rows} rows");
    let (_, list) = json_of(
        app.get("/api/v1/statements?month=2026-10", &app.finance_token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    let statements: Decimal = list
        .as_array()
        .unwrap()
        .iter()
        .map(|s| money(&s["total"]))
        .sum();
    assert_eq!(
        billed, statements,
        "BilledCost = the statements (Unallocated included)"
    );
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .any(|s| s["team"] == "Unallocated")
    );
});

/// Splits one CSV line, honouring quotes.
fn split_csv(line: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                out.last_mut().unwrap().push('"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => out.push(String::new()),
            (c, _) => out.last_mut().unwrap().push(c),
        }
    }
    out
}

storage_test!(finance_issues_and_leads_read_only_their_own, |app| {
    let events = json!([
        mini(
            "a",
            "2026-03-05T10:00:00Z",
            ("team", "search"),
            1_000_000,
            0
        ),
        mini(
            "b",
            "2026-03-05T10:00:00Z",
            ("team", "support"),
            1_000_000,
            0
        ),
    ]);
    assert_eq!(app.post_events(&events).await.0, 200);
    let lead = app.token_for(Role::Lead, &["search"]).await;
    let viewer = app.token_for(Role::Viewer, &[]).await;
    for token in [&lead, &viewer, &app.ingest_token] {
        let (s, _) = post(
            &app,
            "/api/v1/statements/search/2026-03/issue",
            token,
            json!({}),
        )
        .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, _) = post(&app, "/api/v1/months/2026-03/close", token, json!({})).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
    }
    // A lead reads their team's statement and its CSV, not another team's nor the FOCUS
    // export; a viewer does not read the reconciliation.
    for (path, token, expected) in [
        ("/api/v1/statements/search/2026-03", &lead, StatusCode::OK),
        (
            "/api/v1/statements/support/2026-03",
            &lead,
            StatusCode::FORBIDDEN,
        ),
        (
            "/api/v1/statements/search/2026-03/export.csv",
            &lead,
            StatusCode::OK,
        ),
        (
            "/api/v1/export/focus?month=2026-03",
            &lead,
            StatusCode::FORBIDDEN,
        ),
        (
            "/api/v1/reconciliation?month=2026-03",
            &viewer,
            StatusCode::FORBIDDEN,
        ),
    ] {
        assert_eq!(get_text(&app, path, token).await.0, expected, "{path}");
    }
    let (_, list) = json_of(
        app.get("/api/v1/statements?month=2026-03", &lead)
            .send()
            .await
            .unwrap(),
    )
    .await;
    let teams: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["team"].as_str().unwrap())
        .collect();
    assert_eq!(teams, vec!["search"]);
    let (s, _) = post(
        &app,
        "/api/v1/statements/Unallocated/2026-03/issue",
        &app.finance_token,
        json!({}),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, b) = post(
        &app,
        "/api/v1/months/2026-03/close",
        &app.finance_token,
        json!({}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["newly_closed"], true);
    // Closed: a late event is noted for April.
    assert_eq!(
        app.post_events(&json!([mini(
            "c",
            "2026-03-09T10:00:00Z",
            ("team", "search"),
            1_000_000,
            0
        )]))
        .await
        .0,
        200
    );
    let (_, april) = json_of(
        app.get("/api/v1/statements/search/2026-04", &lead)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(money(&april["total"]), dec!(0.15));
    let (s, _) = post(
        &app,
        "/api/v1/teams/search/statement-mode",
        &app.finance_token,
        json!({"mode": "chargeback"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let (_, st) = json_of(
        app.get("/api/v1/statements/search/2026-03", &lead)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(st["mode"], "chargeback");
});
