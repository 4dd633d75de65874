//! Showback narrowed to one environment: every team's environments add up to its row to the
//! cent, every row adds up, and no filtered figure exceeds the unfiltered one.

use std::collections::BTreeMap;

use proptest::prelude::*;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde_json::json;
use tokentally_domain::allocation::Allocation;
use tokentally_domain::attribution::Attributor;
use tokentally_domain::commitment::{Commitment, DEFAULT_UTILISATION_FLOOR};
use tokentally_domain::drilldown::team_drilldown;
use tokentally_domain::environment::{self, NO_ENVIRONMENT};
use tokentally_domain::showback::{TeamShowback, showback};

mod support;

use support::*;

const ENVS: [Option<&str>; 3] = [Some("production"), Some("staging"), None];
const TEAMS: [Option<&str>; 3] = [Some("search"), Some("support"), None];

fn adds_up(t: &TeamShowback) {
    assert_eq!(
        t.token_cost + t.overhead + t.commitment,
        t.blended_cost,
        "{t:?}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn environments_add_up_to_their_team(
        calls in proptest::collection::vec((0usize..3, 0usize..3, 0usize..2, 1u64..5_000_000, 0u64..400_000), 1..30),
        retrieval in 0i64..100_000,
        fee in 0i64..50_000,
        capacity in 1u64..60_000_000,
    ) {
        let events: Vec<_> = calls
            .iter()
            .enumerate()
            .map(|(i, (t, e, m, input, output))| {
                let mut v = json!({"id": format!("e{i}"), "timestamp": "2026-03-04T10:00:00Z",
                    "provider": if *m == 0 { "openai" } else { "anthropic" },
                    "model": if *m == 0 { "gpt-4o" } else { "claude-sonnet-4" },
                    "feature": format!("f{}", i % 3),
                    "input_tokens": input, "output_tokens": output});
                if let Some(team) = TEAMS[*t] { v["team"] = json!(team); }
                if let Some(env) = ENVS[*e] { v["environment"] = json!(env); }
                ev(v)
            })
            .collect();
        let mut data = month_data(&events, vec![
            overhead("2026-03", "retrieval", Decimal::new(retrieval, 2), Allocation::Proportional),
            overhead("2026-03", "logging", dec!(10.01), Allocation::Even),
        ]);
        data.commitments.push(Commitment {
            month: month("2026-03"),
            provider: "openai".into(),
            model: "gpt-4o".into(),
            fee: Decimal::new(fee, 2),
            capacity_tokens: capacity,
            utilisation_floor: DEFAULT_UTILISATION_FLOOR,
        });
        let book = book();
        let attributor = Attributor::new(Vec::new(), Vec::new());
        let all = showback(month("2026-03"), "USD", &data, None, &book, &attributor);
        let mut sums: BTreeMap<String, (Decimal, Decimal, Decimal, Decimal)> = BTreeMap::new();
        for env in ["production", "staging", NO_ENVIRONMENT] {
            let sb = environment::showback_in(&all, &data, None, &book, &attributor, env);
            prop_assert!(sb.org_total <= all.org_total);
            prop_assert_eq!(sb.org_total, sb.teams.iter().map(|t| t.blended_cost).sum::<Decimal>());
            let only = environment::only(&data, &attributor, env);
            for t in &sb.teams {
                adds_up(t);
                let whole = all.team(&t.team).unwrap();
                prop_assert!(t.blended_cost <= whole.blended_cost);
                let s = sums.entry(t.team.clone()).or_default();
                s.0 += t.token_cost;
                s.1 += t.overhead;
                s.2 += t.commitment;
                s.3 += t.blended_cost;
                // The drill-down of the environment's part adds up to it in every view.
                let drill = team_drilldown(t, month("2026-03"), "USD", &only, &book, &attributor);
                for view in [&drill.features, &drill.models, &drill.keys, &drill.days] {
                    let blended: Decimal = view.iter().map(|l| l.blended_cost).sum();
                    if !view.is_empty() {
                        prop_assert_eq!(blended, t.blended_cost);
                    }
                    for l in view.iter() {
                        prop_assert_eq!(l.token_cost + l.overhead + l.commitment, l.blended_cost);
                    }
                }
            }
        }
        for t in &all.teams {
            let got = sums.get(&t.team).copied().unwrap_or_default();
            if t.events > 0 {
                prop_assert_eq!(got, (t.token_cost, t.overhead, t.commitment, t.blended_cost), "{}", t.team);
            }
        }
    }
}

#[test]
fn a_mapping_names_the_environment_before_the_event() {
    let events = vec![ev(json!({"id": "m", "timestamp": "2026-03-04T10:00:00Z",
        "provider": "openai", "model": "gpt-4o", "api_key": "k", "environment": "staging",
        "input_tokens": 1_000_000}))];
    let data = month_data(&events, Vec::new());
    let mut m = mapping("k", "search", "2026-01-01");
    m.environment = Some("production".into());
    let attributor = Attributor::new(vec![m], Vec::new());
    let pairs = environment::team_environments(&data, &attributor);
    assert_eq!(
        pairs.into_iter().collect::<Vec<_>>(),
        [("search".to_owned(), "production".to_owned())]
    );
    assert!(
        environment::only(&data, &attributor, "staging")
            .rows
            .is_empty()
    );
    assert_eq!(
        environment::only(&data, &attributor, "production")
            .rows
            .len(),
        1
    );
}
