//! The seeded demo gives a showback with spend, an Unallocated row and Unpriced usage.

use rust_decimal::Decimal;
use tokentally_domain::month::Month;
use tokentally_server::demo::{generate::DemoSpec, seed};

use crate::helpers::{money, team};
use crate::storage_test;

storage_test!(
    the_demo_month_has_teams_unallocated_and_unpriced_usage,
    |app| {
        let now = "2026-11-20T12:00:00Z".parse().unwrap();
        let mut spec = DemoSpec::ending(now);
        spec.events_per_month = 3_000;
        let n = seed(&app.store, &spec).await.expect("the demo seeds");
        assert_eq!(app.count_events().await as usize, n);
        let last_full: Month = "2026-10".parse().unwrap();
        let sb = app.showback(&last_full.to_string()).await;
        let teams = sb["teams"].as_array().unwrap();
        let paying = teams
            .iter()
            .filter(|t| t["team"] != "Unallocated" && money(&t["blended_cost"]) > Decimal::ZERO)
            .count();
        assert!(paying >= 6, "{paying} teams with spend");
        assert!(money(&team(&sb, "Unallocated")["token_cost"]) > Decimal::ZERO);
        assert!(!sb["unpriced"].as_array().unwrap().is_empty());
        assert!(money(&sb["overhead"]) > Decimal::ZERO);
        let sum: Decimal = teams.iter().map(|t| money(&t["blended_cost"])).sum();
        assert_eq!(sum, money(&sb["org_total"]));
        assert!(
            sb["teams"][0]["mom_change"].is_string(),
            "the previous month is there to compare"
        );
    }
);
