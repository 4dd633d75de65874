//! An admin's care of other people's accounts: disable, re-enable, delete, change role and
//! teams, reset a password. Each is audited, and none may leave the organisation without an
//! enabled admin. Sessions and a person's own tokens follow at once: a disabled or deleted
//! account's sessions end and its tokens are refused on their next request. The caller checks
//! `Capability::Administer` first; pages and the CLI both come here.

use serde_json::json;

use crate::app::{AppError, AppResult, accounts, audit};
use crate::auth::{Role, passwords};
use crate::storage::{Store, StoreError, UserChange, UserChangeOutcome, UserRecord};

/// The account with this email (any case), or a 404 naming it.
pub async fn find(store: &Store, email: &str) -> AppResult<UserRecord> {
    let email = email.trim().to_lowercase();
    store
        .get_user_by_email(&email)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no user has the email `{email}`")))
}

/// Stops an account: its sessions end now, its own tokens stop working, it cannot sign in.
pub async fn disable(store: &Store, actor: &str, id: i64) -> AppResult<UserRecord> {
    apply(store, actor, id, UserChange::Disable, "user.disable").await
}

/// Lets a disabled account sign in again (and its own tokens work again).
pub async fn enable(store: &Store, actor: &str, id: i64) -> AppResult<UserRecord> {
    apply(store, actor, id, UserChange::Enable, "user.enable").await
}

/// Deletes an account: sessions end, its own tokens are revoked, the email may be reused.
pub async fn delete(store: &Store, actor: &str, id: i64) -> AppResult<UserRecord> {
    apply(store, actor, id, UserChange::Delete, "user.delete").await
}

/// Sets an account's role and teams; open sessions carry the new ones from the next request.
pub async fn set_access(
    store: &Store,
    actor: &str,
    id: i64,
    role: Role,
    teams: &[String],
) -> AppResult<UserRecord> {
    if role == Role::Ingest {
        return Err(AppError::invalid(
            "`ingest` is a token role, not a user role",
        ));
    }
    if role == Role::Lead && teams.is_empty() {
        return Err(AppError::invalid("a lead needs at least one team"));
    }
    // A typo must not make a lead of a team nobody has (and see nothing, or later a team of
    // that name): teams come from the list, as in every other form.
    let known = store.list_team_names().await?;
    if let Some(t) = teams.iter().find(|t| !known.iter().any(|k| k == t.trim())) {
        return Err(AppError::invalid(format!(
            "No team is named `{}`: choose one from the list, or create it on the Teams page first.",
            t.trim()
        )));
    }
    let change = UserChange::SetAccess {
        role: role.as_str(),
        teams,
    };
    apply(store, actor, id, change, "user.set_access").await
}

/// Gives an account a new password chosen by the admin; every session of it ends.
pub async fn reset_password(
    store: &Store,
    actor: &str,
    id: i64,
    password: &str,
) -> AppResult<UserRecord> {
    accounts::check_new_password(password)?;
    let hash = passwords::hash(password)?;
    apply(
        store,
        actor,
        id,
        UserChange::SetPassword(&hash),
        "user.password_reset",
    )
    .await
}

/// An account as the audit log keeps it (never its password hash).
fn summary(user: &UserRecord) -> serde_json::Value {
    json!({
        "email": user.email,
        "role": user.role,
        "teams": user.teams,
        "disabled": user.is_disabled(),
    })
}

fn after(before: &UserRecord, change: UserChange<'_>) -> Option<serde_json::Value> {
    let mut after = summary(before);
    match change {
        UserChange::Disable => after["disabled"] = json!(true),
        UserChange::Enable => after["disabled"] = json!(false),
        UserChange::Delete => return None,
        UserChange::SetAccess { role, teams } => {
            after["role"] = json!(role);
            after["teams"] = json!(teams);
        }
        UserChange::SetPassword(_) => after["password"] = json!("reset"),
    }
    Some(after)
}

async fn apply(
    store: &Store,
    actor: &str,
    id: i64,
    change: UserChange<'_>,
    action: &str,
) -> AppResult<UserRecord> {
    match store.change_user(id, change).await {
        Ok(UserChangeOutcome::Done(before)) => {
            let subject = format!("user:{}", before.email);
            let (was, now) = (summary(&before), after(&before, change));
            audit::record(store, actor, action, &subject, Some(was), now).await?;
            Ok(before)
        }
        Ok(UserChangeOutcome::LastAdmin) => Err(AppError::Conflict(
            "this is the last enabled admin: make another person admin first, so that someone \
             can still administer tokentally"
                .into(),
        )),
        Err(StoreError::NotFound) => Err(AppError::NotFound(format!("no user has the id {id}"))),
        Err(e) => Err(e.into()),
    }
}
