//! The HTTP edge: three routers (the JSON API, ingest, the pages), the extractors that check
//! a request before a handler sees it, and the one mapping from failures to answers.
//! Nothing outside this module imports it; handlers call the use cases in `app`.

pub mod api;
pub mod client_address;
pub mod client_bundle;
pub mod cookies;
pub mod csv;
pub mod data_version;
pub mod error;
pub mod extract;
pub mod ingest;
pub mod pages;
pub mod security_headers;

pub use extract::{JsonBody, MonthQuery, ReportQuery};
