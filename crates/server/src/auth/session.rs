//! Browser sessions: a random token (carried in a cookie, see `http::cookies`), stored as a
//! digest, with idle and absolute expiry; a per-session CSRF token for every form.

use super::{Principal, tokens};
use crate::storage::{SessionRecord, Store, StoreError, UserRecord};

/// A session unused this long ends.
pub const IDLE_MS: i64 = 12 * 60 * 60 * 1000;
/// A session ends this long after login, used or not.
pub const ABSOLUTE_MS: i64 = 7 * 24 * 60 * 60 * 1000;

/// Whether a submitted CSRF token is the session's, compared in constant time.
pub fn csrf_matches(submitted: &str, expected: &str) -> bool {
    constant_time_eq(submitted.as_bytes(), expected.as_bytes())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Looks a session up, refusing expired ones.
pub async fn load(
    store: &Store,
    token: &str,
) -> Result<Option<(SessionRecord, String)>, StoreError> {
    let hash = tokens::digest(token);
    let Some(s) = store.get_session(&hash).await? else {
        return Ok(None);
    };
    let now = chrono::Utc::now().timestamp_millis();
    if now >= s.expires_ms || now - s.last_seen_ms >= IDLE_MS {
        store.delete_session(&hash).await?;
        return Ok(None);
    }
    // Last use only feeds the idle expiry: a failed update must not fail the page.
    if now - s.last_seen_ms > 60_000
        && let Err(e) = store.touch_session(s.id).await
    {
        tracing::warn!(error = %e, "could not record the session's last use");
    }
    Ok(Some((s, hash)))
}

pub fn principal_of(user: &UserRecord) -> Principal {
    Principal {
        name: user.email.clone(),
        role: user.role.parse().unwrap_or(super::Role::Viewer),
        teams: user.teams.clone(),
    }
}

/// Starts a session for a user: the token its cookie carries.
pub async fn start(store: &Store, user_id: i64) -> Result<String, StoreError> {
    let token = tokens::generate();
    let csrf = tokens::generate();
    let expires = chrono::Utc::now().timestamp_millis() + ABSOLUTE_MS;
    store
        .add_session(&tokens::digest(&token), user_id, &csrf, expires)
        .await?;
    Ok(token)
}
