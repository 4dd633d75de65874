//! People and programs that may use tokentally: user accounts, API tokens and signing in.

use crate::app::{AppError, AppResult};
use crate::auth::{Role, passwords, session, tokens};
use crate::storage::{Store, UserRecord};

/// Failed logins within this window count towards throttling.
pub const THROTTLE_WINDOW_MS: i64 = 15 * 60 * 1000;
/// Failures allowed without delay: for one account from one address, from one address for
/// any account, and for one account from all addresses. Past each, the next attempt in that
/// scope waits a delay that doubles with every further failure (5 s, 10 s, 20 s, ... up to
/// [`MAX_DELAY_MS`]) after the scope's last attempt. No account is ever locked: its owner,
/// from their own address, waits at most the delay that the account-wide scope asks, which
/// takes many more failures to grow.
pub const FREE_FAILURES_PER_ACCOUNT_AND_ADDRESS: i64 = 5;
pub const FREE_FAILURES_PER_ADDRESS: i64 = 20;
pub const FREE_FAILURES_PER_ACCOUNT: i64 = 50;
/// The delay after the free failures of a scope.
pub const FIRST_DELAY_MS: i64 = 5_000;
/// The longest delay between two attempts in one scope.
pub const MAX_DELAY_MS: i64 = 15 * 60 * 1000;

/// How long after the last attempt of a scope the next may come, given the attempts before.
pub fn throttle_delay_ms(attempts_before: i64, free: i64) -> i64 {
    if attempts_before < free {
        return 0;
    }
    let doublings = (attempts_before - free).min(20) as u32;
    (FIRST_DELAY_MS << doublings).min(MAX_DELAY_MS)
}

/// The wait, in milliseconds, before an attempt recorded as `id` may check a password; 0 when
/// it may now. Every attempt before it counts, whether or not it has been answered yet, so
/// that guesses sent in parallel cannot slip under the limit.
pub async fn login_wait_ms(store: &Store, id: i64, email: &str, address: &str) -> AppResult<i64> {
    let now = chrono::Utc::now().timestamp_millis();
    let scopes = store
        .login_attempts_before(id, email, address, now - THROTTLE_WINDOW_MS)
        .await?;
    let free = [
        FREE_FAILURES_PER_ACCOUNT_AND_ADDRESS,
        FREE_FAILURES_PER_ADDRESS,
        FREE_FAILURES_PER_ACCOUNT,
    ];
    Ok(scopes
        .iter()
        .zip(free)
        .map(|((n, last), free)| (last + throttle_delay_ms(*n, free) - now).max(0))
        .max()
        .unwrap_or(0))
}

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

/// Refuses a password too short to set.
pub fn check_new_password(password: &str) -> AppResult<()> {
    if password.chars().count() < 8 {
        return Err(AppError::invalid(
            "the password must have at least 8 characters",
        ));
    }
    Ok(())
}

/// Creates an account; the email is kept in lower case, the password as an argon2id hash.
pub async fn add_user(
    store: &Store,
    email: &str,
    password: &str,
    role: Role,
    teams: &[String],
) -> AppResult<i64> {
    check_new_password(password)?;
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
        .add_api_token(name, &tokens::digest(&token), role.as_str(), teams, None)
        .await?;
    Ok(token)
}

/// Creates a token that belongs to a person and returns it: it acts as them (their role and
/// teams as they are at each request) and stops when they are disabled or deleted.
pub async fn create_personal_token(store: &Store, name: &str, owner: &str) -> AppResult<String> {
    let email = owner.trim().to_lowercase();
    let user = store
        .get_user_by_email(&email)
        .await?
        .ok_or_else(|| AppError::invalid(format!("no user has the email `{email}`")))?;
    if user.is_disabled() {
        return Err(AppError::invalid(format!(
            "{email} is disabled: enable the account first"
        )));
    }
    let token = tokens::generate();
    store
        .add_api_token(
            name,
            &tokens::digest(&token),
            &user.role,
            &user.teams,
            Some(user.id),
        )
        .await?;
    Ok(token)
}

/// Whether a password may be checked now.
pub enum Guess {
    /// Yes; the attempt, recorded as a failure until [`right_guess`] forgets it.
    Allowed(i64),
    /// Not yet: too many recent failures in one of the attempt's scopes.
    Throttled { retry_after_secs: i64 },
}

/// Records a guess at a password in `scope` (an account's email, or another name for
/// another form) from `address`, before it is checked, and answers whether it may be
/// checked. Counted first, checked after: guesses sent in parallel see each other.
pub async fn begin_guess(store: &Store, scope: &str, address: &str) -> AppResult<Guess> {
    let attempt = store.add_login_attempt(scope, address).await?;
    let wait = login_wait_ms(store, attempt, scope, address).await?;
    if wait > 0 {
        // No password was checked: this attempt adds no delay of its own.
        store.delete_login_attempt(attempt).await?;
        return Ok(Guess::Throttled {
            retry_after_secs: (wait + 999) / 1000,
        });
    }
    Ok(Guess::Allowed(attempt))
}

/// A guess was right: it and the scope's earlier failures from this address are forgotten.
pub async fn right_guess(store: &Store, attempt: i64, scope: &str, address: &str) -> AppResult<()> {
    store.delete_login_attempt(attempt).await?;
    store.clear_login_failures(scope, address).await?;
    Ok(())
}

/// How a sign-in ended.
pub enum SignIn {
    /// A new session; its token goes into the cookie.
    Started { session_token: String },
    /// Too many recent failures for this account or address: try again in this many seconds.
    Throttled { retry_after_secs: i64 },
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
    let attempt = match begin_guess(store, &email, address).await? {
        Guess::Allowed(attempt) => attempt,
        Guess::Throttled { retry_after_secs } => return Ok(SignIn::Throttled { retry_after_secs }),
    };
    // A disabled account is refused like a wrong password: the form tells nothing apart.
    let user = store
        .get_user_by_email(&email)
        .await?
        .filter(|u| !u.is_disabled());
    let matches = password_matches(password, user.as_ref());
    let Some(user) = user.filter(|_| matches) else {
        // The attempt stays recorded as a failure.
        return Ok(SignIn::Refused);
    };
    right_guess(store, attempt, &email, address).await?;
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
