//! The tokentally server as a library, so that integration tests and benchmarks drive the
//! same application the binary runs.

pub mod auth;
pub mod cli;
mod cli_import;
pub mod config;
pub mod demo;
pub mod error;
pub mod governance;
pub mod http;
pub mod ingest;
pub mod reports;
pub mod router;
pub mod showback_cache;
pub mod startup;
pub mod statements;
pub mod storage;
