//! Attribution: who owns a token. Resolved at read time, in the order docs/ARCHITECTURE.md sets:
//! 1. the API key's mapping in force on the day; 2. the event's own tags;
//! 3. virtual-tag rules in priority order; 4. Unallocated / Unassigned.
//!
//! Team and feature are resolved separately, each by the first source that names one.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

pub const UNALLOCATED: &str = "Unallocated";
pub const UNASSIGNED: &str = "Unassigned";

/// An admin's statement that, from `valid_from` on, a key belongs to a team.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyMapping {
    pub api_key: String,
    pub team: String,
    pub feature: Option<String>,
    pub environment: Option<String>,
    pub valid_from: NaiveDate,
}

/// A virtual-tag rule: every condition given must hold; it then names a team and/or feature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    pub id: i64,
    /// Lower runs first.
    pub priority: i64,
    pub provider: Option<String>,
    /// Exact model, or a prefix ending in `*`.
    pub model: Option<String>,
    pub key_prefix: Option<String>,
    /// (tag name, value); `team`, `feature` and `environment` name the event's own tags.
    pub tag: Option<(String, String)>,
    pub team: Option<String>,
    pub feature: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AttributionError {
    #[error("`{0}` must not be empty")]
    Empty(&'static str),
    #[error("`{0}` is a reserved name")]
    Reserved(String),
    #[error("a rule needs at least one condition (provider, model, key prefix or tag)")]
    RuleWithoutCondition,
    #[error("a rule must name a team or a feature")]
    RuleWithoutTarget,
}

/// Checks a team or feature name an admin typed.
pub fn validate_owner_name(field: &'static str, name: &str) -> Result<(), AttributionError> {
    if name.trim().is_empty() {
        return Err(AttributionError::Empty(field));
    }
    if name == UNALLOCATED || name == UNASSIGNED {
        return Err(AttributionError::Reserved(name.to_owned()));
    }
    Ok(())
}

impl KeyMapping {
    pub fn validate(&self) -> Result<(), AttributionError> {
        if self.api_key.trim().is_empty() {
            return Err(AttributionError::Empty("api_key"));
        }
        validate_owner_name("team", &self.team)
    }
}

impl Rule {
    pub fn validate(&self) -> Result<(), AttributionError> {
        if self.provider.is_none()
            && self.model.is_none()
            && self.key_prefix.is_none()
            && self.tag.is_none()
        {
            return Err(AttributionError::RuleWithoutCondition);
        }
        if self.team.is_none() && self.feature.is_none() {
            return Err(AttributionError::RuleWithoutTarget);
        }
        if let Some(t) = &self.team {
            validate_owner_name("team", t)?;
        }
        Ok(())
    }

    pub fn matches(&self, e: &EventDims<'_>) -> bool {
        let model_ok = self
            .model
            .as_deref()
            .is_none_or(|m| match m.strip_suffix('*') {
                Some(prefix) => e.model.starts_with(prefix),
                None => e.model == m,
            });
        let tag_ok = self
            .tag
            .as_ref()
            .is_none_or(|(k, v)| e.tag(k) == Some(v.as_str()));
        self.provider.as_deref().is_none_or(|p| p == e.provider)
            && model_ok
            && self
                .key_prefix
                .as_deref()
                .is_none_or(|p| e.api_key.is_some_and(|k| k.starts_with(p)))
            && tag_ok
    }
}

/// What attribution looks at in an event (or a rollup row of events).
#[derive(Debug, Clone, Copy)]
pub struct EventDims<'a> {
    pub provider: &'a str,
    pub model: &'a str,
    pub api_key: Option<&'a str>,
    pub team: Option<&'a str>,
    pub feature: Option<&'a str>,
    pub environment: Option<&'a str>,
    pub tags: &'a BTreeMap<String, String>,
}

impl EventDims<'_> {
    fn tag(&self, name: &str) -> Option<&str> {
        match name {
            "team" => self.team,
            "feature" => self.feature,
            "environment" => self.environment,
            other => self.tags.get(other).map(String::as_str),
        }
    }
}

/// Which source decided the team.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "id")]
pub enum Basis {
    KeyMapping,
    Tag,
    Rule(i64),
    Unallocated,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Attribution {
    pub team: String,
    pub feature: String,
    pub environment: Option<String>,
    pub basis: Basis,
    /// The event's team tag names another team than its key's mapping (the key wins).
    pub conflict: bool,
}

/// The rows that can belong to a team (see [`Attributor::candidates`]): those whose API key
/// is one of `keys`, or whose team tag is one of `team_tags`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct TeamCandidates {
    pub keys: Vec<String>,
    pub team_tags: Vec<String>,
}

/// Resolves attribution for many rows against one set of mappings and rules.
#[derive(Debug, Clone, Default)]
pub struct Attributor {
    /// key → mappings, oldest first.
    mappings: HashMap<String, Vec<KeyMapping>>,
    rules: Vec<Rule>,
    aliases: Aliases,
}

/// Former names of renamed teams and features: usage tagged with an old name belongs to the
/// owner under its new name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Aliases {
    teams: HashMap<String, String>,
    /// (team, old feature) → new feature.
    features: HashMap<(String, String), String>,
}

impl Aliases {
    pub fn add_team(&mut self, old: &str, new: &str) {
        self.teams.insert(old.to_owned(), new.to_owned());
    }

    pub fn add_feature(&mut self, team: &str, old: &str, new: &str) {
        self.features
            .insert((team.to_owned(), old.to_owned()), new.to_owned());
    }

    /// The current name of a team (following renames of renames; a cycle stops where it closes).
    pub fn team(&self, name: &str) -> String {
        let mut current = name;
        for _ in 0..16 {
            match self.teams.get(current) {
                Some(next) if next != name => current = next,
                _ => break,
            }
        }
        current.to_owned()
    }

    pub fn feature(&self, team: &str, name: &str) -> String {
        let mut current = name.to_owned();
        for _ in 0..16 {
            match self.features.get(&(team.to_owned(), current.clone())) {
                Some(next) if next != name => current = next.clone(),
                _ => break,
            }
        }
        current
    }
}

impl Attributor {
    pub fn new(mappings: Vec<KeyMapping>, mut rules: Vec<Rule>) -> Self {
        let mut by_key: HashMap<String, Vec<KeyMapping>> = HashMap::new();
        for m in mappings {
            by_key.entry(m.api_key.clone()).or_default().push(m);
        }
        for list in by_key.values_mut() {
            // Stable: of two mappings from the same day, the later-recorded one wins.
            list.sort_by_key(|m| m.valid_from);
        }
        rules.sort_by_key(|r| (r.priority, r.id));
        Self {
            mappings: by_key,
            rules,
            aliases: Aliases::default(),
        }
    }

    /// The mapping in force for `api_key` on `day`.
    pub fn mapping(&self, api_key: &str, day: NaiveDate) -> Option<&KeyMapping> {
        self.mappings
            .get(api_key)?
            .iter()
            .rev()
            .find(|m| m.valid_from <= day)
    }

    pub fn has_mappings(&self, api_key: &str) -> bool {
        self.mappings.contains_key(api_key)
    }

    pub fn with_aliases(mut self, aliases: Aliases) -> Self {
        self.aliases = aliases;
        self
    }

    /// Where `team`'s usage can be, as a filter a read can apply before attributing: rows
    /// whose key was ever mapped to the team, or whose team tag names it (or a former name of
    /// it). Every row [`Attributor::resolve`] gives the team passes it; rows it lets through
    /// for another team are attributed and dropped as before. `None` when the team cannot be
    /// narrowed so: Unallocated, or a team a rule names (a rule can match any row).
    pub fn candidates(&self, team: &str) -> Option<TeamCandidates> {
        if team == UNALLOCATED || self.rules.iter().any(|r| r.team.as_deref() == Some(team)) {
            return None;
        }
        let mut keys: Vec<String> = self
            .mappings
            .iter()
            .filter(|(_, list)| list.iter().any(|m| m.team == team))
            .map(|(key, _)| key.clone())
            .collect();
        keys.sort();
        let mut team_tags: Vec<String> = self
            .aliases
            .teams
            .keys()
            .filter(|old| self.aliases.team(old) == team)
            .cloned()
            .collect();
        if self.aliases.team(team) == team {
            team_tags.push(team.to_owned());
        }
        team_tags.sort();
        team_tags.dedup();
        Some(TeamCandidates { keys, team_tags })
    }

    pub fn resolve(&self, e: &EventDims<'_>, day: NaiveDate) -> Attribution {
        let mapping = e.api_key.and_then(|k| self.mapping(k, day));
        // Renames rewrite stored mappings and rules, so aliases apply to event tags only: a
        // tag is the one place an old name can still arrive.
        let tag_team = e.team.map(|t| self.aliases.team(t));
        let rule_with =
            |wants: fn(&Rule) -> bool| self.rules.iter().find(|r| wants(r) && r.matches(e));

        let (team, basis) = if let Some(m) = mapping {
            (m.team.clone(), Basis::KeyMapping)
        } else if let Some(t) = &tag_team {
            (t.clone(), Basis::Tag)
        } else if let Some(r) = rule_with(|r| r.team.is_some()) {
            (r.team.clone().unwrap_or_default(), Basis::Rule(r.id))
        } else {
            (UNALLOCATED.to_owned(), Basis::Unallocated)
        };
        let feature = mapping
            .and_then(|m| m.feature.clone())
            .or_else(|| e.feature.map(|f| self.aliases.feature(&team, f)))
            .or_else(|| rule_with(|r| r.feature.is_some()).and_then(|r| r.feature.clone()))
            .unwrap_or_else(|| UNASSIGNED.to_owned());
        let environment = mapping
            .and_then(|m| m.environment.clone())
            .or_else(|| e.environment.map(str::to_owned));
        let conflict = matches!((mapping, &tag_team), (Some(m), Some(t)) if &m.team != t);
        Attribution {
            team,
            feature,
            environment,
            basis,
            conflict,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn dims<'a>(
        key: Option<&'a str>,
        team: Option<&'a str>,
        tags: &'a BTreeMap<String, String>,
    ) -> EventDims<'a> {
        EventDims {
            provider: "openai",
            model: "gpt-4o-mini",
            api_key: key,
            team,
            feature: None,
            environment: None,
            tags,
        }
    }

    fn mapping(key: &str, team: &str, from: &str) -> KeyMapping {
        KeyMapping {
            api_key: key.into(),
            team: team.into(),
            feature: Some("chat".into()),
            environment: None,
            valid_from: day(from),
        }
    }

    fn rule(id: i64, priority: i64, model: &str, team: &str) -> Rule {
        Rule {
            id,
            priority,
            provider: None,
            model: Some(model.into()),
            key_prefix: None,
            tag: None,
            team: Some(team.into()),
            feature: None,
        }
    }

    #[test]
    fn a_teams_candidates_let_through_every_row_that_resolves_to_it() {
        // k1 moves from search to support mid-month; k2 is support's from the 10th (its tag
        // decides before); k3 is never mapped. `search-old` was renamed to search, `helpdesk`
        // to support.
        let mut aliases = Aliases::default();
        aliases.add_team("search-old", "search");
        aliases.add_team("helpdesk", "support");
        let a = Attributor::new(
            vec![
                mapping("k1", "search", "2026-01-01"),
                mapping("k1", "support", "2026-03-15"),
                mapping("k2", "support", "2026-03-10"),
                mapping("k4", "growth", "2026-01-01"),
            ],
            vec![rule(1, 1, "o3*", "research")],
        )
        .with_aliases(aliases);
        let tags = BTreeMap::new();
        let keys = [None, Some("k1"), Some("k2"), Some("k3"), Some("k4")];
        let team_tags = [
            None,
            Some("search"),
            Some("search-old"),
            Some("support"),
            Some("helpdesk"),
            Some("growth"),
        ];
        for team in ["search", "support", "growth"] {
            let c = a.candidates(team).expect("no rule names these teams");
            for key in keys {
                for tag in team_tags {
                    for d in ["2026-03-01", "2026-03-12", "2026-03-20"] {
                        let r = a.resolve(&dims(key, tag, &tags), day(d));
                        let passes = key.is_some_and(|k| c.keys.iter().any(|x| x == k))
                            || tag.is_some_and(|t| c.team_tags.iter().any(|x| x == t));
                        if r.team == team {
                            assert!(passes, "{team}: {key:?} {tag:?} on {d} is its row");
                        }
                    }
                }
            }
        }
        let search = a.candidates("search").unwrap();
        assert_eq!(search.keys, ["k1"]);
        assert_eq!(search.team_tags, ["search", "search-old"]);
        // A team a rule names, and Unallocated, cannot be narrowed.
        assert_eq!(a.candidates("research"), None);
        assert_eq!(a.candidates(UNALLOCATED), None);
    }

    #[test]
    fn key_mapping_wins_and_flags_a_disagreeing_tag() {
        let a = Attributor::new(vec![mapping("k1", "search", "2026-01-01")], vec![]);
        let tags = BTreeMap::new();
        let r = a.resolve(&dims(Some("k1"), Some("support"), &tags), day("2026-01-05"));
        assert_eq!(
            (r.team.as_str(), r.feature.as_str(), r.basis, r.conflict),
            ("search", "chat", Basis::KeyMapping, true)
        );
    }

    #[test]
    fn mapping_takes_effect_on_its_day() {
        let a = Attributor::new(
            vec![
                mapping("k1", "search", "2026-01-15"),
                mapping("k1", "ads", "2026-02-01"),
            ],
            vec![],
        );
        let tags = BTreeMap::new();
        let team = |d: &str| a.resolve(&dims(Some("k1"), None, &tags), day(d)).team;
        assert_eq!(team("2026-01-14"), UNALLOCATED);
        assert_eq!(team("2026-01-15"), "search");
        assert_eq!(team("2026-02-03"), "ads");
    }

    #[test]
    fn tags_then_rules_in_priority_order_then_unallocated() {
        let a = Attributor::new(
            vec![],
            vec![
                rule(1, 20, "gpt-4o*", "late"),
                rule(2, 10, "gpt-4o-mini", "early"),
            ],
        );
        let tags = BTreeMap::new();
        assert_eq!(
            a.resolve(&dims(None, Some("billing"), &tags), day("2026-01-01"))
                .team,
            "billing"
        );
        let r = a.resolve(&dims(Some("k9"), None, &tags), day("2026-01-01"));
        assert_eq!((r.team.as_str(), r.basis), ("early", Basis::Rule(2)));
        let none = Attributor::default().resolve(&dims(Some("k9"), None, &tags), day("2026-01-01"));
        assert_eq!(
            (none.team.as_str(), none.feature.as_str()),
            (UNALLOCATED, UNASSIGNED)
        );
    }

    #[test]
    fn rules_match_on_custom_tags_and_key_prefixes() {
        let mut r = rule(1, 1, "x", "t");
        r.model = None;
        r.tag = Some(("app".into(), "checkout".into()));
        r.feature = Some("checkout-assistant".into());
        let mut k = rule(2, 2, "x", "platform");
        k.model = None;
        k.key_prefix = Some("sk-plat-".into());
        let a = Attributor::new(vec![], vec![r, k]);
        let tags: BTreeMap<_, _> = [("app".to_owned(), "checkout".to_owned())].into();
        let got = a.resolve(&dims(None, None, &tags), day("2026-01-01"));
        assert_eq!(
            (got.team.as_str(), got.feature.as_str()),
            ("t", "checkout-assistant")
        );
        let empty = BTreeMap::new();
        assert_eq!(
            a.resolve(&dims(Some("sk-plat-123"), None, &empty), day("2026-01-01"))
                .team,
            "platform"
        );
    }

    #[test]
    fn renamed_teams_and_features_collect_their_old_tags() {
        let mut aliases = Aliases::default();
        aliases.add_team("search", "discovery");
        aliases.add_team("discovery", "find");
        aliases.add_feature("find", "chat", "assistant");
        let a = Attributor::new(vec![mapping("k1", "find", "2026-01-01")], vec![])
            .with_aliases(aliases);
        let tags = BTreeMap::new();
        let mut d = dims(None, Some("search"), &tags);
        d.feature = Some("chat");
        let r = a.resolve(&d, day("2026-01-02"));
        assert_eq!((r.team.as_str(), r.feature.as_str()), ("find", "assistant"));
        let keyed = a.resolve(&dims(Some("k1"), Some("search"), &tags), day("2026-01-02"));
        assert!(
            !keyed.conflict,
            "an old name of the key's team is no conflict"
        );
    }

    #[test]
    fn rules_and_mappings_validate() {
        let mut bad = rule(1, 1, "m", "t");
        bad.model = None;
        assert_eq!(bad.validate(), Err(AttributionError::RuleWithoutCondition));
        assert_eq!(
            mapping("k", UNALLOCATED, "2026-01-01").validate(),
            Err(AttributionError::Reserved(UNALLOCATED.into()))
        );
    }
}
