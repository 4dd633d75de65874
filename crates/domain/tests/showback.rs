//! Showback end to end: events folded into rollups, attributed, priced, overheads shared,
//! and the month's teams adding up to the org total to the cent.
//!
//! Rates are per 1,000,000 tokens; every amount below is worked out by hand in a comment.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use proptest::prelude::*;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde_json::json;
use tokentally_domain::allocation::{Allocation, Overhead, cents, from_cents};
use tokentally_domain::attribution::{Attributor, KeyMapping, UNALLOCATED, UNASSIGNED};
use tokentally_domain::catalog::PriceBook;
use tokentally_domain::commitment::{Commitment, DEFAULT_UTILISATION_FLOOR};
use tokentally_domain::discount::Discount;
use tokentally_domain::drilldown::{Line, TeamDrilldown, team_drilldown};
use tokentally_domain::event::{ServiceTier, UsageEvent};
use tokentally_domain::price_card::{LongContext, Rates, context_band};
use tokentally_domain::pricing::price;
use tokentally_domain::rollup::Dims;
use tokentally_domain::showback::{MonthData, Showback, TeamShowback, UnpricedModel, showback};
use tokentally_domain::tokens::TokenCounts;

mod support;

use support::*;

// ---------------------------------------------------------------------------------------------
// The March 2026 scenario shared by several tests
// ---------------------------------------------------------------------------------------------

/// search (keys k-search, k-search-2), support (key k-support), billing (only a `team` tag),
/// an unmapped key k-orphan, and one model no card prices.
fn march_events() -> Vec<UsageEvent> {
    vec![
        // search, gpt-4o: 1,000,000 uncached × 2.50 = 2.50; 1,000,000 cached × 1.25 = 1.25;
        // 300,000 output × 10 = 3.00 → 6.75
        ev(
            json!({"id": "e1", "timestamp": "2026-03-02T10:00:00Z", "provider": "openai", "model": "gpt-4o", "api_key": "k-search",
                  "feature": "chat", "input_tokens": 2_000_000, "cached_input_tokens": 1_000_000, "output_tokens": 300_000, "outcome": "success"}),
        ),
        // search, gpt-4o batch: 1,000,000 × 1.25 = 1.25; 100,000 × 5 = 0.50 → 1.75
        ev(
            json!({"id": "e2", "timestamp": "2026-03-09T10:00:00Z", "provider": "openai", "model": "gpt-4o", "api_key": "k-search-2",
                  "feature": "summarize", "input_tokens": 1_000_000, "output_tokens": 100_000, "service_tier": "batch", "outcome": "success"}),
        ),
        // search, unknown model: unpriced, costs 0, but its tokens and 3 requests are counted.
        ev(
            json!({"id": "e3", "timestamp": "2026-03-09T11:00:00Z", "provider": "acme", "model": "mystery-1", "api_key": "k-search",
                  "input_tokens": 500_000, "output_tokens": 50_000, "requests": 3}),
        ),
        // support, claude: 1,000,000 input = 200,000 plain + 600,000 read + 200,000 written;
        // 100,000 output of which 40,000 reasoning.
        // 200,000 × 3 = 0.60; 600,000 × 0.30 = 0.18; 200,000 × 3.75 = 0.75;
        // 60,000 × 15 = 0.90; 40,000 × 15 = 0.60 → 3.03
        ev(
            json!({"id": "e4", "timestamp": "2026-03-03T10:00:00Z", "provider": "anthropic", "model": "claude-sonnet-4", "api_key": "k-support",
                  "feature": "triage", "input_tokens": 1_000_000, "cached_input_tokens": 600_000, "cache_write_tokens": 200_000,
                  "output_tokens": 100_000, "reasoning_tokens": 40_000}),
        ),
        // support, claude: 333,333 × 3 = 0.999999
        ev(
            json!({"id": "e5", "timestamp": "2026-03-20T10:00:00Z", "provider": "anthropic", "model": "claude-sonnet-4", "api_key": "k-support",
                  "feature": "triage", "input_tokens": 333_333}),
        ),
        // unmapped key, gpt-4o: 123,457 × 2.50 = 0.3086425
        ev(
            json!({"id": "e6", "timestamp": "2026-03-05T10:00:00Z", "provider": "openai", "model": "gpt-4o", "api_key": "k-orphan",
                  "input_tokens": 123_457}),
        ),
        // billing by its tag only, gpt-4o: 200,001 × 10 = 2.00001
        ev(
            json!({"id": "e7", "timestamp": "2026-03-12T10:00:00Z", "provider": "openai", "model": "gpt-4o", "team": "billing",
                  "output_tokens": 200_001}),
        ),
    ]
}

fn march_mappings() -> Vec<KeyMapping> {
    vec![
        mapping("k-search", "search", "2026-01-01"),
        mapping("k-search-2", "search", "2026-01-01"),
        mapping("k-support", "support", "2026-01-01"),
    ]
}

fn march_overheads() -> Vec<Overhead> {
    vec![
        overhead(
            "2026-03",
            "retrieval",
            dec!(100.00),
            Allocation::Proportional,
        ),
        overhead(
            "2026-03",
            "human review",
            dec!(25.00),
            Allocation::Direct {
                team: "support".into(),
            },
        ),
        // Another month's overhead is not this month's.
        overhead(
            "2026-02",
            "retrieval",
            dec!(999.00),
            Allocation::Proportional,
        ),
    ]
}

fn march() -> (MonthData, Attributor) {
    (
        month_data(&march_events(), march_overheads()),
        Attributor::new(march_mappings(), vec![]),
    )
}

fn march_showback(data: &MonthData, attributor: &Attributor) -> Showback {
    showback(month("2026-03"), "USD", data, None, &book(), attributor)
}

// ---------------------------------------------------------------------------------------------
// 1. Hand-computed showback
// ---------------------------------------------------------------------------------------------

#[test]
fn each_team_pays_its_tokens_and_its_overhead_shares_to_the_cent() {
    let (data, attributor) = march();
    let sb = march_showback(&data, &attributor);

    // Exact token cost: search 6.75 + 1.75 + 0 = 8.50; support 3.03 + 0.999999 = 4.029999;
    // billing 2.00001; Unallocated 0.3086425. Σ = 14.8386515 → 14.84 (1484 cents).
    let exact = |t: &str| team(&sb, t).token_cost_exact;
    assert_eq!(
        (
            exact("search"),
            exact("support"),
            exact("billing"),
            exact(UNALLOCATED)
        ),
        (dec!(8.50), dec!(4.029999), dec!(2.00001), dec!(0.3086425))
    );

    // Rounded so the teams add up to 14.84: floors 850 + 402 + 200 + 30 = 1482 cents, 2 left
    // for the largest fractions: support (.9999) and Unallocated (.86425); billing (.001) and
    // search (0) keep their floors.
    let token = |t: &str| team(&sb, t).token_cost;
    assert_eq!(
        (
            token("search"),
            token("support"),
            token("billing"),
            token(UNALLOCATED)
        ),
        (dec!(8.50), dec!(4.03), dec!(2.00), dec!(0.31))
    );
    assert_eq!(sb.token_cost, dec!(14.84));

    // Retrieval 100.00 (10,000 cents) in proportion to exact token cost (Σ 14.8386515):
    //   Unallocated 10000 × 0.3086425 / 14.8386515 = 207.999 → 207
    //   billing     10000 × 2.00001   / 14.8386515 = 1347.838 → 1347
    //   search      10000 × 8.50      / 14.8386515 = 5728.283 → 5728
    //   support     10000 × 4.029999  / 14.8386515 = 2715.880 → 2715
    // floors 9,997; the 3 cents left go to .999 (Unallocated), .880 (support), .838 (billing).
    // Human review 25.00 goes directly to support. February's overhead is left out.
    let cat = |t: &str, c: &str| team(&sb, t).overhead_by_category.get(c).copied();
    assert_eq!(cat(UNALLOCATED, "retrieval"), Some(dec!(2.08)));
    assert_eq!(cat("billing", "retrieval"), Some(dec!(13.48)));
    assert_eq!(cat("search", "retrieval"), Some(dec!(57.28)));
    assert_eq!(cat("support", "retrieval"), Some(dec!(27.16)));
    assert_eq!(cat("support", "human review"), Some(dec!(25.00)));
    assert_eq!(cat("search", "human review"), None);

    let over = |t: &str| team(&sb, t).overhead;
    assert_eq!(
        (
            over("search"),
            over("support"),
            over("billing"),
            over(UNALLOCATED)
        ),
        (dec!(57.28), dec!(52.16), dec!(13.48), dec!(2.08))
    );
    assert_eq!(sb.overhead, dec!(125.00));

    // Blended = token cost + overhead.
    // search 8.50 + 57.28 = 65.78; support 4.03 + 27.16 + 25.00 = 56.19;
    // billing 2.00 + 13.48 = 15.48; Unallocated 0.31 + 2.08 = 2.39.
    let blended = |t: &str| team(&sb, t).blended_cost;
    assert_eq!(
        (
            blended("search"),
            blended("support"),
            blended("billing"),
            blended(UNALLOCATED)
        ),
        (dec!(65.78), dec!(56.19), dec!(15.48), dec!(2.39))
    );

    // Org total: 65.78 + 56.19 + 15.48 + 2.39 = 139.84 = 14.84 tokens + 125.00 overhead.
    assert_eq!(sb.org_total, dec!(139.84));

    // Largest first, Unallocated last.
    let order: Vec<&str> = sb.teams.iter().map(|t| t.team.as_str()).collect();
    assert_eq!(order, ["search", "support", "billing", UNALLOCATED]);

    // The unknown model is listed with its tokens and requests...
    assert_eq!(
        sb.unpriced,
        vec![UnpricedModel {
            provider: "acme".into(),
            model: "mystery-1".into(),
            events: 1,
            requests: 3,
            tokens: tokens(500_000, 0, 0, 50_000, 0)
        }]
    );
    // ...and its tokens are still the search team's: input 2,000,000 + 1,000,000 + 500,000;
    // cached 1,000,000; output 300,000 + 100,000 + 50,000.
    let search = team(&sb, "search");
    assert_eq!(search.tokens, tokens(3_500_000, 1_000_000, 0, 450_000, 0));
    assert_eq!(
        (search.requests, search.events, search.unpriced_requests),
        (5, 3, 3)
    );
    assert_eq!(team(&sb, "billing").requests, 1);
    // Requests: 1 + 1 + 3 + 1 + 1 + 1 + 1.
    assert_eq!(sb.requests, 9);
    assert_eq!(
        sb.tokens.input,
        2_000_000 + 1_000_000 + 500_000 + 1_000_000 + 333_333 + 123_457
    );
}

#[test]
fn a_direct_overhead_for_a_team_without_usage_still_gets_a_row() {
    let (mut data, attributor) = march();
    data.overheads.push(overhead(
        "2026-03",
        "platform",
        dec!(10.00),
        Allocation::Direct {
            team: "platform".into(),
        },
    ));
    let sb = march_showback(&data, &attributor);
    let p = team(&sb, "platform");
    assert_eq!(
        (p.token_cost, p.overhead, p.blended_cost, p.requests),
        (dec!(0), dec!(10.00), dec!(10.00), 0)
    );
    // 139.84 + 10.00.
    assert_eq!(sb.org_total, dec!(149.84));
}

#[test]
fn a_fixed_split_never_gives_unallocated_a_share_even_when_it_is_named() {
    // Fixed 30.00 by shares search 2, billing 1, Unallocated 3; Unallocated has spend (0.3086425)
    // but must be left out: 3000 × 2/3 = 20.00 to search, 10.00 to billing.
    let (mut data, attributor) = march();
    let shares: BTreeMap<String, Decimal> = [
        ("search".to_owned(), dec!(2)),
        ("billing".to_owned(), dec!(1)),
        (UNALLOCATED.to_owned(), dec!(3)),
    ]
    .into();
    let fixed = overhead(
        "2026-03",
        "vector search",
        dec!(30.00),
        Allocation::Fixed { shares },
    );
    // The API refuses such a split; if one were stored anyway, allocation still skips it.
    assert_eq!(
        fixed.validate(),
        Err(tokentally_domain::allocation::OverheadError::UnallocatedShare)
    );
    data.overheads.push(fixed);
    let sb = march_showback(&data, &attributor);
    let cat = |t: &str| {
        team(&sb, t)
            .overhead_by_category
            .get("vector search")
            .copied()
    };
    assert_eq!(
        (cat("search"), cat("billing"), cat(UNALLOCATED)),
        (Some(dec!(20.00)), Some(dec!(10.00)), None)
    );
}

// ---------------------------------------------------------------------------------------------
// 2. Cost per successful outcome
// ---------------------------------------------------------------------------------------------

/// One gpt-4o call of 100,000 input and 10,000 output: 0.25 + 0.10 = 0.35.
fn agent_call(id: &str, ts: &str, outcome: &str, workflow: Option<&str>) -> UsageEvent {
    let mut v = json!({"id": id, "timestamp": ts, "provider": "openai", "model": "gpt-4o", "api_key": "k-agent",
                       "input_tokens": 100_000, "output_tokens": 10_000, "outcome": outcome});
    if let Some(w) = workflow {
        v["workflow_id"] = json!(w);
    }
    ev(v)
}

fn agent_events(with_waste: bool) -> Vec<UsageEvent> {
    let mut evs = vec![
        // Three standalone successes: three outcomes.
        agent_call("s1", "2026-03-01T09:00:00Z", "success", None),
        agent_call("s2", "2026-03-02T09:00:00Z", "success", None),
        agent_call("s3", "2026-03-03T09:00:00Z", "success", None),
    ];
    // A 7-call workflow over two days, ending in success: one outcome, whatever its
    // intermediate calls said (two of them were successful tool calls).
    let inner = ["unknown", "success", "retry", "unknown", "success", "retry"];
    for (i, outcome) in inner.iter().enumerate() {
        evs.push(agent_call(
            &format!("ok{i}"),
            &format!("2026-03-10T1{i}:00:00Z"),
            outcome,
            Some("wf-ok"),
        ));
    }
    evs.push(agent_call(
        "ok-final",
        "2026-03-11T08:00:00Z",
        "success",
        Some("wf-ok"),
    ));
    if with_waste {
        // A standalone failure and a standalone retry: no outcome, but their cost stays.
        evs.push(agent_call("f1", "2026-03-04T09:00:00Z", "failure", None));
        evs.push(agent_call("r1", "2026-03-04T09:01:00Z", "retry", None));
        // A 3-call workflow that ends in failure: no outcome, its 3 calls still cost.
        evs.push(agent_call(
            "bad0",
            "2026-03-12T10:00:00Z",
            "success",
            Some("wf-bad"),
        ));
        evs.push(agent_call(
            "bad1",
            "2026-03-12T11:00:00Z",
            "retry",
            Some("wf-bad"),
        ));
        evs.push(agent_call(
            "bad2",
            "2026-03-12T12:00:00Z",
            "failure",
            Some("wf-bad"),
        ));
    }
    evs
}

#[test]
fn a_successful_workflow_counts_once_and_failures_raise_the_cost_per_success() {
    let attributor = Attributor::new(vec![mapping("k-agent", "agents", "2026-01-01")], vec![]);
    let run = |with_waste: bool| {
        // Plus a direct overhead of 0.50 so that the unit cost is of the blended cost.
        let data = month_data(
            &agent_events(with_waste),
            vec![overhead(
                "2026-03",
                "orchestration",
                dec!(0.50),
                Allocation::Direct {
                    team: "agents".into(),
                },
            )],
        );
        showback(month("2026-03"), "USD", &data, None, &book(), &attributor)
    };

    // Clean month: 3 standalone + 7 workflow calls = 10 calls × 0.35 = 3.50; + 0.50 = 4.00.
    // Successful outcomes: 3 standalone + 1 workflow = 4. 4.00 / 4 = 1.00.
    let clean = run(false);
    let a = team(&clean, "agents");
    assert_eq!(
        (a.requests, a.token_cost, a.blended_cost),
        (10, dec!(3.50), dec!(4.00))
    );
    assert_eq!(a.successful_outcomes, 4);
    assert_eq!(a.cost_per_successful_outcome, Some(dec!(1.00)));
    assert_eq!(clean.successful_outcomes, 4);

    // With waste: + 2 standalone + 3 workflow calls = 15 calls × 0.35 = 5.25; + 0.50 = 5.75.
    // Still 4 successful outcomes (the failed workflow and the failed/retried calls add
    // none): 5.75 / 4 = 1.4375.
    let wasteful = run(true);
    let a = team(&wasteful, "agents");
    assert_eq!(
        (a.requests, a.token_cost, a.blended_cost),
        (15, dec!(5.25), dec!(5.75))
    );
    assert_eq!(a.successful_outcomes, 4);
    assert_eq!(a.cost_per_successful_outcome, Some(dec!(1.4375)));
    assert!(a.cost_per_successful_outcome > team(&clean, "agents").cost_per_successful_outcome);

    // Waste = failure and retry calls: wf-ok's 2 retries, f1, r1, wf-bad's retry and failure
    // = 6 × 0.35 = 2.10.
    assert_eq!(a.waste, dec!(2.10));
}

#[test]
fn a_workflow_is_credited_to_the_owner_of_its_final_call() {
    // The run starts on team A's key and finishes on team B's: B gets the outcome, while
    // each team keeps the cost of its own calls.
    let attributor = Attributor::new(
        vec![
            mapping("k-a", "a", "2026-01-01"),
            mapping("k-b", "b", "2026-01-01"),
        ],
        vec![],
    );
    let call = |id: &str, ts: &str, key: &str, outcome: &str| {
        ev(
            json!({"id": id, "timestamp": ts, "provider": "openai", "model": "gpt-4o", "api_key": key,
                  "output_tokens": 100_000, "outcome": outcome, "workflow_id": "wf"}),
        )
    };
    let evs = [
        call("1", "2026-03-05T10:00:00Z", "k-a", "success"),
        call("2", "2026-03-05T11:00:00Z", "k-a", "retry"),
        call("3", "2026-03-06T09:00:00Z", "k-b", "success"),
    ];
    let sb = showback(
        month("2026-03"),
        "USD",
        &month_data(&evs, vec![]),
        None,
        &book(),
        &attributor,
    );
    // 100,000 output × 10 = 1.00 per call: a 2.00, b 1.00.
    assert_eq!(
        (
            team(&sb, "a").blended_cost,
            team(&sb, "a").successful_outcomes,
            team(&sb, "a").cost_per_successful_outcome
        ),
        (dec!(2.00), 0, None)
    );
    assert_eq!(
        (
            team(&sb, "b").blended_cost,
            team(&sb, "b").successful_outcomes,
            team(&sb, "b").cost_per_successful_outcome
        ),
        (dec!(1.00), 1, Some(dec!(1)))
    );
}

// ---------------------------------------------------------------------------------------------
// 3. Re-attribution
// ---------------------------------------------------------------------------------------------

#[test]
fn mapping_the_orphan_key_moves_its_cost_from_unallocated_to_the_team() {
    let (data, before_attr) = march();
    let before = march_showback(&data, &before_attr);
    let mut mappings = march_mappings();
    mappings.push(mapping("k-orphan", "search", "2026-01-01"));
    let after = march_showback(&data, &Attributor::new(mappings, vec![]));

    // search 8.50 + 0.3086425 = 8.8086425 → 8.81; Unallocated keeps nothing.
    assert_eq!(team(&after, "search").token_cost_exact, dec!(8.8086425));
    assert_eq!(team(&after, "search").token_cost, dec!(8.81));
    let un = after.unallocated();
    assert_eq!(
        (un.token_cost, un.overhead, un.blended_cost, un.requests),
        (dec!(0), dec!(0), dec!(0), 0)
    );

    // Same tokens, same overheads: the org total does not move (14.84 + 125.00).
    assert_eq!(after.token_cost, dec!(14.84));
    assert_eq!(after.org_total, before.org_total);
    assert_eq!(after.org_total, dec!(139.84));
    assert_eq!(
        team(&after, "search").requests,
        team(&before, "search").requests + 1
    );
}

#[test]
fn a_mapping_from_mid_month_splits_the_keys_month_at_its_day() {
    // k-late: 1,000,000 output × 10 = 10.00 on the 5th, 2.00 on the 15th, 3.00 on the 20th.
    let call = |id: &str, ts: &str, output: u64| {
        ev(
            json!({"id": id, "timestamp": ts, "provider": "openai", "model": "gpt-4o", "api_key": "k-late", "output_tokens": output}),
        )
    };
    let evs = [
        call("a", "2026-03-05T23:59:59Z", 1_000_000),
        call("b", "2026-03-15T00:00:00Z", 200_000),
        call("c", "2026-03-20T12:00:00Z", 300_000),
    ];
    let data = month_data(&evs, vec![]);

    let unmapped = showback(
        month("2026-03"),
        "USD",
        &data,
        None,
        &book(),
        &Attributor::default(),
    );
    assert_eq!(unmapped.unallocated().token_cost, dec!(15.00));

    // Mapped from the 15th (inclusive): the 5th stays Unallocated (10.00); the 15th and
    // 20th go to the team (2.00 + 3.00 = 5.00).
    let mapped = showback(
        month("2026-03"),
        "USD",
        &data,
        None,
        &book(),
        &Attributor::new(vec![mapping("k-late", "late", "2026-03-15")], vec![]),
    );
    assert_eq!(mapped.unallocated().token_cost, dec!(10.00));
    assert_eq!(team(&mapped, "late").token_cost, dec!(5.00));
    assert_eq!(team(&mapped, "late").requests, 2);
    assert_eq!(mapped.org_total, dec!(15.00));

    // A later mapping of the same key takes over from its own day.
    let two = Attributor::new(
        vec![
            mapping("k-late", "late", "2026-03-15"),
            mapping("k-late", "later", "2026-03-16"),
        ],
        vec![],
    );
    let sb = showback(month("2026-03"), "USD", &data, None, &book(), &two);
    assert_eq!(
        (
            sb.unallocated().token_cost,
            team(&sb, "late").token_cost,
            team(&sb, "later").token_cost
        ),
        (dec!(10.00), dec!(2.00), dec!(3.00))
    );
}

// ---------------------------------------------------------------------------------------------
// 4. Drill-down
// ---------------------------------------------------------------------------------------------

fn assert_views_add_up(d: &TeamDrilldown, t: &TeamShowback) {
    assert_eq!(
        (d.token_cost, d.overhead, d.blended_cost),
        (t.token_cost, t.overhead, t.blended_cost)
    );
    assert_eq!(
        (d.total.blended_cost, d.total.requests),
        (t.blended_cost, t.requests)
    );
    for (name, view) in [
        ("features", &d.features),
        ("models", &d.models),
        ("keys", &d.keys),
        ("days", &d.days),
    ] {
        let sum = |f: fn(&Line) -> Decimal| view.iter().map(f).sum::<Decimal>();
        assert_eq!(
            sum(|l| l.token_cost),
            t.token_cost,
            "{}'s {name} token cost: {view:?}",
            t.team
        );
        assert_eq!(
            sum(|l| l.overhead),
            t.overhead,
            "{}'s {name} overhead: {view:?}",
            t.team
        );
        assert_eq!(
            sum(|l| l.commitment),
            t.commitment,
            "{}'s {name} commitment: {view:?}",
            t.team
        );
        assert_eq!(
            sum(|l| l.blended_cost),
            t.blended_cost,
            "{}'s {name} blended cost: {view:?}",
            t.team
        );
        assert_eq!(
            view.iter().map(|l| l.requests).sum::<u64>(),
            t.requests,
            "{}'s {name} requests",
            t.team
        );
        let mut tok = TokenCounts::default();
        view.iter().for_each(|l| tok.add(&l.tokens));
        assert_eq!(tok, t.tokens, "{}'s {name} tokens", t.team);
    }
}

#[test]
fn each_drilldown_view_adds_up_to_the_teams_token_cost_and_overhead() {
    let (data, attributor) = march();
    let sb = march_showback(&data, &attributor);
    for t in &sb.teams {
        let d = team_drilldown(t, month("2026-03"), "USD", &data, &book(), &attributor);
        assert_views_add_up(&d, t);
    }

    // search: token cost 8.50, overhead 57.28 spread by line token cost.
    // By feature: chat 6.75, summarize 1.75, Unassigned (the unpriced call) 0.
    // 5728 × 6.75 / 8.50 = 4548.71 → 4548; 5728 × 1.75 / 8.50 = 1179.29 → 1179; 1 cent
    // left to the larger fraction (chat): 45.49 and 11.79.
    let search = team(&sb, "search");
    let d = team_drilldown(search, month("2026-03"), "USD", &data, &book(), &attributor);
    let view = |ls: &[Line]| {
        ls.iter()
            .map(|l| (l.name.clone(), l.token_cost, l.overhead, l.blended_cost))
            .collect::<Vec<_>>()
    };
    let s = |x: &str| x.to_owned();
    assert_eq!(
        view(&d.features),
        vec![
            (s("chat"), dec!(6.75), dec!(45.49), dec!(52.24)),
            (s("summarize"), dec!(1.75), dec!(11.79), dec!(13.54)),
            (s(UNASSIGNED), dec!(0), dec!(0), dec!(0))
        ]
    );
    assert_eq!(
        view(&d.models),
        vec![
            (s("gpt-4o"), dec!(8.50), dec!(57.28), dec!(65.78)),
            (s("mystery-1"), dec!(0), dec!(0), dec!(0))
        ]
    );
    // k-search = e1 + the unpriced e3; k-search-2 = e2.
    assert_eq!(
        view(&d.keys),
        vec![
            (s("k-search"), dec!(6.75), dec!(45.49), dec!(52.24)),
            (s("k-search-2"), dec!(1.75), dec!(11.79), dec!(13.54))
        ]
    );
    // Days in date order: the 2nd = e1; the 9th = e2 + e3.
    assert_eq!(
        view(&d.days),
        vec![
            (s("2026-03-02"), dec!(6.75), dec!(45.49), dec!(52.24)),
            (s("2026-03-09"), dec!(1.75), dec!(11.79), dec!(13.54))
        ]
    );
    let mystery = d.models.iter().find(|l| l.name == "mystery-1").unwrap();
    assert_eq!((mystery.requests, mystery.unpriced_requests), (3, 3));

    // support: 3.03 (3rd) and 0.999999 (20th) round to 3.03 and 1.00 = 4.03; overhead
    // 52.16 = 5216 cents: 5216 × 3.03 / 4.029999 = 3921.71 → 3921, 5216 × 0.999999 /
    // 4.029999 = 1294.29 → 1294; 1 cent left to the 3rd: 39.22 and 12.94.
    let support = team(&sb, "support");
    let d = team_drilldown(
        support,
        month("2026-03"),
        "USD",
        &data,
        &book(),
        &attributor,
    );
    assert_eq!(
        view(&d.days),
        vec![
            (s("2026-03-03"), dec!(3.03), dec!(39.22), dec!(42.25)),
            (s("2026-03-20"), dec!(1.00), dec!(12.94), dec!(13.94))
        ]
    );
    assert_eq!(
        view(&d.features),
        vec![(s("triage"), dec!(4.03), dec!(52.16), dec!(56.19))]
    );
}

/// Three teams of 0.006 each (two calls of 0.003): the org's 1.8 cents round to 2, and
/// the third team's row shows 0.00, while its own two lines (0.003 + 0.003) round to
/// 0.01 + 0.00. The view must still add up to 0.00 without showing a negative cost.
#[test]
fn a_drilldown_line_never_shows_a_negative_cost() {
    // 300 output × 10 / 1M = 0.003 per call.
    let call = |id: &str, t: &str, d: &str| {
        ev(
            json!({"id": id, "timestamp": format!("2026-03-{d}T10:00:00Z"), "provider": "openai", "model": "gpt-4o", "team": t, "output_tokens": 300}),
        )
    };
    let evs = [
        call("a1", "a", "01"),
        call("a2", "a", "02"),
        call("b1", "b", "01"),
        call("b2", "b", "02"),
        call("c1", "c", "01"),
        call("c2", "c", "02"),
    ];
    let data = month_data(&evs, vec![]);
    let attributor = Attributor::default();
    let sb = showback(month("2026-03"), "USD", &data, None, &book(), &attributor);
    // Σ 0.018 → 2 cents; each fraction .6, ties to the earlier: a and b get them.
    assert_eq!(
        (
            team(&sb, "a").token_cost,
            team(&sb, "b").token_cost,
            team(&sb, "c").token_cost
        ),
        (dec!(0.01), dec!(0.01), dec!(0.00))
    );
    let c = team(&sb, "c");
    let d = team_drilldown(c, month("2026-03"), "USD", &data, &book(), &attributor);
    assert_views_add_up(&d, c);
    for l in d
        .features
        .iter()
        .chain(&d.models)
        .chain(&d.keys)
        .chain(&d.days)
    {
        assert!(
            l.token_cost >= Decimal::ZERO,
            "line {} shows {}",
            l.name,
            l.token_cost
        );
    }
}

/// A team whose only cost is a direct overhead has no usage line to carry it.
#[test]
fn the_drilldown_of_a_team_with_only_an_overhead_adds_up_to_that_overhead() {
    let (mut data, attributor) = march();
    data.overheads.push(overhead(
        "2026-03",
        "platform",
        dec!(10.00),
        Allocation::Direct {
            team: "platform".into(),
        },
    ));
    let sb = march_showback(&data, &attributor);
    let p = team(&sb, "platform");
    let d = team_drilldown(p, month("2026-03"), "USD", &data, &book(), &attributor);
    assert_views_add_up(&d, p);
}

// ---------------------------------------------------------------------------------------------
// 5. Month over month
// ---------------------------------------------------------------------------------------------

#[test]
fn the_month_over_month_change_is_this_blended_cost_minus_last_months() {
    let (data, attributor) = march();
    let feb_events = vec![
        // search: 1,000,000 × 2.50 + 100,000 × 10 = 2.50 + 1.00 = 3.50
        ev(
            json!({"id": "f1", "timestamp": "2026-02-10T10:00:00Z", "provider": "openai", "model": "gpt-4o", "api_key": "k-search",
                  "input_tokens": 1_000_000, "output_tokens": 100_000}),
        ),
        // support: 1,000,000 × 3 = 3.00
        ev(
            json!({"id": "f2", "timestamp": "2026-02-11T10:00:00Z", "provider": "anthropic", "model": "claude-sonnet-4", "api_key": "k-support",
                  "input_tokens": 1_000_000}),
        ),
    ];
    // February's retrieval 65.00 by token cost: 6500 × 3.50 / 6.50 = 35.00 and 30.00.
    // (March's overheads are not February's.)
    let mut feb_overheads = march_overheads();
    feb_overheads.retain(|o| o.month == month("2026-03"));
    feb_overheads.push(overhead(
        "2026-02",
        "retrieval",
        dec!(65.00),
        Allocation::Proportional,
    ));
    let feb = month_data(&feb_events, feb_overheads);

    let prev = showback(month("2026-02"), "USD", &feb, None, &book(), &attributor);
    // search 3.50 + 35.00 = 38.50; support 3.00 + 30.00 = 33.00; Unallocated 0.
    assert_eq!(
        (
            team(&prev, "search").blended_cost,
            team(&prev, "support").blended_cost,
            prev.unallocated().blended_cost
        ),
        (dec!(38.50), dec!(33.00), dec!(0))
    );
    assert_eq!(prev.org_total, dec!(71.50));

    let sb = showback(
        month("2026-03"),
        "USD",
        &data,
        Some(&feb),
        &book(),
        &attributor,
    );
    assert_eq!(sb.previous_org_total, Some(dec!(71.50)));
    for t in &sb.teams {
        let before = prev.team(&t.team).map(|p| p.blended_cost);
        assert_eq!(
            t.mom_change,
            before.map(|b| t.blended_cost - b),
            "{}",
            t.team
        );
    }
    // search 65.78 − 38.50 = 27.28 (+70.857 % → 70.9); support 56.19 − 33.00 = 23.19
    // (+70.27 % → 70.3); Unallocated 2.39 − 0 = 2.39 (no percentage of zero); billing is new.
    let mom = |n: &str| (team(&sb, n).mom_change, team(&sb, n).mom_change_pct);
    assert_eq!(mom("search"), (Some(dec!(27.28)), Some(dec!(70.9))));
    assert_eq!(mom("support"), (Some(dec!(23.19)), Some(dec!(70.3))));
    assert_eq!(mom(UNALLOCATED), (Some(dec!(2.39)), None));
    assert_eq!(mom("billing"), (None, None));

    // Without a previous month there is no change at all.
    let alone = march_showback(&data, &attributor);
    assert!(
        alone
            .teams
            .iter()
            .all(|t| t.mom_change.is_none() && t.mom_change_pct.is_none())
    );
    assert_eq!(alone.previous_org_total, None);
}

// ---------------------------------------------------------------------------------------------
// 6. Properties
// ---------------------------------------------------------------------------------------------

const TEAMS: [&str; 4] = ["alpha", "beta", "gamma", "delta"];
const KEYS: [&str; 4] = ["k1", "k2", "k3", "k4"];
/// (provider, model); the last has no card, and `fresh` is priced only from the 15th.
const MODELS: [(&str, &str); 5] = [
    ("openai", "gpt-4o"),
    ("anthropic", "claude-sonnet-4"),
    ("gemini", "gemini-2.5-pro"),
    ("openai", "fresh"),
    ("acme", "mystery-1"),
];
const TIERS: [&str; 4] = ["standard", "batch", "flex", "priority"];
const OUTCOMES: [&str; 4] = ["success", "failure", "retry", "unknown"];

/// The small card set of the properties: two versions of gpt-4o (cheaper from the 20th),
/// claude with a priority tier, gemini with long-context rates, `fresh` from the 15th.
fn prop_book() -> PriceBook {
    let mut gpt = card(
        "openai",
        "gpt-4o",
        "2024-01-01",
        rates(dec!(2.5), Some(dec!(1.25)), None, dec!(10)),
    );
    gpt.tiers.insert(
        ServiceTier::Batch,
        Rates {
            input: Some(dec!(1.25)),
            output: Some(dec!(5)),
            ..Rates::default()
        },
    );
    let mut gpt_new = card(
        "openai",
        "gpt-4o",
        "2026-03-20",
        rates(dec!(2), Some(dec!(1)), None, dec!(8)),
    );
    gpt_new.tiers.insert(
        ServiceTier::Flex,
        Rates {
            input: Some(dec!(1)),
            output: Some(dec!(4)),
            ..Rates::default()
        },
    );
    let mut claude = card(
        "anthropic",
        "claude-sonnet-4",
        "2024-01-01",
        rates(dec!(3), Some(dec!(0.3)), Some(dec!(3.75)), dec!(15)),
    );
    claude.rates.reasoning = Some(dec!(17.5));
    claude.tiers.insert(
        ServiceTier::Priority,
        Rates {
            input: Some(dec!(6)),
            output: Some(dec!(30)),
            ..Rates::default()
        },
    );
    let mut gemini = card(
        "gemini",
        "gemini-2.5-pro",
        "2024-01-01",
        rates(dec!(1.25), Some(dec!(0.31)), None, dec!(10)),
    );
    gemini.long_context = vec![LongContext {
        threshold: 200_000,
        rates: Rates {
            input: Some(dec!(2.5)),
            output: Some(dec!(15)),
            ..Rates::default()
        },
        tiers: Default::default(),
    }];
    let fresh = card(
        "openai",
        "fresh",
        "2026-03-15",
        rates(dec!(0.15), Some(dec!(0.075)), None, dec!(0.6)),
    );
    PriceBook::new(vec![gpt, gpt_new, claude, gemini, fresh])
}

#[derive(Debug, Clone)]
struct Spec {
    key: Option<usize>,
    team: Option<usize>,
    feature: Option<usize>,
    model: usize,
    /// input, per-mille of it cached, per-mille of the rest written to cache.
    input: (u64, u64, u64),
    /// output, per-mille of it reasoning.
    output: (u64, u64),
    requests: u64,
    tier: usize,
    outcome: usize,
    /// day of March, hour.
    at: (u32, u32),
    workflow: Option<usize>,
}

prop_compose! {
    fn spec()(
        key in prop::option::of(0..KEYS.len()),
        team in prop::option::of(0..TEAMS.len()),
        feature in prop::option::of(0..3usize),
        model in 0..MODELS.len(),
        input in (0u64..400_000, 0u64..=1000, 0u64..=1000),
        output in (0u64..60_000, 0u64..=1000),
        requests in 1u64..4,
        tier in 0..TIERS.len(),
        outcome in 0..OUTCOMES.len(),
        at in (1u32..=31, 0u32..24),
        workflow in prop::option::of(0..6usize),
    ) -> Spec {
        Spec { key, team, feature, model, input, output, requests, tier, outcome, at, workflow }
    }
}

fn event_of(i: usize, s: &Spec) -> UsageEvent {
    let (input, cached_pm, write_pm) = s.input;
    let cached = input * cached_pm / 1000;
    let write = (input - cached) * write_pm / 1000;
    let (output, reasoning_pm) = s.output;
    let (provider, model) = MODELS[s.model];
    let mut v = json!({
        "id": format!("e{i}"), "timestamp": format!("2026-03-{:02}T{:02}:00:00Z", s.at.0, s.at.1),
        "provider": provider, "model": model,
        "input_tokens": input, "cached_input_tokens": cached, "cache_write_tokens": write,
        "output_tokens": output, "reasoning_tokens": output * reasoning_pm / 1000,
        "requests": s.requests, "service_tier": TIERS[s.tier], "outcome": OUTCOMES[s.outcome],
    });
    if let Some(k) = s.key {
        v["api_key"] = json!(KEYS[k]);
    }
    if let Some(t) = s.team {
        v["team"] = json!(TEAMS[t]);
    }
    if let Some(f) = s.feature {
        v["feature"] = json!(format!("f{f}"));
    }
    if let Some(w) = s.workflow {
        v["workflow_id"] = json!(format!("wf{w}"));
    }
    ev(v)
}

/// (key, team, day of March; 0 is a day in February).
fn mapping_strategy() -> impl Strategy<Value = Vec<KeyMapping>> {
    prop::collection::vec((0..KEYS.len(), 0..TEAMS.len(), 0u32..=31), 0..6).prop_map(|ms| {
        ms.into_iter()
            .map(|(k, t, d)| {
                let from = if d == 0 {
                    day("2026-02-20")
                } else {
                    NaiveDate::from_ymd_opt(2026, 3, d).unwrap()
                };
                KeyMapping {
                    api_key: KEYS[k].into(),
                    team: TEAMS[t].into(),
                    feature: None,
                    environment: None,
                    valid_from: from,
                }
            })
            .collect()
    })
}

/// Amounts in whole cents; the direct and fixed teams include one with no usage (`omega`).
fn overhead_strategy() -> impl Strategy<Value = Vec<Overhead>> {
    let names = || prop::sample::select(vec!["alpha", "beta", "gamma", "delta", "omega"]);
    let one = (
        0i64..5_000_000,
        0..4usize,
        prop::collection::vec((names(), 0i64..5), 1..4),
        names(),
    );
    prop::collection::vec(one, 0..5).prop_map(|os| {
        os.into_iter()
            .enumerate()
            .map(|(i, (cents, method, shares, direct))| {
                let allocation = match method {
                    0 => Allocation::Proportional,
                    1 => Allocation::Even,
                    2 => {
                        let mut shares: BTreeMap<String, Decimal> = shares
                            .into_iter()
                            .map(|(t, w)| (t.to_owned(), Decimal::from(w)))
                            .collect();
                        if !shares.values().any(|w| *w > Decimal::ZERO) {
                            *shares.values_mut().next().unwrap() = Decimal::ONE;
                        }
                        Allocation::Fixed { shares }
                    }
                    _ => Allocation::Direct {
                        team: direct.to_owned(),
                    },
                };
                let o = Overhead {
                    month: month("2026-03"),
                    category: format!("cat{i}"),
                    amount: Decimal::new(cents, 2),
                    allocation,
                };
                o.validate().expect("generated overheads are valid");
                o
            })
            .collect()
    })
}

/// Commitments on models used or not (one no event uses), fees in whole cents, capacities
/// from tiny (always exceeded) to large (mostly idle).
fn commitment_strategy() -> impl Strategy<Value = Vec<Commitment>> {
    let models = prop::sample::select(vec![
        ("openai", "gpt-4o"),
        ("anthropic", "claude-sonnet-4"),
        ("gemini", "gemini-2.5-pro"),
        ("openai", "never-used"),
    ]);
    prop::collection::vec((models, 0i64..10_000_000, 1u64..50_000_000), 0..4).prop_map(|cs| {
        let mut seen = std::collections::BTreeSet::new();
        cs.into_iter()
            .filter(|((p, m), _, _)| seen.insert((*p, *m)))
            .map(|((provider, model), fee, capacity)| Commitment {
                month: month("2026-03"),
                provider: provider.into(),
                model: model.into(),
                fee: Decimal::new(fee, 2),
                capacity_tokens: capacity,
                utilisation_floor: DEFAULT_UTILISATION_FLOOR,
            })
            .collect()
    })
}

/// Discounts per provider from a day of March (0: from February), in hundredths of percent.
fn discount_strategy() -> impl Strategy<Value = Vec<Discount>> {
    let providers = prop::sample::select(vec!["openai", "anthropic", "gemini", "acme"]);
    prop::collection::vec((providers, 0i64..=10_000, 0u32..=31), 0..4).prop_map(|ds| {
        ds.into_iter()
            .map(|(provider, bp, d)| Discount {
                provider: provider.into(),
                percent: Decimal::new(bp, 2),
                effective_from: if d == 0 {
                    day("2026-02-01")
                } else {
                    NaiveDate::from_ymd_opt(2026, 3, d).unwrap()
                },
            })
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn every_cent_of_the_month_lands_in_exactly_one_team(
        specs in prop::collection::vec(spec(), 0..200),
        mappings in mapping_strategy(),
        overheads in overhead_strategy(),
        commitments in commitment_strategy(),
        discounts in discount_strategy(),
    ) {
        let events: Vec<UsageEvent> = specs.iter().enumerate().map(|(i, s)| event_of(i, s)).collect();
        let mut data = month_data(&events, overheads.clone());
        data.commitments = commitments.clone();
        data.discounts = discounts.clone();
        let book = prop_book();
        let attributor = Attributor::new(mappings, vec![]);
        let sb = showback(month("2026-03"), "USD", &data, None, &book, &attributor);

        // Σ blended (Unallocated included) + idle = org total
        //   = Σ token cost + Σ overheads + Σ commitment fees.
        let blended: Decimal = sb.teams.iter().map(|t| t.blended_cost).sum();
        prop_assert_eq!(blended + sb.idle_commitment, sb.org_total);
        let token: Decimal = sb.teams.iter().map(|t| t.token_cost).sum();
        let amounts: Decimal = overheads.iter().map(|o| o.amount).sum();
        let fees: Decimal = commitments.iter().map(|c| c.fee).sum();
        prop_assert_eq!(sb.org_total, token + amounts + fees);
        prop_assert_eq!(sb.token_cost, token);
        prop_assert_eq!(sb.overhead, amounts);
        prop_assert_eq!(sb.commitment + sb.idle_commitment, fees);
        for u in &sb.commitments {
            prop_assert_eq!(u.shares.values().copied().sum::<Decimal>() + u.idle, u.fee);
            prop_assert!(u.idle >= Decimal::ZERO);
        }
        prop_assert!(sb.list_cost >= sb.token_cost);

        // The rounded token costs add up to the rounded exact total, each within a cent.
        let exact: Decimal = sb.teams.iter().map(|t| t.token_cost_exact).sum();
        prop_assert_eq!(token, from_cents(cents(exact)));
        for t in &sb.teams {
            prop_assert!((t.token_cost - t.token_cost_exact).abs() < dec!(0.01), "{}: {} vs {}", t.team, t.token_cost, t.token_cost_exact);
            prop_assert!(t.blended_cost == t.blended_cost.round_dp(2), "{}'s blended cost {} has sub-cent digits", t.team, t.blended_cost);
            prop_assert!(t.token_cost >= Decimal::ZERO && t.overhead >= Decimal::ZERO);
        }
        prop_assert!(sb.team(UNALLOCATED).is_some());
        prop_assert_eq!(&sb.teams.last().unwrap().team, UNALLOCATED);

        // Each overhead splits exactly, and the showback shows exactly that split.
        let exact_by_team: BTreeMap<String, Decimal> = sb.teams.iter().map(|t| (t.team.clone(), t.token_cost_exact)).collect();
        for o in &overheads {
            let split = o.allocate(&exact_by_team);
            prop_assert_eq!(split.values().copied().sum::<Decimal>(), o.amount, "{:?}", o);
            for t in &sb.teams {
                let shown = t.overhead_by_category.get(&o.category).copied().unwrap_or_default();
                prop_assert_eq!(shown, split.get(&t.team).copied().unwrap_or_default(), "{} in {}", t.team, o.category);
            }
            // Unallocated is never part of an even or fixed split while a team has spend.
            let others_spent = exact_by_team.iter().any(|(t, c)| t != UNALLOCATED && *c > Decimal::ZERO);
            if matches!(o.allocation, Allocation::Even) && others_spent {
                prop_assert!(!split.contains_key(UNALLOCATED), "{:?}", split);
            }
        }

        // An independent oracle: price every event on its own with the card in force on its
        // day, attribute it on its own, and sum per team.
        let mut oracle: BTreeMap<String, Decimal> = BTreeMap::new();
        let mut unpriced = TokenCounts::default();
        let mut all = TokenCounts::default();
        for e in &events {
            let d = e.timestamp.date_naive();
            let dims = Dims::of(e);
            let tags = dims.parse_tags();
            let owner = attributor.resolve(&dims.event_dims(&tags), d);
            // The discount in force: the latest of the provider's that started by this day.
            let factor = discounts
                .iter()
                .filter(|x| x.provider == e.provider && x.effective_from <= d)
                .max_by_key(|x| x.effective_from)
                .map_or(Decimal::ONE, |x| (dec!(100) - x.percent) / dec!(100));
            let cost = match book.lookup(&e.provider, &e.model, d) {
                Some(id) => price(book.card(id), e.service_tier, context_band(e.tokens.input / e.requests), &e.tokens).total() * factor,
                None => {
                    unpriced.add(&e.tokens);
                    Decimal::ZERO
                }
            };
            *oracle.entry(owner.team).or_default() += cost;
            all.add(&e.tokens);
        }
        for t in &sb.teams {
            prop_assert_eq!(t.token_cost_exact, oracle.get(&t.team).copied().unwrap_or_default(), "{}", t.team);
        }
        prop_assert_eq!(sb.tokens, all);
        let mut listed = TokenCounts::default();
        sb.unpriced.iter().for_each(|u| listed.add(&u.tokens));
        prop_assert_eq!(listed, unpriced);
        prop_assert_eq!(sb.requests, events.iter().map(|e| e.requests).sum::<u64>());

        // Every team with usage drills down into views that add up to its row.
        for t in sb.teams.iter().filter(|t| t.events > 0) {
            let d = team_drilldown(t, month("2026-03"), "USD", &data, &book, &attributor);
            assert_views_add_up(&d, t);
        }
    }
}
