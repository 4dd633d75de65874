//! The colour slot of each team in the charts' palette: handed out in turn the first time a
//! team is drawn and never changed, so a team keeps its colour when teams are added, in every
//! month, and for every viewer.

use std::collections::BTreeMap;

use super::{Store, StoreError};

impl Store {
    /// The slots of `teams`, handing the next free slot to each that has none yet (in name
    /// order). Two requests handing out slots at once cannot give one slot twice: the losing
    /// insert is skipped, and that team gets its slot on its next drawing.
    pub async fn team_colour_slots(
        &self,
        teams: &[String],
    ) -> Result<BTreeMap<String, i64>, StoreError> {
        let mut slots = self.read_team_colour_slots().await?;
        let mut missing: Vec<&String> = teams.iter().filter(|t| !slots.contains_key(*t)).collect();
        if missing.is_empty() {
            return Ok(slots);
        }
        missing.sort();
        missing.dedup();
        {
            let _guard = self.write_guard().await;
            let mut tx = self.pool.begin().await?;
            for team in missing {
                // `WHERE true`: SQLite reads an `ON` after a bare `FROM` as a join's.
                sqlx::query(
                    "INSERT INTO team_colours (team, slot) \
                     SELECT $1, COALESCE(MAX(slot) + 1, 0) FROM team_colours WHERE true \
                     ON CONFLICT DO NOTHING",
                )
                .bind(team.clone())
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
        }
        slots = self.read_team_colour_slots().await?;
        Ok(slots)
    }

    async fn read_team_colour_slots(&self) -> Result<BTreeMap<String, i64>, StoreError> {
        let rows: Vec<(String, i64)> = sqlx::query_as("SELECT team, slot FROM team_colours")
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().collect())
    }
}
