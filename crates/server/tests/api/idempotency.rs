//! Replays and concurrent senders store each event once; showback does not move.

use serde_json::{Value, json};

use crate::helpers::money;
use crate::storage_test;

fn batch(n: usize) -> Value {
    let events: Vec<Value> = (0..n)
        .map(|i| {
            let team = ["search", "support", "growth"][i % 3];
            let outcome = ["success", "failure", "retry", "success"][i % 4];
            json!({
                "id": format!("evt-{i:05}"), "timestamp": format!("2026-03-{:02}T{:02}:00:00Z", 1 + i % 28, i % 24),
                "provider": "openai", "model": if i % 3 == 0 { "gpt-4o" } else { "gpt-4o-mini" },
                "api_key": format!("key-{}", i % 7), "team": team,
                "input_tokens": 1000 + i, "cached_input_tokens": i % 500, "output_tokens": 200 + i % 100,
                "outcome": outcome,
                "workflow_id": if i % 10 == 0 { Value::from(format!("wf-{}", i % 30)) } else { Value::Null },
            })
        })
        .collect();
    Value::Array(events)
}

storage_test!(replayed_batch_is_counted_once, |app| {
    let events = batch(1000);
    let (status, first) = app.post_events(&events).await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(
        (first["accepted"].as_u64(), first["duplicates"].as_u64()),
        (Some(1000), Some(0))
    );
    let before = app.showback("2026-03").await;
    for _ in 0..2 {
        let (status, again) = app.post_events(&events).await;
        assert_eq!(status, 200);
        assert_eq!(
            (again["accepted"].as_u64(), again["duplicates"].as_u64()),
            (Some(0), Some(1000))
        );
    }
    assert_eq!(app.count_events().await, 1000);
    let after = app.showback("2026-03").await;
    assert_eq!(before, after, "showback moved after a replay");
    assert!(money(&after["org_total"]) > rust_decimal::Decimal::ZERO);
});

storage_test!(concurrent_senders_of_the_same_batch_store_it_once, |app| {
    let events = batch(1000);
    let (a, b) = tokio::join!(app.post_events(&events), app.post_events(&events));
    assert_eq!((a.0.as_u16(), b.0.as_u16()), (200, 200), "{} {}", a.1, b.1);
    let accepted = a.1["accepted"].as_u64().unwrap() + b.1["accepted"].as_u64().unwrap();
    let duplicates = a.1["duplicates"].as_u64().unwrap() + b.1["duplicates"].as_u64().unwrap();
    assert_eq!((accepted, duplicates), (1000, 1000));
    assert_eq!(app.count_events().await, 1000);

    // Rollups hold exactly one copy: the same showback as a database that got the batch once.
    let single = crate::helpers::spawn_app(crate::helpers::Db::Sqlite)
        .await
        .unwrap();
    single.post_events(&events).await;
    let mut once = single.showback("2026-03").await;
    let mut twice = app.showback("2026-03").await;
    once["previous_org_total"] = Value::Null;
    twice["previous_org_total"] = Value::Null;
    assert_eq!(once, twice);
});

storage_test!(overlapping_batches_from_two_tasks_store_the_union, |app| {
    let all = batch(1500);
    let first: Value = Value::Array(all.as_array().unwrap()[..1000].to_vec());
    let second: Value = Value::Array(all.as_array().unwrap()[500..].to_vec());
    let (a, b) = tokio::join!(app.post_events(&first), app.post_events(&second));
    assert_eq!((a.0.as_u16(), b.0.as_u16()), (200, 200));
    assert_eq!(app.count_events().await, 1500);
    let sb = app.showback("2026-03").await;
    assert_eq!(sb["requests"], 1500);
});

storage_test!(a_duplicate_inside_one_batch_counts_as_a_duplicate, |app| {
    let e = json!({"id": "same", "timestamp": "2026-03-01T00:00:00Z", "provider": "openai", "model": "gpt-4o", "input_tokens": 10});
    let (status, body) = app.post_events(&json!([e, e])).await;
    assert_eq!(status, 200);
    assert_eq!(
        (body["accepted"].as_u64(), body["duplicates"].as_u64()),
        (Some(1), Some(1))
    );
    // The same id from another source is another event.
    let mut other = e.clone();
    other["source"] = json!("gateway-b");
    assert_eq!(app.post_events(&json!([other])).await.1["accepted"], 1);
    assert_eq!(app.count_events().await, 2);
});

storage_test!(
    pruned_raw_events_keep_their_rollups_and_cannot_be_sent_twice,
    |app| {
        let events = serde_json::json!([
            {"id": "jan", "timestamp": "2026-01-10T00:00:00Z", "provider": "openai", "model": "gpt-4o-mini", "team": "search", "input_tokens": 1_000_000},
            {"id": "mar", "timestamp": "2026-03-10T00:00:00Z", "provider": "openai", "model": "gpt-4o-mini", "team": "search", "input_tokens": 1_000_000},
        ]);
        assert_eq!(app.post_events(&events).await.0, 200);
        let january = app.showback("2026-01").await;
        let deleted = app
            .store
            .prune_events("2026-02-01".parse().unwrap())
            .await
            .unwrap();
        assert_eq!(deleted, 1);
        assert_eq!(app.count_events().await, 1);
        assert_eq!(
            app.showback("2026-01").await["org_total"],
            january["org_total"],
            "rollups outlive the raw events"
        );
        // Resent: January's event is refused (it could no longer be recognised), March's is
        // a duplicate.
        let (status, report) = app.post_events(&events).await;
        assert_eq!(status, 200, "{report}");
        assert_eq!(
            (report["accepted"].as_u64(), report["duplicates"].as_u64()),
            (Some(0), Some(1))
        );
        assert_eq!(report["rejected"][0]["index"], 0);
        assert!(
            report["rejected"][0]["error"]
                .as_str()
                .unwrap()
                .contains("pruned")
        );
        assert_eq!(
            app.showback("2026-01").await["org_total"],
            january["org_total"]
        );
    }
);

storage_test!(
    many_overlapping_batches_at_once_are_each_answered_exactly,
    |app| {
        // Twelve batches of 300 sent at once, each overlapping the next by 100: on SQLite the
        // ones that queue behind a commit are stored together, and each still gets its own
        // count.
        let all = batch(2500);
        let events: Vec<tokentally_domain::event::UsageEvent> = all
            .as_array()
            .unwrap()
            .iter()
            .map(|v| {
                tokentally_domain::event::UsageEvent::from_json(v, chrono::Utc::now()).unwrap()
            })
            .collect();
        let sends = (0..12).map(|i| {
            let store = app.store.clone();
            let part = events[i * 200..i * 200 + 300].to_vec();
            tokio::spawn(async move { store.add_events(part).await })
        });
        let mut accepted = 0;
        for send in sends.collect::<Vec<_>>() {
            let added = send.await.unwrap().unwrap();
            assert_eq!(added.accepted + added.duplicates, 300);
            accepted += added.accepted;
        }
        // Events 0..2500, each stored once whichever batch got it first.
        assert_eq!(accepted, 2500);
        assert_eq!(app.count_events().await, 2500);
        let rows = app
            .store
            .list_rollups("2026-03".parse().unwrap())
            .await
            .unwrap();
        assert_eq!(rows.iter().map(|r| r.totals.events).sum::<u64>(), 2500);
    }
);
