//! The per-customer monthly rollup (`usage_customers_monthly`, added to by ingest).

use tokentally_domain::customer::CustomerRow;
use tokentally_domain::month::Month;

use super::rows::{decode_all, select};
use super::{Store, StoreError};

/// The table ingest adds each customer's monthly rollup rows to.
pub(super) const TABLE: &str = "usage_customers_monthly";

impl Store {
    /// The month's per-customer rollup rows.
    pub async fn list_customer_rollups(
        &self,
        month: Month,
    ) -> Result<Vec<CustomerRow>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {} FROM {TABLE} WHERE month = $1",
            select::<CustomerRow>()
        ))
        .bind(month.to_string())
        .fetch_all(&self.pool)
        .await?;
        decode_all(&rows)
    }
}
