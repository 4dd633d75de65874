//! Decisions on recommendations: one row per recommendation id, replaced when decided again.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{Store, StoreError, now_ms};

/// An owner's decision, with what it expected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecommendationDecision {
    pub id: String,
    pub month: String,
    pub lever: String,
    pub team: String,
    pub feature: String,
    pub api_key: String,
    pub model: String,
    /// `accepted` or `dismissed`.
    pub decision: String,
    pub note: String,
    pub expected_saving: Decimal,
    pub decided_day: NaiveDate,
    pub decided_by: String,
}

type Row = (
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
);

fn decode(r: Row) -> Result<RecommendationDecision, StoreError> {
    let corrupt =
        |what: &str, v: &str| StoreError::Corrupt(format!("recommendation decision {what}: {v}"));
    Ok(RecommendationDecision {
        expected_saving: r.9.parse().map_err(|_| corrupt("saving", &r.9))?,
        decided_day: r.10.parse().map_err(|_| corrupt("day", &r.10))?,
        id: r.0,
        month: r.1,
        lever: r.2,
        team: r.3,
        feature: r.4,
        api_key: r.5,
        model: r.6,
        decision: r.7,
        note: r.8,
        decided_by: r.11,
    })
}

const COLUMNS: &str = "id, month, lever, team, feature, api_key, model, decision, note, expected_saving, decided_day, decided_by";

impl Store {
    /// Every decision, newest first (a small table: one row per decided recommendation).
    pub async fn list_recommendation_decisions(
        &self,
    ) -> Result<Vec<RecommendationDecision>, StoreError> {
        let rows: Vec<Row> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM recommendation_decisions ORDER BY decided_ms DESC, id"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(decode).collect()
    }

    /// Records a decision, replacing an earlier one on the same recommendation; answers the
    /// replaced one.
    pub async fn set_recommendation_decision(
        &self,
        d: &RecommendationDecision,
    ) -> Result<Option<RecommendationDecision>, StoreError> {
        let before = self
            .list_recommendation_decisions()
            .await?
            .into_iter()
            .find(|x| x.id == d.id);
        let _guard = self.write_guard().await;
        sqlx::query(
            "INSERT INTO recommendation_decisions (id, month, lever, team, feature, api_key, model, decision, note, expected_saving, decided_day, decided_by, decided_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
             ON CONFLICT (id) DO UPDATE SET decision = excluded.decision, note = excluded.note, expected_saving = excluded.expected_saving, \
             decided_day = excluded.decided_day, decided_by = excluded.decided_by, decided_ms = excluded.decided_ms",
        )
        .bind(d.id.clone())
        .bind(d.month.clone())
        .bind(d.lever.clone())
        .bind(d.team.clone())
        .bind(d.feature.clone())
        .bind(d.api_key.clone())
        .bind(d.model.clone())
        .bind(d.decision.clone())
        .bind(d.note.clone())
        .bind(d.expected_saving.to_string())
        .bind(d.decided_day.to_string())
        .bind(d.decided_by.clone())
        .bind(now_ms())
        .execute(&self.pool)
        .await?;
        Ok(before)
    }
}
