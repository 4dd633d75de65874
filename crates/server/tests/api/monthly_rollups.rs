//! The monthly rollups showback reads equal the daily rollups summed over the month, after
//! batches that span months, replays, and an upgrade's backfill.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use tokentally_domain::month::Month;
use tokentally_domain::rollup::{RollupKey, RollupTotals};
use tokentally_domain::showback::UsageRow;
use tokentally_server::storage::Store;

use crate::helpers::{Db, database_at_version};
use crate::storage_test;

/// Rows summed by their key, with the day replaced by the month's first.
fn by_month(rows: Vec<UsageRow>) -> BTreeMap<RollupKey, RollupTotals> {
    let mut out: BTreeMap<RollupKey, RollupTotals> = BTreeMap::new();
    for r in rows {
        let key = RollupKey {
            day: Month::of(r.key.day).first_day(),
            ..r.key
        };
        out.entry(key).or_default().add(&r.totals);
    }
    out
}

async fn assert_monthly_matches_daily(store: &Store, month: Month) {
    // No mapping, card or discount takes effect inside the month: it is read from the monthly
    // rollups.
    assert!(store.change_days(month).await.unwrap().is_empty());
    let daily = by_month(store.list_rollups(month).await.unwrap());
    let monthly = by_month(store.list_rollups_by_stretch(month).await.unwrap());
    assert!(!daily.is_empty(), "{month} has usage");
    assert_eq!(monthly, daily, "{month}");
}

fn events(n: usize, salt: usize) -> Value {
    let teams = ["search", "support", "growth"];
    Value::Array(
        (0..n)
            .map(|i| {
                let j = i * 7 + salt;
                // Days from 2026-02-20 to 2026-03-11, so batches span both months.
                let day = chrono::NaiveDate::from_ymd_opt(2026, 2, 20).unwrap()
                    + chrono::Days::new((j % 20) as u64);
                let model = ["gpt-4o", "gpt-4o-mini"][j % 2];
                let outcome = ["success", "failure"][j % 2];
                json!({"id": format!("m-{salt}-{i}"), "timestamp": format!("{day}T{:02}:00:00Z", j % 24),
                    "provider": "openai", "model": model,
                    "team": teams[j % 3], "input_tokens": 100 + j, "output_tokens": 10,
                    "outcome": outcome,
                    "workflow_id": if j.is_multiple_of(5) { Value::from(format!("w{}", j % 9)) } else { Value::Null }})
            })
            .collect(),
    )
}

storage_test!(monthly_rollups_equal_the_daily_ones_summed, |app| {
    for salt in 0..3 {
        let body = events(400, salt);
        assert_eq!(app.post_events(&body).await.0, 200);
        // A replay adds nothing to either.
        assert_eq!(app.post_events(&body).await.0, 200);
    }
    for m in ["2026-02", "2026-03"] {
        assert_monthly_matches_daily(&app.store, m.parse().unwrap()).await;
    }
});

async fn monthly_rollups_are_built_on_upgrade(db: Db) {
    let Some((store, _guard)) = database_at_version(db, 11).await else {
        return;
    };
    let parsed: Vec<_> = events(300, 5)
        .as_array()
        .unwrap()
        .iter()
        .map(|v| tokentally_domain::event::UsageEvent::from_json(v, chrono::Utc::now()).unwrap())
        .collect();
    // What a release before monthly rollups stored: daily rollups only.
    for e in &parsed {
        let k = RollupKey::of(e);
        sqlx::query(
            "INSERT INTO usage_rollups VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 1, 1, $13, 0, 0, 10, 0, 0) \
             ON CONFLICT (day, provider, model, api_key, team, feature, environment, tags, service_tier, outcome, context_band, in_workflow) \
             DO UPDATE SET events = usage_rollups.events + 1, requests = usage_rollups.requests + 1, \
             input_tokens = usage_rollups.input_tokens + excluded.input_tokens, output_tokens = usage_rollups.output_tokens + 10",
        )
        .bind(k.day.to_string())
        .bind(k.provider)
        .bind(k.model)
        .bind(k.api_key)
        .bind(k.team)
        .bind(k.feature)
        .bind(k.environment)
        .bind(k.tags)
        .bind(k.service_tier.as_str())
        .bind(k.outcome.as_str())
        .bind(k.context_band as i64)
        .bind(i64::from(k.in_workflow))
        .bind(e.tokens.input as i64)
        .execute(store.pool())
        .await
        .unwrap();
    }
    store.migrate().await.expect("migrations up to today apply");
    for m in ["2026-02", "2026-03"] {
        assert_monthly_matches_daily(&store, m.parse().unwrap()).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_monthly_rollups_are_built_on_upgrade() {
    monthly_rollups_are_built_on_upgrade(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_monthly_rollups_are_built_on_upgrade() {
    monthly_rollups_are_built_on_upgrade(Db::Postgres).await;
}
