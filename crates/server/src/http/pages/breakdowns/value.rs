//! The "Value and margin" table of the team page: each feature's reported value against its
//! blended cost (see `tokentally_domain::margin`), the team's own line last.

use tokentally_domain::drilldown::Line;
use tokentally_domain::margin::Margin;
use tokentally_web::money::Money;
use tokentally_web::pages::breakdown_page::{Cell, PlainTable, Section};

/// The table's `table=` value for its CSV.
pub const TABLE: &str = "value";

fn dash_or<T: std::fmt::Display>(v: Option<T>, suffix: &str) -> Cell {
    v.map_or(Cell::Blank, |v| Cell::Text(format!("{v}{suffix}")))
}

fn row(name: &str, m: &Margin, cur: &str) -> Vec<Cell> {
    vec![
        Cell::Text(name.to_owned()),
        Cell::Money(Money::new(m.value, cur)),
        Cell::Money(Money::new(m.cost, cur)),
        Cell::Money(Money::new(m.margin, cur)),
        dash_or(m.roi, "×"),
        dash_or(m.cost_share_of_value, " %"),
        dash_or(m.value_per_million_tokens, &format!(" {cur}")),
        Cell::Text(if m.earns_less_than_it_burns {
            "earns less than it burns".to_owned()
        } else {
            String::new()
        }),
    ]
}

/// Features with a reported value, and the team as a whole (`team_line`), for `team`.
pub fn section(team: &str, features: &[Line], team_line: &Line, cur: &str) -> Section {
    let mut rows: Vec<(Option<String>, Vec<Cell>)> = features
        .iter()
        .filter_map(|l| l.margin.as_ref().map(|m| (None, row(&l.name, m, cur))))
        .collect();
    if let Some(m) = &team_line.margin {
        rows.push((None, row(&format!("{team} (whole team)"), m, cur)));
    }
    Section::Plain(PlainTable {
        id: TABLE.into(),
        title: "Value and margin".into(),
        headers: vec![
            ("Feature".into(), false),
            ("Value".into(), true),
            ("Blended cost".into(), true),
            ("Margin".into(), true),
            ("ROI".into(), true),
            ("Cost share of value".into(), true),
            ("Value per 1M tokens".into(), true),
            ("Flag".into(), false),
        ],
        rows,
        empty: "No value reported this month: give a value with the business transactions \
                (Transactions page, API or CSV) to see margin and ROI here."
            .into(),
    })
}
