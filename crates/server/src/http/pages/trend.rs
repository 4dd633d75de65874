//! "Unit cost, last 12 months" on the showback, team and feature pages, and its CSV
//! (`table=trend` on the page's download).

use axum::response::Response;
use tokentally_domain::month::Month;
use tokentally_domain::movement::Scope;
use tokentally_domain::trend::Trend;
use tokentally_web::pages::trend_section::{CSV_HEADERS, TrendView, csv_rows};

use super::PageError;
use crate::app::trends;
use crate::http::csv::Csv;
use crate::http::extract::PageUser;
use crate::state::AppState;

/// The `table=` value of a trend's CSV download.
pub const TABLE: &str = "trend";

/// The trend of `scope` over the twelve months ending with `month`, for a page whose CSV
/// downloads from `csv_path` (without query).
pub async fn view(
    state: &AppState,
    user: &PageUser,
    scope: Scope,
    month: Month,
    csv_path: &str,
) -> Result<TrendView, PageError> {
    // Boxed: twelve months of reads make a large future, awaited among the page's others.
    let trend = Box::pin(trends::trend(state, &user.principal, month, scope)).await?;
    Ok(TrendView {
        trend,
        csv: format!("{csv_path}?month={month}&table={TABLE}"),
    })
}

/// The trend's table as CSV, a row per month, oldest first; a month without usage has empty
/// unit costs.
pub fn csv(t: &Trend, name: &str) -> Response {
    let mut out = Csv::new(&CSV_HEADERS);
    for row in csv_rows(t) {
        out.row(row);
    }
    let (first, last) = (
        t.points.first().map(|p| p.month.to_string()),
        t.points.last().map(|p| p.month.to_string()),
    );
    out.into_download(&format!(
        "{name}-trend-{}-{}.csv",
        first.unwrap_or_default(),
        last.unwrap_or_default()
    ))
}
