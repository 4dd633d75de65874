//! "Why the bill moved" on the showback, team and feature pages: the movement from the
//! month before to the page's month, and its CSV (`table=movement` on the page's download).

use axum::response::Response;
use tokentally_domain::month::Month;
use tokentally_domain::movement::{Movement, Scope};
use tokentally_web::pages::movement_section::{CSV_HEADERS, MovementView, csv_rows};

use super::PageError;
use crate::app::movement;
use crate::http::csv::Csv;
use crate::http::extract::PageUser;
use crate::state::AppState;

/// The `table=` value of a movement's CSV download.
pub const TABLE: &str = "movement";

/// The movement into `month` from the month before, in `scope`, for a page whose CSV
/// downloads from `csv_path` (without query).
pub async fn view(
    state: &AppState,
    user: &PageUser,
    scope: Scope,
    month: Month,
    csv_path: &str,
) -> Result<MovementView, PageError> {
    // Boxed: reading two months makes a large future, and the pages await it among others.
    let movement = Box::pin(movement::movement(
        state,
        &user.principal,
        month.previous(),
        month,
        scope,
    ))
    .await?;
    Ok(MovementView {
        movement,
        csv: format!("{csv_path}?month={month}&table={TABLE}"),
    })
}

/// The movement's table as CSV: the earlier total, each part and its contributors, the later
/// total (see `movement_section::csv_rows`).
pub fn csv(m: &Movement, name: &str) -> Response {
    let (team, feature) = match &m.scope {
        Scope::Org => (String::new(), String::new()),
        Scope::Team { team } => (team.clone(), String::new()),
        Scope::Feature { team, feature } => (team.clone(), feature.clone()),
    };
    let headers: Vec<&str> = ["from", "to", "team", "feature"]
        .into_iter()
        .chain(CSV_HEADERS)
        .collect();
    let mut out = Csv::new(&headers);
    for row in csv_rows(m) {
        out.row(
            [
                m.from.to_string(),
                m.to.to_string(),
                team.clone(),
                feature.clone(),
            ]
            .into_iter()
            .chain(row),
        );
    }
    out.into_download(&format!("{name}-movement-{}-{}.csv", m.from, m.to))
}
