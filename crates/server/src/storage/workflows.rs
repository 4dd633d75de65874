//! Workflows: what each agent run or multi-call task came to, and the outcome a client may
//! set when it knows better than the final call.

use tokentally_domain::event::Outcome;
use tokentally_domain::month::Month;
use tokentally_domain::rollup::{WorkflowGroup, WorkflowRow};
use tokentally_domain::showback::UsageRow;
use tokentally_domain::workflow::Call;

use super::rows::{
    Cols, EVENT_ROLLUP_GROUP, WORKFLOW_GROUPS, decode, decode_all, event_rollup_select, select,
};
use super::{Store, StoreError};

/// The condition of the partial index `events_workflow` (migration 0005), spelled as it is
/// there: a planner uses a partial index only where the query's own condition implies the
/// index's, and neither database can prove `workflow_id = $1` (a bound value) is not empty.
/// Without it, reading 100 workflows' calls scanned every event (a million: 300 ms).
const IN_A_WORKFLOW: &str = "e.workflow_id <> ''";

impl Store {
    /// Workflows whose final call falls in the month.
    pub async fn list_workflows(&self, month: Month) -> Result<Vec<WorkflowRow>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {} FROM workflows WHERE last_day >= $1 AND last_day < $2",
            select::<WorkflowRow>()
        ))
        .bind(month.first_day().to_string())
        .bind(month.end_exclusive().to_string())
        .fetch_all(&self.pool)
        .await?;
        decode_all(&rows)
    }

    /// How many workflows end in the month, and its latest `limit` by final call (with any
    /// that tie with the last of them, so the caller orders and cuts): read from the index on
    /// `last_ms`, not the month's every workflow.
    pub async fn latest_workflows(
        &self,
        month: Month,
        limit: usize,
    ) -> Result<(usize, Vec<WorkflowRow>), StoreError> {
        let start = month
            .first_day()
            .and_hms_opt(0, 0, 0)
            .map_or(0, |t| t.and_utc().timestamp_millis());
        let end = month
            .end_exclusive()
            .and_hms_opt(0, 0, 0)
            .map_or(i64::MAX, |t| t.and_utc().timestamp_millis());
        let total: i64 = sqlx::query_scalar(
            "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM workflows WHERE last_day >= $1 AND last_day < $2",
        )
        .bind(month.first_day().to_string())
        .bind(month.end_exclusive().to_string())
        .fetch_one(&self.pool)
        .await?;
        let cutoff: Option<i64> = sqlx::query_scalar(
            "SELECT last_ms FROM workflows WHERE last_ms >= $1 AND last_ms < $2 \
             ORDER BY last_ms DESC LIMIT 1 OFFSET $3",
        )
        .bind(start)
        .bind(end)
        .bind(i64::try_from(limit.saturating_sub(1)).unwrap_or(i64::MAX))
        .fetch_optional(&self.pool)
        .await?;
        let rows = sqlx::query(&format!(
            "SELECT {} FROM workflows WHERE last_ms >= $1 AND last_ms < $2",
            select::<WorkflowRow>()
        ))
        .bind(cutoff.unwrap_or(start))
        .bind(end)
        .fetch_all(&self.pool)
        .await?;
        Ok((usize::try_from(total).unwrap_or(0), decode_all(&rows)?))
    }

    /// The month's workflows summed by day, final-call dimensions and outcome.
    pub async fn list_workflow_groups(
        &self,
        month: Month,
    ) -> Result<Vec<WorkflowGroup>, StoreError> {
        let sql = format!(
            "SELECT {} FROM workflow_groups WHERE day >= $1 AND day < $2 AND workflows <> 0",
            select::<WorkflowGroup>()
        );
        let args = super::reads::month_args(month);
        self.read_rows(&sql, args).await
    }

    /// The month's workflow groups summed over stretches of days, as
    /// [`Store::list_rollups_by_stretch`] sums rollups: for month-level views.
    pub async fn list_workflow_groups_by_stretch(
        &self,
        month: Month,
    ) -> Result<Vec<WorkflowGroup>, StoreError> {
        let starts = self.change_days(month).await?;
        self.by_stretch(month, &starts, &WORKFLOW_GROUPS).await
    }

    pub async fn workflow(&self, id: &str) -> Result<Option<WorkflowRow>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {} FROM workflows WHERE workflow_id = $1",
            select::<WorkflowRow>()
        ))
        .bind(id.to_owned())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(decode).transpose()
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
            let sql = usage_sql(chunk.len());
            let mut q = sqlx::query(&sql);
            for id in chunk {
                q = q.bind(id.clone());
            }
            for r in q.fetch_all(&self.pool).await? {
                let mut c = Cols::new(&r);
                let usage: UsageRow = c.read()?;
                out.push((c.text()?, usage));
            }
        }
        Ok(out)
    }

    /// The first `limit` calls of one workflow in time order (ties by source and event id),
    /// each as its own usage row.
    pub async fn workflow_calls(&self, id: &str, limit: usize) -> Result<Vec<Call>, StoreError> {
        let rows = sqlx::query(&calls_sql())
            .bind(id.to_owned())
            .bind(i64::try_from(limit).unwrap_or(i64::MAX))
            .fetch_all(&self.pool)
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let mut c = Cols::new(r);
            let usage: UsageRow = c.read()?;
            let ms: i64 = c.int()?;
            out.push(Call {
                at: chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default(),
                event_id: c.text()?,
                usage,
            });
        }
        Ok(out)
    }
}

/// The usage of `n` workflows' calls, summed per workflow as rollup rows.
fn usage_sql(n: usize) -> String {
    let placeholders: Vec<String> = (1..=n).map(|i| format!("${i}")).collect();
    format!(
        "SELECT {}, e.workflow_id FROM events e WHERE e.workflow_id IN ({}) \
         AND {IN_A_WORKFLOW} GROUP BY e.workflow_id, {EVENT_ROLLUP_GROUP}",
        event_rollup_select(),
        placeholders.join(", ")
    )
}

/// One workflow's calls in time order, each its own usage row.
fn calls_sql() -> String {
    format!(
        "SELECT {}, e.ts_ms, e.event_id FROM events e WHERE e.workflow_id = $1 \
         AND {IN_A_WORKFLOW} GROUP BY e.source, e.event_id, e.ts_ms, {EVENT_ROLLUP_GROUP} \
         ORDER BY e.ts_ms, e.source, e.event_id LIMIT $2",
        event_rollup_select(),
    )
}

#[cfg(test)]
mod tests {
    use sqlx::Row;

    use super::*;

    /// SQLite's plan of `sql` with a value for each of its `binds`, one line per step.
    async fn plan(store: &Store, sql: &str, binds: usize) -> Vec<String> {
        let explained = format!("EXPLAIN QUERY PLAN {sql}");
        let mut explain = sqlx::query(&explained);
        for i in 0..binds {
            explain = explain.bind(format!("wf-{i}"));
        }
        explain
            .fetch_all(store.pool())
            .await
            .unwrap()
            .iter()
            .map(|r| r.get::<String, _>("detail"))
            .collect()
    }

    #[tokio::test]
    async fn a_workflows_calls_are_read_through_the_workflow_index_not_a_scan_of_events() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("plan.db").display());
        let store = Store::connect(&url).await.unwrap();
        let usage = plan(&store, &usage_sql(3), 3).await;
        assert!(
            usage.iter().any(|l| l.contains("INDEX events_workflow")),
            "{usage:?}"
        );
        let calls = plan(&store, &calls_sql(), 2).await;
        assert!(
            calls.iter().any(|l| l.contains("INDEX events_workflow")),
            "{calls:?}"
        );
    }
}
