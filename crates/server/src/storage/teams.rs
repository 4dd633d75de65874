//! Teams and features as admins manage them: create, rename (everywhere the name is used),
//! archive. A rename leaves an alias, so usage tagged with the old name follows.

use sqlx::{Any, Transaction};
use tokentally_domain::allocation::Allocation;
use tokentally_domain::attribution::Aliases;

use super::rows::{Alias, decode_all, select};
use super::{Store, StoreError, now_ms};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamRecord {
    pub name: String,
    pub archived: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeatureRecord {
    pub team: String,
    pub name: String,
    pub archived: bool,
}

impl Store {
    pub async fn list_teams(&self) -> Result<Vec<TeamRecord>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {} FROM teams ORDER BY name",
            select::<TeamRecord>()
        ))
        .fetch_all(&self.pool)
        .await?;
        decode_all(&rows)
    }

    pub async fn list_features(&self) -> Result<Vec<FeatureRecord>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {} FROM features ORDER BY team, name",
            select::<FeatureRecord>()
        ))
        .fetch_all(&self.pool)
        .await?;
        decode_all(&rows)
    }

    /// Every (team, feature) that exists: registered on the Teams page and not archived, or
    /// carried by usage. Sorted.
    pub async fn list_feature_pairs(&self) -> Result<Vec<(String, String)>, StoreError> {
        let rows: Vec<(String, String)> = sqlx::query_as(&format!(
            "SELECT team, name FROM features WHERE archived_ms IS NULL \
             UNION SELECT team, feature FROM {} WHERE team <> '' AND feature <> '' \
             ORDER BY 1, 2",
            super::rows::ROLLUPS.monthly
        ))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows)
    }

    /// The names of the teams that exist: registered and not archived, named by a key
    /// mapping, or carried as a tag by usage. Sorted.
    pub async fn list_team_names(&self) -> Result<Vec<String>, StoreError> {
        let archived: Vec<String> =
            sqlx::query_scalar("SELECT name FROM teams WHERE archived_ms IS NOT NULL")
                .fetch_all(&self.pool)
                .await?;
        let mut names: Vec<String> = sqlx::query_scalar(&format!(
            "SELECT name FROM teams WHERE archived_ms IS NULL \
             UNION SELECT team FROM key_mappings \
             UNION SELECT team FROM {} WHERE team <> ''",
            super::rows::ROLLUPS.monthly
        ))
        .fetch_all(&self.pool)
        .await?;
        names.retain(|n| !archived.contains(n));
        names.sort();
        names.dedup();
        Ok(names)
    }

    /// Registers a team; a name already registered is a conflict.
    pub async fn add_team(&self, name: &str) -> Result<(), StoreError> {
        let _guard = self.write_guard().await;
        let mut tx = self.pool.begin().await?;
        sqlx::query("INSERT INTO teams (name, created_ms) VALUES ($1, $2)")
            .bind(name.to_owned())
            .bind(now_ms())
            .execute(&mut *tx)
            .await?;
        forget_alias(&mut tx, "team", "", name).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn add_feature(&self, team: &str, name: &str) -> Result<(), StoreError> {
        let _guard = self.write_guard().await;
        let mut tx = self.pool.begin().await?;
        // The team becomes a registered one if it was only seen in usage so far.
        sqlx::query(
            "INSERT INTO teams (name, created_ms) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
        )
        .bind(team.to_owned())
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        sqlx::query("INSERT INTO features (team, name, created_ms) VALUES ($1, $2, $3)")
            .bind(team.to_owned())
            .bind(name.to_owned())
            .bind(now_ms())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn set_team_archived(&self, name: &str, archived: bool) -> Result<(), StoreError> {
        let _guard = self.write_guard().await;
        let at = archived.then(now_ms);
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO teams (name, created_ms) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
        )
        .bind(name.to_owned())
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE teams SET archived_ms = $1 WHERE name = $2")
            .bind(at)
            .bind(name.to_owned())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn set_feature_archived(
        &self,
        team: &str,
        name: &str,
        archived: bool,
    ) -> Result<(), StoreError> {
        let _guard = self.write_guard().await;
        let done =
            sqlx::query("UPDATE features SET archived_ms = $1 WHERE team = $2 AND name = $3")
                .bind(archived.then(now_ms))
                .bind(team.to_owned())
                .bind(name.to_owned())
                .execute(&self.pool)
                .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    pub async fn list_aliases(&self) -> Result<Aliases, StoreError> {
        let rows = sqlx::query(&format!("SELECT {} FROM owner_aliases", select::<Alias>()))
            .fetch_all(&self.pool)
            .await?;
        let mut aliases = Aliases::default();
        for a in decode_all::<Alias>(&rows)? {
            match a.kind.as_str() {
                "team" => aliases.add_team(&a.old_name, &a.new_name),
                _ => aliases.add_feature(&a.team, &a.old_name, &a.new_name),
            }
        }
        Ok(aliases)
    }

    /// Renames a team wherever its name is stored (registry, features, key mappings, rules,
    /// overheads, leads' accounts and tokens) and records the old name as an alias.
    pub async fn rename_team(&self, old: &str, new: &str) -> Result<(), StoreError> {
        let _guard = self.write_guard().await;
        let mut tx = self.pool.begin().await?;
        // A team exists when it is registered, and also when only key mappings, rules,
        // features or business transactions name it: renaming onto it would merge the two
        // teams (and give each one's leads the other's spend).
        let taken: Option<String> = sqlx::query_scalar(
            "SELECT name FROM teams WHERE name = $1 \
             UNION ALL SELECT team FROM key_mappings WHERE team = $1 \
             UNION ALL SELECT team FROM rules WHERE team = $1 \
             UNION ALL SELECT team FROM features WHERE team = $1 \
             UNION ALL SELECT team FROM business_transactions WHERE team = $1 \
             LIMIT 1",
        )
        .bind(new.to_owned())
        .fetch_optional(&mut *tx)
        .await?;
        if taken.is_some() {
            return Err(StoreError::Conflict(format!("a team named `{new}` exists")));
        }
        sqlx::query(
            "INSERT INTO teams (name, created_ms) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
        )
        .bind(old.to_owned())
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        for sql in [
            "UPDATE teams SET name = $1 WHERE name = $2",
            "UPDATE features SET team = $1 WHERE team = $2",
            "UPDATE key_mappings SET team = $1 WHERE team = $2",
            "UPDATE rules SET team = $1 WHERE team = $2",
            "UPDATE business_transactions SET team = $1 WHERE team = $2",
            "UPDATE owner_aliases SET new_name = $1 WHERE kind = 'team' AND new_name = $2",
            "UPDATE owner_aliases SET team = $1 WHERE kind = 'feature' AND team = $2",
        ] {
            sqlx::query(sql)
                .bind(new.to_owned())
                .bind(old.to_owned())
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("INSERT INTO owner_aliases (kind, team, old_name, new_name, created_ms) VALUES ('team', '', $1, $2, $3) \
                     ON CONFLICT (kind, team, old_name) DO UPDATE SET new_name = excluded.new_name")
            .bind(old.to_owned())
            .bind(new.to_owned())
            .bind(now_ms())
            .execute(&mut *tx)
            .await?;
        // The new name is a name again, not an alias of another team.
        forget_alias(&mut tx, "team", "", new).await?;
        rename_in_json_columns(&mut tx, old, new).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn rename_feature(&self, team: &str, old: &str, new: &str) -> Result<(), StoreError> {
        let _guard = self.write_guard().await;
        let mut tx = self.pool.begin().await?;
        let taken: Option<String> =
            sqlx::query_scalar("SELECT name FROM features WHERE team = $1 AND name = $2")
                .bind(team.to_owned())
                .bind(new.to_owned())
                .fetch_optional(&mut *tx)
                .await?;
        if taken.is_some() {
            return Err(StoreError::Conflict(format!(
                "team `{team}` has a feature named `{new}`"
            )));
        }
        for sql in [
            "UPDATE features SET name = $1 WHERE team = $2 AND name = $3",
            "UPDATE key_mappings SET feature = $1 WHERE team = $2 AND feature = $3",
            "UPDATE rules SET feature = $1 WHERE team = $2 AND feature = $3",
            "UPDATE business_transactions SET feature = $1 WHERE team = $2 AND feature = $3",
            "UPDATE owner_aliases SET new_name = $1 WHERE kind = 'feature' AND team = $2 AND new_name = $3",
        ] {
            sqlx::query(sql)
                .bind(new.to_owned())
                .bind(team.to_owned())
                .bind(old.to_owned())
                .execute(&mut *tx)
                .await?;
        }
        forget_alias(&mut tx, "feature", team, new).await?;
        sqlx::query("INSERT INTO owner_aliases (kind, team, old_name, new_name, created_ms) VALUES ('feature', $1, $2, $3, $4) \
                     ON CONFLICT (kind, team, old_name) DO UPDATE SET new_name = excluded.new_name")
            .bind(team.to_owned())
            .bind(old.to_owned())
            .bind(new.to_owned())
            .bind(now_ms())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Drops the alias that made `name` stand for another owner: a name in use again is its own.
async fn forget_alias(
    tx: &mut Transaction<'static, Any>,
    kind: &str,
    team: &str,
    name: &str,
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM owner_aliases WHERE kind = $1 AND team = $2 AND old_name = $3")
        .bind(kind.to_owned())
        .bind(team.to_owned())
        .bind(name.to_owned())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Team names inside JSON: overhead allocations, and the teams of users and tokens.
async fn rename_in_json_columns(
    tx: &mut Transaction<'static, Any>,
    old: &str,
    new: &str,
) -> Result<(), StoreError> {
    let rename_list = |json: &str| -> Option<String> {
        let mut teams: Vec<String> = serde_json::from_str(json).ok()?;
        if !teams.iter().any(|t| t == old) {
            return None;
        }
        teams
            .iter_mut()
            .filter(|t| *t == old)
            .for_each(|t| *t = new.to_owned());
        serde_json::to_string(&teams).ok()
    };
    for (table, key) in [("users", "id"), ("api_tokens", "id")] {
        let rows: Vec<(i64, String)> = sqlx::query_as(&format!("SELECT {key}, teams FROM {table}"))
            .fetch_all(&mut **tx)
            .await?;
        for (id, teams) in rows {
            if let Some(renamed) = rename_list(&teams) {
                sqlx::query(&format!("UPDATE {table} SET teams = $1 WHERE {key} = $2"))
                    .bind(renamed)
                    .bind(id)
                    .execute(&mut **tx)
                    .await?;
            }
        }
    }
    let rows: Vec<(i64, Option<String>)> = sqlx::query_as("SELECT id, allocation FROM overheads")
        .fetch_all(&mut **tx)
        .await?;
    for (id, json) in rows {
        let Some(json) = json else {
            continue;
        };
        let Ok(mut allocation) = serde_json::from_str::<Allocation>(&json) else {
            continue;
        };
        let changed = match &mut allocation {
            Allocation::Direct { team } if team == old => {
                *team = new.to_owned();
                true
            }
            Allocation::Fixed { shares } if shares.contains_key(old) => {
                let share = shares.remove(old).unwrap_or_default();
                *shares.entry(new.to_owned()).or_default() += share;
                true
            }
            _ => false,
        };
        if changed {
            let json = serde_json::to_string(&allocation)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?;
            sqlx::query("UPDATE overheads SET allocation = $1 WHERE id = $2")
                .bind(json)
                .bind(id)
                .execute(&mut **tx)
                .await?;
        }
    }
    Ok(())
}
