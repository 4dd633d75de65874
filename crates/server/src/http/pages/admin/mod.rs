//! The admin's pages: keys, rules, prices, users, tokens, audit log. Every handler checks the
//! admin capability (forms their CSRF token through `CsrfForm`); every change is audited.

pub mod audit;
pub mod import;
pub mod keys;
pub mod people;
pub mod prices;
pub mod rules;
pub mod teams;

use crate::auth::Capability;
use crate::http::extract::PageUser;
use crate::http::pages::{PageError, require};

pub fn require_admin(user: &PageUser) -> Result<(), PageError> {
    require(
        user,
        Capability::Administer,
        "only admins may open the admin pages",
    )
}

/// Formats epoch milliseconds for tables.
pub fn when(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|d| d.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

/// A comma-separated list, trimmed, without empties.
pub fn list(s: &str) -> Vec<String> {
    s.split(',')
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
        .collect()
}
