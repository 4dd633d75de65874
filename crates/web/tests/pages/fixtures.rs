//! The small, fixed view models the snapshots are rendered from.

use chrono::{DateTime, NaiveDate, Utc};
use tokentally_domain::month::Month;
use tokentally_web::components::form::FieldErrors;
use tokentally_web::shell::Viewer;

pub fn admin() -> Viewer {
    Viewer {
        email: "ada@example.test".into(),
        role: "admin".into(),
        is_admin: true,
        sees_everything: true,
        csrf: "csrf-token".into(),
    }
}

pub fn lead() -> Viewer {
    Viewer {
        email: "lin@example.test".into(),
        role: "lead".into(),
        is_admin: false,
        sees_everything: false,
        csrf: "csrf-token".into(),
    }
}

pub fn month() -> Month {
    Month::new(2026, 3).expect("a month")
}

pub fn months() -> Vec<Month> {
    vec![month(), Month::new(2026, 2).expect("a month")]
}

/// A day of March 2026.
pub fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, d).expect("a day")
}

/// A moment on a day of March 2026, to the minute.
pub fn at(d: u32, hour: u32, minute: u32) -> DateTime<Utc> {
    day(d)
        .and_hms_opt(hour, minute, 0)
        .expect("a time")
        .and_utc()
}

/// One field marked invalid, to show how errors render.
pub fn errors(field: &str, message: &str) -> FieldErrors {
    FieldErrors::from([(field.to_owned(), message.to_owned())])
}

/// One tag a line, so that a snapshot's diff points at the element that changed. An island's
/// exported name ends in a hash of its source (`TableIsland_1234…`), which changes with any
/// edit of the island; the snapshots keep the name alone.
pub fn pretty(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    let marker = "data-component=\"";
    while let Some(at) = rest.find(marker) {
        let start = at + marker.len();
        let end = start + rest[start..].find('"').unwrap_or(0);
        let name = &rest[start..end];
        let name = name
            .rsplit_once('_')
            .filter(|(_, hash)| hash.bytes().all(|b| b.is_ascii_digit()))
            .map_or(name, |(name, _)| name);
        out.push_str(&rest[..start]);
        out.push_str(name);
        rest = &rest[end..];
    }
    out.push_str(rest);
    out.replace("><", ">\n<")
}

/// The bytes the islands add to a page: their wrappers (`<leptos-island …>`, `<leptos-children>`,
/// the island's own `<div>` and the chart's empty read-out), their markers (`<!>`, counted
/// wherever they are), and any serialised state (`data-props`, which should be none).
pub fn island_markup(html: &str) -> usize {
    let open_tags: usize = html
        .match_indices("<leptos-island")
        .map(|(at, _)| html[at..].find('>').map_or(0, |end| end + 1))
        .sum();
    let fixed: usize = [
        "</leptos-island>",
        "<leptos-children>",
        "</leptos-children>",
        "<div class=\"table-island\">",
        "<div class=\"chart-island\">",
        "<div class=\"form-island\">",
        "<p class=\"chart-readout\" aria-live=\"polite\"> </p>",
        "<!>",
    ]
    .iter()
    .map(|f| html.matches(f).count() * f.len())
    .sum();
    let closing_divs = ["table-island", "chart-island", "form-island"]
        .iter()
        .map(|c| html.matches(&format!("<div class=\"{c}\">")).count() * "</div>".len())
        .sum::<usize>();
    open_tags + fixed + closing_divs
}

/// Snapshots a page's HTML, one tag a line.
#[macro_export]
macro_rules! snapshot {
    ($name:expr, $html:expr) => {{
        let html: String = $html;
        assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
        let one_tag_a_line = $crate::fixtures::pretty(&html);
        insta::assert_snapshot!($name, one_tag_a_line);
    }};
}

/// February → March for the organisation: search grew by volume, a model got cheaper, an
/// overhead was added, and one part is zero.
pub fn movement() -> tokentally_web::pages::movement_section::MovementView {
    use rust_decimal_macros::dec;
    use tokentally_domain::movement::{By, Contributor, Movement, Part, PartKind, Scope};
    let c = |by, name: &str, team: Option<&str>, amount| Contributor {
        by,
        name: name.into(),
        team: team.map(str::to_owned),
        amount,
    };
    let part = |kind, amount, contributors| Part {
        kind,
        amount,
        exact: amount,
        contributors,
    };
    let parts = PartKind::ALL
        .into_iter()
        .map(|kind| match kind {
            PartKind::Volume => part(
                kind,
                dec!(100.50),
                vec![
                    c(By::Team, "search & co", Some("search & co"), dec!(90.25)),
                    c(By::Team, "support", Some("support"), dec!(10.25)),
                ],
            ),
            PartKind::Price => part(
                kind,
                dec!(-20),
                vec![c(By::Model, "openai/gpt-4o", None, dec!(-20))],
            ),
            PartKind::Overheads => part(
                kind,
                dec!(10),
                vec![c(By::Category, "retrieval", None, dec!(10))],
            ),
            _ => part(kind, dec!(0), vec![]),
        })
        .collect();
    tokentally_web::pages::movement_section::MovementView {
        movement: Movement {
            scope: Scope::Org,
            from: Month::new(2026, 2).expect("a month"),
            to: month(),
            currency: "USD".into(),
            before_total: dec!(1390),
            after_total: dec!(1480.5),
            change: dec!(90.5),
            parts,
        },
        csv: "/showback.csv?month=2026-03&table=movement".into(),
    }
}

/// Twelve months to March 2026 of a feature: usage from October on, with a gap in December,
/// and a target it meets.
pub fn trend() -> tokentally_web::pages::trend_section::TrendView {
    use rust_decimal_macros::dec;
    use tokentally_domain::movement::Scope;
    use tokentally_domain::trend::{Trend, TrendPoint, months_ending};
    let points = months_ending(month(), 12)
        .into_iter()
        .enumerate()
        .map(|(i, m)| {
            let used = i >= 6 && m.to_string() != "2025-12";
            if !used {
                return TrendPoint::empty(m);
            }
            let successes = 100 * i as u64;
            let cost = rust_decimal::Decimal::from(i as u64 * 3);
            TrendPoint {
                month: m,
                blended_cost: cost,
                requests: successes + 10,
                successful_outcomes: successes,
                cost_per_successful_outcome: Some(cost / rust_decimal::Decimal::from(successes)),
                cost_per_query: Some(cost / rust_decimal::Decimal::from(successes + 10)),
                tokens_per_successful_outcome: Some(dec!(1234.5)),
                active_users: None,
                cost_per_active_user: None,
            }
            .with_active_users(i as u64 + 1)
        })
        .collect();
    tokentally_web::pages::trend_section::TrendView {
        trend: Trend {
            scope: Scope::Feature {
                team: "search & co".into(),
                feature: "chat".into(),
            },
            currency: "USD".into(),
            points,
            target: Some(dec!(0.05)),
        },
        csv: "/teams/search%20%26%20co/features/chat/export.csv?month=2026-03&table=trend".into(),
    }
}
