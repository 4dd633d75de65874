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

/// One tag a line, so that a snapshot's diff points at the element that changed.
pub fn pretty(html: &str) -> String {
    html.replace("><", ">\n<")
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
