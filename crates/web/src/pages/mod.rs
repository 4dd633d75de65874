//! One module per page.

pub mod account_page;
pub mod alerts_page;
pub mod audit_page;
pub mod breakdown_page;
mod breakdown_summary;
pub mod connections_page;
pub mod costs_page;
pub mod error_page;
pub mod import_page;
pub mod keys_page;
pub mod login_page;
pub mod movement_section;
pub mod planning_page;
pub mod prices_page;
pub mod recommendations_page;
pub mod rules_page;
pub mod scorecard_page;
pub mod showback_page;
pub mod statements_page;
pub mod teams_page;
pub mod tokens_page;
pub mod transactions_page;
pub mod trend_section;
pub mod users_page;
pub mod workflows_page;
