use rust_decimal_macros::dec;
use tokentally_web::pages::planning_page::{
    PlanningPage, ScenarioForm, ScenarioRow, SizingForm, SizingView, planning_page,
};

use crate::fixtures::{admin, errors, lead};
use crate::snapshot;

fn page() -> PlanningPage {
    PlanningPage {
        currency: "USD".into(),
        models: vec![
            (
                "anthropic/claude-sonnet".into(),
                "anthropic/claude-sonnet".into(),
            ),
            ("openai/gpt-4o-mini".into(), "openai/gpt-4o-mini".into()),
        ],
        teams: vec!["search".into()],
        features: vec!["chat".into()],
        scenario_form: ScenarioForm {
            team: "search".into(),
            feature: "chat".into(),
            model: "openai/gpt-4o-mini".into(),
            volume: "100000".into(),
            tokens_per_interaction: "1100".into(),
            overhead_multiplier: "1.2".into(),
            spread_pct: "25".into(),
        },
        scenarios: vec![
            ScenarioRow {
                name: "low".into(),
                volume: 75_000,
                input_tokens: 75_000_000,
                output_tokens: 7_500_000,
                token_cost: dec!(15.75),
                blended_cost: dec!(18.90),
                cost_per_interaction: Some(dec!(0.000252)),
            },
            ScenarioRow {
                name: "expected".into(),
                volume: 100_000,
                input_tokens: 100_000_000,
                output_tokens: 10_000_000,
                token_cost: dec!(21.00),
                blended_cost: dec!(25.20),
                cost_per_interaction: Some(dec!(0.000252)),
            },
        ],
        mix_note: Some("Priced on the gpt-4o-mini card of openai.".into()),
        sizing_form: SizingForm {
            model: "openai/gpt-4o-mini".into(),
            fee_per_million: "0.01".into(),
        },
        sizing: Some(SizingView {
            model: "openai/gpt-4o-mini".into(),
            from: "2026-09-01".into(),
            to: "2026-11-29".into(),
            days: 90,
            days_with_usage: 10,
            steady: false,
            tokens: 12_000_000,
            on_demand_cost: dec!(1.80),
            on_demand_per_million: dec!(0.15),
            fee_per_million: dec!(0.01),
            fee_source: "entered".into(),
            daily_capacity: 1_000_000,
            monthly_capacity: 30_000_000,
            fee: dec!(0.90),
            overflow_cost: dec!(0.30),
            committed_cost: dec!(1.20),
            saving: dec!(0.60),
            utilisation_pct: Some(dec!(11.1)),
        }),
        errors: Default::default(),
        may_size: true,
    }
}

#[test]
fn planning_page_with_scenarios_and_a_sizing() {
    snapshot!("planning", planning_page(&admin(), page()));
}

#[test]
fn planning_page_of_a_lead_with_a_refused_volume() {
    let mut p = page();
    p.scenarios.clear();
    p.sizing = None;
    p.may_size = false;
    p.errors = errors(
        "volume",
        "`volume` must be between 1 and 31000000000 interactions a month, got 0",
    );
    snapshot!("planning_lead_refused", planning_page(&lead(), p));
}
