//! The workflow groups storage keeps (what showback counts completed workflows from), per day
//! and per month, always equal the stored workflows summed: as calls arrive out of order across batches, as final
//! calls move to another day, owner or outcome, and as clients set and clear outcomes.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use tokentally_domain::event::Outcome;
use tokentally_domain::month::Month;
use tokentally_domain::rollup::WorkflowGroup;
use tokentally_server::storage::Store;

use crate::storage_test;

type Key = (chrono::NaiveDate, tokentally_domain::rollup::Dims, String);
type Sums = (u64, u64, u64, u64);

fn summed(groups: impl IntoIterator<Item = WorkflowGroup>) -> BTreeMap<Key, Sums> {
    let mut out: BTreeMap<Key, Sums> = BTreeMap::new();
    for g in groups {
        let s = out
            .entry((g.day, g.dims, g.outcome.as_str().to_owned()))
            .or_default();
        s.0 += g.workflows;
        s.1 += g.calls;
        s.2 += g.first_input;
        s.3 += g.last_input;
    }
    out.retain(|_, s| s.0 != 0);
    out
}

async fn assert_groups_match(store: &Store, month: Month, step: &str) {
    let rows = store.list_workflows(month).await.unwrap();
    let expected = summed(rows.iter().map(WorkflowGroup::of));
    let kept = summed(store.list_workflow_groups(month).await.unwrap());
    assert_eq!(kept, expected, "after {step}");
    assert!(!expected.is_empty());
    // The month is one stretch, so this reads the monthly groups.
    assert!(store.change_days(month).await.unwrap().is_empty());
    let in_month = |groups: Vec<WorkflowGroup>| {
        summed(groups.into_iter().map(|g| WorkflowGroup {
            day: month.first_day(),
            ..g
        }))
    };
    assert_eq!(
        in_month(store.list_workflow_groups_by_stretch(month).await.unwrap()),
        in_month(rows.iter().map(WorkflowGroup::of).collect()),
        "monthly groups after {step}"
    );
}

/// SplitMix64, so the calls are the same on every run.
struct Rng(u64);
impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (z ^ (z >> 31)) % n
    }
}

storage_test!(workflow_groups_follow_every_change_to_a_workflow, |app| {
    let month: Month = "2026-03".parse().unwrap();
    let mut rng = Rng(9);
    let teams = ["search", "support", "growth"];
    let outcomes = ["success", "failure", "retry"];
    let mut next_id = 0;
    for batch in 0..6 {
        let calls: Vec<Value> = (0..40)
            .map(|_| {
                next_id += 1;
                // Calls of 12 workflows, on days and at times that arrive out of order; the
                // owner and outcome of a workflow's final call change as later calls come.
                json!({
                    "id": format!("e{next_id}"),
                    "timestamp": format!("2026-03-{:02}T{:02}:00:00Z", 1 + rng.below(28), rng.below(24)),
                    "provider": "openai", "model": "gpt-4o-mini",
                    "team": teams[rng.below(3) as usize],
                    "input_tokens": 1_000 * (1 + rng.below(50)), "output_tokens": 10,
                    "outcome": outcomes[rng.below(3) as usize],
                    "workflow_id": format!("wf-{}", rng.below(12)),
                })
            })
            .collect();
        // Some calls again (replays are duplicates and change nothing).
        let mut body = calls.clone();
        body.extend(calls.iter().take(5).cloned());
        let (status, b) = app.post_events(&Value::Array(body)).await;
        assert_eq!(status, 200, "{b}");
        assert_groups_match(&app.store, month, &format!("batch {batch}")).await;
    }
    for (i, outcome) in [
        Some(Outcome::Success),
        Some(Outcome::Failure),
        None,
        Some(Outcome::Success),
    ]
    .into_iter()
    .enumerate()
    {
        app.store
            .set_workflow_outcome(&format!("wf-{i}"), outcome)
            .await
            .unwrap()
            .expect("the workflow is stored");
        assert_groups_match(&app.store, month, &format!("outcome {i}")).await;
    }
    // Showback counts the same completions from the groups as from the workflows.
    let completed: u64 = app
        .store
        .list_workflows(month)
        .await
        .unwrap()
        .iter()
        .filter(|w| w.completed())
        .count() as u64;
    let by_stretch: u64 = app
        .store
        .list_workflow_groups_by_stretch(month)
        .await
        .unwrap()
        .iter()
        .map(WorkflowGroup::completed)
        .sum();
    assert_eq!(by_stretch, completed);
    assert!(completed > 0);
});
