use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use tokentally_domain::attribution::{Attributor, Basis, EventDims, UNALLOCATED};
use tokentally_domain::event::{Outcome, ServiceTier};

use super::*;

fn now() -> DateTime<Utc> {
    "2026-03-18T14:30:00Z".parse().unwrap()
}

/// The default demo, generated once for all tests.
fn demo() -> &'static DemoData {
    static DEMO: OnceLock<DemoData> = OnceLock::new();
    DEMO.get_or_init(|| generate(&DemoSpec::ending(now())))
}

fn attributor(d: &DemoData) -> Attributor {
    Attributor::new(d.mappings.clone(), d.rules.clone())
}

fn dims(e: &UsageEvent) -> EventDims<'_> {
    EventDims {
        provider: &e.provider,
        model: &e.model,
        api_key: e.api_key.as_deref(),
        team: e.team.as_deref(),
        feature: e.feature.as_deref(),
        environment: e.environment.as_deref(),
        tags: &e.tags,
    }
}

fn month(s: &str) -> Month {
    s.parse().unwrap()
}

fn day(e: &UsageEvent) -> NaiveDate {
    e.timestamp.date_naive()
}

fn small(seed: u64) -> DemoSpec {
    DemoSpec {
        seed,
        events_per_month: 2_000,
        ..DemoSpec::ending(now())
    }
}

#[test]
fn the_default_spec_ends_with_the_month_of_now() {
    let spec = DemoSpec::ending(now());
    assert_eq!(spec.last_month, month("2026-03"));
    assert_eq!((spec.months, spec.events_per_month), (6, 30_000));
    let months: Vec<String> = spec.month_list().iter().map(Month::to_string).collect();
    assert_eq!(
        months,
        [
            "2025-10", "2025-11", "2025-12", "2026-01", "2026-02", "2026-03"
        ]
    );
}

#[test]
fn the_same_spec_gives_identical_output_and_another_seed_does_not() {
    let a = generate(&small(7));
    assert_eq!(a, generate(&small(7)));
    assert!(!a.events.is_empty());
    assert_ne!(a.events, generate(&small(8)).events);
}

#[test]
fn the_past_does_not_change_when_now_moves_on() {
    let earlier = generate(&small(7));
    let later = generate(&DemoSpec {
        now: now() + Duration::days(5),
        ..small(7)
    });
    let before: Vec<&UsageEvent> = later
        .events
        .iter()
        .filter(|e| e.timestamp <= now())
        .collect();
    assert_eq!(before, earlier.events.iter().collect::<Vec<_>>());
    assert!(later.events.len() > earlier.events.len());
}

#[test]
fn the_organisation_has_enough_teams_features_keys_and_unmapped_keys() {
    let d = demo();
    let a = attributor(d);
    let mut teams = BTreeSet::new();
    let mut features = BTreeSet::new();
    for e in &d.events {
        let att = a.resolve(&dims(e), day(e));
        if att.team != UNALLOCATED {
            features.insert((att.team.clone(), att.feature));
            teams.insert(att.team);
        }
    }
    let keys: BTreeSet<&str> = d
        .events
        .iter()
        .filter_map(|e| e.api_key.as_deref())
        .collect();
    let mapped: BTreeSet<&str> = d.mappings.iter().map(|m| m.api_key.as_str()).collect();
    let unmapped: Vec<&&str> = keys.iter().filter(|k| !mapped.contains(*k)).collect();
    assert!(teams.len() >= 6, "{teams:?}");
    assert!(features.len() >= 20, "{features:?}");
    assert!(keys.len() >= 30, "{} keys", keys.len());
    assert!((4..=6).contains(&unmapped.len()), "{unmapped:?}");
    assert!(keys.iter().all(|k| k.starts_with("key-")));
}

#[test]
fn every_way_of_attributing_shows_up() {
    let d = demo();
    let a = attributor(d);
    let mut bases: BTreeMap<Basis, u64> = BTreeMap::new();
    let mut conflicts = 0;
    for e in &d.events {
        let att = a.resolve(&dims(e), day(e));
        *bases.entry(att.basis).or_default() += 1;
        conflicts += u64::from(att.conflict);
    }
    for basis in [
        Basis::KeyMapping,
        Basis::Tag,
        Basis::Rule(1),
        Basis::Unallocated,
    ] {
        assert!(
            bases.get(&basis).is_some_and(|n| *n > 100),
            "{basis:?}: {bases:?}"
        );
    }
    assert!(conflicts > 0);
    assert!(bases[&Basis::KeyMapping] > bases.values().sum::<u64>() * 3 / 4);
}

#[test]
fn one_key_is_mapped_from_the_middle_of_the_second_to_last_month() {
    let d = demo();
    let late: Vec<&KeyMapping> = d
        .mappings
        .iter()
        .filter(|m| m.valid_from != month("2025-10").first_day())
        .collect();
    assert_eq!(late.len(), 1);
    let m = late[0];
    assert_eq!(m.valid_from, "2026-02-15".parse::<NaiveDate>().unwrap());
    let a = attributor(d);
    let mut teams_in_february = BTreeSet::new();
    for e in d
        .events
        .iter()
        .filter(|e| e.api_key.as_deref() == Some(&m.api_key))
    {
        if month("2026-02").contains(day(e)) {
            teams_in_february.insert(a.resolve(&dims(e), day(e)).team);
        }
    }
    assert_eq!(
        teams_in_february,
        BTreeSet::from([UNALLOCATED.to_owned(), m.team.clone()])
    );
}

#[test]
fn no_event_lies_after_now_and_every_month_has_events() {
    let d = demo();
    assert!(d.events.iter().all(|e| e.timestamp <= now()));
    let mut per_month: BTreeMap<Month, usize> = BTreeMap::new();
    for e in &d.events {
        *per_month.entry(Month::of(day(e))).or_default() += 1;
    }
    let months: Vec<Month> = per_month.keys().copied().collect();
    assert_eq!(months, DemoSpec::ending(now()).month_list());
    for n in per_month.values() {
        assert!((15_000..50_000).contains(n), "{per_month:?}");
    }
    assert!(per_month[&month("2026-02")] > per_month[&month("2025-10")]);
    let today = d
        .events
        .iter()
        .filter(|e| day(e) == now().date_naive())
        .count();
    assert!(today > 0);
    assert!(
        d.events
            .windows(2)
            .all(|w| w[0].timestamp <= w[1].timestamp)
    );
}

#[test]
fn event_ids_are_unique_and_name_their_month() {
    let d = demo();
    let ids: BTreeSet<&str> = d.events.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids.len(), d.events.len());
    for e in &d.events {
        assert!(
            e.id.starts_with(&format!("demo-{}-", Month::of(day(e)))),
            "{}",
            e.id
        );
        assert_eq!(e.source, SOURCE);
    }
}

#[test]
fn every_event_round_trips_through_the_native_json_format() {
    for e in &demo().events {
        let back = UsageEvent::from_json(&e.to_json(), now());
        assert_eq!(back.as_ref(), Ok(e), "{}", e.to_json());
    }
}

#[test]
fn mappings_rules_and_overheads_validate() {
    let d = demo();
    for m in &d.mappings {
        m.validate().unwrap();
    }
    for r in &d.rules {
        r.validate().unwrap();
    }
    for o in &d.overheads {
        o.validate().unwrap();
        assert!(o.amount > Decimal::ZERO);
    }
    for m in DemoSpec::ending(now()).month_list() {
        let categories: BTreeSet<&str> = d
            .overheads
            .iter()
            .filter(|o| o.month == m)
            .map(|o| o.category.as_str())
            .collect();
        assert_eq!(
            categories,
            BTreeSet::from(["human-review", "logging", "retrieval", "vector-search"])
        );
    }
}

#[test]
fn the_unpriced_model_has_usage_and_every_other_model_is_in_the_bundled_price_file() {
    let d = demo();
    let models: BTreeSet<(&str, &str)> = d
        .events
        .iter()
        .map(|e| (e.provider.as_str(), e.model.as_str()))
        .collect();
    assert!(models.contains(&("internal", "acme-llm-7b")));
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../assets/litellm-model-prices.json"
    );
    let json = std::fs::read(path).expect("the bundled LiteLLM price file");
    let import = tokentally_domain::litellm::import(&json, month("2024-01").first_day()).unwrap();
    let book = tokentally_domain::catalog::PriceBook::new(import.cards);
    for (provider, model) in models {
        let priced = book.lookup(provider, model, now().date_naive()).is_some();
        assert_eq!(priced, provider != "internal", "{provider}/{model}");
    }
}

#[test]
fn workflows_have_three_to_nine_steps_with_growing_context() {
    let d = demo();
    let mut runs: BTreeMap<&str, Vec<&UsageEvent>> = BTreeMap::new();
    for e in &d.events {
        if let Some(w) = &e.workflow_id {
            runs.entry(w).or_default().push(e);
        }
    }
    assert!(runs.len() > 500, "{} workflows", runs.len());
    let features: BTreeSet<String> = runs
        .keys()
        .map(|w| {
            w.trim_start_matches("wf-")
                .rsplit_once('-')
                .unwrap()
                .0
                .to_owned()
        })
        .collect();
    assert!(features.len() >= 2, "{features:?}");
    let (mut succeeded, mut failed) = (0, 0);
    for calls in runs.values() {
        let steps = calls.iter().filter(|e| e.outcome != Outcome::Retry).count();
        // A run cut short by `now` may have fewer calls so far.
        if calls.last().unwrap().timestamp < now() - Duration::hours(1) {
            assert!((3..=9).contains(&steps), "{steps} steps");
        }
        assert!(
            calls
                .windows(2)
                .all(|w| w[0].tokens.input <= w[1].tokens.input)
        );
        match calls.last().unwrap().outcome {
            Outcome::Success => succeeded += 1,
            Outcome::Failure => failed += 1,
            other => panic!("a workflow ended in {other}"),
        }
    }
    assert!(
        failed > 0 && succeeded > 5 * failed,
        "{succeeded} / {failed}"
    );
}

#[test]
fn calls_look_like_real_traffic() {
    let d = demo();
    let n = d.events.len() as f64;
    let share =
        |p: &dyn Fn(&UsageEvent) -> bool| d.events.iter().filter(|e| p(e)).count() as f64 / n;
    let failure = share(&|e| e.outcome == Outcome::Failure);
    assert!((0.03..=0.08).contains(&failure), "failure {failure}");
    assert!(share(&|e| e.outcome == Outcome::Success) > 0.8);
    assert!(share(&|e| e.outcome == Outcome::Retry) > 0.01);
    assert!(share(&|e| e.outcome == Outcome::Unknown) > 0.01);
    assert!(share(&|e| e.tokens.cached_input > 0) > 0.2);
    assert!(share(&|e| e.tokens.cache_write > 0) > 0.02);
    assert!(share(&|e| e.service_tier == ServiceTier::Batch) > 0.01);
    assert!(share(&|e| e.service_tier == ServiceTier::Flex) > 0.001);
    assert!(share(&|e| e.user.is_some()) > 0.3);
    assert!(share(&|e| e.customer.is_some()) > 0.05);
    assert!(share(&|e| e.latency_ms.is_some()) > 0.9);
    for e in &d.events {
        if e.tokens.cache_write > 0 {
            assert_eq!(e.provider, "anthropic");
        }
        if e.tokens.reasoning > 0 {
            assert!(["o3-mini", "gemini-2.5-pro"].contains(&e.model.as_str()));
        }
        if e.model == "text-embedding-3-small" {
            assert_eq!(e.tokens.output, 0);
        }
    }
    // Long-context calls (one request above 200k input tokens) are gemini's.
    let long: Vec<&UsageEvent> = d
        .events
        .iter()
        .filter(|e| e.requests == 1 && e.tokens.input > 200_000)
        .collect();
    assert!(long.len() > 10);
    assert!(long.iter().all(|e| e.model == "gemini-2.5-pro"));
    let o3 = d.events.iter().filter(|e| e.model == "o3-mini");
    assert!(
        o3.clone()
            .all(|e| e.tokens.reasoning > 0 || e.tokens.output < 3)
    );
    let aggregated: Vec<&UsageEvent> = d.events.iter().filter(|e| e.requests > 1).collect();
    assert!(aggregated.len() > 100);
    assert!(
        aggregated
            .iter()
            .all(|e| e.service_tier == ServiceTier::Batch)
    );
}

#[test]
fn weekdays_are_busier_than_weekends_and_one_team_has_a_spike_week() {
    let d = demo();
    let a = attributor(d);
    let mut per_day: BTreeMap<NaiveDate, u64> = BTreeMap::new();
    let mut legal: BTreeMap<NaiveDate, u64> = BTreeMap::new();
    for e in d
        .events
        .iter()
        .filter(|e| month("2026-01").contains(day(e)))
    {
        *per_day.entry(day(e)).or_default() += 1;
        if a.resolve(&dims(e), day(e)).team == SPIKE_TEAM {
            *legal.entry(day(e)).or_default() += 1;
        }
    }
    let mean = |days: &mut dyn Iterator<Item = (&NaiveDate, &u64)>| {
        let v: Vec<u64> = days.map(|(_, n)| *n).collect();
        v.iter().sum::<u64>() as f64 / v.len() as f64
    };
    let weekend = |d: &NaiveDate| matches!(d.weekday(), Weekday::Sat | Weekday::Sun);
    let weekdays = mean(&mut per_day.iter().filter(|(d, _)| !weekend(d)));
    let weekends = mean(&mut per_day.iter().filter(|(d, _)| weekend(d)));
    assert!(weekdays > 1.3 * weekends, "{weekdays} vs {weekends}");
    let busy = |d: &NaiveDate| !weekend(d) && SPIKE_DAYS.contains(&d.day());
    let spike = mean(&mut legal.iter().filter(|(d, _)| busy(d)));
    let usual = mean(&mut legal.iter().filter(|(d, _)| !weekend(d) && !busy(d)));
    assert!(spike > 2.5 * usual, "{spike} vs {usual}");
}

#[test]
fn a_spec_in_the_past_has_whole_months_and_one_in_the_future_has_none_after_now() {
    let past = generate(&DemoSpec {
        last_month: month("2025-12"),
        months: 2,
        ..small(1)
    });
    let last = past.events.last().unwrap();
    assert_eq!(day(last), "2025-12-31".parse::<NaiveDate>().unwrap());
    assert_eq!(Month::of(day(&past.events[0])), month("2025-11"));
    let ahead = generate(&DemoSpec {
        last_month: month("2026-05"),
        months: 4,
        ..small(1)
    });
    assert!(ahead.events.iter().all(|e| e.timestamp <= now()));
    assert_eq!(ahead.overheads.len(), 16);
}
