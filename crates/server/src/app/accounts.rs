//! People and programs that may use tokentally: user accounts, API tokens and signing in.

use crate::app::{AppError, AppResult};
use crate::auth::{Role, passwords, session, tokens};
use crate::storage::{Store, UserRecord};

/// Failed logins within this window count towards throttling.
pub const THROTTLE_WINDOW_MS: i64 = 15 * 60 * 1000;
pub const MAX_FAILURES_PER_ACCOUNT: i64 = 5;
pub const MAX_FAILURES_PER_ADDRESS: i64 = 20;

/// A role a person may have (`ingest` is for tokens only).
pub fn user_role(role: &str) -> AppResult<Role> {
    let role: Role = role.parse().map_err(AppError::Invalid)?;
    if role == Role::Ingest {
        return Err(AppError::invalid(
            "`ingest` is a token role, not a user role",
        ));
    }
    Ok(role)
}

/// Creates an account; the email is kept in lower case, the password as an argon2id hash.
pub async fn add_user(
    store: &Store,
    email: &str,
    password: &str,
    role: Role,
    teams: &[String],
) -> AppResult<i64> {
    if password.chars().count() < 8 {
        return Err(AppError::invalid(
            "the password must have at least 8 characters",
        ));
    }
    if role == Role::Lead && teams.is_empty() {
        return Err(AppError::invalid("a lead needs at least one --team"));
    }
    let hash = passwords::hash(password)?;
    Ok(store
        .add_user(&email.trim().to_lowercase(), &hash, role.as_str(), teams)
        .await?)
}

/// Creates a token and returns it; only its digest is stored.
pub async fn create_token(
    store: &Store,
    name: &str,
    role: Role,
    teams: &[String],
) -> AppResult<String> {
    if role == Role::Lead && teams.is_empty() {
        return Err(AppError::invalid("a lead token needs at least one --team"));
    }
    let token = tokens::generate();
    store
        .add_api_token(name, &tokens::digest(&token), role.as_str(), teams)
        .await?;
    Ok(token)
}

/// How a sign-in ended.
pub enum SignIn {
    /// A new session; its token goes into the cookie.
    Started { session_token: String },
    /// Too many recent failures for this account or address.
    Throttled,
    /// The email and password do not match.
    Refused,
}

/// Checks a password, throttled per account and per address, and starts a session.
pub async fn sign_in(
    store: &Store,
    email: &str,
    password: &str,
    address: &str,
) -> AppResult<SignIn> {
    let email = email.trim().to_lowercase();
    let since = chrono::Utc::now().timestamp_millis() - THROTTLE_WINDOW_MS;
    let (by_email, by_address) = store.count_login_failures(&email, address, since).await?;
    if by_email >= MAX_FAILURES_PER_ACCOUNT || by_address >= MAX_FAILURES_PER_ADDRESS {
        return Ok(SignIn::Throttled);
    }
    let user = store.get_user_by_email(&email).await?;
    let matches = password_matches(password, user.as_ref());
    let Some(user) = user.filter(|_| matches) else {
        store.add_login_failure(&email, address).await?;
        return Ok(SignIn::Refused);
    };
    store.clear_login_failures(&email).await?;
    let session_token = session::start(store, user.id).await?;
    Ok(SignIn::Started { session_token })
}

/// Verifies against a dummy hash for unknown accounts too, so timing does not tell them
/// apart.
fn password_matches(password: &str, user: Option<&UserRecord>) -> bool {
    let hash = user.map_or(DUMMY_HASH, |u| u.password_hash.as_str());
    passwords::verify(password, hash) && user.is_some()
}

/// A valid argon2id hash of a random password, checked when the account does not exist.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$W0Vb2uo0aVvvJjS0ZbUAkT0fA2CkcpOtNsmmvkXQj0o";
