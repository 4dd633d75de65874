use std::collections::BTreeMap;

use rust_decimal_macros::dec;
use tokentally_domain::attribution::UNALLOCATED;
use tokentally_domain::pricing::Cost;
use tokentally_domain::showback::{Showback, TeamShowback, UnpricedModel};
use tokentally_domain::tokens::TokenCounts;
use tokentally_web::components::EnvironmentFilter;
use tokentally_web::pages::showback_page::{
    MonthTotals, OwnBudget, OwnBudgets, ShowbackPage, SortKey, TeamBudget, charted_history,
    showback_page,
};

use crate::fixtures::{admin, lead, month, months, movement};
use crate::snapshot;

fn team(name: &str, blended: rust_decimal::Decimal) -> TeamShowback {
    TeamShowback {
        team: name.into(),
        token_cost: blended - dec!(10),
        token_cost_exact: blended - dec!(10),
        token_cost_by_class: Cost {
            input: blended - dec!(20),
            output: dec!(10),
            ..Cost::default()
        },
        overhead: dec!(8),
        commitment: dec!(2),
        blended_cost: blended,
        requests: 12_345,
        tokens: TokenCounts {
            input: 1_234_567,
            output: 45_678,
            ..TokenCounts::default()
        },
        successful_outcomes: 12_000,
        cost_per_successful_outcome: Some(blended / dec!(12000)),
        tokens_per_successful_outcome: Some(dec!(106.7)),
        mom_change: Some(dec!(-12.5)),
        mom_change_pct: Some(dec!(-3.04)),
        ..TeamShowback::default()
    }
}

fn showback() -> Showback {
    let mut unallocated = team(UNALLOCATED, dec!(30));
    unallocated.mom_change = None;
    unallocated.mom_change_pct = None;
    unallocated.cost_per_successful_outcome = None;
    Showback {
        month: month(),
        currency: "USD".into(),
        org_total: dec!(1480.5),
        token_cost: dec!(1410.5),
        list_cost: dec!(1500),
        overhead: dec!(16),
        commitment: dec!(4),
        idle_commitment: dec!(50),
        requests: 24_690,
        tokens: TokenCounts {
            input: 2_469_134,
            output: 91_356,
            ..TokenCounts::default()
        },
        successful_outcomes: 24_000,
        cost_per_successful_outcome: Some(dec!(0.061688)),
        tokens_per_successful_outcome: Some(dec!(106.7)),
        teams: vec![team("search", dec!(1400.5)), unallocated],
        commitments: vec![],
        unpriced: vec![UnpricedModel {
            provider: "internal".into(),
            model: "mystery".into(),
            events: 1,
            requests: 1,
            tokens: TokenCounts {
                input: 42,
                ..TokenCounts::default()
            },
        }],
        previous_org_total: Some(dec!(1400)),
        margin: None,
    }
}

fn page(month_to_date: bool) -> ShowbackPage {
    ShowbackPage {
        showback: showback(),
        months: months(),
        month_to_date,
        forecast: month_to_date.then_some(dec!(2100.25)),
        backtest: None,
        sort: SortKey::Blended,
        descending: true,
        history: vec![
            MonthTotals {
                month: months()[1],
                by_team: vec![
                    ("search".into(), dec!(1300)),
                    (UNALLOCATED.into(), dec!(100)),
                ],
            },
            MonthTotals {
                month: month(),
                by_team: vec![
                    ("search".into(), dec!(1400.5)),
                    (UNALLOCATED.into(), dec!(30)),
                ],
            },
        ],
        budgets: if month_to_date {
            BTreeMap::from([(
                "search".to_owned(),
                TeamBudget {
                    amount: dec!(2000),
                    month_end: dec!(2100.25),
                    status: "at risk".into(),
                },
            )])
        } else {
            BTreeMap::new()
        },
        movement: month_to_date.then(movement),
        trend: None,
        own_budgets: None,
        colour_slots: BTreeMap::from([("search".to_owned(), 3)]),
        environment: EnvironmentFilter {
            current: None,
            choices: if month_to_date {
                vec!["production".into(), "staging".into()]
            } else {
                Vec::new()
            },
        },
        filter: None,
    }
}

#[test]
fn showback_page_of_a_month_to_date_with_budgets() {
    snapshot!(
        "showback_month_to_date",
        showback_page(&admin(), page(true))
    );
}

#[test]
fn showback_page_narrowed_to_one_environment() {
    let mut p = page(false);
    p.environment = EnvironmentFilter {
        current: Some("staging".into()),
        choices: vec!["(none)".into(), "production".into(), "staging".into()],
    };
    let html = showback_page(&admin(), p);
    assert!(html.contains("Environment: <strong>staging</strong>"));
    assert!(html.contains(r#"href="/teams/search?month=2026-03&amp;env=staging""#));
    snapshot!("showback_environment", html);
}

#[test]
fn an_environment_without_usage_says_so() {
    let mut p = page(false);
    p.environment = EnvironmentFilter {
        current: Some("prod".into()),
        choices: vec!["production".into()],
    };
    let html = showback_page(&admin(), p);
    assert!(html.contains("No usage in environment “prod” in 2026-03"));
    assert!(html.contains(r#"<option value="prod" selected>prod</option>"#));
}

#[test]
fn the_team_table_lists_the_teams_its_filter_matches_and_the_links_keep_it() {
    let mut p = page(false);
    p.filter = Some("SEA".into());
    let html = showback_page(&admin(), p);
    assert!(html.contains(">search</a>"), "{html}");
    assert!(!html.contains(">Unallocated</a>"), "{html}");
    assert!(html.contains("1 of 2 rows match “SEA”"), "{html}");
    assert!(html.contains(r#"name="q" value="SEA""#), "{html}");
    assert!(
        html.contains("&amp;q=SEA"),
        "sort and CSV links keep the filter: {html}"
    );
    // The organisation's total is still the total row's.
    assert!(html.contains("$1,480.50"), "{html}");
}

#[test]
fn the_team_table_and_the_charts_are_islands_without_props() {
    let html = showback_page(&admin(), page(false));
    assert!(
        html.contains(r#"<leptos-island data-component="TableIsland_"#),
        "{html}"
    );
    assert!(
        html.contains(r#"<leptos-island data-component="ChartIsland_"#),
        "{html}"
    );
    assert!(!html.contains("data-props"), "no state serialised: {html}");
    // No bundle in this process: no loader either.
    assert!(!html.contains("islands.js"), "{html}");
}

#[test]
fn the_islands_add_less_than_a_tenth_to_the_page() {
    for viewer in [admin(), lead()] {
        let html = showback_page(&viewer, page(true));
        let islands = crate::fixtures::island_markup(&html);
        assert!(
            islands * 10 < html.len() - islands,
            "{islands} bytes of islands in {} bytes",
            html.len()
        );
    }
}

#[test]
fn showback_page_of_a_past_month() {
    let mut p = page(false);
    p.sort = SortKey::Team;
    p.descending = false;
    snapshot!("showback_past_month", showback_page(&lead(), p));
}

#[test]
fn the_waterfall_has_a_bar_per_contributor_linking_to_its_page() {
    use tokentally_web::pages::movement_section::{csv_rows, steps};
    let m = movement();
    let s = steps(&m.movement);
    let labels: Vec<&str> = s.iter().map(|s| s.label.as_str()).collect();
    assert_eq!(
        labels,
        [
            "Volume · search & co",
            "Volume · support",
            "Price · openai/gpt-4o",
            "Overheads · retrieval"
        ]
    );
    assert_eq!(
        s[0].href.as_deref(),
        Some("/teams/search%20%26%20co?month=2026-03")
    );
    assert_eq!(s[2].href.as_deref(), Some("/models/gpt-4o?month=2026-03"));
    assert_eq!(s[3].href, None);
    // The bars take the earlier total to the later one.
    assert_eq!(
        m.movement.before_total + s.iter().map(|s| s.amount).sum::<rust_decimal::Decimal>(),
        m.movement.after_total
    );

    let html = showback_page(&admin(), page(true));
    assert!(
        html.contains("Why the bill moved, 2026-02 → 2026-03"),
        "{html}"
    );
    assert!(
        html.contains(r#"<a href="/teams/search%20%26%20co?month=2026-03" data-amount="90.25">"#)
    );
    assert!(html.contains(r#"href="/showback.csv?month=2026-03&amp;table=movement""#));
    // A lead is shown no organisation-wide movement.
    assert!(!showback_page(&lead(), page(false)).contains("Why the bill moved"));

    // The CSV: the totals, every part (zero ones too) and each contributor.
    let rows = csv_rows(&m.movement);
    assert_eq!(rows.first().map(|r| r[4].as_str()), Some("1390"));
    assert_eq!(rows.last().map(|r| r[4].as_str()), Some("1480.5"));
    assert_eq!(rows.iter().filter(|r| r[1].is_empty()).count(), 2 + 8);
    assert_eq!(rows.len(), 2 + 8 + 4);
}

#[test]
fn the_trend_shows_gaps_not_zeros_and_the_target_status() {
    use tokentally_web::pages::trend_section::csv_rows;
    let mut p = page(false);
    p.trend = Some(crate::fixtures::trend());
    let html = showback_page(&admin(), p);
    assert!(html.contains("Unit cost, last 12 months"), "{html}");
    assert!(html.contains("on target"));
    // The charts start at the first month with usage (2025-10); of the months after it, one
    // (2025-12) had none: a gap. The table keeps all twelve.
    assert!(html.contains("1 of the months had no usage"), "{html}");
    let charts = &html[html.find("id=\"trend\"").expect("the section")
        ..html.find("id=\"trend-table\"").expect("its table")];
    assert!(
        charts.contains("\n25-10\n</text>") && !charts.contains("\n25-09\n</text>"),
        "{charts}"
    );
    assert!(
        html.contains("<th scope=\"row\">2025-04</th>"),
        "the table keeps every month"
    );
    let rows = csv_rows(&crate::fixtures::trend().trend);
    assert_eq!(rows.len(), 12);
    let december = rows.iter().find(|r| r[0] == "2025-12").expect("December");
    assert_eq!(&december[1..4], ["", "", ""], "a gap, not a zero");
    assert_eq!(rows[11][1], "0.03");
}

#[test]
fn value_and_margin_columns_appear_once_a_value_is_reported() {
    use tokentally_domain::margin::Margin;
    let bare = showback_page(&admin(), page(false));
    assert!(!bare.contains(">Margin<"), "no value, no column");
    let mut p = page(false);
    // search: worth 1,000.00 against 1,400.50; the org: 1,000.00 against 1,480.50.
    p.showback.teams[0].margin = Some(Margin::of(dec!(1000), dec!(1400.5), 1_280_245));
    p.showback.margin = Some(Margin::of(dec!(1000), dec!(1480.5), 2_560_490));
    let html = showback_page(&admin(), p);
    assert!(
        html.contains(">Value<") && html.contains(">Margin<"),
        "{html}"
    );
    assert!(
        html.contains(
            r#"<td title="ROI 0.71× (value ÷ blended cost)" class="num down">-$400.50</td>"#
        ),
        "{html}"
    );
    assert!(html.contains("-$480.50"), "the total row's margin");
}

/// The `style` of the swatch beside `team`'s name in the team table.
fn swatch_of(html: &str, team: &str) -> String {
    let link = format!(">{team}</a></th>");
    let end = html
        .find(&link)
        .unwrap_or_else(|| panic!("{team}'s row in {html}"));
    let row = &html[..end];
    let marker = "class=\"swatch\" style=\"";
    let start = row.rfind(marker).expect("a swatch") + marker.len();
    row[start..]
        .split('"')
        .next()
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn a_team_keeps_its_colour_when_a_team_is_added_and_when_a_lead_looks() {
    let before = showback_page(&admin(), page(false));
    let mut more = page(false);
    // Teams named to sort before and after it: an order-based colour would shift.
    more.showback.teams.insert(0, team("aardvark", dec!(5)));
    more.showback.teams.insert(1, team("zebra", dec!(7)));
    more.colour_slots.insert("aardvark".into(), 4);
    more.colour_slots.insert("zebra".into(), 5);
    let added = showback_page(&admin(), more);
    let as_lead = showback_page(&lead(), page(false));
    let search = swatch_of(&before, "search");
    assert_eq!(swatch_of(&added, "search"), search);
    assert_eq!(swatch_of(&as_lead, "search"), search);
    // The chart draws the team in that colour too.
    let rgb = search
        .trim_start_matches("background:")
        .trim_end_matches(';');
    let (r, g, b) = tokentally_web::components::charts::team_colour("search", Some(3));
    assert_eq!(rgb, format!("rgb({r},{g},{b})"));
    assert_ne!(swatch_of(&added, "aardvark"), search);
    let chart = &added[added.find("Blended cost by team").expect("the chart")..];
    assert!(
        chart.contains(&format!("fill=\"#{r:02X}{g:02X}{b:02X}\"")),
        "{chart}"
    );
}

#[test]
fn the_cost_chart_has_a_legend_tooltips_and_one_stacking_order() {
    let mut p = page(false);
    // Last month listed Unallocated first, this month search first: the stack stays put.
    p.history[0].by_team.reverse();
    let html = showback_page(&admin(), p);
    let figure = &html[html.find("Blended cost by team").expect("the chart")..];
    let figure = &figure[..figure.find("</figure>").expect("its end")];
    assert!(
        figure.contains(r#"<ul class="legend">"#)
            && figure.find(">search</li>") < figure.find(">Unallocated</li>"),
        "a legend, in stacking order: {figure}"
    );
    assert!(
        figure.contains("<title>2026-03 · search: $1,400.50</title>")
            && figure.contains("<title>2026-02 · Unallocated: $100.00</title>"),
        "each segment says its figure: {figure}"
    );
    // Bottom up: search, then Unallocated, in both months.
    let order: Vec<&str> = figure
        .match_indices("<title>")
        .map(|(i, _)| figure[i + 7..].split(':').next().unwrap_or_default())
        .collect();
    assert_eq!(
        order,
        [
            "2026-02 · search",
            "2026-02 · Unallocated",
            "2026-03 · search",
            "2026-03 · Unallocated"
        ]
    );
}

#[test]
fn months_before_the_first_usage_are_left_out_of_the_chart() {
    let mut p = page(false);
    let empty = |m| MonthTotals {
        month: m,
        by_team: vec![("search".into(), dec!(0))],
    };
    let earlier = months()[1].previous();
    p.history.insert(0, empty(earlier));
    p.history.insert(
        0,
        MonthTotals {
            month: earlier.previous(),
            by_team: vec![],
        },
    );
    assert_eq!(charted_history(&p.history).len(), 2);
    let html = showback_page(&admin(), p);
    let figure = &html[html.find("Blended cost by team").expect("the chart")..];
    let figure = &figure[..figure.find("</figure>").expect("its end")];
    assert!(
        !figure.contains(&format!("\n{earlier}\n</text>")),
        "{figure}"
    );
    assert!(
        !figure.contains(&format!("{}", earlier.previous())),
        "{figure}"
    );
    assert!(
        figure.contains(&format!("\n{}\n</text>", months()[1])),
        "{figure}"
    );
    assert!(charted_history(&[empty(earlier)]).is_empty());
}

#[test]
fn the_headline_change_is_the_total_rows_change() {
    // 1,480.50 against 1,400.00: +80.50, +5.8%, on the card and on the total row.
    let html = showback_page(&admin(), page(false));
    let card = "$80.50 (+5.8%) vs 2026-02";
    assert!(
        html.contains(&format!(r#"<div class="sub">{card}</div>"#)),
        "{html}"
    );
    let foot = &html[html.find("<tfoot>").expect("a total row")..];
    assert!(
        foot.contains(r#"<td class="num pair up"><span>$80.50</span> <span>(+5.8%)</span></td>"#),
        "{foot}"
    );
}

#[test]
fn a_lead_lands_on_their_budgets_without_organisation_cards() {
    let mut p = page(false);
    p.own_budgets = Some(OwnBudgets {
        month: month().next(),
        rows: vec![OwnBudget {
            team: "search".into(),
            spent: dec!(812.40),
            budget: TeamBudget {
                amount: dec!(1000),
                month_end: dec!(1250.10),
                status: "over".into(),
            },
        }],
    });
    let html = showback_page(&lead(), p.clone());
    assert!(
        html.contains("Your budgets, 2026-04 (month to date)"),
        "{html}"
    );
    let table = &html[html.find(r#"id="own-budgets""#).expect("the table")..];
    let row = &table[..table.find("</tr></tbody>").expect("a row")];
    for figure in ["$812.40", "$1,000.00", "81.2%", "$1,250.10", ">over<"] {
        assert!(row.contains(figure), "{figure} in {row}");
    }
    assert!(!html.contains(">Unallocated</div>") && !html.contains(">Unpriced usage</div>"));
    p.own_budgets = Some(OwnBudgets {
        month: month().next(),
        rows: vec![],
    });
    assert!(showback_page(&lead(), p).contains("No budget is set for your teams this month."));
    // Finance keeps the organisation's cards.
    assert!(showback_page(&admin(), page(false)).contains(">Unallocated</div>"));
}
