//! Owners as admins register them: teams and features created, renamed (the old name kept as
//! an alias, so usage tagged with it still counts) and archived, and which leads a team has.
//! Each change is audited and answers with a sentence saying what happened; a change refused
//! answers with why, as `AppError::Invalid`.

use serde_json::{Value, json};
use tokentally_domain::attribution::{UNASSIGNED, validate_owner_name};

use super::{AppError, AppResult, audit};
use crate::auth::Role;
use crate::state::AppState;
use crate::storage::StoreError;

/// A name an owner may have, trimmed.
fn checked_name(field: &'static str, name: &str) -> AppResult<String> {
    let name = name.trim();
    validate_owner_name(field, name).map_err(|e| AppError::invalid(e.to_string()))?;
    if name.chars().count() > 128 {
        return Err(AppError::invalid(format!(
            "`{field}` is longer than 128 characters"
        )));
    }
    Ok(name.to_owned())
}

/// A store refusal as a sentence for the form; other failures stay errors.
fn refused(e: StoreError) -> AppError {
    match e {
        StoreError::Conflict(m) => AppError::Invalid(m),
        StoreError::NotFound => AppError::invalid("not found"),
        other => other.into(),
    }
}

async fn audited(
    state: &AppState,
    actor: &str,
    action: &str,
    subject: String,
    before: Value,
    after: Value,
) -> AppResult<()> {
    Ok(audit::record(
        &state.store,
        actor,
        action,
        &subject,
        Some(before),
        Some(after),
    )
    .await?)
}

/// The teams a form may name (see [`crate::storage::Store::list_team_names`]).
pub async fn team_names(state: &AppState) -> AppResult<Vec<String>> {
    Ok(state.store.list_team_names().await?)
}

/// Refuses a team a form names unless it exists: a typo must not create a team. Creating
/// one is a separate act, on the Teams page.
pub async fn require_existing_team(state: &AppState, team: &str) -> AppResult<()> {
    let team = team.trim();
    if team.is_empty()
        || state
            .store
            .list_team_names()
            .await?
            .iter()
            .any(|t| t == team)
    {
        return Ok(());
    }
    Err(AppError::invalid(format!(
        "No team is named `{team}`: choose one from the list, or create it on the Teams page first."
    )))
}

/// Refuses a feature a form names unless the team has it (as a feature created on the Teams
/// page or seen in its usage): a typo must not start a feature of its own.
pub async fn require_existing_feature(
    state: &AppState,
    team: &str,
    feature: &str,
) -> AppResult<()> {
    let (team, feature) = (team.trim(), feature.trim());
    let known = state
        .store
        .list_feature_pairs()
        .await?
        .iter()
        .any(|(t, f)| t == team && f == feature);
    if known {
        return Ok(());
    }
    Err(AppError::invalid(format!(
        "`{team}` has no feature named `{feature}`: choose one from the list, or create it on the Teams page first."
    )))
}

/// The names of every feature of a team that is not archived, for forms' lists.
pub async fn feature_names(state: &AppState) -> AppResult<Vec<String>> {
    let mut names: Vec<String> = state
        .store
        .list_feature_pairs()
        .await?
        .into_iter()
        .map(|(_, f)| f)
        .collect();
    names.sort();
    names.dedup();
    Ok(names)
}

pub async fn create_team(state: &AppState, actor: &str, name: &str) -> AppResult<String> {
    let name = checked_name("team", name)?;
    // `Support` beside `support` is the same team misspelt: refused like a duplicate.
    if let Some(same) = state
        .store
        .list_teams()
        .await?
        .into_iter()
        .find(|t| t.name.to_lowercase() == name.to_lowercase())
    {
        return Err(AppError::invalid(format!(
            "A team named `{}` exists.",
            same.name
        )));
    }
    match state.store.add_team(&name).await {
        Ok(()) => {
            let after = json!({"name": name});
            audited(
                state,
                actor,
                "team.create",
                format!("team:{name}"),
                Value::Null,
                after,
            )
            .await?;
            Ok(format!("Created team {name}."))
        }
        Err(StoreError::Conflict(_)) => {
            Err(AppError::invalid(format!("A team named `{name}` exists.")))
        }
        Err(e) => Err(refused(e)),
    }
}

pub async fn rename_team(state: &AppState, actor: &str, old: &str, new: &str) -> AppResult<String> {
    let old = checked_name("team", old)?;
    let new = checked_name("team", new)?;
    if new == old {
        return Err(AppError::invalid(
            "The new name is the same as the old one.",
        ));
    }
    state.store.rename_team(&old, &new).await.map_err(refused)?;
    let (before, after) = (json!({"name": old}), json!({"name": new}));
    audited(
        state,
        actor,
        "team.rename",
        format!("team:{old}"),
        before,
        after,
    )
    .await?;
    Ok(format!(
        "Renamed team {old} to {new}; usage tagged {old} now counts for {new}."
    ))
}

pub async fn archive_team(
    state: &AppState,
    actor: &str,
    team: &str,
    archived: bool,
) -> AppResult<String> {
    let team = checked_name("team", team)?;
    state.store.set_team_archived(&team, archived).await?;
    let action = if archived {
        "team.archive"
    } else {
        "team.restore"
    };
    let (before, after) = (
        json!({"archived": !archived}),
        json!({"archived": archived}),
    );
    audited(state, actor, action, format!("team:{team}"), before, after).await?;
    Ok(format!(
        "{} team {team}.",
        if archived { "Archived" } else { "Restored" }
    ))
}

/// Adds a team to a lead's teams.
pub async fn add_lead(state: &AppState, actor: &str, team: &str, email: &str) -> AppResult<String> {
    let team = checked_name("team", team)?;
    let email = email.trim().to_lowercase();
    let Some(u) = state.store.get_user_by_email(&email).await? else {
        return Err(AppError::invalid(format!(
            "No user {email}: add them on the Users page first."
        )));
    };
    if u.role != Role::Lead.as_str() {
        return Err(AppError::invalid(format!(
            "{email} is a {}; only leads are scoped to teams.",
            u.role
        )));
    }
    if u.teams.contains(&team) {
        return Err(AppError::invalid(format!("{email} already leads {team}.")));
    }
    let mut teams = u.teams.clone();
    teams.push(team.clone());
    state.store.set_user_teams(u.id, &teams).await?;
    let (before, after) = (json!({"teams": u.teams}), json!({"teams": teams}));
    audited(
        state,
        actor,
        "user.teams",
        format!("user:{email}"),
        before,
        after,
    )
    .await?;
    Ok(format!("{email} now leads {team}."))
}

pub async fn create_feature(
    state: &AppState,
    actor: &str,
    team: &str,
    name: &str,
) -> AppResult<String> {
    let team = checked_name("team", team.trim())?;
    let name = checked_name("feature", name)?;
    if name == UNASSIGNED {
        return Err(AppError::invalid("`Unassigned` is reserved."));
    }
    match state.store.add_feature(&team, &name).await {
        Ok(()) => {
            let after = json!({"team": team, "name": name});
            let subject = format!("feature:{team}/{name}");
            audited(state, actor, "feature.create", subject, Value::Null, after).await?;
            Ok(format!("Added feature {name} to {team}."))
        }
        Err(StoreError::Conflict(_)) => Err(AppError::invalid(format!(
            "{team} has a feature named `{name}`."
        ))),
        Err(e) => Err(refused(e)),
    }
}

pub async fn rename_feature(
    state: &AppState,
    actor: &str,
    team: &str,
    old: &str,
    new: &str,
) -> AppResult<String> {
    let (team, old) = (team.trim().to_owned(), old.trim().to_owned());
    let new = checked_name("feature", new)?;
    if new == old {
        return Err(AppError::invalid(
            "The new name is the same as the old one.",
        ));
    }
    // A feature only seen in usage is registered under its new name.
    let registered = state
        .store
        .list_features()
        .await?
        .iter()
        .any(|x| x.team == team && x.name == old);
    if !registered && let Err(e) = state.store.add_feature(&team, &old).await {
        return Err(refused(e));
    }
    state
        .store
        .rename_feature(&team, &old, &new)
        .await
        .map_err(refused)?;
    let (before, after) = (json!({"name": old}), json!({"name": new}));
    let subject = format!("feature:{team}/{old}");
    audited(state, actor, "feature.rename", subject, before, after).await?;
    Ok(format!("Renamed feature {old} of {team} to {new}."))
}

pub async fn archive_feature(
    state: &AppState,
    actor: &str,
    team: &str,
    name: &str,
    archived: bool,
) -> AppResult<String> {
    let (team, name) = (team.trim().to_owned(), name.trim().to_owned());
    state
        .store
        .set_feature_archived(&team, &name, archived)
        .await
        .map_err(refused)?;
    let action = if archived {
        "feature.archive"
    } else {
        "feature.restore"
    };
    let (before, after) = (
        json!({"archived": !archived}),
        json!({"archived": archived}),
    );
    audited(
        state,
        actor,
        action,
        format!("feature:{team}/{name}"),
        before,
        after,
    )
    .await?;
    Ok(format!(
        "{} feature {name} of {team}.",
        if archived { "Archived" } else { "Restored" }
    ))
}
