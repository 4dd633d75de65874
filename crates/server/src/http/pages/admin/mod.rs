//! The admin's pages: keys, rules, prices, users, tokens, audit log. Every handler checks the
//! admin role and every form its CSRF token; every change is audited.

pub mod audit;
pub mod import;
pub mod keys;
pub mod people;
pub mod prices;
pub mod rules;
pub mod teams;

use super::PageError;
use crate::auth::Role;
use crate::auth::session::PageUser;
use crate::error::ApiError;

pub fn require_admin(user: &PageUser) -> Result<(), PageError> {
    if user.principal.role == Role::Admin {
        Ok(())
    } else {
        Err(PageError::new(
            user,
            ApiError::Forbidden("only admins may open the admin pages".into()),
        ))
    }
}

/// Admin access and a valid CSRF token, for every form post.
pub fn require_admin_form(user: &PageUser, csrf: &str) -> Result<(), PageError> {
    require_admin(user)?;
    user.check_csrf(csrf).map_err(|e| PageError::new(user, e))
}

/// Epoch milliseconds as a time for the view models (crates/web formats it).
pub fn when(ms: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

/// A comma-separated list, trimmed, without empties.
pub fn list(s: &str) -> Vec<String> {
    s.split(',')
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
        .collect()
}
