use rust_decimal_macros::dec;
use tokentally_domain::showback::Line;
use tokentally_domain::tokens::TokenCounts;
use tokentally_web::pages::breakdown_page::{
    BreakdownPage, Card, Chart, LinesTable, PlainTable, Section, breakdown_page,
};

use crate::fixtures::{lead, month, months};
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
        ..Line::default()
    }
}

#[test]
fn breakdown_page_with_cards_lines_and_a_plain_table() {
    let page = BreakdownPage {
        title: "Team search & co".into(),
        crumbs: vec![("Showback".into(), "/?month=2026-03".into())],
        month: month(),
        months: months(),
        path: "/teams/search%20%26%20co".into(),
        currency: "USD".into(),
        cards: vec![Card {
            label: "Blended cost".into(),
            value: "$130.25".into(),
            sub: "-$12.50 (-3.0%) vs 2026-02".into(),
        }],
        charts: vec![Chart {
            caption: "Daily blended cost".into(),
            svg: "<svg></svg>".into(),
            alt: "Daily cost over 1 days; the highest was $130.25 on 2026-03-02.".into(),
        }],
        sections: vec![
            Section::Lines(LinesTable {
                id: "features".into(),
                title: "Features".into(),
                name_header: "Feature".into(),
                lines: vec![line("chat"), line("")],
                link_prefix: Some("/teams/search%20%26%20co/features/".into()),
                link_suffix: String::new(),
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
                        "chat".into(),
                        "$100.00".into(),
                        "$130.25".into(),
                        "$30.25".into(),
                    ],
                )],
                empty: "No change against last month.".into(),
            }),
            Section::Plain(PlainTable {
                id: "owners".into(),
                title: "Owner history".into(),
                headers: vec![("From".into(), false), ("Team".into(), false)],
                rows: vec![],
                empty: "Never mapped.".into(),
            }),
        ],
    };
    snapshot!("breakdown_team", breakdown_page(&lead(), page));
}
