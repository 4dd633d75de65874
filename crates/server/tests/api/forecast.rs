//! One forecasting method through the API: the showback's `forecast`, `GET /api/v1/forecast`
//! with its bands and back-test, on SQLite and PostgreSQL. Every figure is worked by hand.

use chrono::{Datelike, Duration, NaiveDate};
use reqwest::StatusCode;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde_json::{Value, json};
use tokentally_server::auth::Role;

use crate::helpers::{TestApp, json_of, money, team};
use crate::storage_test;

/// A gpt-4o-mini call of 1,000,000 input and 100,000 output tokens: 0.21.
fn call(id: String, day: NaiveDate, team: &str) -> Value {
    json!({"id": id, "timestamp": format!("{day}T12:00:00Z"), "provider": "openai",
        "model": "gpt-4o-mini", "team": team, "feature": "f",
        "input_tokens": 1_000_000, "output_tokens": 100_000})
}

/// search: two calls (0.42) each weekday and one (0.21) each weekend day of February and
/// March 2026; agents: one call a day in March, and a 10.00 overhead in March.
async fn seed(app: &TestApp) {
    let mut events = Vec::new();
    let mut d = NaiveDate::from_ymd_opt(2026, 2, 1).unwrap();
    while d <= NaiveDate::from_ymd_opt(2026, 3, 31).unwrap() {
        let calls = if d.weekday().num_days_from_monday() >= 5 {
            1
        } else {
            2
        };
        for i in 0..calls {
            events.push(call(format!("s-{d}-{i}"), d, "search"));
        }
        if d.month() == 3 {
            events.push(call(format!("a-{d}"), d, "agents"));
        }
        d += Duration::days(1);
    }
    assert_eq!(app.post_events(&Value::Array(events)).await.0, 200);
    let (status, b) = app
        .admin_post(
            "/api/v1/overheads",
            &json!({"month": "2026-03", "category": "review", "amount": "10.00",
                    "allocation": "direct", "team": "agents"}),
        )
        .await;
    assert_eq!(status, 201, "{b}");
}

async fn forecast(app: &TestApp, query: &str, token: &str) -> Value {
    let (status, v) = json_of(
        app.get(&format!("/api/v1/forecast?{query}"), token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{query}: {v}");
    v
}

fn line<'a>(f: &'a Value, name: &str) -> &'a Value {
    f["lines"]
        .as_array()
        .and_then(|ls| ls.iter().find(|l| l["name"] == name))
        .unwrap_or_else(|| panic!("no line {name} in {f}"))
}

/// Σ lines = total, band by band, exactly.
fn assert_sums(f: &Value) {
    for band in ["conservative", "expected", "peak"] {
        let sum: Decimal = f["lines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| money(&l["bands"][band]))
            .sum();
        assert_eq!(sum, money(&f["total"][band]), "{band}: {f}");
    }
}

storage_test!(
    the_forecast_of_the_next_month_and_quarter_follows_the_weekday_profile,
    |app| {
        seed(&app).await;
        let admin = app.admin_token.clone();
        // Seen from March's last day: history 3..30 March. April has 22 weekdays and 8
        // weekend days: search 22 × 0.42 + 8 × 0.21 = 10.92; agents 30 × 0.21 + 10.00.
        let f = forecast(&app, "month=2026-03&horizon=next_month", &admin).await;
        assert_eq!(f["as_of"], "2026-03-31");
        assert_eq!(
            (f["from"].as_str(), f["to"].as_str()),
            (Some("2026-04-01"), Some("2026-04-30"))
        );
        assert_eq!(money(&line(&f, "search")["bands"]["expected"]), dec!(10.92));
        assert_eq!(money(&line(&f, "agents")["bands"]["expected"]), dec!(16.30));
        assert_eq!(money(&f["total"]["expected"]), dec!(27.22));
        assert_sums(&f);
        // May: 21 weekdays, 10 weekend days (10.92); June: 22 and 8 (10.92). agents: 91 days
        // × 0.21 + 3 × 10.00.
        let q = forecast(&app, "month=2026-03&horizon=next_quarter", &admin).await;
        assert_eq!(money(&line(&q, "search")["bands"]["expected"]), dec!(32.76));
        assert_eq!(money(&line(&q, "agents")["bands"]["expected"]), dec!(49.11));
        assert_eq!(money(&q["total"]["expected"]), dec!(81.87));
        assert_sums(&q);

        // A month that is over forecasts what it spent, in the showback too: March's bill.
        let m = forecast(&app, "month=2026-03&horizon=month_end", &admin).await;
        assert_sums(&m);
        let sb = app.showback("2026-03").await;
        assert_eq!(money(&sb["forecast"]), money(&sb["org_total"]));
        assert_eq!(money(&sb["forecast"]), money(&m["total"]["expected"]));
        assert_eq!(money(&team(&sb, "search")["forecast"]), dec!(11.13));
        assert_eq!(money(&team(&sb, "agents")["forecast"]), dec!(16.51));
        let teams: Decimal = sb["teams"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| money(&t["forecast"]))
            .sum();
        assert_eq!(teams, money(&sb["forecast"]), "Σ teams = organisation");

        // The back-test of March, seen from April: forecast on 14 March. search spent 5.04
        // by then and was to spend 12 weekdays × 0.42 + 5 weekend days × 0.21 = 6.09 more;
        // agents 14 × 0.21, 17 × 0.21 more and 10.00: 11.13 + 16.51 = 27.64, the actual.
        let a = forecast(&app, "month=2026-04&horizon=month_end", &admin).await;
        let b = &a["backtest"];
        assert_eq!(b["month"], "2026-03");
        assert_eq!(b["as_of"], "2026-03-14");
        assert_eq!(money(&b["forecast"]["expected"]), dec!(27.64));
        assert_eq!(money(&b["actual"]), dec!(27.64));
        assert_eq!(money(&b["error"]), dec!(0));
        assert_eq!(b["within_bands"], true);

        // A lead sees their team's lines, a total of theirs, and no back-test.
        let lead = app.token_for(Role::Lead, &["search"]).await;
        let l = forecast(&app, "month=2026-03&horizon=next_month", &lead).await;
        assert_eq!(l["lines"].as_array().unwrap().len(), 1);
        assert_eq!(money(&l["total"]["expected"]), dec!(10.92));
        let l = forecast(&app, "month=2026-04", &lead).await;
        assert_eq!(l["backtest"], Value::Null);

        for bad in ["horizon=week", "month=March"] {
            let r = app
                .get(&format!("/api/v1/forecast?{bad}"), &admin)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{bad}");
        }
    }
);
