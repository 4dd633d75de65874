//! Why the bill moved: two months of usage, and the change in blended cost split into
//! attribution, new, gone, volume, mix, price, overheads and commitments, adding up to the
//! change to the cent.
//!
//! March 2026 is the earlier month (A), April 2026 the later (B). Rates are per 1,000,000
//! tokens; every amount below is worked out by hand in a comment.

use chrono::NaiveDate;
use proptest::prelude::*;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde_json::{Value, json};
use tokentally_domain::allocation::{Allocation, Overhead, cents, from_cents};
use tokentally_domain::attribution::{Attributor, KeyMapping, UNALLOCATED, UNASSIGNED};
use tokentally_domain::catalog::PriceBook;
use tokentally_domain::commitment::{Commitment, DEFAULT_UTILISATION_FLOOR};
use tokentally_domain::discount::Discount;
use tokentally_domain::drilldown::team_drilldown;
use tokentally_domain::event::{ServiceTier, UsageEvent};
use tokentally_domain::movement::{
    By, Contributor, MonthSide, Movement, PartKind, Scope, TOP_CONTRIBUTORS, movement,
};
use tokentally_domain::price_card::{PriceCard, Rates};
use tokentally_domain::showback::{MonthData, Showback, showback};

mod support;

use support::*;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// One month as storage and showback would hold it.
struct Side {
    data: MonthData,
    showback: Showback,
}

fn side(m: &str, data: MonthData, book: &PriceBook, attributor: &Attributor) -> Side {
    let showback = showback(month(m), "USD", &data, None, book, attributor);
    Side { data, showback }
}

fn sides<'a>(
    a: &'a Side,
    b: &'a Side,
    attributor: &'a Attributor,
) -> (MonthSide<'a>, MonthSide<'a>) {
    let s = |x: &'a Side| MonthSide {
        data: &x.data,
        attributor,
        showback: &x.showback,
    };
    (s(a), s(b))
}

/// The movement from March to April in `scope`, both months read with one attributor (as
/// the server does: mappings carry their own dates).
fn move_between(
    scope: &Scope,
    a: &Side,
    b: &Side,
    attributor: &Attributor,
    book: &PriceBook,
) -> Movement {
    let (before, after) = sides(a, b, attributor);
    let m = movement(scope, &before, &after, book);
    assert_adds_up(&m);
    m
}

/// The invariants every movement keeps, whatever it explains.
fn assert_adds_up(m: &Movement) {
    assert_eq!(m.change, m.after_total - m.before_total);
    let kinds: Vec<PartKind> = m.parts.iter().map(|p| p.kind).collect();
    assert_eq!(kinds, PartKind::ALL, "every part, in the chain's order");
    assert_eq!(
        m.parts.iter().map(|p| p.amount).sum::<Decimal>(),
        m.change,
        "the parts add up to the change: {m:#?}"
    );
    for p in &m.parts {
        assert_eq!(p.amount, p.amount.round_dp(2), "{:?} is in cents", p.kind);
        if !p.contributors.is_empty() {
            assert_eq!(
                p.contributors.iter().map(|c| c.amount).sum::<Decimal>(),
                p.amount,
                "{:?}'s contributors add up to it: {:#?}",
                p.kind,
                p.contributors
            );
        }
        assert!(p.contributors.len() <= TOP_CONTRIBUTORS);
        assert!(p.contributors.iter().all(|c| !c.amount.is_zero()));
    }
}

fn amounts(m: &Movement) -> [Decimal; 8] {
    PartKind::ALL.map(|k| m.part(k).amount)
}

/// Parts as [attribution, new, gone, volume, mix, price, overheads, commitments].
fn parts(values: [Decimal; 8]) -> [Decimal; 8] {
    values
}

fn contributors(m: &Movement, kind: PartKind) -> Vec<(By, &str, Decimal)> {
    m.part(kind)
        .contributors
        .iter()
        .map(|c: &Contributor| (c.by, c.name.as_str(), c.amount))
        .collect()
}

fn team_scope(t: &str) -> Scope {
    Scope::Team { team: t.into() }
}

fn feature_scope(t: &str, f: &str) -> Scope {
    Scope::Feature {
        team: t.into(),
        feature: f.into(),
    }
}

/// A gpt-4o or claude call on a day, from its JSON without the boilerplate.
fn call(id: &str, day: &str, mut v: Value) -> UsageEvent {
    v["id"] = json!(id);
    v["timestamp"] = json!(format!("{day}T10:00:00Z"));
    ev(v)
}

fn with_cards(extra: Vec<PriceCard>) -> PriceBook {
    let mut cards = book().cards().to_vec();
    cards.extend(extra);
    PriceBook::new(cards)
}

/// gpt-4o from April: 2.00 input, 1.00 cached, 8.00 output (from 2.50 / 1.25 / 10).
fn gpt_4o_april() -> PriceCard {
    card(
        "openai",
        "gpt-4o",
        "2026-04-01",
        rates(dec!(2), Some(dec!(1)), None, dec!(8)),
    )
}

/// gpt-4o-mini, priced since long before either month: 0.15 input, 0.60 output.
fn gpt_4o_mini() -> PriceCard {
    card(
        "openai",
        "gpt-4o-mini",
        "2000-01-01",
        rates(dec!(0.15), None, None, dec!(0.6)),
    )
}

fn discount(provider: &str, percent: Decimal, from: &str) -> Discount {
    Discount {
        provider: provider.into(),
        percent,
        effective_from: day(from),
    }
}

// ---------------------------------------------------------------------------------------------
// 1. The acceptance case: every kind of movement at once, each part by hand
// ---------------------------------------------------------------------------------------------

/// March: search's chat on gpt-4o, support's triage on claude, an unmapped key on gpt-4o.
fn acceptance_march() -> Vec<UsageEvent> {
    vec![
        // search/chat, gpt-4o: 1,000,000 plain × 2.50 = 2.50; 1,000,000 cached × 1.25 = 1.25;
        // 200,000 output × 10 = 2.00 → 5.75 (2,200,000 tokens).
        call(
            "a1",
            "2026-03-10",
            json!({"provider": "openai", "model": "gpt-4o", "api_key": "k-search", "feature": "chat",
                   "input_tokens": 2_000_000, "cached_input_tokens": 1_000_000, "output_tokens": 200_000}),
        ),
        // support/triage, claude: 1,000,000 × 3 = 3.00; 100,000 × 15 = 1.50 → 4.50 (1,100,000).
        call(
            "a2",
            "2026-03-10",
            json!({"provider": "anthropic", "model": "claude-sonnet-4", "api_key": "k-support", "feature": "triage",
                   "input_tokens": 1_000_000, "output_tokens": 100_000}),
        ),
        // k-orphan (Unallocated in March), gpt-4o: 700,000 × 2.50 = 1.75 (700,000).
        call(
            "a3",
            "2026-03-10",
            json!({"provider": "openai", "model": "gpt-4o", "api_key": "k-orphan", "input_tokens": 700_000}),
        ),
    ]
}

/// April: gpt-4o is cheaper, anthropic gives 10% off, support adds gpt-4o-mini, k-orphan now
/// belongs to support, search starts a new feature on gpt-4o-mini.
fn acceptance_april() -> Vec<UsageEvent> {
    vec![
        // search/chat, gpt-4o (3,300,000 tokens):
        //   April rates: 1,500,000 × 2 = 3.00; 1,500,000 cached × 1 = 1.50; 300,000 × 8 = 2.40 → 6.90
        //   March rates: 3.75 + 1.875 + 3.00 = 8.625
        call(
            "b1",
            "2026-04-10",
            json!({"provider": "openai", "model": "gpt-4o", "api_key": "k-search", "feature": "chat",
                   "input_tokens": 3_000_000, "cached_input_tokens": 1_500_000, "output_tokens": 300_000}),
        ),
        // search/summarize (a new feature), gpt-4o-mini: 2,000,000 × 0.15 = 0.30;
        // 500,000 × 0.60 = 0.30 → 0.60 (2,500,000 tokens of the commitment's model).
        call(
            "b2",
            "2026-04-10",
            json!({"provider": "openai", "model": "gpt-4o-mini", "api_key": "k-search", "feature": "summarize",
                   "input_tokens": 2_000_000, "output_tokens": 500_000}),
        ),
        // support/triage, claude (1,100,000): list 4.50, less 10% = 4.05; March rates 4.50.
        call(
            "b3",
            "2026-04-10",
            json!({"provider": "anthropic", "model": "claude-sonnet-4", "api_key": "k-support", "feature": "triage",
                   "input_tokens": 1_000_000, "output_tokens": 100_000}),
        ),
        // support/triage, gpt-4o-mini, a model new to the team (1,100,000 tokens):
        // 1,000,000 × 0.15 = 0.15; 100,000 × 0.60 = 0.06 → 0.21 at either month's rates.
        call(
            "b4",
            "2026-04-10",
            json!({"provider": "openai", "model": "gpt-4o-mini", "api_key": "k-support", "feature": "triage",
                   "input_tokens": 1_000_000, "output_tokens": 100_000}),
        ),
        // k-orphan, now support's, gpt-4o (700,000): 700,000 × 2 = 1.40; March rates 1.75.
        call(
            "b5",
            "2026-04-10",
            json!({"provider": "openai", "model": "gpt-4o", "api_key": "k-orphan", "input_tokens": 700_000}),
        ),
    ]
}

fn acceptance_attributor() -> Attributor {
    Attributor::new(
        vec![
            mapping("k-search", "search", "2026-01-01"),
            mapping("k-support", "support", "2026-01-01"),
            mapping("k-orphan", "support", "2026-04-01"),
        ],
        vec![],
    )
}

fn acceptance_book() -> PriceBook {
    with_cards(vec![gpt_4o_april(), gpt_4o_mini()])
}

/// (March, April, attributor, book).
fn acceptance() -> (Side, Side, Attributor, PriceBook) {
    let book = acceptance_book();
    let attributor = acceptance_attributor();
    // Every discount is stored with every month; each row takes the one in force on its day.
    let discounts = vec![discount("anthropic", dec!(10), "2026-04-01")];
    let mut march = month_data(
        &acceptance_march(),
        vec![overhead(
            "2026-03",
            "platform",
            dec!(100.00),
            Allocation::Proportional,
        )],
    );
    march.discounts = discounts.clone();
    let mut april = month_data(
        &acceptance_april(),
        vec![overhead(
            "2026-04",
            "platform",
            dec!(130.00),
            Allocation::Proportional,
        )],
    );
    april.discounts = discounts;
    // 50.00 for 10,000,000 gpt-4o-mini tokens in April.
    april.commitments = vec![Commitment {
        month: month("2026-04"),
        provider: "openai".into(),
        model: "gpt-4o-mini".into(),
        fee: dec!(50.00),
        capacity_tokens: 10_000_000,
        utilisation_floor: DEFAULT_UTILISATION_FLOOR,
    }];
    let a = side("2026-03", march, &book, &attributor);
    let b = side("2026-04", april, &book, &attributor);
    (a, b, attributor, book)
}

#[test]
fn every_kind_of_move_at_once_matches_the_hand_computed_parts_at_the_org() {
    let (a, b, attributor, book) = acceptance();
    // March: tokens 5.75 + 4.50 + 1.75 = 12.00, platform 100.00 → 112.00.
    // April: tokens 6.90 + 0.60 + 4.05 + 0.21 + 1.40 = 13.16, platform 130.00, and the
    // commitment's 50.00 fee (3,600,000 of 10,000,000 tokens: 18.00 used, 32.00 idle)
    // → 193.16.
    assert_eq!(a.showback.org_total, dec!(112.00));
    assert_eq!(b.showback.org_total, dec!(193.16));
    let m = move_between(&Scope::Org, &a, &b, &attributor, &book);
    assert_eq!(
        (m.before_total, m.after_total, m.change),
        (dec!(112.00), dec!(193.16), dec!(81.16))
    );
    assert_eq!((m.from, m.to), (month("2026-03"), month("2026-04")));

    // The chain, with owners as on 30 April (k-orphan is support's):
    // attribution: March's rows re-owned move 1.75 from Unallocated to support: 0 for the org.
    // new: search/summarize is the only member without March tokens: +0.60. gone: none.
    // March's rates for re-rating are the cards in force on 31 March, with no discount; they
    // are the rates March was charged, so March's continuing cost stays 12.00.
    // volume, member by member, March's cost in its March mix scaled to its April tokens:
    //   search/chat/k-search      5.75 × 3,300,000 / 2,200,000 = 8.625: +2.875
    //   support/triage/k-support  4.50 × 2,200,000 / 1,100,000 = 9.00:  +4.50
    //   support/—/k-orphan        1.75 ×   700,000 /   700,000 = 1.75:   0
    //   → 7.375
    // mix: April's continuing tokens at March's rates, 8.625 + 4.50 + 0.21 + 1.75 = 15.085,
    //   less the scaled 19.375 = −4.29 (support's claude tokens half replaced by mini).
    // price: April's rates 6.90 + 4.05 + 0.21 + 1.40 = 12.56, less 15.085 = −2.525.
    // Token parts: 0.60 + 7.375 − 4.29 − 2.525 = 1.16 = 13.16 − 12.00. In cents the floors
    // are 60 + 737 − 429 − 253 = 115; the cent left goes to the larger fraction: volume and
    // price tie at .5, volume is earlier: 7.38 and −2.53.
    // overheads: 130.00 − 100.00 = 30.00. commitments: 50.00 − 0 = 50.00.
    assert_eq!(
        amounts(&m),
        parts([
            dec!(0),
            dec!(0.60),
            dec!(0),
            dec!(7.38),
            dec!(-4.29),
            dec!(-2.53),
            dec!(30.00),
            dec!(50.00)
        ])
    );
    assert_eq!(m.part(PartKind::Volume).exact, dec!(7.375));
    assert_eq!(m.part(PartKind::Mix).exact, dec!(-4.29));
    assert_eq!(m.part(PartKind::Price).exact, dec!(-2.525));

    // Inside the parts: who moved.
    // Attribution: k-orphan's March 1.75 leaves Unallocated for support.
    assert_eq!(
        contributors(&m, PartKind::Attribution),
        [
            (By::Team, "support", dec!(1.75)),
            (By::Team, UNALLOCATED, dec!(-1.75))
        ]
    );
    // New: named as the feature, since search itself spent in March.
    assert_eq!(
        contributors(&m, PartKind::New),
        [(By::Feature, "summarize", dec!(0.60))]
    );
    let new = &m.part(PartKind::New).contributors[0];
    assert_eq!(new.team.as_deref(), Some("search"));
    // Volume by team: support 4.50 + 0, search 2.875 (the cent of rounding is search's .5).
    assert_eq!(
        contributors(&m, PartKind::Volume),
        [
            (By::Team, "support", dec!(4.50)),
            (By::Team, "search", dec!(2.88))
        ]
    );
    assert_eq!(
        m.part(PartKind::Volume).contributors[0].team.as_deref(),
        Some("support")
    );
    // Mix by model: claude 4.50 − 9.00 = −4.50; gpt-4o-mini 0.21 − 0 = +0.21; gpt-4o
    // (8.625 − 8.625) + (1.75 − 1.75) = 0, not listed.
    assert_eq!(
        contributors(&m, PartKind::Mix),
        [
            (By::Model, "anthropic/claude-sonnet-4", dec!(-4.50)),
            (By::Model, "openai/gpt-4o-mini", dec!(0.21))
        ]
    );
    // Price by model: gpt-4o (6.90 − 8.625) + (1.40 − 1.75) = −2.075; claude 4.05 − 4.50 =
    // −0.45; gpt-4o-mini unchanged. −253 cents: floors −208 − 45, nothing left.
    assert_eq!(
        contributors(&m, PartKind::Price),
        [
            (By::Model, "openai/gpt-4o", dec!(-2.08)),
            (By::Model, "anthropic/claude-sonnet-4", dec!(-0.45))
        ]
    );
    assert_eq!(
        contributors(&m, PartKind::Overheads),
        [(By::Category, "platform", dec!(30.00))]
    );
    assert_eq!(
        contributors(&m, PartKind::Commitments),
        [(By::Commitment, "openai/gpt-4o-mini", dec!(50.00))]
    );
}

#[test]
fn every_kind_of_move_at_once_matches_the_hand_computed_parts_for_a_team() {
    let (a, b, attributor, book) = acceptance();
    // support in March: 4.50 tokens + 37.50 platform (100.00 × 4.50 / 12.00) = 42.00.
    // In April: 4.05 + 0.21 + 1.40 = 5.66 tokens; platform 130.00 by token cost:
    //   search 13000 × 7.50 / 13.16 = 7408.81, support 13000 × 5.66 / 13.16 = 5591.19 cents,
    //   the cent left to search's .81: support 55.91; commitment 18.00 × 1,100,000 /
    //   3,600,000 = 5.50 → 5.66 + 55.91 + 5.50 = 67.07.
    let m = move_between(&team_scope("support"), &a, &b, &attributor, &book);
    assert_eq!(
        (m.before_total, m.after_total, m.change),
        (dec!(42.00), dec!(67.07), dec!(25.07))
    );
    // attribution: k-orphan's March 1.75 comes in.
    // volume: k-support 4.50 → 9.00 (+4.50), k-orphan unchanged.
    // mix: 4.50 + 0.21 + 1.75 = 6.46 at March's rates, less 9.00 + 1.75 = −4.29.
    // price: 4.05 + 0.21 + 1.40 = 5.66 less 6.46 = −0.80.
    // Σ 1.75 + 4.50 − 4.29 − 0.80 = 1.16 = 5.66 − 4.50; all whole cents.
    // overheads 55.91 − 37.50 = 18.41; commitments 5.50.
    assert_eq!(
        amounts(&m),
        parts([
            dec!(1.75),
            dec!(0),
            dec!(0),
            dec!(4.50),
            dec!(-4.29),
            dec!(-0.80),
            dec!(18.41),
            dec!(5.50)
        ])
    );
    // Inside a team, attribution names the keys that came in or left.
    assert_eq!(
        contributors(&m, PartKind::Attribution),
        [(By::Key, "k-orphan", dec!(1.75))]
    );
    // Volume by feature: triage doubled; k-orphan's Unassigned did not move.
    assert_eq!(
        contributors(&m, PartKind::Volume),
        [(By::Feature, "triage", dec!(4.50))]
    );
    assert_eq!(
        contributors(&m, PartKind::Price),
        [
            (By::Model, "anthropic/claude-sonnet-4", dec!(-0.45)),
            (By::Model, "openai/gpt-4o", dec!(-0.35))
        ]
    );
    assert_eq!(
        contributors(&m, PartKind::Commitments),
        [(By::Commitment, "openai/gpt-4o-mini", dec!(5.50))]
    );

    // Unallocated shrinks as k-orphan gets an owner: March 1.75 + 14.58 platform
    // (10000 × 1.75 / 12 = 1458.33 cents), April nothing.
    let u = move_between(&team_scope(UNALLOCATED), &a, &b, &attributor, &book);
    assert_eq!((u.before_total, u.after_total), (dec!(16.33), dec!(0)));
    assert_eq!(
        amounts(&u),
        parts([
            dec!(-1.75),
            dec!(0),
            dec!(0),
            dec!(0),
            dec!(0),
            dec!(0),
            dec!(-14.58),
            dec!(0)
        ])
    );
}

#[test]
fn every_kind_of_move_at_once_matches_the_hand_computed_parts_for_a_feature() {
    let (a, b, attributor, book) = acceptance();
    // search/chat in March is all of search: 5.75 + 47.92 platform (100 × 5.75/12 = 4791.67
    // cents, floors 9999, the cent left to search's .67) = 53.67.
    // In April search has 74.09 platform: chat 7409 × 6.90 / 7.50 = 6816.28, summarize
    // 592.72, the cent left to summarize: 68.16 and 5.93. The commitment share 12.50 is all
    // summarize's (chat used no gpt-4o-mini). chat: 6.90 + 68.16 = 75.06.
    let m = move_between(&feature_scope("search", "chat"), &a, &b, &attributor, &book);
    assert_eq!(
        (m.before_total, m.after_total, m.change),
        (dec!(53.67), dec!(75.06), dec!(21.39))
    );
    // volume: 5.75 × 1.5 − 5.75 = 2.875; mix: 8.625 − 8.625 = 0 (same model and classes);
    // price: 6.90 − 8.625 = −1.725. Σ 1.15; floors 287 − 173 = 114, the cent to volume.
    // overheads 68.16 − 47.92 = 20.24.
    assert_eq!(
        amounts(&m),
        parts([
            dec!(0),
            dec!(0),
            dec!(0),
            dec!(2.88),
            dec!(0),
            dec!(-1.73),
            dec!(20.24),
            dec!(0)
        ])
    );
    assert_eq!(
        contributors(&m, PartKind::Volume),
        [(By::Key, "k-search", dec!(2.88))]
    );
    // The new feature: all of it is new, 0.60 + 5.93 + 12.50 = 19.03.
    let s = move_between(
        &feature_scope("search", "summarize"),
        &a,
        &b,
        &attributor,
        &book,
    );
    assert_eq!((s.before_total, s.after_total), (dec!(0), dec!(19.03)));
    assert_eq!(
        amounts(&s),
        parts([
            dec!(0),
            dec!(0.60),
            dec!(0),
            dec!(0),
            dec!(0),
            dec!(0),
            dec!(5.93),
            dec!(12.50)
        ])
    );
    assert_eq!(
        contributors(&s, PartKind::New),
        [(By::Feature, "summarize", dec!(0.60))]
    );
}

#[test]
fn the_movement_serializes_for_the_waterfall() {
    let (a, b, attributor, book) = acceptance();
    let m = move_between(&Scope::Org, &a, &b, &attributor, &book);
    let v = serde_json::to_value(&m).unwrap();
    assert_eq!(v["scope"], json!({"level": "org"}));
    assert_eq!(v["from"], json!("2026-03"));
    assert_eq!(v["change"], json!("81.16"));
    assert_eq!(v["parts"][4]["kind"], json!("mix"));
    assert_eq!(v["parts"][4]["amount"], json!("-4.29"));
    assert_eq!(
        v["parts"][1]["contributors"][0],
        json!({"by": "feature", "name": "summarize", "team": "search", "amount": "0.60"})
    );
    let t = serde_json::to_value(feature_scope("search", "chat")).unwrap();
    assert_eq!(
        t,
        json!({"level": "feature", "team": "search", "feature": "chat"})
    );
}

// ---------------------------------------------------------------------------------------------
// 2. One kind of move at a time
// ---------------------------------------------------------------------------------------------

/// search/chat on gpt-4o and support/triage on claude, on `day`, with tokens × `times`.
/// At the standard rates: search 600,000 × 2.50 = 1.50 + 400,000 cached × 1.25 = 0.50 +
/// 100,000 × 10 = 1.00 → 3.00; support 500,000 × 3 = 1.50 + 50,000 × 15 = 0.75 → 2.25.
fn two_teams(day: &str, times: u64) -> Vec<UsageEvent> {
    vec![
        call(
            &format!("s{day}"),
            day,
            json!({"provider": "openai", "model": "gpt-4o", "api_key": "k-search", "feature": "chat",
                   "input_tokens": 1_000_000 * times, "cached_input_tokens": 400_000 * times,
                   "output_tokens": 100_000 * times}),
        ),
        call(
            &format!("t{day}"),
            day,
            json!({"provider": "anthropic", "model": "claude-sonnet-4", "api_key": "k-support", "feature": "triage",
                   "input_tokens": 500_000 * times, "output_tokens": 50_000 * times}),
        ),
    ]
}

fn two_team_attributor() -> Attributor {
    Attributor::new(
        vec![
            mapping("k-search", "search", "2026-01-01"),
            mapping("k-support", "support", "2026-01-01"),
        ],
        vec![],
    )
}

fn plain(events: &[UsageEvent]) -> MonthData {
    month_data(events, vec![])
}

#[test]
fn the_same_mix_at_double_the_tokens_is_all_volume() {
    let book = book();
    let attributor = two_team_attributor();
    let a = side(
        "2026-03",
        plain(&two_teams("2026-03-10", 1)),
        &book,
        &attributor,
    );
    let b = side(
        "2026-04",
        plain(&two_teams("2026-04-10", 2)),
        &book,
        &attributor,
    );
    // 5.25 → 10.50: +5.25, all volume; search +3.00, support +2.25.
    let m = move_between(&Scope::Org, &a, &b, &attributor, &book);
    assert_eq!(m.change, dec!(5.25));
    assert_eq!(
        amounts(&m),
        parts([
            dec!(0),
            dec!(0),
            dec!(0),
            dec!(5.25),
            dec!(0),
            dec!(0),
            dec!(0),
            dec!(0)
        ])
    );
    assert_eq!(
        contributors(&m, PartKind::Volume),
        [
            (By::Team, "search", dec!(3.00)),
            (By::Team, "support", dec!(2.25))
        ]
    );
    // And back: 10.50 → 5.25 is −5.25 of volume.
    let half = side(
        "2026-04",
        plain(&two_teams("2026-04-10", 1)),
        &book,
        &attributor,
    );
    let double = side(
        "2026-03",
        plain(&two_teams("2026-03-10", 2)),
        &book,
        &attributor,
    );
    let m = move_between(&Scope::Org, &double, &half, &attributor, &book);
    assert_eq!(m.part(PartKind::Volume).amount, dec!(-5.25));
    assert_eq!(m.part(PartKind::Mix).amount, dec!(0));
}

#[test]
fn new_rates_and_a_discount_on_the_same_tokens_are_all_price() {
    let book = with_cards(vec![gpt_4o_april()]);
    let attributor = two_team_attributor();
    let mut april = plain(&two_teams("2026-04-10", 1));
    april.discounts = vec![discount("anthropic", dec!(20), "2026-04-01")];
    let a = side(
        "2026-03",
        plain(&two_teams("2026-03-10", 1)),
        &book,
        &attributor,
    );
    let b = side("2026-04", april, &book, &attributor);
    // April: search 600,000 × 2 = 1.20 + 400,000 × 1 = 0.40 + 100,000 × 8 = 0.80 → 2.40
    // (−0.60); support 2.25 less 20% = 1.80 (−0.45). 5.25 → 4.20: −1.05, all price.
    let m = move_between(&Scope::Org, &a, &b, &attributor, &book);
    assert_eq!(
        amounts(&m),
        parts([
            dec!(0),
            dec!(0),
            dec!(0),
            dec!(0),
            dec!(0),
            dec!(-1.05),
            dec!(0),
            dec!(0)
        ])
    );
    assert_eq!(
        contributors(&m, PartKind::Price),
        [
            (By::Model, "openai/gpt-4o", dec!(-0.60)),
            (By::Model, "anthropic/claude-sonnet-4", dec!(-0.45))
        ]
    );
}

#[test]
fn a_price_that_took_effect_during_the_earlier_month_is_price_not_mix() {
    // gpt-4o gets cheaper from 20 March. 1,000,000 plain input on the 10th and the 25th of
    // each month: March 2.50 + 2.00 = 4.50, April 2.00 + 2.00 = 4.00. Re-rated at the card
    // in force on 31 March, March's tokens cost 4.00 too: the −0.50 is all price.
    let book = with_cards(vec![card(
        "openai",
        "gpt-4o",
        "2026-03-20",
        rates(dec!(2), Some(dec!(1)), None, dec!(8)),
    )]);
    let attributor = two_team_attributor();
    let input = |id: &str, d: &str| {
        call(
            id,
            d,
            json!({"provider": "openai", "model": "gpt-4o", "api_key": "k-search", "input_tokens": 1_000_000}),
        )
    };
    let a = side(
        "2026-03",
        plain(&[input("a", "2026-03-10"), input("b", "2026-03-25")]),
        &book,
        &attributor,
    );
    let b = side(
        "2026-04",
        plain(&[input("c", "2026-04-10"), input("d", "2026-04-25")]),
        &book,
        &attributor,
    );
    let m = move_between(&Scope::Org, &a, &b, &attributor, &book);
    assert_eq!(
        amounts(&m),
        parts([
            dec!(0),
            dec!(0),
            dec!(0),
            dec!(0),
            dec!(0),
            dec!(-0.50),
            dec!(0),
            dec!(0)
        ])
    );
}

#[test]
fn tokens_moving_between_models_and_classes_are_all_mix() {
    let book = book();
    let attributor = two_team_attributor();
    // March: 1,000,000 plain gpt-4o input = 2.50.
    // April, the same 1,000,000 tokens: 500,000 gpt-4o input, all cached, × 1.25 = 0.625;
    // 500,000 claude input × 3 = 1.50 → 2.125. Same rates, same total tokens: mix −0.375.
    // The showbacks round 2.125 to 2.12 (half to even), so the change is −0.38.
    let a = side(
        "2026-03",
        plain(&[call(
            "a",
            "2026-03-10",
            json!({"provider": "openai", "model": "gpt-4o", "api_key": "k-search", "feature": "chat",
                   "input_tokens": 1_000_000}),
        )]),
        &book,
        &attributor,
    );
    let b = side(
        "2026-04",
        plain(&[
            call(
                "b",
                "2026-04-10",
                json!({"provider": "openai", "model": "gpt-4o", "api_key": "k-search", "feature": "chat",
                       "input_tokens": 500_000, "cached_input_tokens": 500_000}),
            ),
            call(
                "c",
                "2026-04-10",
                json!({"provider": "anthropic", "model": "claude-sonnet-4", "api_key": "k-search", "feature": "chat",
                       "input_tokens": 500_000}),
            ),
        ]),
        &book,
        &attributor,
    );
    let m = move_between(&Scope::Org, &a, &b, &attributor, &book);
    assert_eq!(m.change, dec!(-0.38));
    assert_eq!(
        amounts(&m),
        parts([
            dec!(0),
            dec!(0),
            dec!(0),
            dec!(0),
            dec!(-0.38),
            dec!(0),
            dec!(0),
            dec!(0)
        ])
    );
    assert_eq!(m.part(PartKind::Mix).exact, dec!(-0.375));
    // gpt-4o 0.625 − 2.50 = −1.875, claude +1.50; −38 cents: floors −188 + 150 = −38.
    assert_eq!(
        contributors(&m, PartKind::Mix),
        [
            (By::Model, "openai/gpt-4o", dec!(-1.88)),
            (By::Model, "anthropic/claude-sonnet-4", dec!(1.50))
        ]
    );
}

#[test]
fn moving_to_the_batch_tier_is_mix() {
    let book = book();
    let attributor = two_team_attributor();
    // 1,000,000 gpt-4o input, 100,000 output: standard 2.50 + 1.00 = 3.50, batch 1.25 + 0.50
    // = 1.75. Same tokens, same card: −1.75 of mix.
    let run = |id: &str, d: &str, tier: &str| {
        call(
            id,
            d,
            json!({"provider": "openai", "model": "gpt-4o", "api_key": "k-search",
                   "input_tokens": 1_000_000, "output_tokens": 100_000, "service_tier": tier}),
        )
    };
    let a = side(
        "2026-03",
        plain(&[run("a", "2026-03-10", "standard")]),
        &book,
        &attributor,
    );
    let b = side(
        "2026-04",
        plain(&[run("b", "2026-04-10", "batch")]),
        &book,
        &attributor,
    );
    let m = move_between(&Scope::Org, &a, &b, &attributor, &book);
    assert_eq!(m.part(PartKind::Mix).amount, dec!(-1.75));
    assert_eq!(m.part(PartKind::Price).amount, dec!(0));
    assert_eq!(m.part(PartKind::Volume).amount, dec!(0));
}

#[test]
fn a_model_unpriced_in_the_earlier_month_keeps_its_own_rates_and_shows_as_mix() {
    // gpt-4o-mini gets its first card on 5 April. In April search moves half of its
    // 1,000,000 input tokens to it: 500,000 × 2.50 = 1.25 on gpt-4o, 500,000 × 0.15 = 0.075
    // on mini. March had no rate for mini, so April's tokens of it are re-rated at their own:
    // no price effect, and 1.325 − 2.50 = −1.175 is all mix.
    let mini = card(
        "openai",
        "gpt-4o-mini",
        "2026-04-05",
        rates(dec!(0.15), None, None, dec!(0.6)),
    );
    let book = with_cards(vec![mini]);
    let attributor = two_team_attributor();
    let input = |id: &str, d: &str, model: &str, n: u64| {
        call(
            id,
            d,
            json!({"provider": "openai", "model": model, "api_key": "k-search", "input_tokens": n}),
        )
    };
    let a = side(
        "2026-03",
        plain(&[input("a", "2026-03-10", "gpt-4o", 1_000_000)]),
        &book,
        &attributor,
    );
    let b = side(
        "2026-04",
        plain(&[
            input("b", "2026-04-10", "gpt-4o", 500_000),
            input("c", "2026-04-10", "gpt-4o-mini", 500_000),
        ]),
        &book,
        &attributor,
    );
    let m = move_between(&Scope::Org, &a, &b, &attributor, &book);
    // 2.50 → 1.325 (1.32 by half to even): −1.18; mix exact −1.175.
    assert_eq!(m.change, dec!(-1.18));
    assert_eq!(m.part(PartKind::Mix).exact, dec!(-1.175));
    assert_eq!(m.part(PartKind::Mix).amount, dec!(-1.18));
    assert_eq!(m.part(PartKind::Price).amount, dec!(0));
}

#[test]
fn months_alike_move_nothing() {
    // March's usage again in April, under cards and mappings that do not change between
    // them: every part is zero and lists no one.
    let book = with_cards(vec![gpt_4o_mini()]);
    let attributor = Attributor::new(
        vec![
            mapping("k-search", "search", "2026-01-01"),
            mapping("k-support", "support", "2026-01-01"),
        ],
        vec![],
    );
    let later: Vec<UsageEvent> = acceptance_march()
        .into_iter()
        .map(|mut e| {
            e.timestamp = e
                .timestamp
                .checked_add_months(chrono::Months::new(1))
                .unwrap();
            e
        })
        .collect();
    let a = side("2026-03", plain(&acceptance_march()), &book, &attributor);
    let b = side("2026-04", plain(&later), &book, &attributor);
    for scope in [Scope::Org, team_scope("search"), team_scope(UNALLOCATED)] {
        let m = move_between(&scope, &a, &b, &attributor, &book);
        assert_eq!(m.change, dec!(0));
        assert!(
            m.parts
                .iter()
                .all(|p| p.amount.is_zero() && p.exact.is_zero() && p.contributors.is_empty()),
            "{m:#?}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// 3. Attribution
// ---------------------------------------------------------------------------------------------

#[test]
fn a_key_getting_an_owner_moves_spend_out_of_unallocated_but_not_out_of_the_org() {
    let book = book();
    // k-orphan: 1,000,000 plain gpt-4o input each month = 2.50. Mapped to support from April.
    let attributor = Attributor::new(vec![mapping("k-orphan", "support", "2026-04-01")], vec![]);
    let orphan = |id: &str, d: &str| {
        call(
            id,
            d,
            json!({"provider": "openai", "model": "gpt-4o", "api_key": "k-orphan", "input_tokens": 1_000_000}),
        )
    };
    let a = side(
        "2026-03",
        plain(&[orphan("a", "2026-03-10")]),
        &book,
        &attributor,
    );
    let b = side(
        "2026-04",
        plain(&[orphan("b", "2026-04-10")]),
        &book,
        &attributor,
    );

    // The org pays the same: the move is between owners inside it, so attribution is zero,
    // but its contributors show the move.
    let org = move_between(&Scope::Org, &a, &b, &attributor, &book);
    assert_eq!(org.change, dec!(0));
    assert_eq!(org.part(PartKind::Attribution).amount, dec!(0));
    assert_eq!(
        contributors(&org, PartKind::Attribution),
        [
            (By::Team, "support", dec!(2.50)),
            (By::Team, UNALLOCATED, dec!(-2.50))
        ]
    );

    // support had nothing in March and 2.50 in April: all attribution, not new.
    let support = move_between(&team_scope("support"), &a, &b, &attributor, &book);
    assert_eq!(
        (support.before_total, support.after_total),
        (dec!(0), dec!(2.50))
    );
    assert_eq!(
        amounts(&support),
        parts([
            dec!(2.50),
            dec!(0),
            dec!(0),
            dec!(0),
            dec!(0),
            dec!(0),
            dec!(0),
            dec!(0)
        ])
    );
    assert_eq!(
        support.part(PartKind::Attribution).contributors[0]
            .team
            .as_deref(),
        Some("support")
    );
    let unallocated = move_between(&team_scope(UNALLOCATED), &a, &b, &attributor, &book);
    assert_eq!(unallocated.part(PartKind::Attribution).amount, dec!(-2.50));
    assert_eq!(unallocated.change, dec!(-2.50));
}

#[test]
fn a_key_mapped_mid_month_leaves_its_earlier_days_with_their_old_owner() {
    let book = book();
    // k-new starts in April: 1,000,000 plain gpt-4o input on the 10th (Unallocated: the
    // mapping starts on the 15th) and on the 20th (support), 2.50 each.
    let attributor = Attributor::new(vec![mapping("k-new", "support", "2026-04-15")], vec![]);
    let use_on = |id: &str, d: &str| {
        call(
            id,
            d,
            json!({"provider": "openai", "model": "gpt-4o", "api_key": "k-new", "input_tokens": 1_000_000}),
        )
    };
    let a = side("2026-03", plain(&[]), &book, &attributor);
    let b = side(
        "2026-04",
        plain(&[use_on("a", "2026-04-10"), use_on("b", "2026-04-20")]),
        &book,
        &attributor,
    );
    // With April's final owners the key is support's and new: 5.00. Of that, the 10th's 2.50
    // is still Unallocated's in April's showback: attribution −2.50. support: 0 → 2.50.
    let m = move_between(&team_scope("support"), &a, &b, &attributor, &book);
    assert_eq!(
        amounts(&m),
        parts([
            dec!(-2.50),
            dec!(5.00),
            dec!(0),
            dec!(0),
            dec!(0),
            dec!(0),
            dec!(0),
            dec!(0)
        ])
    );
    // Named as the team: support spent nothing in March.
    assert_eq!(
        contributors(&m, PartKind::New),
        [(By::Team, "support", dec!(5.00))]
    );
    // Unallocated: nothing new under the final owners; the 10th's 2.50 stays with it.
    let u = move_between(&team_scope(UNALLOCATED), &a, &b, &attributor, &book);
    assert_eq!(u.part(PartKind::Attribution).amount, dec!(2.50));
    assert_eq!(u.part(PartKind::New).amount, dec!(0));
}

#[test]
fn a_rule_change_between_the_months_is_attribution_when_each_month_has_its_attributor() {
    let book = book();
    use tokentally_domain::attribution::Rule;
    // Keys k-x*: no rule in March (Unallocated), a rule naming platform in April.
    let rule = Rule {
        id: 1,
        priority: 1,
        provider: None,
        model: None,
        key_prefix: Some("k-x".into()),
        tag: None,
        team: Some("platform".into()),
        feature: None,
    };
    let before = Attributor::new(vec![], vec![]);
    let after = Attributor::new(vec![], vec![rule]);
    let use_on = |id: &str, d: &str| {
        call(
            id,
            d,
            json!({"provider": "openai", "model": "gpt-4o", "api_key": "k-x1", "input_tokens": 1_000_000}),
        )
    };
    let a = side(
        "2026-03",
        plain(&[use_on("a", "2026-03-10")]),
        &book,
        &before,
    );
    let b = side(
        "2026-04",
        plain(&[use_on("b", "2026-04-10")]),
        &book,
        &after,
    );
    let bm = MonthSide {
        data: &a.data,
        attributor: &before,
        showback: &a.showback,
    };
    let am = MonthSide {
        data: &b.data,
        attributor: &after,
        showback: &b.showback,
    };
    let m = movement(&team_scope("platform"), &bm, &am, &book);
    assert_adds_up(&m);
    assert_eq!(m.part(PartKind::Attribution).amount, dec!(2.50));
    assert_eq!(m.part(PartKind::New).amount, dec!(0));
}

// ---------------------------------------------------------------------------------------------
// 4. Scope
// ---------------------------------------------------------------------------------------------

#[test]
fn a_team_sees_only_its_own_moves_and_a_feature_only_its_own() {
    let book = book();
    let attributor = two_team_attributor();
    // search doubles (3.00 → 6.00) and adds feature `docs` on gpt-4o: 400,000 × 2.50 = 1.00;
    // support stays at 2.25.
    let mut april = two_teams("2026-04-10", 1);
    april[0] = two_teams("2026-04-10", 2).remove(0);
    april.push(call(
        "docs",
        "2026-04-11",
        json!({"provider": "openai", "model": "gpt-4o", "api_key": "k-search", "feature": "docs",
               "input_tokens": 400_000}),
    ));
    let a = side(
        "2026-03",
        plain(&two_teams("2026-03-10", 1)),
        &book,
        &attributor,
    );
    let b = side("2026-04", plain(&april), &book, &attributor);

    let support = move_between(&team_scope("support"), &a, &b, &attributor, &book);
    assert_eq!(support.change, dec!(0));
    assert!(support.parts.iter().all(|p| p.amount.is_zero()));

    let search = move_between(&team_scope("search"), &a, &b, &attributor, &book);
    assert_eq!(
        amounts(&search),
        parts([
            dec!(0),
            dec!(1.00),
            dec!(0),
            dec!(3.00),
            dec!(0),
            dec!(0),
            dec!(0),
            dec!(0)
        ])
    );
    assert_eq!(
        contributors(&search, PartKind::Volume),
        [(By::Feature, "chat", dec!(3.00))]
    );

    let chat = move_between(&feature_scope("search", "chat"), &a, &b, &attributor, &book);
    assert_eq!(chat.part(PartKind::Volume).amount, dec!(3.00));
    assert_eq!(chat.part(PartKind::New).amount, dec!(0));
    assert_eq!(
        contributors(&chat, PartKind::Volume),
        [(By::Key, "k-search", dec!(3.00))]
    );
    let docs = move_between(&feature_scope("search", "docs"), &a, &b, &attributor, &book);
    assert_eq!(docs.part(PartKind::New).amount, dec!(1.00));
    assert_eq!(docs.part(PartKind::Volume).amount, dec!(0));

    // The org sees both teams.
    let org = move_between(&Scope::Org, &a, &b, &attributor, &book);
    assert_eq!(org.change, dec!(4.00));
    // A team in neither month moves nothing.
    let nobody = move_between(&team_scope("nobody"), &a, &b, &attributor, &book);
    assert_eq!(
        (nobody.before_total, nobody.after_total),
        (dec!(0), dec!(0))
    );
}

#[test]
fn a_gone_feature_is_named_and_negative() {
    let book = book();
    let attributor = two_team_attributor();
    // support stops entirely in April: −2.25, gone, named as the team.
    let april = vec![two_teams("2026-04-10", 1).remove(0)];
    let a = side(
        "2026-03",
        plain(&two_teams("2026-03-10", 1)),
        &book,
        &attributor,
    );
    let b = side("2026-04", plain(&april), &book, &attributor);
    let m = move_between(&Scope::Org, &a, &b, &attributor, &book);
    assert_eq!(m.part(PartKind::Gone).amount, dec!(-2.25));
    assert_eq!(
        contributors(&m, PartKind::Gone),
        [(By::Team, "support", dec!(-2.25))]
    );
}

#[test]
fn many_contributors_are_cut_to_the_top_and_the_rest_summed() {
    let book = book();
    let attributor = Attributor::default();
    // 15 keys appear in April, key i with (i + 1) × 100,000 plain gpt-4o input =
    // (i + 1) × 0.25; all new, named by key ("Unallocated" spent in March too).
    let mut april = vec![];
    for i in 0..15u64 {
        april.push(call(
            &format!("n{i}"),
            "2026-04-10",
            json!({"provider": "openai", "model": "gpt-4o", "api_key": format!("k{i:02}"),
                   "input_tokens": (i + 1) * 100_000}),
        ));
    }
    let march = vec![call(
        "m",
        "2026-03-10",
        json!({"provider": "openai", "model": "gpt-4o", "api_key": "k-old", "input_tokens": 100_000}),
    )];
    let a = side("2026-03", plain(&march), &book, &attributor);
    let b = side("2026-04", plain(&april), &book, &attributor);
    let m = move_between(&Scope::Org, &a, &b, &attributor, &book);
    let new = &m.part(PartKind::New).contributors;
    assert_eq!(new.len(), TOP_CONTRIBUTORS);
    // Largest first: k14 is 15 × 0.25 = 3.75.
    assert_eq!(
        (new[0].by, new[0].name.as_str(), new[0].amount),
        (By::Key, "k14", dec!(3.75))
    );
    // The 6 smallest (k00..k05): (1 + … + 6) × 0.25 = 5.25.
    let last = new.last().unwrap();
    assert_eq!(
        (last.by, last.name.as_str(), last.amount),
        (By::Others, "6 others", dec!(5.25))
    );
}

// ---------------------------------------------------------------------------------------------
// 5. Properties: whatever the months, the parts add up to the change to the cent
// ---------------------------------------------------------------------------------------------

const KEYS: [&str; 4] = ["k-a", "k-b", "k-c", "k-free"];
const TEAMS: [&str; 3] = ["red", "green", "blue"];
const MODELS: [(&str, &str); 5] = [
    ("openai", "gpt-4o"),
    ("anthropic", "claude-sonnet-4"),
    ("openai", "fresh"),
    ("openai", "gpt-4o-mini"),
    ("acme", "mystery-1"),
];
const TIERS: [&str; 3] = ["standard", "batch", "priority"];

/// gpt-4o changes on 20 March and 10 April; `fresh` is first priced on 15 April; gpt-4o-mini
/// always; claude has a priority tier; mystery-1 is never priced.
fn prop_book() -> PriceBook {
    let mut claude = card(
        "anthropic",
        "claude-sonnet-4",
        "2024-01-01",
        rates(dec!(3), Some(dec!(0.3)), Some(dec!(3.75)), dec!(15)),
    );
    claude.tiers.insert(
        ServiceTier::Priority,
        Rates {
            input: Some(dec!(6)),
            output: Some(dec!(30)),
            ..Rates::default()
        },
    );
    with_cards(vec![
        card(
            "openai",
            "gpt-4o",
            "2026-03-20",
            rates(dec!(2.2), Some(dec!(1.1)), None, dec!(9)),
        ),
        gpt_4o_april_10(),
        card(
            "openai",
            "fresh",
            "2026-04-15",
            rates(dec!(0.33), Some(dec!(0.07)), None, dec!(1.3)),
        ),
        gpt_4o_mini(),
        claude,
    ])
}

fn gpt_4o_april_10() -> PriceCard {
    let mut c = gpt_4o_april();
    c.effective_from = day("2026-04-10");
    c
}

#[derive(Debug, Clone)]
struct Spec {
    key: Option<usize>,
    team: Option<usize>,
    feature: Option<usize>,
    model: usize,
    input: (u64, u64),
    output: u64,
    tier: usize,
    /// day of the month.
    day: u32,
}

prop_compose! {
    fn spec()(
        key in prop::option::of(0..KEYS.len()),
        team in prop::option::of(0..TEAMS.len()),
        feature in prop::option::of(0..3usize),
        model in 0..MODELS.len(),
        input in (0u64..3_000_000, 0u64..=1000),
        output in 0u64..300_000,
        tier in 0..TIERS.len(),
        day in 1u32..=30,
    ) -> Spec {
        Spec { key, team, feature, model, input, output, tier, day }
    }
}

fn event_of(m: &str, i: usize, s: &Spec) -> UsageEvent {
    let (input, cached_pm) = s.input;
    let (provider, model) = MODELS[s.model];
    let mut v = json!({
        "id": format!("{m}-{i}"), "timestamp": format!("{m}-{:02}T12:00:00Z", s.day),
        "provider": provider, "model": model,
        "input_tokens": input, "cached_input_tokens": input * cached_pm / 1000,
        "output_tokens": s.output, "service_tier": TIERS[s.tier],
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
    ev(v)
}

/// Mappings from a day in March or April (day 0: before both).
fn mappings() -> impl Strategy<Value = Vec<KeyMapping>> {
    prop::collection::vec((0..3usize, 0..TEAMS.len(), 0u32..=60), 0..5).prop_map(|ms| {
        ms.into_iter()
            .map(|(k, t, d)| {
                let from = match d {
                    0 => day("2026-01-01"),
                    1..=30 => NaiveDate::from_ymd_opt(2026, 3, d).unwrap(),
                    _ => NaiveDate::from_ymd_opt(2026, 4, d - 30).unwrap(),
                };
                mapping(KEYS[k], TEAMS[t], &from.to_string())
            })
            .collect()
    })
}

fn overheads(m: &'static str) -> impl Strategy<Value = Vec<Overhead>> {
    prop::collection::vec((0i64..2_000_000, 0..3usize, 0..TEAMS.len()), 0..3).prop_map(move |os| {
        os.into_iter()
            .enumerate()
            .map(|(i, (c, method, t))| {
                let allocation = match method {
                    0 => Allocation::Proportional,
                    1 => Allocation::Even,
                    _ => Allocation::Direct {
                        team: TEAMS[t].into(),
                    },
                };
                overhead(m, &format!("cat{i}"), Decimal::new(c, 2), allocation)
            })
            .collect()
    })
}

fn commitments(m: &'static str) -> impl Strategy<Value = Vec<Commitment>> {
    prop::option::of((0usize..2, 0i64..5_000_000, 1u64..20_000_000)).prop_map(move |c| {
        c.map(|(model, fee, capacity)| {
            let (provider, model) = MODELS[model];
            Commitment {
                month: month(m),
                provider: provider.into(),
                model: model.into(),
                fee: Decimal::new(fee, 2),
                capacity_tokens: capacity,
                utilisation_floor: DEFAULT_UTILISATION_FLOOR,
            }
        })
        .into_iter()
        .collect()
    })
}

/// Discounts from a day of March or April, in hundredths of a percent.
fn discounts() -> impl Strategy<Value = Vec<Discount>> {
    let providers = prop::sample::select(vec!["openai", "anthropic"]);
    prop::collection::vec((providers, 0i64..=5_000, 1u32..=60), 0..3).prop_map(|ds| {
        ds.into_iter()
            .map(|(p, bp, d)| {
                let from = if d <= 30 {
                    NaiveDate::from_ymd_opt(2026, 3, d).unwrap()
                } else {
                    NaiveDate::from_ymd_opt(2026, 4, d - 30).unwrap()
                };
                Discount {
                    provider: p.into(),
                    percent: Decimal::new(bp, 2),
                    effective_from: from,
                }
            })
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn the_rounded_parts_always_add_up_to_the_rounded_change(
        march_specs in prop::collection::vec(spec(), 0..40),
        april_specs in prop::collection::vec(spec(), 0..40),
        mappings in mappings(),
        march_overheads in overheads("2026-03"),
        april_overheads in overheads("2026-04"),
        march_commitments in commitments("2026-03"),
        april_commitments in commitments("2026-04"),
        discounts in discounts(),
    ) {
        let book = prop_book();
        let attributor = Attributor::new(mappings, vec![]);
        let events = |m: &str, specs: &[Spec]| -> Vec<UsageEvent> {
            specs.iter().enumerate().map(|(i, s)| event_of(m, i, s)).collect()
        };
        let mut march = month_data(&events("2026-03", &march_specs), march_overheads);
        march.commitments = march_commitments;
        march.discounts = discounts.clone();
        let mut april = month_data(&events("2026-04", &april_specs), april_overheads);
        april.commitments = april_commitments;
        april.discounts = discounts;
        let a = side("2026-03", march, &book, &attributor);
        let b = side("2026-04", april, &book, &attributor);
        let (before, after) = sides(&a, &b, &attributor);

        let mut scopes = vec![Scope::Org];
        let mut teams: Vec<&str> = a.showback.teams.iter().chain(&b.showback.teams).map(|t| t.team.as_str()).collect();
        teams.sort();
        teams.dedup();
        for t in &teams {
            scopes.push(team_scope(t));
            for f in ["f0", "f1", UNASSIGNED] {
                scopes.push(feature_scope(t, f));
            }
        }
        for scope in &scopes {
            let m = movement(scope, &before, &after, &book);
            // Σ parts = rounded after − rounded before, to the cent.
            prop_assert_eq!(m.parts.iter().map(|p| p.amount).sum::<Decimal>(), m.change, "{:?}", scope);
            prop_assert_eq!(m.change, m.after_total - m.before_total);
            for p in &m.parts {
                prop_assert_eq!(p.amount, p.amount.round_dp(2));
                if !p.contributors.is_empty() {
                    prop_assert_eq!(p.contributors.iter().map(|c| c.amount).sum::<Decimal>(), p.amount, "{:?} {:?}", scope, p.kind);
                }
            }
            // The token parts' exact sum is the exact change in token cost.
            let exact: Decimal = m.parts.iter().filter(|p| !matches!(p.kind, PartKind::Overheads | PartKind::Commitments)).map(|p| p.exact).sum();
            match scope {
                Scope::Org => {
                    prop_assert_eq!(m.before_total, a.showback.org_total);
                    prop_assert_eq!(m.after_total, b.showback.org_total);
                    let exact_of = |sb: &Showback| sb.teams.iter().map(|t| t.token_cost_exact).sum::<Decimal>();
                    prop_assert!((exact - (exact_of(&b.showback) - exact_of(&a.showback))).abs() < dec!(0.000001));
                    // Moves between owners never change what the org pays.
                    prop_assert_eq!(m.part(PartKind::Attribution).amount, Decimal::ZERO);
                    prop_assert_eq!(m.part(PartKind::Attribution).exact, Decimal::ZERO);
                    // Token parts are within a few cents of their exact amounts.
                    for p in &m.parts {
                        prop_assert!((p.amount - p.exact).abs() < dec!(0.03), "{:?}: {} vs {}", p.kind, p.amount, p.exact);
                    }
                }
                Scope::Team { team } => {
                    let exact_of = |sb: &Showback| sb.team(team).map_or(Decimal::ZERO, |t| t.token_cost_exact);
                    prop_assert!((exact - (exact_of(&b.showback) - exact_of(&a.showback))).abs() < dec!(0.000001));
                    let blended = |sb: &Showback| sb.team(team).map_or(Decimal::ZERO, |t| t.blended_cost);
                    prop_assert_eq!(m.before_total, blended(&a.showback));
                    prop_assert_eq!(m.after_total, blended(&b.showback));
                }
                Scope::Feature { team, feature } => {
                    // The feature's totals are its line in the team's drill-down.
                    let line = |s: &Side| {
                        s.showback.team(team).and_then(|t| {
                            team_drilldown(t, s.showback.month, "USD", &s.data, &book, &attributor)
                                .features
                                .into_iter()
                                .find(|l| l.name == *feature)
                        }).map_or(Decimal::ZERO, |l| l.blended_cost)
                    };
                    prop_assert_eq!(m.before_total, line(&a));
                    prop_assert_eq!(m.after_total, line(&b));
                }
            }
        }
        // The org's change is each month's total less the other's, and every cent of each
        // is in exactly one team or idle: the teams' movements add up to the org's, less
        // idle commitments.
        let org = movement(&Scope::Org, &before, &after, &book);
        let by_team: Decimal = teams.iter().map(|t| movement(&team_scope(t), &before, &after, &book).change).sum();
        prop_assert_eq!(by_team + b.showback.idle_commitment - a.showback.idle_commitment, org.change);
        prop_assert_eq!(from_cents(cents(org.change)), org.change);
    }
}
