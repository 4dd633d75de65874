//! The HTTP API, end to end, against SQLite and PostgreSQL.

mod helpers;

mod attribution;
mod bad_input;
mod demo;
mod idempotency;
mod pricing;
mod roles;
