//! The HTTP API, end to end, against SQLite and PostgreSQL.

mod browser_session;
mod helpers;
mod https_fake;

mod active_users;
mod attribution;
mod bad_input;
mod billable_units;
mod connections;
mod demo;
mod edges;
mod fuzz_inputs;
mod governance;
mod idempotency;
mod ingest_adapters;
mod ingest_csv;
mod ingest_garbage;
mod ingest_otlp;
mod kept_showback;
mod monthly_rollups;
mod movement;
mod outcomes;
mod pages;
mod pricing;
mod roles;
mod schema_parity;
mod statements;
mod trends;
mod unit_economics;
mod upgrade;
mod workflow_groups;
