use chrono::{DateTime, NaiveDate};
use rust_decimal_macros::dec;
use tokentally_domain::drilldown::Line;
use tokentally_domain::showback::TeamShowback;
use tokentally_domain::tokens::TokenCounts;
use tokentally_web::components::EnvironmentFilter;
use tokentally_web::money::Money;
use tokentally_web::pages::breakdown_page::{
    BreakdownPage, Cell, LinesTable, PlainTable, Rates, Section, Summary, breakdown_page,
};
use tokentally_web::pages::showback_page::TeamBudget;

use crate::fixtures::{admin, lead, month, months};
use crate::snapshot;

fn line(name: &str) -> Line {
    Line {
        name: name.into(),
        token_cost: dec!(120.25),
        overhead: dec!(10),
        blended_cost: dec!(130.25),
        requests: 1_234,
        tokens: TokenCounts {
            input: 2_345_678,
            output: 12_345,
            ..TokenCounts::default()
        },
        successful_outcomes: 1_200,
        cost_per_query: Some(dec!(0.10555)),
        cost_per_successful_outcome: None,
        workflows: 40,
        completed_workflows: 38,
        calls_per_workflow: Some(dec!(3.2)),
        cost_per_workflow_completion: Some(dec!(3.4276)),
        active_users: 12,
        cost_per_active_user: Some(dec!(10.85)),
        cache_hit_rate: Some(dec!(41.5)),
        waste: dec!(4.2),
        waste_share: Some(dec!(3.5)),
        ..Line::default()
    }
}

fn page(
    title: &str,
    summary: Summary,
    daily: Option<Vec<Line>>,
    sections: Vec<Section>,
) -> BreakdownPage {
    BreakdownPage {
        links: Vec::new(),
        title: title.into(),
        crumbs: vec![("Showback".into(), "/?month=2026-03".into())],
        month: month(),
        months: months(),
        path: "/teams/search%20%26%20co".into(),
        currency: "USD".into(),
        summary,
        daily,
        sections,
        environment: EnvironmentFilter::default(),
    }
}

fn money(amount: rust_decimal::Decimal) -> Cell {
    Cell::Money(Money::new(amount, "USD"))
}

#[test]
fn team_page_with_cards_lines_and_a_plain_table() {
    let row = TeamShowback {
        team: "search & co".into(),
        token_cost: dec!(120.25),
        overhead: dec!(8),
        commitment: dec!(2),
        blended_cost: dec!(130.25),
        requests: 1_234,
        successful_outcomes: 1_200,
        mom_change: Some(dec!(-12.5)),
        mom_change_pct: Some(dec!(-3.04)),
        ..TeamShowback::default()
    };
    let summary = Summary::Team {
        row: Box::new(row),
        total: Box::new(line("search & co")),
        budget: Some(TeamBudget {
            amount: dec!(200),
            month_end: dec!(180.5),
            status: "on track".into(),
        }),
    };
    let sections = vec![
        Section::Lines(LinesTable {
            id: "features".into(),
            title: "Features".into(),
            name_header: "Feature".into(),
            lines: vec![line("chat"), line("")],
            link_prefix: Some("/teams/search%20%26%20co/features/".into()),
            link_suffix: String::new(),
            shared_costs: true,
        }),
        Section::Plain(PlainTable {
            id: "movers".into(),
            title: "Biggest movers against last month".into(),
            headers: vec![
                ("Feature".into(), false),
                ("Last month".into(), true),
                ("This month".into(), true),
                ("Change".into(), true),
            ],
            rows: vec![(
                None,
                vec![
                    Cell::Text("chat".into()),
                    money(dec!(100)),
                    money(dec!(130.25)),
                    money(dec!(30.25)),
                ],
            )],
            empty: "No change against last month.".into(),
        }),
        Section::Movement(crate::fixtures::movement()),
        Section::Trend(crate::fixtures::trend()),
    ];
    let days = vec![line("2026-03-01"), line("2026-03-02")];
    let mut p = page("Team search & co", summary, Some(days), sections);
    p.environment.choices = vec!["production".into(), "staging".into()];
    let html = breakdown_page(&lead(), p);
    snapshot!("breakdown_team", html);
}

#[test]
fn a_team_page_narrowed_to_an_environment_keeps_it_in_its_downloads() {
    let row = TeamShowback {
        team: "search & co".into(),
        token_cost: dec!(0.30),
        overhead: dec!(8),
        commitment: dec!(0.80),
        blended_cost: dec!(9.10),
        ..TeamShowback::default()
    };
    let summary = Summary::Team {
        row: Box::new(row),
        total: Box::new(line("search & co")),
        budget: None,
    };
    let sections = vec![Section::Lines(LinesTable {
        id: "features".into(),
        title: "Features".into(),
        name_header: "Feature".into(),
        lines: vec![line("chat")],
        link_prefix: Some("/teams/search%20%26%20co/features/".into()),
        link_suffix: "?env=staging".into(),
        shared_costs: true,
    })];
    let mut p = page("Team search & co", summary, None, sections);
    p.environment = EnvironmentFilter {
        current: Some("staging".into()),
        choices: vec!["production".into(), "staging".into()],
    };
    let html = breakdown_page(&lead(), p);
    assert!(html.contains("Environment: <strong>staging</strong>"));
    assert!(html.contains(
        "/teams/search%20%26%20co/export.csv?month=2026-03&amp;table=features&amp;env=staging"
    ));
    assert!(html.contains(
        r#"href="/teams/search%20%26%20co/features/chat?env=staging&amp;month=2026-03""#
    ));
    snapshot!("breakdown_team_environment", html);
}

#[test]
fn feature_page_with_outcomes_and_heaviest_users() {
    let sections = vec![
        Section::Plain(PlainTable {
            id: "outcomes".into(),
            title: "Outcomes".into(),
            headers: vec![
                ("Outcome".into(), false),
                ("Requests".into(), true),
                ("Share".into(), true),
                ("Cost".into(), true),
            ],
            rows: vec![(
                None,
                vec![
                    Cell::Text("success".into()),
                    Cell::Count(1_200),
                    Cell::Share {
                        part: 1_200,
                        whole: 1_234,
                    },
                    money(dec!(126.67)),
                ],
            )],
            empty: "No calls.".into(),
        }),
        Section::Plain(PlainTable {
            id: "users".into(),
            title: "Heaviest users (the top 20 of 31; the CSV lists every user)".into(),
            headers: vec![
                ("User".into(), false),
                ("Token cost".into(), true),
                ("Share of the feature's token cost".into(), true),
                ("Requests".into(), true),
                ("Tokens (input + output)".into(), true),
            ],
            rows: vec![(
                None,
                vec![
                    Cell::Text("ann@example.com".into()),
                    money(dec!(42.10)),
                    Cell::Text("33.2%".into()),
                    Cell::Count(310),
                    Cell::Count(1_250_000),
                ],
            )],
            empty: "No calls named a user.".into(),
        }),
    ];
    let summary = Summary::Feature {
        line: Box::new(line("chat")),
    };
    let html = breakdown_page(
        &admin(),
        page("Feature chat", summary, Some(vec![]), sections),
    );
    snapshot!("breakdown_feature", html);
}

#[test]
fn key_page_with_its_owner_history() {
    let sections = vec![Section::Plain(PlainTable {
        id: "owners".into(),
        title: "Owner history".into(),
        headers: vec![
            ("From".into(), false),
            ("Team".into(), false),
            ("Mapped by".into(), false),
        ],
        rows: vec![
            (
                None,
                vec![
                    Cell::Date(NaiveDate::from_ymd_opt(2026, 3, 1).expect("a day")),
                    Cell::Text("search".into()),
                    Cell::By {
                        actor: "ada@example.test".into(),
                        at: DateTime::from_timestamp(1_773_480_600, 0).expect("a time"),
                    },
                ],
            ),
            (
                Some("/teams/support".into()),
                vec![Cell::Text("support".into()), Cell::Blank, Cell::Blank],
            ),
        ],
        empty: "Never mapped.".into(),
    })];
    let summary = Summary::Key {
        token_cost: dec!(1200),
        requests: 123_456,
        owner: "search".into(),
    };
    let html = breakdown_page(&admin(), page("Key key-1", summary, None, sections));
    snapshot!("breakdown_key", html);
}

#[test]
fn model_pages_with_and_without_a_price_card() {
    for (name, rates) in [
        (
            "breakdown_model_priced",
            Some(Rates {
                input: dec!(2.5),
                output: dec!(10),
            }),
        ),
        ("breakdown_model_unpriced", None),
    ] {
        let summary = Summary::Model {
            token_cost: dec!(12.5),
            requests: 10,
            rates,
        };
        let empty = Section::Plain(PlainTable {
            id: "owners".into(),
            title: "Nothing".into(),
            headers: vec![("From".into(), false)],
            rows: vec![],
            empty: "Nothing to show.".into(),
        });
        let html = breakdown_page(&admin(), page("Model gpt-4o", summary, None, vec![empty]));
        snapshot!(name, html);
    }
}

#[test]
fn lines_of_usage_alone_show_token_cost_and_no_blended_column() {
    let summary = Summary::Models {
        token_cost: dec!(12.5),
        requests: 10,
        models: 2,
        providers: 1,
        successful_outcomes: 7,
    };
    let table = |shared_costs| {
        Section::Lines(LinesTable {
            id: "models".into(),
            title: "Models".into(),
            name_header: "Model".into(),
            lines: vec![line("gpt-4o")],
            link_prefix: Some("/models/".into()),
            link_suffix: String::new(),
            shared_costs,
        })
    };
    let html = breakdown_page(
        &admin(),
        page(
            "Models and providers",
            summary.clone(),
            None,
            vec![table(false)],
        ),
    );
    assert!(!html.contains("Blended cost"), "{html}");
    assert!(!html.contains(">Overhead<") && !html.contains(">Commitment<"));
    assert!(html.contains("Token cost"));
    assert!(
        html.contains("70.0% per request"),
        "the summary's success share: {html}"
    );
    let html = breakdown_page(&admin(), page("Team", summary, None, vec![table(true)]));
    assert!(html.contains("Blended cost") && html.contains(">Commitment<"));
}
