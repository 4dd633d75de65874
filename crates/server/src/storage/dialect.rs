//! Where SQLite and PostgreSQL differ, in one place.
//!
//! Every query is written in the SQL the two share; the few spots where they do not are
//! methods of [`Backend`] here, and the rest of `storage` calls them instead of matching on
//! the backend itself. What the two share, and the queries therefore write directly:
//!
//! - parameters are `$n` (SQLite takes them too); only long multi-row inserts use
//!   [`Backend::push_param`];
//! - upserts are `INSERT … ON CONFLICT (…) DO UPDATE SET c = excluded.c` and `RETURNING`;
//! - sums are cast back to 64-bit integers with [`bigint`] (PostgreSQL's `SUM(BIGINT)` is a
//!   `NUMERIC`, which the `Any` driver cannot read), and a bound text parameter selected as a
//!   column is cast with [`text`] (PostgreSQL cannot infer its type otherwise);
//! - booleans are stored as integers 0 and 1 (`in_workflow`); timestamps as epoch
//!   milliseconds taken from the server's clock ([`super::now_ms`]), never the database's
//!   `now()`; money as decimal text; days as `YYYY-MM-DD` text.
//!
//! The schemas themselves differ per migration folder (see [`Backend::migrator`]); the test
//! `schema_parity` checks that both folders build the same tables.

use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};

use super::{StoreError, redact};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

static SQLITE_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/sqlite");
static POSTGRES_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/postgres");

impl Backend {
    pub fn of_url(url: &str) -> Result<Self, StoreError> {
        if url.starts_with("sqlite:") {
            Ok(Self::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Ok(Self::Postgres)
        } else {
            Err(StoreError::Config(format!(
                "unsupported database URL `{}`: use sqlite://FILE or postgres://...",
                redact(url)
            )))
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }

    /// What follows a table's alias in `FROM` to make a read use `index`: SQLite's planner,
    /// without statistics, weighs a partial index like any other on the same column and may
    /// take the wider one, so it is named (`INDEXED BY`); PostgreSQL's statistics see the
    /// partial index is the smaller, and it has no such clause.
    pub fn use_index(self, index: &str) -> String {
        match self {
            Self::Sqlite => format!("INDEXED BY {index}"),
            Self::Postgres => String::new(),
        }
    }

    /// The migrations of this database's folder.
    pub(super) fn migrator(self) -> &'static sqlx::migrate::Migrator {
        match self {
            Self::Sqlite => &SQLITE_MIGRATOR,
            Self::Postgres => &POSTGRES_MIGRATOR,
        }
    }

    /// The URL to connect with: a SQLite file is created when it is missing.
    pub(super) fn connect_url(self, url: &str) -> String {
        match self {
            Self::Sqlite if !url.contains("mode=") => {
                format!("{url}{}mode=rwc", if url.contains('?') { '&' } else { '?' })
            }
            _ => url.to_owned(),
        }
    }

    /// The pool, with each database's connection settings.
    pub(super) async fn pool(self, options: AnyConnectOptions) -> Result<AnyPool, StoreError> {
        Ok(match self {
            Self::Sqlite => {
                AnyPoolOptions::new()
                    .max_connections(8)
                    .acquire_timeout(Duration::from_secs(10))
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            // WAL lets pages read while ingest writes; FULL makes a commit
                            // durable before the 2xx that reports it.
                            for pragma in [
                                "PRAGMA journal_mode = WAL",
                                "PRAGMA synchronous = FULL",
                                "PRAGMA busy_timeout = 10000",
                                "PRAGMA foreign_keys = ON",
                            ] {
                                conn.execute(pragma).await?;
                            }
                            Ok(())
                        })
                    })
                    .connect_with(options)
                    .await?
            }
            Self::Postgres => {
                AnyPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(5))
                    .connect_with(options)
                    .await?
            }
        })
    }

    /// PostgreSQL's own pool for the month reads (connecting on first use); none for SQLite.
    /// Month reads take a turn first (`Store::month_read`), so a few connections are enough.
    pub(super) fn rows_pool(self, url: &str) -> Result<Option<sqlx::PgPool>, StoreError> {
        Ok(match self {
            Self::Sqlite => None,
            Self::Postgres => {
                let options = sqlx::postgres::PgConnectOptions::from_str(url)
                    .map_err(|e| StoreError::Config(e.to_string()))?;
                Some(
                    sqlx::postgres::PgPoolOptions::new()
                        .max_connections(8)
                        .acquire_timeout(Duration::from_secs(5))
                        .connect_lazy_with(options),
                )
            }
        })
    }

    /// SQLite takes one writer at a time: writers queue in the process (and ingest batches
    /// share a commit) rather than in SQLite's busy handler. PostgreSQL writes concurrently.
    pub(super) fn single_writer(self) -> bool {
        match self {
            Self::Sqlite => true,
            Self::Postgres => false,
        }
    }

    /// Appends the `n`th (from 1) parameter of a long multi-row statement. SQLite looks a
    /// named parameter up by a linear scan, so binding thousands of `$n` costs quadratic
    /// time; plain `?` binds in order. PostgreSQL needs `$n`.
    pub(super) fn push_param(self, sql: &mut String, n: usize) {
        match self {
            Self::Sqlite => sql.push('?'),
            Self::Postgres => {
                sql.push('$');
                sql.push_str(&n.to_string());
            }
        }
    }

    /// `expr` compared in byte order, as Rust compares strings: PostgreSQL's default
    /// collation follows the locale, SQLite's (BINARY) is byte order already.
    pub(super) fn byte_order(self, expr: &str) -> String {
        match self {
            Self::Sqlite => expr.to_owned(),
            Self::Postgres => format!("{expr} COLLATE \"C\""),
        }
    }

    /// The statement an ingest transaction runs first, if any: on PostgreSQL a share lock on
    /// `month_closes`, so closing a month waits for batches in flight and batches wait for a
    /// close in flight (every event is either in its month before the close or noted late).
    /// SQLite's single writer orders them already.
    pub(super) fn ingest_lock(self) -> Option<&'static str> {
        match self {
            Self::Sqlite => None,
            Self::Postgres => Some("LOCK TABLE month_closes IN SHARE MODE"),
        }
    }
}

/// `CAST(expr AS BIGINT)`: an aggregate read back as a 64-bit integer on both databases.
pub(super) fn bigint(expr: &str) -> String {
    format!("CAST({expr} AS BIGINT)")
}

/// `CAST(expr AS TEXT)`: a bound text parameter selected as a column.
pub(super) fn text(expr: &str) -> String {
    format!("CAST({expr} AS TEXT)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_are_positional_on_sqlite_and_numbered_on_postgres() {
        let mut s = String::new();
        Backend::Sqlite.push_param(&mut s, 12);
        Backend::Postgres.push_param(&mut s, 12);
        assert_eq!(s, "?$12");
    }

    #[test]
    fn byte_order_collates_only_on_postgres() {
        assert_eq!(Backend::Sqlite.byte_order("a.b"), "a.b");
        assert_eq!(Backend::Postgres.byte_order("a.b"), "a.b COLLATE \"C\"");
    }
}
