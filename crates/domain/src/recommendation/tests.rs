//! Hand-computed cases: each lever alone, the overlap order, a cheaper model whose retries
//! make it dearer per success, and what-if re-pricing against the same rows under the other
//! model's name.
//!
//! Cards (per 1M tokens): `big` input 10, cache read 1, cache write 12.5, output 30, batch
//! 5/15, above 200k input 20/45; `small` input 1, cache read 0.1, cache write 1.25,
//! output 3, batch 0.5/1.5; `mid` input 9.5, output 20 (no cache rates).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

use super::*;
use crate::attribution::Attributor;
use crate::catalog::PriceBook;
use crate::commitment::CommitmentUse;
use crate::event::{Outcome, ServiceTier};
use crate::ledger::{Ledger, UsageRow};
use crate::price_card::{LongContext, PriceCard, Rates};
use crate::rollup::{RollupKey, RollupTotals};
use crate::tokens::TokenCounts;
use crate::unit_economics::WorkflowStats;

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 10, 15).unwrap()
}

fn month() -> Month {
    Month::of(day())
}

fn rates(
    input: Decimal,
    cached: Option<Decimal>,
    write: Option<Decimal>,
    output: Decimal,
) -> Rates {
    Rates {
        input: Some(input),
        cached_input: cached,
        cache_write: write,
        output: Some(output),
        ..Rates::default()
    }
}

fn card(model: &str, r: Rates) -> PriceCard {
    PriceCard {
        provider: "p".into(),
        model: model.into(),
        effective_from: NaiveDate::from_ymd_opt(2024, 1, 1).unwrap(),
        rates: r,
        tiers: Default::default(),
        long_context: Vec::new(),
        origin: "test".into(),
    }
}

fn book() -> PriceBook {
    let mut big = card(
        "big",
        rates(dec!(10), Some(dec!(1)), Some(dec!(12.5)), dec!(30)),
    );
    big.tiers
        .insert(ServiceTier::Batch, rates(dec!(5), None, None, dec!(15)));
    big.long_context = vec![LongContext {
        threshold: 200_000,
        rates: rates(dec!(20), None, None, dec!(45)),
        tiers: Default::default(),
    }];
    let mut small = card(
        "small",
        rates(dec!(1), Some(dec!(0.1)), Some(dec!(1.25)), dec!(3)),
    );
    small
        .tiers
        .insert(ServiceTier::Batch, rates(dec!(0.5), None, None, dec!(1.5)));
    let mid = card("mid", rates(dec!(9.5), None, None, dec!(20)));
    PriceBook::new(vec![big, small, mid])
}

/// A row builder: team `t`, feature `f`, key `k`, standard tier, band 0, outside workflows.
struct Row {
    key: RollupKey,
    totals: RollupTotals,
}

fn row(model: &str, outcome: Outcome, requests: u64, input: u64, output: u64) -> Row {
    Row {
        key: RollupKey {
            day: day(),
            provider: "p".into(),
            model: model.into(),
            api_key: "k".into(),
            team: "t".into(),
            feature: "f".into(),
            environment: String::new(),
            tags: String::new(),
            service_tier: ServiceTier::Standard,
            outcome,
            context_band: 0,
            in_workflow: false,
        },
        totals: RollupTotals {
            events: requests,
            requests,
            tokens: TokenCounts::new(input, 0, 0, output, 0).unwrap(),
            standalone_successes: if outcome == Outcome::Success {
                requests
            } else {
                0
            },
        },
    }
}

impl Row {
    fn owner(mut self, team: &str, feature: &str) -> Self {
        self.key.team = team.into();
        self.key.feature = feature.into();
        self
    }
    fn tokens(mut self, t: TokenCounts) -> Self {
        self.totals.tokens = t;
        self
    }
    fn band(mut self, band: u64) -> Self {
        self.key.context_band = band;
        self
    }
    fn workflow(mut self) -> Self {
        self.key.in_workflow = true;
        self
    }
    fn done(self) -> UsageRow {
        UsageRow {
            key: self.key,
            totals: self.totals,
        }
    }
}

/// Runs one lever alone on the pool of team `t`, feature `f`, model `model`.
fn lever_alone(
    lever: Lever,
    rows: &[UsageRow],
    settings: &Settings,
    workflows: Option<WorkflowStats>,
) -> Option<Step> {
    let book = book();
    let attributor = Attributor::default();
    let ledger = Ledger::new(rows, &[], &attributor, &book);
    let (pools, models) = pool::pools(&ledger);
    let (key, pool) = pools
        .iter()
        .find(|(k, _)| k.team == "t" && k.feature == "f")?;
    let cx = PoolContext {
        month: month(),
        book: &book,
        discounts: &[],
        settings,
        key,
        pool,
        models: &models,
        workflows: workflows.as_ref(),
    };
    run(lever, &cx, &pool.slices)
}

fn recommend_rows(rows: &[UsageRow], settings: &Settings) -> Vec<Recommendation> {
    let book = book();
    let attributor = Attributor::default();
    let ledger = Ledger::new(rows, &[], &attributor, &book);
    recommend(&Inputs {
        month: month(),
        ledger: &ledger,
        workflows: &[],
        attributor: &attributor,
        commitments: &[],
        keys: &[],
        today: day(),
        settings,
    })
}

#[test]
fn retries_above_the_ceiling_are_priced_down_to_it() {
    // 1,000,000 input succeeded (10.00), 500,000 failed (5.00): waste 5 of 15, 33.3%.
    // Tolerated: 5% of 15 = 0.75, so 5 − 0.75 = 4.25 is the saving.
    let rows = [
        row("big", Outcome::Success, 100, 1_000_000, 0).done(),
        row("big", Outcome::Failure, 50, 500_000, 0).done(),
    ];
    let step = lever_alone(Lever::Retries, &rows, &Settings::default(), None).unwrap();
    assert_eq!(step.saving, dec!(4.25));
    assert_eq!(step.basis, Basis::Assumed);
    // Under the ceiling: nothing.
    let rows = [
        row("big", Outcome::Success, 100, 1_000_000, 0).done(),
        row("big", Outcome::Failure, 1, 10_000, 0).done(),
    ];
    assert!(lever_alone(Lever::Retries, &rows, &Settings::default(), None).is_none());
}

#[test]
fn runaway_workflows_shrink_to_the_ceilings_of_calls_and_context() {
    // 10 workflows, 200 calls: 20 a workflow against 10, so calls × 0.5. Context grows 9×
    // against 4×: input × (1 + 4) ÷ (1 + 9) = 0.5. Input 1,000,000 (10.00) → 250,000
    // (2.50); output 100,000 (3.00) → 50,000 (1.50): 13 − 4 = 9.
    let rows = [row("big", Outcome::Success, 200, 1_000_000, 100_000)
        .workflow()
        .done()];
    let stats = WorkflowStats {
        workflows: 10,
        completed: 10,
        calls: 200,
        first_input: 1_000,
        last_input: 9_000,
    };
    let step = lever_alone(Lever::Runaway, &rows, &Settings::default(), Some(stats)).unwrap();
    assert_eq!(step.saving, dec!(9));
    let calm = WorkflowStats {
        calls: 50,
        last_input: 2_000,
        ..stats
    };
    assert!(lever_alone(Lever::Runaway, &rows, &Settings::default(), Some(calm)).is_none());
}

#[test]
fn outputs_above_the_ceiling_are_capped_in_every_output_class() {
    // 100 requests, 500,000 output of which 100,000 reasoning (reasoning at the output rate,
    // 30): 15.00. 5,000 a request against 2,000: × 0.4 → 6.00; saving 9.
    let t = TokenCounts::new(0, 0, 0, 500_000, 100_000).unwrap();
    let rows = [row("big", Outcome::Success, 100, 0, 0).tokens(t).done()];
    let step = lever_alone(Lever::OutputCap, &rows, &Settings::default(), None).unwrap();
    assert_eq!(step.saving, dec!(9));
}

#[test]
fn long_context_calls_are_repriced_at_the_base_band() {
    // 10 calls above 200k: 2,500,000 input × 20 = 50.00, 10,000 output × 45 = 0.45.
    // At base rates: 25.00 + 0.30. Saving 50.45 − 25.30 = 25.15.
    let rows = [row("big", Outcome::Success, 10, 2_500_000, 10_000)
        .band(200_000)
        .done()];
    let step = lever_alone(Lever::LongContext, &rows, &Settings::default(), None).unwrap();
    assert_eq!(step.saving, dec!(25.15));
}

#[test]
fn caching_moves_the_repeatable_share_to_the_cards_cache_read_rate_net_of_writes() {
    // 100 requests of 10,000 input, none cached. Half is repeatable: 500,000 tokens that
    // cost 5.00 at the input rate. One in ten is written (9 reads a write): 50,000 × 12.5 =
    // 0.625; 450,000 read × 1 = 0.45. Saving 5 − 1.075 = 3.925.
    let rows = [row("big", Outcome::Success, 100, 1_000_000, 0).done()];
    let step = lever_alone(Lever::Caching, &rows, &Settings::default(), None).unwrap();
    assert_eq!(step.saving, dec!(3.925));
    // A card without cache rates prices cache reads as input: nothing to save.
    let rows = [row("mid", Outcome::Success, 100, 1_000_000, 0).done()];
    let step = lever_alone(Lever::Caching, &rows, &Settings::default(), None).unwrap();
    assert_eq!(step.saving, Decimal::ZERO);
    // Small prompts are left alone.
    let rows = [row("big", Outcome::Success, 1_000, 1_000_000, 0).done()];
    assert!(lever_alone(Lever::Caching, &rows, &Settings::default(), None).is_none());
}

/// The pool (90 successes, 10 failures, 1,000,000 input on `big`: 10.00) and another
/// team's use of `candidate` with the given outcomes.
fn routing_rows(candidate: &str, won: u64, lost: u64) -> Vec<UsageRow> {
    let mut rows = vec![
        row("big", Outcome::Success, 90, 900_000, 0).done(),
        row("big", Outcome::Failure, 10, 100_000, 0).done(),
    ];
    let other = |o, n| row(candidate, o, n, 1_000, 1_000).owner("u", "g").done();
    if won > 0 {
        rows.push(other(Outcome::Success, won));
    }
    if lost > 0 {
        rows.push(other(Outcome::Failure, lost));
    }
    rows
}

#[test]
fn routing_recommends_a_proven_cheaper_model() {
    // `small` succeeds 95% of the time elsewhere, the pool 90%. The same 1,000,000 input on
    // `small`: 1.00. Saving 10 − 1 = 9, measured; break-even 90% × 1 ÷ 10 = 9%.
    let step = lever_alone(
        Lever::Routing,
        &routing_rows("small", 95, 5),
        &Settings::default(),
        None,
    )
    .unwrap();
    assert_eq!(step.saving, dec!(9));
    assert_eq!(step.basis, Basis::Measured);
    assert_eq!(step.candidate.as_deref(), Some("p/small"));
    assert_eq!(step.break_even_success_pct, Some(dec!(9)));
}

#[test]
fn a_cheaper_model_whose_retries_make_it_dearer_per_success_is_never_a_saving() {
    // `mid` prices the pool's tokens at 9.50 (cheaper than 10.00) but succeeds 10% of the
    // time: the pool's 90 successes would take 9.50 × 0.9 ÷ 0.1 = 85.50. No recommendation.
    let step = lever_alone(
        Lever::Routing,
        &routing_rows("mid", 10, 90),
        &Settings::default(),
        None,
    );
    assert!(step.is_none(), "{step:?}");
    // And on the whole month: no routing item at all.
    let recs = recommend_rows(&routing_rows("mid", 10, 90), &Settings::default());
    assert!(recs.iter().all(|r| r.lever != Lever::Routing), "{recs:?}");
}

#[test]
fn a_cheaper_model_with_a_lower_or_unknown_success_rate_is_untested() {
    // `small` at 60%: the same successes cost 1 × 0.9 ÷ 0.6 = 1.50, so 8.50 less, but it is
    // not proven: untested, break-even 9%, not counted.
    let step = lever_alone(
        Lever::Routing,
        &routing_rows("small", 60, 40),
        &Settings::default(),
        None,
    )
    .unwrap();
    assert_eq!((step.saving, step.basis), (dec!(8.5), Basis::Untested));
    assert_eq!(step.break_even_success_pct, Some(dec!(9)));
    // Used, but without outcomes: untested at the re-priced difference (9 alone).
    let mut rows = routing_rows("small", 0, 0);
    rows.push(
        row("small", Outcome::Unknown, 50, 1_000, 1_000)
            .owner("u", "g")
            .done(),
    );
    let step = lever_alone(Lever::Routing, &rows, &Settings::default(), None).unwrap();
    assert_eq!((step.saving, step.basis), (dec!(9), Basis::Untested));
    // On the whole month it comes after retries and caching, on what they left: retries
    // (10% waste against 5%) leave 950,000 input (9.50); caching moves 475,000: 47,500
    // written (0.59375) and 427,500 read (0.4275), leaving 5.77125. On `small` that is
    // 0.475 + 0.04275 + 0.059375 = 0.577125: 5.194125, untested, not counted.
    let recs = recommend_rows(&rows, &Settings::default());
    let routing: Vec<_> = recs.iter().filter(|r| r.lever == Lever::Routing).collect();
    assert_eq!(routing.len(), 1);
    assert_eq!(
        (routing[0].monthly_saving, routing[0].basis),
        (dec!(5.194125), Basis::Untested)
    );
    assert!(!routing[0].counts());
    assert_eq!(total(&recs), dec!(0.5) + dec!(3.72875));
}

#[test]
fn batch_reprices_features_marked_not_latency_bound_on_the_cards_batch_rates() {
    // 1,000,000 input and 100,000 output: 10 + 3 = 13 standard, 5 + 1.5 = 6.5 batch.
    let rows = [row("big", Outcome::Success, 100, 1_000_000, 100_000).done()];
    assert!(lever_alone(Lever::Batch, &rows, &Settings::default(), None).is_none());
    let marked = Settings {
        not_latency_bound: vec![FeatureRef {
            team: "t".into(),
            feature: "f".into(),
        }],
        ..Settings::default()
    };
    let step = lever_alone(Lever::Batch, &rows, &marked, None).unwrap();
    assert_eq!((step.saving, step.basis), (dec!(6.5), Basis::Measured));
    // `mid` has no batch rates: nothing.
    let rows = [row("mid", Outcome::Success, 100, 1_000_000, 100_000).done()];
    assert!(lever_alone(Lever::Batch, &rows, &marked, None).is_none());
}

#[test]
fn idle_commitments_save_their_idle_fee_and_zombie_keys_are_listed() {
    let used = CommitmentUse {
        provider: "p".into(),
        model: "big".into(),
        fee: dec!(1000),
        capacity_tokens: 1_000_000,
        used_tokens: 600_000,
        utilisation: dec!(60),
        underused: true,
        shares: BTreeMap::new(),
        idle: dec!(400),
    };
    let recs = idle::commitments(month(), &[used]);
    assert_eq!(recs.len(), 1);
    assert_eq!(
        (recs[0].monthly_saving, recs[0].basis),
        (dec!(400), Basis::Measured)
    );
    let keys = [
        OwnedKey {
            api_key: "old".into(),
            team: "t".into(),
            last_used: Some(day() - chrono::Duration::days(40)),
        },
        OwnedKey {
            api_key: "busy".into(),
            team: "t".into(),
            last_used: Some(day() - chrono::Duration::days(10)),
        },
        OwnedKey {
            api_key: "never".into(),
            team: "t".into(),
            last_used: None,
        },
    ];
    let zombies = idle::zombie_keys(month(), &keys, day(), &Settings::default());
    let names: Vec<&str> = zombies.iter().map(|r| r.key.as_str()).collect();
    assert_eq!(names, ["old", "never"]);
    assert!(zombies.iter().all(|r| r.monthly_saving.is_zero()));
}

#[test]
fn levers_apply_in_order_to_what_remains_and_never_exceed_the_cost() {
    // On `big`: 100 successes and 100 failures, each 1,000,000 input and 500,000 output
    // (10 + 15 = 25 each): 50.00. `small` succeeds every time elsewhere. t/f is marked
    // not latency-bound.
    let mut rows = vec![
        row("big", Outcome::Success, 100, 1_000_000, 500_000).done(),
        row("big", Outcome::Failure, 100, 1_000_000, 500_000).done(),
    ];
    rows.push(
        row("small", Outcome::Success, 100, 100, 100)
            .owner("u", "g")
            .done(),
    );
    let settings = Settings {
        not_latency_bound: vec![FeatureRef {
            team: "t".into(),
            feature: "f".into(),
        }],
        ..Settings::default()
    };
    let recs = recommend_rows(&rows, &settings);
    let of = |lever| {
        recs.iter()
            .find(|r| r.lever == lever && r.team == "t")
            .map(|r| r.monthly_saving)
    };
    // 1. Retries: waste 25 against 5% of 50 = 2.50; failures × 0.1. Saving 22.50; left
    //    1,100,000 input (11.00) and 550,000 output (16.50) over 110 requests.
    assert_eq!(of(Lever::Retries), Some(dec!(22.5)));
    // 2. Output: 5,000 a request against 2,000, × 0.4: 16.50 → 6.60. Saving 9.90.
    assert_eq!(of(Lever::OutputCap), Some(dec!(9.9)));
    // 3. Caching: 10,000 input a request, none cached. 550,000 repeatable (5.50) → 55,000
    //    written (0.6875) + 495,000 read (0.495). Saving 4.3175; left 13.2825.
    assert_eq!(of(Lever::Caching), Some(dec!(4.3175)));
    // 4. Routing to `small` (100% ≥ 50%): 0.55 + 0.0495 + 0.06875 + 0.66 = 1.32825.
    //    Saving 13.2825 − 1.32825 = 11.95425.
    assert_eq!(of(Lever::Routing), Some(dec!(11.95425)));
    // 5. Batch on what is left, now on `small`: 0.275 + 0.0495 + 0.06875 + 0.33 = 0.72325.
    //    Saving 0.605.
    assert_eq!(of(Lever::Batch), Some(dec!(0.605)));
    assert_eq!(of(Lever::Runaway), None);
    assert_eq!(of(Lever::LongContext), None);
    // Together: 50 − 0.72325 = 49.27675, under the pool's 50.00 ...
    let t_total: Decimal = recs
        .iter()
        .filter(|r| r.team == "t")
        .map(|r| r.monthly_saving)
        .sum();
    assert_eq!(t_total, dec!(49.27675));
    assert_eq!(total(&recs), dec!(49.27675));
    // ... where each lever priced alone on the whole pool would claim more than it costs
    // (retries 22.50 and routing 45.00 alone already make 67.50).
    let alone = lever_alone(Lever::Routing, &rows, &settings, None).unwrap();
    assert_eq!(alone.saving, dec!(45));
    // Ranked largest first, with stable ids of the month.
    assert!(
        recs.windows(2)
            .all(|w| w[0].monthly_saving >= w[1].monthly_saving)
    );
    assert!(recs.iter().all(|r| month_of_id(&r.id) == Some(month())));
    let again = recommend_rows(&rows, &settings);
    assert_eq!(
        recs.iter().map(|r| &r.id).collect::<Vec<_>>(),
        again.iter().map(|r| &r.id).collect::<Vec<_>>()
    );
    // Cost per success: 50 ÷ 100 = 0.50 today; after retries alone, 27.5 ÷ 100.
    let retries = recs.iter().find(|r| r.lever == Lever::Retries).unwrap();
    assert_eq!(retries.cost_per_success, Some(dec!(0.5)));
    assert_eq!(retries.implied_cost_per_success, Some(dec!(0.275)));
}

#[test]
fn what_if_repricing_equals_the_same_rows_under_the_other_models_name() {
    // A mix with cache reads and writes, reasoning, a long-context band and two tiers,
    // re-priced on `small` by the routing lever, against the ledger's own price of the very
    // same rows renamed to `small`.
    let mixed = TokenCounts::new(3_333_333, 1_234_567, 77_777, 987_654, 123_457).unwrap();
    let mut rows = vec![
        row("big", Outcome::Success, 77, 0, 0).tokens(mixed).done(),
        row("big", Outcome::Success, 5, 0, 0)
            .tokens(TokenCounts::new(1_500_001, 0, 0, 3_333, 0).unwrap())
            .band(200_000)
            .done(),
    ];
    let mut batch = row("big", Outcome::Failure, 13, 0, 0).tokens(mixed);
    batch.key.service_tier = ServiceTier::Batch;
    rows.push(batch.done());
    let book = book();
    let attributor = Attributor::default();
    let ledger = Ledger::new(&rows, &[], &attributor, &book);
    let (pools, _) = pool::pools(&ledger);
    let (_, pool) = pools.iter().next().unwrap();
    let small = book.lookup("p", "small", day()).unwrap();
    let what_if: Vec<Slice> = pool
        .slices
        .iter()
        .map(|s| Slice {
            card: small,
            ..s.clone()
        })
        .collect();
    let what_if = pool::cost(&book, &what_if);
    let renamed: Vec<UsageRow> = rows
        .iter()
        .map(|r| {
            let mut r = r.clone();
            r.key.model = "small".into();
            r
        })
        .collect();
    let ledger = Ledger::new(&renamed, &[], &attributor, &book);
    let actual: Decimal = ledger
        .summarize(|_| Some(()))
        .values()
        .map(|s| s.token_cost())
        .sum();
    assert_eq!(what_if.round_dp(2), actual.round_dp(2));
    assert_eq!(what_if, actual);
}

#[test]
fn ids_are_stable_and_carry_their_month() {
    let a = id(month(), Lever::Routing, "t", "f", "k", "p/big");
    assert_eq!(a, id(month(), Lever::Routing, "t", "f", "k", "p/big"));
    assert_ne!(a, id(month(), Lever::Caching, "t", "f", "k", "p/big"));
    assert_ne!(a, id(month(), Lever::Routing, "tf", "", "k", "p/big"));
    assert_eq!(month_of_id(&a), Some(month()));
    assert_eq!(month_of_id("2026-10-zz"), None);
    assert_eq!(month_of_id("nonsense"), None);
    assert_eq!("routing".parse::<Lever>(), Ok(Lever::Routing));
    assert!("teleport".parse::<Lever>().is_err());
}
