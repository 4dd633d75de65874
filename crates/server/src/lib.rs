//! The tokentally server as a library, so that integration tests and benchmarks drive the
//! same application the binary runs.
//!
//! Layers, each importing only those below it (see docs/ARCHITECTURE.md):
//! `http` (the edge) → `app` (use cases) → `auth`, `ingest`, `state` →
//! `cache`, `storage`, `config`, `telemetry` → `tokentally_domain`. `router` and `startup`
//! assemble the application; `cli` and `demo` call the use cases as the pages do.

pub mod app;
pub mod auth;
pub mod cache;
pub mod cli;
pub mod config;
pub mod demo;
pub mod http;
pub mod ingest;
pub mod router;
pub mod startup;
pub mod state;
pub mod storage;
pub mod telemetry;
