//! Pages and their access rules, forms, sessions and CSRF, on both databases: one file per
//! area of the dashboard, over one shared month of spend.

mod access;
mod admin_forms;
mod finance_forms;
mod guarding;
mod movement;
mod navigation;
mod owners;
mod people;
mod security;
mod showback;
mod statement_forms;

use serde_json::json;

use crate::helpers::TestApp;

pub(super) const MONTH: &str = "2026-03";

/// Two teams of spend in March 2026, and an unmapped key.
pub(super) async fn seed(app: &TestApp) {
    let mut events = Vec::new();
    for (i, (team, key)) in [
        ("search", "key-search"),
        ("support", "key-support"),
        ("", "key-orphan"),
    ]
    .iter()
    .enumerate()
    {
        for d in 1..=5 {
            let mut e = json!({"id": format!("{i}-{d}"), "timestamp": format!("2026-03-{d:02}T10:00:00Z"), "provider": "openai",
                "model": "gpt-4o-mini", "api_key": key, "feature": "chat", "input_tokens": 1_000_000 * (i + 1), "output_tokens": 1000,
                "outcome": "success"});
            if !team.is_empty() {
                e["team"] = json!(team);
            }
            events.push(e);
        }
    }
    let (status, body) = app.post_events(&json!(events)).await;
    assert_eq!(status, 200, "{body}");
}
