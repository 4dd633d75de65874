//! Provider-reported cost from senders (a gateway's native events, an OpenTelemetry span's
//! cost attribute): reconciliation sets it beside tokentally's price of the same calls, per
//! source, model and key, and it prices nothing.

use rust_decimal_macros::dec;
use serde_json::{Value, json};

use crate::helpers::{json_of, money, team};
use crate::storage_test;

fn line<'a>(lines: &'a Value, source: &str, key: &str) -> &'a Value {
    lines
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["source"] == source && l["api_key"] == key && l["model"] == "acme-chat")
        .unwrap_or_else(|| panic!("no line {source}/{key} in {lines}"))
}

storage_test!(
    reconciliation_shows_reported_cost_beside_computed_per_model_and_key,
    |app| {
        // $1 per million input tokens, $2 per million output tokens.
        let card = json!({"acme-chat": {"litellm_provider": "openai", "mode": "chat",
        "input_cost_per_token": 1e-06, "output_cost_per_token": 2e-06}});
        let r = app
            .post(
                "/api/v1/prices/import?effective_from=2026-09-01",
                &app.admin_token,
            )
            .json(&card)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{}", r.text().await.unwrap());
        let call = |id: &str, key: &str, input: u64, output: u64, cost: Option<&str>| {
            let mut e = json!({"id": id, "source": "gateway", "timestamp": "2026-09-10T10:00:00Z",
            "provider": "openai", "model": "acme-chat", "team": "search", "api_key": key,
            "input_tokens": input, "output_tokens": output});
            if let Some(c) = cost {
                e["reported_cost"] = json!(c);
            }
            e
        };
        let (s, b) = app
            .post_events(&json!([
                // k1: priced 2.00 a call, reported 2.50: a 1.00 difference over two calls.
                call("g1", "k1", 1_000_000, 500_000, Some("2.50")),
                call("g2", "k1", 1_000_000, 500_000, Some("2.5")),
                // k2: priced 1.00, reported 1.00; its call without a figure is not compared.
                call("g3", "k2", 1_000_000, 0, Some("1.00")),
                call("g4", "k2", 1_000_000, 0, None),
            ]))
            .await;
        assert_eq!(s, 200, "{b}");
        // An OpenTelemetry span with Langfuse's cost attribute: its own source.
        let span = json!({"resourceSpans": [{"resource": {"attributes": []}, "scopeSpans": [{"spans": [{
        "traceId": "0102030405060708090a0b0c0d0e0f10", "spanId": "0102030405060708", "name": "chat",
        "startTimeUnixNano": "1789034400000000000", "endTimeUnixNano": "1789034401000000000",
        "attributes": [
            {"key": "gen_ai.provider.name", "value": {"stringValue": "openai"}},
            {"key": "gen_ai.request.model", "value": {"stringValue": "acme-chat"}},
            {"key": "gen_ai.usage.input_tokens", "value": {"intValue": "3000000"}},
            {"key": "gen_ai.usage.cost", "value": {"doubleValue": 2.9}},
            {"key": "tokentally.api_key", "value": {"stringValue": "k1"}},
            {"key": "tokentally.team", "value": {"stringValue": "search"}}
        ]}]}]}]});
        let r = app
            .post("/v1/traces", &app.ingest_token)
            .header("content-type", "application/json")
            .body(span.to_string())
            .send()
            .await
            .unwrap();
        let (s, answer) = json_of(r).await;
        assert_eq!(s, 200, "{answer}");
        assert!(answer["partialSuccess"].is_null(), "{answer}");

        let (s, rec) = json_of(
            app.get("/api/v1/reconciliation?month=2026-09", &app.finance_token)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(s, 200, "{rec}");
        let by_key = &rec["reported_costs"]["by_key"];
        let k1 = line(by_key, "gateway", "k1");
        assert_eq!(k1["calls"], 2);
        assert_eq!(
            (
                money(&k1["reported"]),
                money(&k1["computed"]),
                money(&k1["difference"])
            ),
            (dec!(5.00), dec!(4.00), dec!(1.00)),
            "{k1}"
        );
        assert_eq!(k1["flagged"], true);
        assert_eq!(k1["provider"], "openai");
        let k2 = line(by_key, "gateway", "k2");
        assert_eq!(k2["calls"], 1);
        assert_eq!(
            (
                money(&k2["reported"]),
                money(&k2["computed"]),
                money(&k2["difference"])
            ),
            (dec!(1.00), dec!(1.00), dec!(0)),
            "{k2}"
        );
        assert_eq!(k2["flagged"], false);
        let otel = line(by_key, "otlp", "k1");
        assert_eq!(
            (money(&otel["reported"]), money(&otel["computed"])),
            (dec!(2.9), dec!(3.00)),
            "{otel}"
        );
        assert_eq!(otel["flagged"], true, "0.10 is over 2% and over a cent");
        // Per model: the keys of a source summed.
        let by_model = &rec["reported_costs"]["by_model"];
        let gateway = line(by_model, "gateway", "");
        assert_eq!(
            (
                money(&gateway["reported"]),
                money(&gateway["computed"]),
                gateway["calls"].clone()
            ),
            (dec!(6.00), dec!(5.00), json!(3)),
            "{gateway}"
        );

        // The price card prices the month: 2 × 2.00 + 1.00 + 1.00 + 3.00, whatever was reported.
        let sb = app.showback("2026-09").await;
        assert_eq!(money(&team(&sb, "search")["token_cost"]), dec!(9.00));

        // The page shows the lines, to finance.
        let mut browser = crate::browser_session::Browser::signed_in(
            &app,
            tokentally_server::auth::Role::Finance,
            &[],
        )
        .await;
        let page = browser.get("/reconciliation?month=2026-09").await;
        assert_eq!(page.status, 200);
        let page = page.body;
        assert!(page.contains("Cost reported by senders"), "{page}");
        assert!(page.contains("id=\"sender-costs\""), "{page}");
        for s in [
            "gateway", "otlp", "k1", "k2", "$5.00", "$4.00", "$1.00", "$2.90", "$3.00",
        ] {
            assert!(page.contains(s), "{s} missing");
        }
        // Readers below finance see no reconciliation.
        let lead = app
            .token_for(tokentally_server::auth::Role::Lead, &["search"])
            .await;
        let r = app
            .get("/api/v1/reconciliation?month=2026-09", &lead)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
    }
);

storage_test!(
    the_reported_cost_read_uses_its_partial_index_not_every_event_of_the_month,
    |app| {
        use sqlx::Row;
        use tokentally_server::storage::Backend;
        // The read reconciliation makes (storage/reported_costs.rs), as the database plans it
        // with statistics that know most events carry no reported cost.
        let events: Vec<Value> = (0..200)
            .map(|i| {
                json!({"id": format!("plain-{i}"), "timestamp": "2026-03-10T10:00:00Z",
                "provider": "openai", "model": "gpt-4o", "team": "search",
                "api_key": "key-a", "input_tokens": 10, "output_tokens": 5})
            })
            .collect();
        let r = app
            .post("/api/v1/events", &app.ingest_token)
            .json(&events)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{}", r.text().await.unwrap());
        let hint = app.store.backend().use_index("events_reported_day");
        let read = format!(
            "SELECT e.source, e.provider, e.model, e.api_key, e.reported_cost FROM events e {hint} \
             WHERE e.reported_cost IS NOT NULL AND e.day >= '2026-03-01' \
             AND e.day <= '2026-03-31' AND e.source NOT LIKE 'pulled:%'"
        );
        let mut conn = app.store.pool().acquire().await.unwrap();
        let plan: Vec<String> = match app.store.backend() {
            Backend::Sqlite => sqlx::query(&format!("EXPLAIN QUERY PLAN {read}"))
                .fetch_all(&mut *conn)
                .await
                .unwrap()
                .iter()
                .map(|r| r.get::<String, _>("detail"))
                .collect(),
            Backend::Postgres => {
                // A small table is cheapest to scan whole: ask for the plan an index allows.
                sqlx::query("ANALYZE events")
                    .execute(&mut *conn)
                    .await
                    .unwrap();
                sqlx::query("SET enable_seqscan = off")
                    .execute(&mut *conn)
                    .await
                    .unwrap();
                let plan = sqlx::query(&format!("EXPLAIN {read}"))
                    .fetch_all(&mut *conn)
                    .await
                    .unwrap()
                    .iter()
                    .map(|r| r.get::<String, _>(0))
                    .collect();
                sqlx::query("RESET enable_seqscan")
                    .execute(&mut *conn)
                    .await
                    .unwrap();
                plan
            }
        };
        assert!(
            plan.iter().any(|l| l.contains("events_reported_day")),
            "{plan:?}"
        );
    }
);
