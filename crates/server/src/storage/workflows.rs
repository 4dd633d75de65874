//! Workflows: what each agent run or multi-call task came to, and the outcome a client may
//! set when it knows better than the final call.

use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use tokentally_domain::event::Outcome;
use tokentally_domain::month::Month;
use tokentally_domain::rollup::{WorkflowGroup, WorkflowRow};
use tokentally_domain::showback::UsageRow;

use super::rows::{
    EVENT_ROLLUP_GROUP, WORKFLOW_GROUPS, count, day, dims, event_rollup_select, int, opt_text,
    parsed, text, usage_row, workflow_group,
};
use super::{Store, StoreError};

const WORKFLOW_SELECT: &str = "SELECT workflow_id, calls, requests, first_ms, last_ms, first_input, last_input, last_day, \
     last_outcome, explicit_outcome, provider, model, api_key, team, feature, environment, tags FROM workflows";

fn instant(r: &AnyRow, col: &str) -> Result<DateTime<Utc>, StoreError> {
    let ms = int(r, col)?;
    DateTime::from_timestamp_millis(ms).ok_or_else(|| StoreError::Corrupt(format!("{col} {ms}")))
}

fn workflow_row(r: &AnyRow) -> Result<WorkflowRow, StoreError> {
    let explicit = opt_text(r, "explicit_outcome")?
        .map(|o| {
            o.parse::<Outcome>()
                .map_err(|_| StoreError::Corrupt(format!("explicit_outcome `{o}`")))
        })
        .transpose()?;
    Ok(WorkflowRow {
        workflow_id: text(r, "workflow_id")?,
        day: day(r, "last_day")?,
        first_at: instant(r, "first_ms")?,
        last_at: instant(r, "last_ms")?,
        calls: count(r, "calls")?,
        requests: count(r, "requests")?,
        first_input: count(r, "first_input")?,
        last_input: count(r, "last_input")?,
        last_outcome: parsed(r, "last_outcome")?,
        explicit_outcome: explicit,
        dims: dims(r)?,
    })
}

impl Store {
    /// Workflows whose final call falls in the month.
    pub async fn list_workflows(&self, month: Month) -> Result<Vec<WorkflowRow>, StoreError> {
        let rows = sqlx::query(&format!(
            "{WORKFLOW_SELECT} WHERE last_day >= $1 AND last_day < $2"
        ))
        .bind(month.first_day().to_string())
        .bind(month.end_exclusive().to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(workflow_row).collect()
    }

    /// The month's workflows summed by day, final-call dimensions and outcome.
    pub async fn list_workflow_groups(
        &self,
        month: Month,
    ) -> Result<Vec<WorkflowGroup>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT day, {}, {} FROM workflow_groups WHERE day >= $1 AND day < $2 AND workflows <> 0",
            WORKFLOW_GROUPS.keys.join(", "),
            WORKFLOW_GROUPS.sums.join(", ")
        ))
        .bind(month.first_day().to_string())
        .bind(month.end_exclusive().to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(workflow_group).collect()
    }

    /// The month's workflow groups summed over stretches of days, as
    /// [`Store::list_rollups_by_stretch`] sums rollups: for month-level views.
    pub async fn list_workflow_groups_by_stretch(
        &self,
        month: Month,
    ) -> Result<Vec<WorkflowGroup>, StoreError> {
        let starts = self.change_days(month).await?;
        let rows = self.by_stretch(month, &starts, &WORKFLOW_GROUPS).await?;
        rows.iter().map(workflow_group).collect()
    }

    pub async fn workflow(&self, id: &str) -> Result<Option<WorkflowRow>, StoreError> {
        let row = sqlx::query(&format!("{WORKFLOW_SELECT} WHERE workflow_id = $1"))
            .bind(id.to_owned())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(workflow_row).transpose()
    }

    /// Sets (or, with `None`, clears) a workflow's explicit outcome; answers the workflow as
    /// it was, or `None` when no call of it has been stored.
    pub async fn set_workflow_outcome(
        &self,
        id: &str,
        outcome: Option<Outcome>,
    ) -> Result<Option<WorkflowRow>, StoreError> {
        let Some(before) = self.workflow(id).await? else {
            return Ok(None);
        };
        let _guard = self.write_guard().await;
        sqlx::query("UPDATE workflows SET explicit_outcome = $1 WHERE workflow_id = $2")
            .bind(outcome.map(|o| o.as_str().to_owned()))
            .bind(id.to_owned())
            .execute(&self.pool)
            .await?;
        Ok(Some(before))
    }

    /// The calls of these workflows, summed like rollups per workflow (raw events are the
    /// only place that knows which call belongs to which workflow).
    pub async fn workflow_usage(
        &self,
        ids: &[String],
    ) -> Result<Vec<(String, UsageRow)>, StoreError> {
        let mut out = Vec::new();
        // Under both databases' limits on bound parameters.
        for chunk in ids.chunks(500) {
            let placeholders: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "SELECT e.workflow_id, {} FROM events e WHERE e.workflow_id IN ({}) \
                 GROUP BY e.workflow_id, {EVENT_ROLLUP_GROUP}",
                event_rollup_select(),
                placeholders.join(", ")
            );
            let mut q = sqlx::query(&sql);
            for id in chunk {
                q = q.bind(id.clone());
            }
            for r in q.fetch_all(&self.pool).await? {
                out.push((text(&r, "workflow_id")?, usage_row(&r)?));
            }
        }
        Ok(out)
    }
}
