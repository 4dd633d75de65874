//! Attribution set by people: key mappings (a key's owner from a day on) and virtual-tag
//! rules, validated and audited.

use chrono::NaiveDate;
use serde::Deserialize;
use tokentally_domain::attribution::{KeyMapping, Rule};

use super::{AppError, AppResult, audit, closed_months};
use crate::state::AppState;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewKeyMapping {
    pub api_key: String,
    pub team: String,
    pub feature: Option<String>,
    pub environment: Option<String>,
    /// The UTC day from which the mapping holds (default: today).
    pub valid_from: Option<NaiveDate>,
}

impl NewKeyMapping {
    pub fn into_mapping(self) -> Result<KeyMapping, AppError> {
        let blank_to_none =
            |s: Option<String>| s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
        let m = KeyMapping {
            api_key: self.api_key.trim().to_owned(),
            team: self.team.trim().to_owned(),
            feature: blank_to_none(self.feature),
            environment: blank_to_none(self.environment),
            valid_from: self
                .valid_from
                .unwrap_or_else(|| chrono::Utc::now().date_naive()),
        };
        m.validate().map_err(|e| AppError::invalid(e.to_string()))?;
        Ok(m)
    }
}

/// Maps a key to an owner from a day on; audited with what it replaced. Answers a warning
/// when no usage has carried the key yet (a misspelt key maps nothing).
pub async fn set_mapping(
    state: &AppState,
    actor: &str,
    m: &KeyMapping,
) -> Result<Option<String>, AppError> {
    if state
        .store
        .list_teams()
        .await?
        .iter()
        .any(|t| t.name == m.team && t.archived)
    {
        return Err(AppError::invalid(format!(
            "team `{}` is archived; restore it on the Teams page first",
            m.team
        )));
    }
    closed_months::refuse_from(&state.store, "A key mapping", m.valid_from).await?;
    let before = state.store.set_key_mapping(m, actor).await?;
    audit::record(
        &state.store,
        actor,
        "key_mapping.set",
        &format!("key:{}", m.api_key),
        before,
        Some(m),
    )
    .await?;
    Ok((!state.store.key_seen(&m.api_key).await?).then(|| unseen_key_warning(&m.api_key)))
}

/// What a person is told when they map a key no usage has carried.
pub fn unseen_key_warning(api_key: &str) -> String {
    format!(
        "No usage has carried the key `{api_key}` yet: it is mapped, but check its spelling against the keys listed."
    )
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewRule {
    #[serde(default)]
    pub priority: i64,
    pub provider: Option<String>,
    pub model: Option<String>,
    pub key_prefix: Option<String>,
    pub tag: Option<String>,
    pub tag_value: Option<String>,
    pub team: Option<String>,
    pub feature: Option<String>,
}

impl NewRule {
    pub fn into_rule(self) -> Result<Rule, AppError> {
        let clean = |s: Option<String>| s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
        let tag = match (clean(self.tag), clean(self.tag_value)) {
            (Some(k), Some(v)) => Some((k, v)),
            (None, None) => None,
            _ => return Err(AppError::invalid("`tag` and `tag_value` go together")),
        };
        let rule = Rule {
            id: 0,
            priority: self.priority,
            provider: clean(self.provider),
            model: clean(self.model),
            key_prefix: clean(self.key_prefix),
            tag,
            team: clean(self.team),
            feature: clean(self.feature),
        };
        rule.validate()
            .map_err(|e| AppError::invalid(e.to_string()))?;
        Ok(rule)
    }
}

/// Adds a rule (its id is the stored one) and audits it.
pub async fn add_rule(state: &AppState, actor: &str, mut rule: Rule) -> AppResult<Rule> {
    rule.id = state.store.add_rule(&rule).await?;
    audit::record(
        &state.store,
        actor,
        "rule.add",
        &format!("rule:{}", rule.id),
        None::<()>,
        Some(&rule),
    )
    .await?;
    Ok(rule)
}
