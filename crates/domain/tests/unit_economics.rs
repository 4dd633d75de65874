//! Unit economics end to end: workflows and their outcomes, cost per successful outcome,
//! negotiated discounts, commitments and business transactions. Every amount is worked out
//! by hand in a comment (rates per 1,000,000 tokens).

mod support;

use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde_json::json;
use support::*;
use tokentally_domain::attribution::Attributor;
use tokentally_domain::catalog::PriceBook;
use tokentally_domain::commitment::{Commitment, DEFAULT_UTILISATION_FLOOR};
use tokentally_domain::discount::Discount;
use tokentally_domain::drilldown::{Line, TeamDrilldown, feature_drilldown, team_drilldown};
use tokentally_domain::event::{Outcome, UsageEvent};
use tokentally_domain::showback::{MonthData, Showback, showback};
use tokentally_domain::transaction::BusinessTransactions;

/// A gpt-4o call (2.50 input, 10 output) of `input` input and 10,000 output tokens.
fn call(id: &str, ts: &str, outcome: &str, workflow: Option<&str>, input: u64) -> UsageEvent {
    let mut v = json!({"id": id, "timestamp": ts, "provider": "openai", "model": "gpt-4o",
                       "api_key": "k-agent", "feature": "answers",
                       "input_tokens": input, "output_tokens": 10_000, "outcome": outcome});
    if let Some(w) = workflow {
        v["workflow_id"] = json!(w);
    }
    ev(v)
}

fn agents() -> Attributor {
    Attributor::new(vec![mapping("k-agent", "agents", "2026-01-01")], vec![])
}

fn march(data: &MonthData) -> Showback {
    showback(month("2026-03"), "USD", data, None, &book(), &agents())
}

fn drill(data: &MonthData) -> TeamDrilldown {
    let sb = march(data);
    team_drilldown(
        team(&sb, "agents"),
        month("2026-03"),
        "USD",
        data,
        &book(),
        &agents(),
    )
}

fn line<'a>(lines: &'a [Line], name: &str) -> &'a Line {
    lines
        .iter()
        .find(|l| l.name == name)
        .unwrap_or_else(|| panic!("no line {name} in {lines:?}"))
}

#[test]
fn an_explicit_workflow_outcome_overrides_its_final_call() {
    // Two 3-call workflows: w-fail ends in failure, w-ok in success.
    let mut events = Vec::new();
    for (wf, last) in [("w-fail", "failure"), ("w-ok", "success")] {
        for (i, outcome) in ["success", "retry", last].iter().enumerate() {
            events.push(call(
                &format!("{wf}-{i}"),
                &format!("2026-03-05T0{i}:00:00Z"),
                outcome,
                Some(wf),
                100_000,
            ));
        }
    }
    let mut data = month_data(&events, vec![]);
    assert_eq!(march(&data).successful_outcomes, 1, "only w-ok succeeded");

    // The client knows better: w-fail was recovered, w-ok's answer was wrong.
    let mut workflows = workflow_rows(&events);
    for w in &mut workflows {
        w.explicit_outcome = Some(if w.workflow_id == "w-fail" {
            Outcome::Success
        } else {
            Outcome::Failure
        });
    }
    data.workflows = workflow_groups(&workflows);
    let sb = march(&data);
    assert_eq!(sb.successful_outcomes, 1);
    let d = drill(&data);
    assert_eq!(d.total.completed_workflows, 1);
    // Six calls × 0.35 = 2.10, all of them in workflows; one completion.
    assert_eq!(d.total.workflow_cost, dec!(2.10));
    assert_eq!(d.total.cost_per_workflow_completion, Some(dec!(2.10)));

    // Both failed: nothing succeeded, the cost stays.
    for w in &mut workflows {
        w.explicit_outcome = Some(Outcome::Failure);
    }
    data.workflows = workflow_groups(&workflows);
    let a = team(&march(&data), "agents").clone();
    assert_eq!((a.successful_outcomes, a.token_cost), (0, dec!(2.10)));
    assert_eq!(a.cost_per_successful_outcome, None);
}

#[test]
fn workflows_show_their_cost_per_completion_loop_factor_and_context_growth() {
    let mut events = Vec::new();
    // wf-a: 4 calls whose input grows 100k → 400k, ending in success.
    // Input 1,000,000 × 2.50 = 2.50; output 40,000 × 10 = 0.40 → 2.90.
    for (i, input) in [100_000, 200_000, 300_000, 400_000].iter().enumerate() {
        events.push(call(
            &format!("a{i}"),
            &format!("2026-03-10T0{i}:00:00Z"),
            "success",
            Some("wf-a"),
            *input,
        ));
    }
    // wf-b: 2 calls of 100k ending in failure: 0.50 + 0.20 = 0.70, of which its failed
    // final call (0.25 + 0.10 = 0.35) is waste.
    events.push(call(
        "b0",
        "2026-03-11T00:00:00Z",
        "success",
        Some("wf-b"),
        100_000,
    ));
    events.push(call(
        "b1",
        "2026-03-11T01:00:00Z",
        "failure",
        Some("wf-b"),
        100_000,
    ));
    // One standalone success: 0.35.
    events.push(call("s", "2026-03-12T00:00:00Z", "success", None, 100_000));
    let d = drill(&month_data(&events, vec![]));
    let t = &d.total;

    // Token cost 2.90 + 0.70 + 0.35 = 3.95; workflows' calls 3.60 for one completion.
    assert_eq!(t.token_cost, dec!(3.95));
    assert_eq!((t.workflows, t.completed_workflows), (2, 1));
    assert_eq!(t.workflow_cost, dec!(3.60));
    assert_eq!(t.cost_per_workflow_completion, Some(dec!(3.60)));
    // Agent loop factor: 6 calls ÷ 2 workflows; context growth (400k + 100k) ÷ (100k + 100k).
    assert_eq!(t.calls_per_workflow, Some(dec!(3)));
    assert_eq!(t.context_growth, Some(dec!(2.5)));
    // Successful outcomes: wf-a and the standalone call; 3.95 ÷ 2.
    assert_eq!(t.successful_outcomes, 2);
    assert_eq!(t.cost_per_successful_outcome, Some(dec!(1.975)));
    // 7 requests; waste 0.35 of 3.95 = 8.86%.
    assert_eq!(t.cost_per_query, Some(dec!(0.564286)));
    assert_eq!(t.waste, dec!(0.35));
    assert_eq!(t.waste_share, Some(dec!(8.9)));
    // The feature line is the whole team here.
    let answers = line(&d.features, "answers");
    assert_eq!(
        Line {
            name: t.name.clone(),
            ..answers.clone()
        },
        *t
    );
}

#[test]
fn a_cheaper_model_with_twice_the_retries_costs_less_per_token_and_more_per_success() {
    // big: 10 input, 30 output; small: 8 and 24 (20% cheaper per token).
    let book = PriceBook::new(vec![
        card(
            "acme",
            "big",
            "2026-01-01",
            rates(dec!(10), None, None, dec!(30)),
        ),
        card(
            "acme",
            "small",
            "2026-01-01",
            rates(dec!(8), None, None, dec!(24)),
        ),
    ]);
    // Each answer: `retries` retried calls then a successful one, 10,000 in and 1,000 out.
    let month_of = |m: &str, model: &str, retries: usize| {
        let mut events = Vec::new();
        for answer in 0..100 {
            for attempt in 0..=retries {
                let outcome = if attempt == retries {
                    "success"
                } else {
                    "retry"
                };
                events.push(ev(json!({
                    "id": format!("{m}-{answer}-{attempt}"),
                    "timestamp": format!("{m}-{:02}T10:00:00Z", answer % 28 + 1),
                    "provider": "acme", "model": model, "api_key": "k-agent",
                    "feature": "answers", "input_tokens": 10_000, "output_tokens": 1_000,
                    "outcome": outcome})));
            }
        }
        let data = month_data(&events, vec![]);
        let sb = showback(month(m), "USD", &data, None, &book, &agents());
        let d = team_drilldown(
            team(&sb, "agents"),
            month(m),
            "USD",
            &data,
            &book,
            &agents(),
        );
        line(&d.features, "answers").clone()
    };
    // February on big, one retry per answer: 200 calls × (0.10 + 0.03) = 26.00 for 100
    // successes and 2,200,000 tokens.
    let before = month_of("2026-02", "big", 1);
    assert_eq!(before.blended_cost, dec!(26.00));
    assert_eq!(before.cost_per_successful_outcome, Some(dec!(0.26)));
    assert_eq!(before.cost_per_million_tokens, Some(dec!(11.818182)));
    // March on small, two retries per answer: 300 calls × (0.08 + 0.024) = 31.20 for the same
    // 100 successes and 3,300,000 tokens.
    let after = month_of("2026-03", "small", 2);
    assert_eq!(after.blended_cost, dec!(31.20));
    assert_eq!(after.cost_per_successful_outcome, Some(dec!(0.312)));
    assert_eq!(after.cost_per_million_tokens, Some(dec!(9.454545)));

    assert!(after.cost_per_million_tokens < before.cost_per_million_tokens);
    assert!(after.cost_per_successful_outcome > before.cost_per_successful_outcome);
    // Waste shows why: 100 of 200 calls before, 200 of 300 after.
    assert_eq!((before.waste, after.waste), (dec!(13.00), dec!(20.80)));
}

#[test]
fn a_negotiated_discount_lowers_effective_cost_and_keeps_list_cost() {
    // openai 10% off from the 15th. gpt-4o 1,000,000 input on the 10th: 2.50 list and
    // effective; on the 20th: 2.50 list, 2.25 effective. Claude 1,000,000 input: 3.00, no
    // discount.
    let events = [
        call("before", "2026-03-10T00:00:00Z", "success", None, 1_000_000),
        call("after", "2026-03-20T00:00:00Z", "success", None, 1_000_000),
        ev(
            json!({"id": "c", "timestamp": "2026-03-20T00:00:00Z", "provider": "anthropic",
                   "model": "claude-sonnet-4", "api_key": "k-agent", "input_tokens": 1_000_000,
                   "output_tokens": 0}),
        ),
    ];
    let mut data = month_data(&events, vec![]);
    data.discounts = vec![Discount {
        provider: "OpenAI".into(),
        percent: dec!(10),
        effective_from: day("2026-03-15"),
    }];
    // Plus 10,000 output per gpt-4o call: 0.10 each, discounted after the 15th to 0.09.
    // List 2.60 + 2.60 + 3.00 = 8.20; effective 2.60 + 2.34 + 3.00 = 7.94.
    let sb = march(&data);
    let a = team(&sb, "agents");
    assert_eq!((a.list_cost, a.token_cost), (dec!(8.20), dec!(7.94)));
    assert_eq!((sb.list_cost, sb.token_cost), (dec!(8.20), dec!(7.94)));
    let d = drill(&data);
    let gpt = line(&d.models, "gpt-4o");
    assert_eq!((gpt.list_cost, gpt.token_cost), (dec!(5.20), dec!(4.94)));
}

fn commitment(fee: Decimal, capacity: u64) -> Commitment {
    Commitment {
        month: month("2026-03"),
        provider: "openai".into(),
        model: "gpt-4o".into(),
        fee,
        capacity_tokens: capacity,
        utilisation_floor: DEFAULT_UTILISATION_FLOOR,
    }
}

#[test]
fn a_commitment_is_paid_by_its_users_and_its_unused_part_is_idle() {
    let attributor = Attributor::new(
        vec![
            mapping("k-search", "search", "2026-01-01"),
            mapping("k-support", "support", "2026-01-01"),
        ],
        vec![],
    );
    let gpt = |id: &str, key: &str, input: u64| {
        ev(
            json!({"id": id, "timestamp": "2026-03-03T00:00:00Z", "provider": "openai",
                  "model": "gpt-4o", "api_key": key, "input_tokens": input, "output_tokens": 0}),
        )
    };
    // gpt-4o tokens: search 3,000,000, support 1,000,000 (plus claude, which the
    // commitment does not cover).
    let events = [
        gpt("s1", "k-search", 3_000_000),
        gpt("p1", "k-support", 1_000_000),
        ev(
            json!({"id": "p2", "timestamp": "2026-03-03T00:00:00Z", "provider": "anthropic",
                   "model": "claude-sonnet-4", "api_key": "k-support", "input_tokens": 1_000_000,
                   "output_tokens": 0}),
        ),
    ];
    let mut data = month_data(&events, vec![]);
    data.commitments = vec![commitment(dec!(1000), 10_000_000)];
    let sb = showback(month("2026-03"), "USD", &data, None, &book(), &attributor);

    // 4M of 10M used: 400.00 shared 3:1, 600.00 idle, flagged under 60%.
    let use_ = &sb.commitments[0];
    assert_eq!((use_.utilisation, use_.underused), (dec!(40.0), true));
    assert_eq!(use_.idle, dec!(600.00));
    let search = team(&sb, "search");
    // search: 3M × 2.50 = 7.50 tokens + 300.00 commitment.
    assert_eq!(
        (search.token_cost, search.commitment, search.blended_cost),
        (dec!(7.50), dec!(300.00), dec!(307.50))
    );
    let support = team(&sb, "support");
    // support: 1M × 2.50 + 1M × 3 = 5.50 tokens + 100.00.
    assert_eq!(support.blended_cost, dec!(105.50));
    assert_eq!(sb.idle_commitment, dec!(600.00));
    // 7.50 + 5.50 + 1,000.00.
    assert_eq!(sb.org_total, dec!(1013.00));
    assert_eq!(
        sb.teams.iter().map(|t| t.blended_cost).sum::<Decimal>() + sb.idle_commitment,
        sb.org_total
    );

    // support's drill-down puts the commitment on its gpt-4o line, not on claude.
    let d = team_drilldown(
        support,
        month("2026-03"),
        "USD",
        &data,
        &book(),
        &attributor,
    );
    assert_eq!(line(&d.models, "gpt-4o").commitment, dec!(100.00));
    assert_eq!(line(&d.models, "claude-sonnet-4").commitment, dec!(0));
    assert_eq!(d.total.commitment, dec!(100.00));
}

#[test]
fn cost_per_business_transaction_is_read_per_feature_and_per_team() {
    // answers: 10 calls × 0.35 = 3.50; summaries: 2 calls = 0.70.
    let mut events: Vec<UsageEvent> = (0..10)
        .map(|i| {
            call(
                &format!("a{i}"),
                "2026-03-04T00:00:00Z",
                "success",
                None,
                100_000,
            )
        })
        .collect();
    for i in 0..2 {
        let mut e = call(
            &format!("s{i}"),
            "2026-03-04T00:00:00Z",
            "success",
            None,
            100_000,
        );
        e.feature = Some("summaries".into());
        events.push(e);
    }
    let mut data = month_data(&events, vec![]);
    let report = |period: &str, feature: &str, count: u64| BusinessTransactions {
        period: period.parse().unwrap(),
        team: "agents".into(),
        feature: feature.into(),
        name: "tickets resolved".into(),
        count,
        value: None,
    };
    data.transactions = vec![
        report("2026-03-04", "answers", 50),
        report("2026-03", "answers", 20),
        // Team-wide, and another month's: neither is the feature's.
        report("2026-03", "", 30),
        report("2026-04-01", "answers", 999),
    ];
    let d = drill(&data);
    let answers = line(&d.features, "answers");
    // 3.50 ÷ 70 = 0.05.
    assert_eq!(answers.transactions, 70);
    assert_eq!(answers.cost_per_transaction, Some(dec!(0.05)));
    assert_eq!(line(&d.features, "summaries").cost_per_transaction, None);
    // The team: 4.20 ÷ 100.
    assert_eq!(d.total.transactions, 100);
    assert_eq!(d.total.cost_per_transaction, Some(dec!(0.042)));

    let f = feature_drilldown(&d, "answers", &data, &book(), &agents()).unwrap();
    assert_eq!(f.total.transactions, 70);
    assert_eq!(
        f.models.iter().map(|l| l.blended_cost).sum::<Decimal>(),
        answers.blended_cost
    );
}

#[test]
fn value_margin_and_roi_are_read_per_feature_per_team_and_on_showback() {
    use tokentally_domain::transaction::{TransactionValue, ValueBasis};
    // answers: 10 calls × 0.35 = 3.50 over 10 × (100,000 in + output) tokens;
    // summaries: 2 calls = 0.70, no value reported.
    let mut events: Vec<UsageEvent> = (0..10)
        .map(|i| {
            call(
                &format!("a{i}"),
                "2026-03-04T00:00:00Z",
                "success",
                None,
                100_000,
            )
        })
        .collect();
    for i in 0..2 {
        let mut e = call(
            &format!("s{i}"),
            "2026-03-04T00:00:00Z",
            "success",
            None,
            100_000,
        );
        e.feature = Some("summaries".into());
        events.push(e);
    }
    let mut data = month_data(&events, vec![]);
    let report =
        |period: &str, feature: &str, count: u64, amount: Decimal, basis| BusinessTransactions {
            period: period.parse().unwrap(),
            team: "agents".into(),
            feature: feature.into(),
            name: "tickets resolved".into(),
            count,
            value: Some(TransactionValue {
                amount,
                basis,
                currency: "USD".into(),
            }),
        };
    data.transactions = vec![
        // 40 × 0.05 = 2.00, plus a period total of 0.50: answers is worth 2.50.
        report(
            "2026-03-04",
            "answers",
            40,
            dec!(0.05),
            ValueBasis::PerTransaction,
        ),
        report("2026-03", "answers", 10, dec!(0.50), ValueBasis::Total),
        // Team-wide: 1.00, the team's but no feature's.
        report("2026-03", "", 5, dec!(1.00), ValueBasis::Total),
        // Another month's: nobody's in March.
        report("2026-04-01", "answers", 1, dec!(1000), ValueBasis::Total),
    ];
    let d = drill(&data);
    let answers = line(&d.features, "answers");
    let tokens = answers.tokens.input + answers.tokens.output;
    let m = answers.margin.expect("answers has a value");
    assert_eq!(answers.blended_cost, dec!(3.50));
    assert_eq!(m.value, dec!(2.5));
    // 2.50 − 3.50 = −1.00; ROI 2.50 ÷ 3.50 = 0.714… → 0.71; cost share 140 %.
    assert_eq!(m.margin, dec!(-1));
    assert_eq!(m.roi, Some(dec!(0.71)));
    assert_eq!(m.cost_share_of_value, Some(dec!(140)));
    assert!(m.earns_less_than_it_burns);
    assert_eq!(
        m.value_per_million_tokens,
        Some(
            (dec!(2.5) * dec!(1000000) / Decimal::from(tokens))
                .round_dp(6)
                .normalize()
        )
    );
    assert_eq!(line(&d.features, "summaries").margin, None);
    // The team: 2.50 + 1.00 = 3.50 against 4.20.
    let team = d.total.margin.expect("the team has a value");
    assert_eq!(team.value, dec!(3.5));
    assert_eq!(team.margin, dec!(-0.7));
    assert_eq!(team.roi, Some(dec!(0.83)));

    let sb = march(&data);
    let agents = sb.teams.iter().find(|t| t.team == "agents").unwrap();
    assert_eq!(agents.margin.map(|m| m.value), Some(dec!(3.5)));
    assert_eq!(agents.margin.map(|m| m.margin), Some(dec!(-0.7)));
    assert_eq!(sb.margin.map(|m| m.value), Some(dec!(3.5)));
    assert_eq!(sb.margin.map(|m| m.cost), Some(sb.org_total));
}
