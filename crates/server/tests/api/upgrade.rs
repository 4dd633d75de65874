//! Upgrading databases written by earlier releases, on SQLite and PostgreSQL: migration 0005
//! rebuilds the rollups from the raw events, split by workflow membership; migration 0009
//! sums the stored workflows into groups; migration 0013 turns user-days into user words;
//! migration 0016 adds the billable classes and rebuilds the kept days' rollups for the new
//! context bands; migration 0027 moves the customer rollup to integer keys and adds users.

use crate::helpers::{Db, database_at_version};

async fn rollups_are_rebuilt_from_events(db: Db) {
    let Some((store, _guard)) = database_at_version(db, 4).await else {
        return;
    };
    // Two calls of one day and key as release 0.4 stored them: one standalone success, one in a
    // workflow; its single rollup row merged both.
    for (id, workflow, input) in [("a", "", 100_000i64), ("b", "wf-1", 300_000)] {
        sqlx::query(
            "INSERT INTO events (source, event_id, ts_ms, day, provider, model, api_key, team, feature, environment, \
             user_id, customer, tags, input_tokens, cached_input_tokens, cache_write_tokens, output_tokens, \
             reasoning_tokens, requests, service_tier, outcome, workflow_id, latency_ms, reported_cost, received_ms) \
             VALUES ('api', $1, 1772791200000, '2026-03-06', 'openai', 'gpt-4o', 'k1', 'search', '', '', '', '', '', \
             $2, 0, 0, 1000, 0, 1, 'standard', 'success', $3, NULL, NULL, 1772791200000)",
        )
        .bind(id)
        .bind(input)
        .bind(workflow)
        .execute(store.pool())
        .await
        .unwrap();
    }
    sqlx::query(
        "INSERT INTO usage_rollups VALUES ('2026-03-06', 'openai', 'gpt-4o', 'k1', 'search', '', '', '', 'standard', \
         'success', 0, 2, 2, 400000, 0, 0, 2000, 0, 1)",
    )
    .execute(store.pool())
    .await
    .unwrap();

    store.migrate().await.expect("migrations up to today apply");
    let month = "2026-03".parse().unwrap();
    let mut rows = store.list_rollups(month).await.unwrap();
    rows.sort_by_key(|r| r.key.in_workflow);
    assert_eq!(rows.len(), 2, "{rows:?}");
    let (alone, flow) = (&rows[0], &rows[1]);
    assert!(!alone.key.in_workflow && flow.key.in_workflow);
    assert_eq!(
        (
            alone.totals.events,
            alone.totals.tokens.input,
            alone.totals.standalone_successes
        ),
        (1, 100_000, 1)
    );
    // The workflow call's input is over 272k tokens per request: its own context band.
    assert_eq!(
        (
            flow.totals.events,
            flow.totals.tokens.input,
            flow.totals.standalone_successes,
            flow.key.context_band
        ),
        (1, 300_000, 0, 272_000)
    );
    // New writes still land on the rebuilt table.
    let e = tokentally_domain::event::UsageEvent::from_json(
        &serde_json::json!({"id": "c", "timestamp": "2026-03-06T10:00:00Z", "provider": "openai", "model": "gpt-4o",
            "api_key": "k1", "team": "search", "input_tokens": 100_000, "output_tokens": 1000, "outcome": "success"}),
        chrono::Utc::now(),
    )
    .unwrap();
    store.add_events(&[e]).await.unwrap();
    let rows = store.list_rollups(month).await.unwrap();
    let alone = rows.iter().find(|r| !r.key.in_workflow).unwrap();
    assert_eq!(
        (alone.totals.events, alone.totals.standalone_successes),
        (2, 2)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_rollups_are_rebuilt_from_events() {
    rollups_are_rebuilt_from_events(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_rollups_are_rebuilt_from_events() {
    rollups_are_rebuilt_from_events(Db::Postgres).await;
}

/// Migration 0009 sums the workflows stored before it into workflow groups, and the groups
/// follow later writes.
async fn workflow_groups_are_built_from_stored_workflows(db: Db) {
    let Some((store, _guard)) = database_at_version(db, 8).await else {
        return;
    };
    // Two workflows ending on one day and owner: a 3-call success and a single failed call,
    // the second with an explicit success set by its client.
    for (id, calls, last_outcome, explicit) in [
        ("wf-a", 3i64, "success", None),
        ("wf-b", 1, "failure", Some("success")),
    ] {
        sqlx::query(
            "INSERT INTO workflows (workflow_id, calls, requests, input_tokens, first_ms, first_input, last_ms, \
             last_event_id, last_outcome, last_input, last_day, provider, model, api_key, team, feature, environment, \
             tags, explicit_outcome) VALUES ($1, $2, $2, 600, 1772791200000, 100, 1772791300000, 'e', $3, 300, \
             '2026-03-06', 'openai', 'gpt-4o', 'k1', 'search', '', '', '', $4)",
        )
        .bind(id)
        .bind(calls)
        .bind(last_outcome)
        .bind(explicit)
        .execute(store.pool())
        .await
        .unwrap();
    }
    store.migrate().await.expect("migrations up to today apply");
    let month = "2026-03".parse().unwrap();
    let groups = store.list_workflow_groups(month).await.unwrap();
    assert_eq!(groups.len(), 1, "{groups:?}");
    let g = &groups[0];
    // Both succeeded; only the 3-call one counts towards context growth.
    assert_eq!(
        (
            g.workflows,
            g.calls,
            g.first_input,
            g.last_input,
            g.completed()
        ),
        (2, 4, 100, 300, 2)
    );
    assert_eq!(store.data_version().await.unwrap(), 0);
    let monthly = store.list_workflow_groups_by_stretch(month).await.unwrap();
    assert_eq!(
        monthly
            .iter()
            .map(|g| (g.workflows, g.completed()))
            .collect::<Vec<_>>(),
        [(2, 2)]
    );

    store
        .set_workflow_outcome("wf-a", Some(tokentally_domain::event::Outcome::Failure))
        .await
        .unwrap();
    let mut groups = store.list_workflow_groups(month).await.unwrap();
    groups.sort_by_key(|g| g.outcome.as_str());
    let counts: Vec<(&str, u64)> = groups
        .iter()
        .map(|g| (g.outcome.as_str(), g.workflows))
        .collect();
    assert_eq!(counts, [("failure", 1), ("success", 1)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_workflow_groups_are_built_from_stored_workflows() {
    workflow_groups_are_built_from_stored_workflows(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_workflow_groups_are_built_from_stored_workflows() {
    workflow_groups_are_built_from_stored_workflows(Db::Postgres).await;
}

/// Migration 0013 numbers the users of `usage_users` and turns its rows into words of bit
/// sets; later batches or their users into the same words.
async fn user_days_become_user_words(db: Db) {
    let Some((store, _guard)) = database_at_version(db, 12).await else {
        return;
    };
    // Three users on one day and key, one of them on the next day too, and 70 users on a
    // third day: more than one word.
    let mut rows: Vec<(String, String)> = ["ann", "bob", "cid"]
        .iter()
        .map(|u| ("2026-03-06".to_owned(), (*u).to_owned()))
        .collect();
    rows.push(("2026-03-07".into(), "bob".into()));
    rows.extend((0..70).map(|i| ("2026-03-08".to_owned(), format!("u{i:02}"))));
    for (day, user) in &rows {
        sqlx::query(
            "INSERT INTO usage_users (day, provider, model, api_key, team, feature, environment, tags, user_id) \
             VALUES ($1, 'openai', 'gpt-4o', 'k1', 'search', '', '', '', $2)",
        )
        .bind(day)
        .bind(user)
        .execute(store.pool())
        .await
        .unwrap();
    }
    store.migrate().await.expect("migrations up to today apply");
    let month = "2026-03".parse().unwrap();
    let users = |words: &[tokentally_domain::rollup::UserWord], day: &str| -> u32 {
        words
            .iter()
            .filter(|w| w.day.to_string() == day)
            .map(|w| w.bits.count_ones())
            .sum()
    };
    let words = store.list_user_words(month).await.unwrap();
    assert_eq!(
        (
            users(&words, "2026-03-06"),
            users(&words, "2026-03-07"),
            users(&words, "2026-03-08")
        ),
        (3, 1, 70),
        "{words:?}"
    );
    assert!(
        words
            .iter()
            .filter(|w| w.day.to_string() == "2026-03-08")
            .count()
            >= 2
    );
    // A later batch: bob again (no new bit) and dan (a new one) on the first day.
    let events: Vec<_> = ["bob", "dan"]
        .iter()
        .enumerate()
        .map(|(i, u)| {
            tokentally_domain::event::UsageEvent::from_json(
                &serde_json::json!({"id": format!("later-{i}"), "timestamp": "2026-03-06T10:00:00Z",
                    "provider": "openai", "model": "gpt-4o", "api_key": "k1", "team": "search",
                    "user": u, "input_tokens": 10, "output_tokens": 1}),
                chrono::Utc::now(),
            )
            .unwrap()
        })
        .collect();
    store.add_events(events).await.unwrap();
    let words = store.list_user_words(month).await.unwrap();
    assert_eq!(users(&words, "2026-03-06"), 4, "{words:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_user_days_become_user_words() {
    user_days_become_user_words(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_user_days_become_user_words() {
    user_days_become_user_words(Db::Postgres).await;
}

/// Migration 0016 adds the billable classes of issue 23 to events and rollups, rebuilds the
/// daily rollups of the days whose raw events are kept (calls take the new 100k and 512k
/// bands), keeps older days as they were, and sums the monthly rollups again.
async fn billable_classes_rebuild_rollups_from_events(db: Db) {
    let Some((store, _guard)) = database_at_version(db, 12).await else {
        return;
    };
    // Raw events were pruned before 2026-03-01: February's rollup has no events left.
    sqlx::query("INSERT INTO retention (id, pruned_before) VALUES (1, '2026-03-01')")
        .execute(store.pool())
        .await
        .unwrap();
    // Two calls of 2026-03-06 as release 0.12 stored them: 110k input (band 0 then, 100k now)
    // and 600k input (272k then, 512k now).
    for (id, input) in [("a", 110_000i64), ("b", 600_000)] {
        sqlx::query(
            "INSERT INTO events (source, event_id, ts_ms, day, provider, model, api_key, team, feature, environment, \
             user_id, customer, tags, input_tokens, cached_input_tokens, cache_write_tokens, output_tokens, \
             reasoning_tokens, requests, service_tier, outcome, workflow_id, latency_ms, reported_cost, received_ms) \
             VALUES ('api', $1, 1772791200000, '2026-03-06', 'openai', 'gpt-4.1', 'k1', 'search', '', '', '', '', '', \
             $2, 0, 0, 1000, 0, 1, 'standard', 'success', '', NULL, NULL, 1772791200000)",
        )
        .bind(id)
        .bind(input)
        .execute(store.pool())
        .await
        .unwrap();
    }
    for (day, band, events, input) in [
        ("2026-03-06", 0i64, 1i64, 110_000i64),
        ("2026-03-06", 272_000, 1, 600_000),
        ("2026-02-10", 272_000, 3, 1_800_000),
    ] {
        let values = "$1, 'openai', 'gpt-4.1', 'k1', 'search', '', '', '', 'standard', 'success', $2, 0, \
                      $3, $3, $4, 0, 0, 1000, 0, $3";
        for (table, period) in [
            ("usage_rollups", day.to_owned()),
            ("usage_rollups_monthly", day[..7].to_owned()),
        ] {
            sqlx::query(&format!("INSERT INTO {table} VALUES ({values})"))
                .bind(period)
                .bind(band)
                .bind(events)
                .bind(input)
                .execute(store.pool())
                .await
                .unwrap();
        }
    }

    store.migrate().await.expect("migrations up to today apply");
    let bands = |rows: &[tokentally_domain::showback::UsageRow]| {
        let mut b: Vec<(String, u64, u64, u64)> = rows
            .iter()
            .map(|r| {
                let t = &r.totals.tokens;
                assert_eq!(
                    (t.cache_write_1h, t.audio_input, t.web_search),
                    (0, 0, 0),
                    "new classes start at 0"
                );
                (
                    r.key.day.to_string(),
                    r.key.context_band,
                    r.totals.events,
                    t.input,
                )
            })
            .collect();
        b.sort();
        b
    };
    let march = "2026-03".parse().unwrap();
    assert_eq!(
        bands(&store.list_rollups(march).await.unwrap()),
        [
            ("2026-03-06".to_owned(), 100_000, 1, 110_000),
            ("2026-03-06".to_owned(), 512_000, 1, 600_000),
        ]
    );
    // The month's rows (monthly table) follow the rebuilt days.
    assert_eq!(
        bands(&store.list_rollups_by_stretch(march).await.unwrap()),
        [
            ("2026-03-01".to_owned(), 100_000, 1, 110_000),
            ("2026-03-01".to_owned(), 512_000, 1, 600_000),
        ]
    );
    // February's events are gone: its rollup stays as it was.
    let february = "2026-02".parse().unwrap();
    assert_eq!(
        bands(&store.list_rollups(february).await.unwrap()),
        [("2026-02-10".to_owned(), 272_000, 3, 1_800_000)]
    );
    assert_eq!(
        bands(&store.list_rollups_by_stretch(february).await.unwrap()),
        [("2026-02-01".to_owned(), 272_000, 3, 1_800_000)]
    );
    // New writes carry the new classes into both tables.
    let e = tokentally_domain::event::UsageEvent::from_json(
        &serde_json::json!({"id": "c", "timestamp": "2026-03-06T10:00:00Z", "provider": "anthropic",
            "model": "claude-sonnet-4-20250514", "input_tokens": 1000, "cache_write_tokens": 500,
            "cache_write_1h_tokens": 200, "audio_input_tokens": 0, "output_tokens": 10,
            "units": {"web_search": 3}, "outcome": "success"}),
        chrono::Utc::now(),
    )
    .unwrap();
    store.add_events(&[e]).await.unwrap();
    for rows in [
        store.list_rollups(march).await.unwrap(),
        store.list_rollups_by_stretch(march).await.unwrap(),
    ] {
        let r = rows.iter().find(|r| r.key.provider == "anthropic").unwrap();
        assert_eq!(
            (r.totals.tokens.cache_write_1h, r.totals.tokens.web_search),
            (200, 3)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_billable_classes_rebuild_rollups_from_events() {
    billable_classes_rebuild_rollups_from_events(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_billable_classes_rebuild_rollups_from_events() {
    billable_classes_rebuild_rollups_from_events(Db::Postgres).await;
}

/// Migration 0027: the per-customer rollup of 0019 moves to integer keys (its rows summed over
/// outcome and workflow), and the per-user rollup is built from the kept events.
async fn party_rollups_move_to_integer_keys(db: Db) {
    let Some((store, _guard)) = database_at_version(db, 26).await else {
        return;
    };
    for (id, outcome, user) in [
        ("a", "success", "ann"),
        ("b", "failure", "ann"),
        ("c", "success", ""),
    ] {
        sqlx::query(
            "INSERT INTO events (source, event_id, ts_ms, day, provider, model, api_key, team, feature, environment, \
             user_id, customer, tags, input_tokens, cached_input_tokens, cache_write_tokens, output_tokens, \
             reasoning_tokens, requests, service_tier, outcome, workflow_id, latency_ms, reported_cost, received_ms) \
             VALUES ('api', $1, 1772791200000, '2026-03-06', 'openai', 'gpt-4o', 'k1', 'search', 'chat', '', $2, 'acme', '', \
             300000, 0, 0, 1000, 0, 1, 'standard', $3, '', NULL, NULL, 1772791200000)",
        )
        .bind(id)
        .bind(user)
        .bind(outcome)
        .execute(store.pool())
        .await
        .unwrap();
    }
    sqlx::query("INSERT INTO user_numbers (user_id) VALUES ('ann')")
        .execute(store.pool())
        .await
        .unwrap();
    // As 0019 and ingest kept them: one row per outcome.
    for (outcome, events) in [("success", 2), ("failure", 1)] {
        sqlx::query(
            "INSERT INTO usage_customers_monthly VALUES ('2026-03', 'acme', 'openai', 'gpt-4o', 'k1', 'search', \
             'chat', '', '', 'standard', $1, 272000, 0, $2, $2, $3, 0, 0, $4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)",
        )
        .bind(outcome)
        .bind(events)
        .bind(events * 300_000)
        .bind(events * 1000)
        .execute(store.pool())
        .await
        .unwrap();
    }
    store.migrate().await.expect("migrations up to today apply");
    let month = "2026-03".parse().unwrap();
    let customers = store.list_customer_rollups(month).await.unwrap();
    assert_eq!(customers.len(), 1, "{customers:?}");
    let acme = &customers[0];
    assert_eq!(acme.customer, "acme");
    assert_eq!(
        (acme.row.key.context_band, acme.row.key.team.as_str()),
        (272_000, "search")
    );
    assert_eq!(
        (
            acme.row.totals.events,
            acme.row.totals.tokens.input,
            acme.row.totals.tokens.output
        ),
        (3, 900_000, 3000)
    );
    let users = store.list_user_rollups(month, None).await.unwrap();
    assert_eq!(users.len(), 1, "{users:?}");
    assert_eq!(users[0].customer, "ann");
    assert_eq!(
        (users[0].row.totals.events, users[0].row.key.context_band),
        (2, 272_000)
    );
    // New writes land in the log and read beside the moved rows.
    let e = tokentally_domain::event::UsageEvent::from_json(
        &serde_json::json!({"id": "d", "timestamp": "2026-03-06T10:00:00Z", "provider": "openai", "model": "gpt-4o",
            "api_key": "k1", "team": "search", "feature": "chat", "customer": "acme", "user": "ann",
            "input_tokens": 300_000, "output_tokens": 1000}),
        chrono::Utc::now(),
    )
    .unwrap();
    store.add_events(&[e]).await.unwrap();
    store.compact_party_log().await.unwrap();
    let customers = store.list_customer_rollups(month).await.unwrap();
    assert_eq!(customers.len(), 1, "{customers:?}");
    assert_eq!(customers[0].row.totals.events, 4);
    let users = store.list_user_rollups(month, None).await.unwrap();
    assert_eq!(users[0].row.totals.events, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_party_rollups_move_to_integer_keys() {
    party_rollups_move_to_integer_keys(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_party_rollups_move_to_integer_keys() {
    party_rollups_move_to_integer_keys(Db::Postgres).await;
}
