//! The benchmark command of issue 9 (`tokentally-bench`), and the deterministic event
//! generator it shares with `crates/server/benches/ingest_showback.rs`. See docs/BENCHMARKS.md.

pub mod bulk;
pub mod duckdb;
pub mod generate;
pub mod ingest;
pub mod pages;
pub mod profile;
pub mod reads;
pub mod report;
pub mod server;
pub mod wrk;
