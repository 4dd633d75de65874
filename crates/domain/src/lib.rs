//! tokentally's domain: the rules of token economics, with no IO.
//!
//! One concept per module. Storage, HTTP and HTML live in other crates and
//! speak to this one through plain types.

pub mod allocation;
pub mod anomaly;
pub mod attribution;
pub mod bounds;
pub mod budget;
pub mod catalog;
pub mod commitment;
pub mod commitment_sizing;
pub mod customer;
pub mod discount;
pub mod drilldown;
pub mod environment;
pub mod event;
pub mod focus;
pub mod focus_datasets;
pub mod forecast;
pub mod fx;
pub mod ledger;
pub mod litellm;
pub mod margin;
pub mod month;
pub mod movement;
pub mod price_card;
pub mod pricing;
pub mod recommendation;
pub mod rollup;
pub mod scenario;
pub mod scorecard;
pub mod showback;
pub mod statement;
pub mod tokens;
pub mod transaction;
pub mod trend;
pub mod typed_amount;
pub mod unit_economics;
pub mod workflow;

/// The currency every amount is kept in (one per organisation for now).
pub const DEFAULT_CURRENCY: &str = "USD";
