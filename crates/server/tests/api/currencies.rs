//! Currencies: monthly exchange rates with their source, a team billed in EUR that
//! reconciles to its USD showback to the cent, and bad rates refused with nothing stored.
//! Both databases.

use reqwest::StatusCode;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde_json::{Value, json};
use tokentally_server::auth::Role;

use crate::helpers::{TestApp, json_of, money, team};
use crate::storage_test;

async fn post(app: &TestApp, path: &str, body: Value) -> (StatusCode, Value) {
    json_of(
        app.post(path, &app.finance_token)
            .json(&body)
            .send()
            .await
            .unwrap(),
    )
    .await
}

async fn import(app: &TestApp, csv: &str) -> (StatusCode, Value) {
    json_of(
        app.post("/api/v1/fx-rates/import", &app.finance_token)
            .header("content-type", "text/csv")
            .body(csv.to_owned())
            .send()
            .await
            .unwrap(),
    )
    .await
}

async fn rates(app: &TestApp) -> Value {
    json_of(
        app.get("/api/v1/fx-rates", &app.finance_token)
            .send()
            .await
            .unwrap(),
    )
    .await
    .1
}

/// search: 10M in + 2M out of gpt-4o-mini = 1.50 + 1.20 = 2.70 USD; support 4M in = 0.60.
async fn april(app: &TestApp) {
    let events = json!([
        {"id": "s", "timestamp": "2026-04-03T10:00:00Z", "provider": "openai", "model": "gpt-4o-mini",
         "team": "search", "input_tokens": 10_000_000, "output_tokens": 2_000_000},
        {"id": "p", "timestamp": "2026-04-04T10:00:00Z", "provider": "openai", "model": "gpt-4o-mini",
         "team": "support", "input_tokens": 4_000_000},
    ]);
    assert_eq!(app.post_events(&events).await.0, 200);
}

storage_test!(a_team_billed_in_eur_reconciles_to_its_usd_showback, |app| {
    april(&app).await;
    let (s, b) = post(
        &app,
        "/api/v1/overheads",
        json!({"month": "2026-04", "category": "platform", "amount": "3.33"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let (s, b) = post(
        &app,
        "/api/v1/teams/search/currency",
        json!({"currency": "EUR"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, b) = post(
        &app,
        "/api/v1/fx-rates",
        json!({"base": "USD", "quote": "EUR", "month": "2026-04", "rate": "0.9213",
               "source": "ECB reference rate, 2026-04-30"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");

    let sb = app.showback("2026-04").await;
    let usd = money(&team(&sb, "search")["blended_cost"]);
    // 2.70 of tokens and 3.33 × 2.70 / 3.30 = 2.7245… → 2.72 of the platform (largest remainder).
    assert_eq!(usd, dec!(5.42));
    let (s, c) = json_of(
        app.get(
            "/api/v1/statements/search/2026-04/converted",
            &app.finance_token,
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{c}");
    assert_eq!(c["currency"], "EUR");
    assert_eq!(c["billing_currency"], "USD");
    assert_eq!(money(&c["rate"]), dec!(0.9213));
    assert_eq!(c["rate_source"], "ECB reference rate, 2026-04-30");
    // 5.42 × 0.9213 = 4.993446 → 4.99 EUR.
    assert_eq!(money(&c["total_exact"]), dec!(4.993446));
    assert_eq!(money(&c["total"]), dec!(4.99));
    let lines: Decimal = c["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| money(&l["converted"]))
        .sum();
    assert_eq!(lines, dec!(4.99), "the converted lines add up");
    assert_eq!(money(&c["billing_total"]), usd);
    assert_eq!(
        money(&c["reconciled_billing_total"]),
        usd,
        "back through the stated rate, to the cent"
    );
    // support has no statement currency: its statement stays in USD, rate 1.
    let (_, p) = json_of(
        app.get(
            "/api/v1/statements/support/2026-04/converted",
            &app.finance_token,
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(p["currency"], "USD");
    assert_eq!(
        money(&p["total"]),
        money(&team(&sb, "support")["blended_cost"])
    );
    // Another currency without a rate is a clear conflict.
    let r = app
        .get(
            "/api/v1/statements/search/2026-04/converted?currency=GBP",
            &app.finance_token,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(r.text().await.unwrap().contains("no rate from USD to GBP"));
});

storage_test!(
    bad_exchange_rates_are_refused_and_nothing_is_stored,
    |app| {
        april(&app).await;
        for (body, status) in [
            (
                json!({"base": "USD", "quote": "EUR", "month": "2026-04", "rate": "0", "source": "x"}),
                422,
            ),
            (
                json!({"base": "USD", "quote": "EUR", "month": "2026-04", "rate": "-1", "source": "x"}),
                422,
            ),
            (
                json!({"base": "usd", "quote": "EUR", "month": "2026-04", "rate": "1", "source": "x"}),
                422,
            ),
            (
                json!({"base": "USD", "quote": "USD", "month": "2026-04", "rate": "1", "source": "x"}),
                422,
            ),
            (
                json!({"base": "USD", "quote": "EUR", "month": "2026-13", "rate": "1", "source": "x"}),
                422,
            ),
            (
                json!({"base": "USD", "quote": "EUR", "month": "2026-04", "rate": "1", "source": " "}),
                422,
            ),
            (
                json!({"base": "USD", "quote": "EUR", "month": "2026-04", "rate": "abc", "source": "x"}),
                400,
            ),
            (
                json!({"base": "USD", "quote": "EUR", "month": "2026-04", "rate": "1"}),
                400,
            ),
        ] {
            let (s, b) = post(&app, "/api/v1/fx-rates", body.clone()).await;
            assert!(s.is_client_error(), "{body}: {s} {b}");
            if status == 422 {
                assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {b}");
            }
        }
        // One bad line spoils the file: nothing of it is stored.
        let (s, b) = import(
            &app,
            "base,quote,month,rate,source\nUSD,EUR,2026-04,0.92,ECB\nUSD,GBP,2026-04,zero,BoE\n",
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        assert!(b.to_string().contains("line 3"), "{b}");
        let (s, _) = import(&app, "currency,rate\nEUR,0.9\n").await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(rates(&app).await, json!([]));

        // A rate for a closed month is refused, alone or in a file.
        let (s, _) = post(&app, "/api/v1/months/2026-03/close", json!({})).await;
        assert!(s.is_success());
        let (s, b) = post(
        &app,
        "/api/v1/fx-rates",
        json!({"base": "USD", "quote": "EUR", "month": "2026-03", "rate": "0.9", "source": "ECB"}),
    )
    .await;
        assert_eq!(s, StatusCode::CONFLICT, "{b}");
        let (s, _) = import(
            &app,
            "base,quote,month,rate,source\nUSD,EUR,2026-04,0.92,ECB\nUSD,EUR,2026-03,0.9,ECB\n",
        )
        .await;
        assert_eq!(s, StatusCode::CONFLICT);
        assert_eq!(rates(&app).await, json!([]));

        // A good file is stored whole; a lead may not post rates.
        let (s, b) = import(
        &app,
        "base,quote,month,rate,source\nUSD,EUR,2026-04,0.92,\"ECB, monthly average\"\nUSD,GBP,2026-04,0.79,BoE\n",
    )
    .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        let listed = rates(&app).await;
        assert_eq!(listed.as_array().unwrap().len(), 2, "{listed}");
        assert_eq!(listed[0]["source"], "ECB, monthly average");
        let lead = app.token_for(Role::Lead, &["search"]).await;
        let r = app
        .post("/api/v1/fx-rates", &lead)
        .json(&json!({"base": "USD", "quote": "EUR", "month": "2026-04", "rate": "1", "source": "x"}))
        .send()
        .await
        .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        let (s, _) = post(
            &app,
            "/api/v1/teams/search/currency",
            json!({"currency": "euro"}),
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        let (s, _) = post(
            &app,
            "/api/v1/currency",
            json!({"reporting_currency": "EU"}),
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    }
);
