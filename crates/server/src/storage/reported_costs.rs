//! What senders reported a call cost (LiteLLM's `response_cost`, a gateway's figure, an
//! OpenTelemetry span's cost attribute), read beside the usage of the same calls so that
//! tokentally's own price of exactly those calls can be set against it.

use rust_decimal::Decimal;
use tokentally_domain::showback::UsageRow;

use super::rows::{Cols, EVENT_ROLLUP_GROUP, event_rollup_select};
use super::{Store, StoreError};

/// The reported cost of one call, with where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportedCall {
    pub source: String,
    pub provider: String,
    pub model: String,
    pub api_key: String,
    pub amount: Decimal,
}

impl Store {
    /// The calls of the days `first..=last` that carry a reported cost, except pulled ones
    /// (a provider's own cost report is kept per connection, see `provider_costs`): each
    /// call's figure, and their usage summed as rollup rows, each with its source.
    pub async fn reported_costs(
        &self,
        first: chrono::NaiveDate,
        last: chrono::NaiveDate,
        pulled_prefix: &str,
    ) -> Result<(Vec<ReportedCall>, Vec<(String, UsageRow)>), StoreError> {
        // Only the events that carry a reported cost (migration 0028's partial index), not
        // every event of the month.
        let only_reported = self.backend().use_index("events_reported_day");
        let rows = sqlx::query(&format!(
            "SELECT e.source, e.provider, e.model, e.api_key, e.reported_cost FROM events e \
             {only_reported} WHERE e.reported_cost IS NOT NULL AND e.day >= $1 AND e.day <= $2 \
             AND e.source NOT LIKE $3"
        ))
        .bind(first.to_string())
        .bind(last.to_string())
        .bind(format!("{pulled_prefix}%"))
        .fetch_all(&self.pool)
        .await?;
        let calls = rows
            .iter()
            .map(|r| {
                let mut c = Cols::new(r);
                Ok(ReportedCall {
                    source: c.text()?,
                    provider: c.text()?,
                    model: c.text()?,
                    api_key: c.text()?,
                    amount: c
                        .text()?
                        .parse()
                        .map_err(|_| StoreError::Corrupt("reported_cost".into()))?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let rows = sqlx::query(&format!(
            "SELECT {}, e.source FROM events e {only_reported} WHERE e.reported_cost IS NOT NULL \
             AND e.day >= $1 AND e.day <= $2 AND e.source NOT LIKE $3 \
             GROUP BY {EVENT_ROLLUP_GROUP}, e.source",
            event_rollup_select()
        ))
        .bind(first.to_string())
        .bind(last.to_string())
        .bind(format!("{pulled_prefix}%"))
        .fetch_all(&self.pool)
        .await?;
        let usage = rows
            .iter()
            .map(|r| {
                let mut c = Cols::new(r);
                let row: UsageRow = c.read()?;
                Ok((c.text()?, row))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok((calls, usage))
    }
}
