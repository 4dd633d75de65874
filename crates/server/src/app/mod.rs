//! The use cases: what a person or a program can ask tokentally to do, free of HTTP. The API
//! handlers, the pages, the command line and the demo all call these, so a rule (an audit
//! entry, an archived team refused, a closed month kept closed) is written once.

pub mod accounts;
pub mod audit;
pub mod catalog;
pub mod clock;
pub mod closed_months;
pub mod connections;
pub mod costs;
pub mod currencies;
pub mod customers;
pub mod environments;
pub mod error;
pub mod feature_users;
pub mod focus;
pub mod governance;
pub mod kept;
pub mod mappings;
pub mod models;
pub mod movement;
pub mod notify;
pub mod outcomes;
pub mod people;
pub mod planning;
pub mod prices;
pub mod recommendations;
pub mod reported_costs;
pub mod reports;
pub mod statements;
pub mod transactions;
pub mod trends;
pub mod workflows;

pub use error::{AppError, AppResult};
