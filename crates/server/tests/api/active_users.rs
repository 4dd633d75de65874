//! Active users read from the user words (issue 24) are the counts the drill-downs showed
//! before: distinct `user` values of the events, each event attributed on its day, per team,
//! feature, model, key and day. `usage_users` held exactly the distinct (day, dimensions,
//! user) of the events, so counting straight from the events is the old way. Compared on the
//! demo and on generated data (hundreds of users over many words, batches that share words,
//! a key mapping that takes effect inside the month), kept and computed anew, on SQLite and
//! PostgreSQL.

use std::collections::{BTreeMap, BTreeSet};

use reqwest::StatusCode;
use serde_json::{Value, json};
use tokentally_domain::attribution::Attributor;
use tokentally_domain::event::UsageEvent;
use tokentally_domain::month::Month;
use tokentally_domain::rollup::Dims;
use tokentally_server::demo::generate::{DemoSpec, generate};
use tokentally_server::demo::seed;

use crate::helpers::TestApp;
use crate::storage_test;

/// Distinct users per line, as (view, team, feature or "", line name).
type Expected = BTreeMap<(&'static str, String, String, String), BTreeSet<String>>;

/// The old way: every event with a user, attributed on its day, counted per line of the team
/// and feature drill-downs.
fn expected(events: &[UsageEvent], month: Month, attributor: &Attributor) -> Expected {
    let mut out = Expected::new();
    for e in events {
        let day = e.timestamp.date_naive();
        let Some(user) = e.user.clone() else { continue };
        if Month::of(day) != month {
            continue;
        }
        let dims = Dims::of(e);
        let tags = dims.parse_tags();
        let owner = attributor.resolve(&dims.event_dims(&tags), day);
        let (team, feature) = (owner.team.clone(), owner.feature.clone());
        let mut add = |view: &'static str, scope: &str, name: &str| {
            out.entry((view, team.clone(), scope.to_owned(), name.to_owned()))
                .or_default()
                .insert(user.clone());
        };
        add("total", "", &team);
        add("features", "", &feature);
        add("models", "", &dims.model);
        add("keys", "", &dims.api_key);
        add("days", "", &day.to_string());
        add("total", &feature, &feature);
        add("models", &feature, &dims.model);
        add("keys", &feature, &dims.api_key);
        add("days", &feature, &day.to_string());
    }
    out
}

fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>()
}

async fn get(app: &TestApp, path: &str, fresh: bool) -> Value {
    let mut r = app.get(path, &app.finance_token);
    if fresh {
        r = r.header("Cache-Control", "no-cache");
    }
    let r = r.send().await.expect("request");
    let status = r.status();
    let body: Value = r.json().await.expect("JSON");
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    body
}

/// Compares every line's `active_users` of every team's and feature's drill-down with the
/// expected counts; answers how many users the lines counted in all, so that callers can
/// check the comparison was not empty.
async fn compare(app: &TestApp, events: &[UsageEvent], month: Month) -> u64 {
    let attributor = tokentally_server::app::reports::attributor(&app.store)
        .await
        .expect("owners");
    let want = expected(events, month, &attributor);
    let count = |view: &'static str, team: &str, scope: &str, name: &str| {
        want.get(&(view, team.to_owned(), scope.to_owned(), name.to_owned()))
            .map_or(0, |s| s.len() as u64)
    };
    let sb = app.showback(&month.to_string()).await;
    let mut counted = 0;
    for fresh in [true, false] {
        for t in sb["teams"].as_array().expect("teams") {
            let team = t["team"].as_str().expect("a name");
            let path = format!("/api/v1/teams/{}?month={month}", enc(team));
            let drill = get(app, &path, fresh).await;
            assert_eq!(
                drill["total"]["active_users"],
                count("total", team, "", team),
                "{team} in {month}"
            );
            counted += drill["total"]["active_users"].as_u64().unwrap_or(0);
            for view in ["features", "models", "keys", "days"] {
                for line in drill[view].as_array().expect("lines") {
                    let name = line["name"].as_str().expect("a name");
                    assert_eq!(
                        line["active_users"],
                        count(view, team, "", name),
                        "{team} {view} {name} in {month}"
                    );
                }
            }
            for f in drill["features"].as_array().expect("features") {
                let feature = f["name"].as_str().expect("a name");
                let path = format!(
                    "/api/v1/teams/{}/features/{}?month={month}",
                    enc(team),
                    enc(feature)
                );
                let fd = get(app, &path, fresh).await;
                assert_eq!(
                    fd["total"]["active_users"],
                    count("total", team, feature, feature),
                    "{team}/{feature} in {month}"
                );
                for view in ["models", "keys", "days"] {
                    for line in fd[view].as_array().expect("lines") {
                        let name = line["name"].as_str().expect("a name");
                        assert_eq!(
                            line["active_users"],
                            count(view, team, feature, name),
                            "{team}/{feature} {view} {name} in {month}"
                        );
                    }
                }
            }
        }
    }
    counted
}

storage_test!(
    active_users_on_the_demo_are_distinct_users_of_its_events,
    |app| {
        let now = "2026-11-20T12:00:00Z".parse().unwrap();
        let mut spec = DemoSpec::ending(now);
        spec.events_per_month = 3_000;
        seed(&app.store, &spec).await.expect("the demo seeds");
        let events = generate(&spec).events;
        for month in ["2026-09", "2026-10"] {
            let counted = compare(&app, &events, month.parse().unwrap()).await;
            assert!(counted > 0, "the demo has users in {month}");
        }
    }
);

/// Events of March 2026 over `users` users and four keys, in a fixed pseudo-random order.
fn generated(n: u64, users: u64) -> Vec<Value> {
    let mut state: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = move |below: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % below
    };
    (0..n)
        .map(|i| {
            let day = 1 + next(31);
            let key = next(4);
            let feature = ["search", "chat", "summarise"][next(3) as usize];
            let mut e = json!({
                "id": format!("gen-{i}"),
                "timestamp": format!("2026-03-{day:02}T{:02}:00:00Z", next(24)),
                "provider": "openai",
                "model": if next(3) == 0 { "gpt-4o-mini" } else { "gpt-4o" },
                "api_key": format!("key-{key}"),
                "feature": feature,
                "input_tokens": 1000 + next(5000),
                "output_tokens": 100 + next(500),
                "outcome": "success",
            });
            if key == 3 {
                e["team"] = json!("tagged");
            }
            // One event in ten names no user.
            if next(10) > 0 {
                e["user"] = json!(format!("user-{}", next(users)));
            }
            e
        })
        .collect()
}

storage_test!(
    active_users_of_generated_data_are_distinct_users_of_its_events,
    |app| {
        let bodies = generated(6_000, 400);
        // Batches of uneven sizes, so that many words are ored into by several batches.
        let mut at = 0;
        for size in [1, 7, 500, 33, 2_000, 59, 1_400].iter().cycle() {
            if at >= bodies.len() {
                break;
            }
            let end = (at + size).min(bodies.len());
            let (status, body) = app.post_events(&json!(bodies[at..end])).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            at = end;
        }
        // key-0 belongs to research from the month's start, key-1 to platform from the 15th:
        // its users before and after count for different teams.
        for (key, team, from) in [
            ("key-0", "research", "2026-03-01"),
            ("key-1", "platform", "2026-03-15"),
        ] {
            let (status, body) = app
                .admin_post(
                    "/api/v1/key-mappings",
                    &json!({"api_key": key, "team": team, "feature": "mapped", "valid_from": from}),
                )
                .await;
            assert!(status.is_success(), "{body}");
        }
        let now = chrono::Utc::now();
        let events: Vec<UsageEvent> = bodies
            .iter()
            .map(|v| UsageEvent::from_json(v, now).expect("a valid event"))
            .collect();
        let counted = compare(&app, &events, "2026-03".parse().unwrap()).await;
        assert!(counted > 400, "users counted across teams: {counted}");
    }
);
