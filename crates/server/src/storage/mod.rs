//! Storage: SQLite or PostgreSQL through sqlx, chosen from the URL at start.
//!
//! One implementation serves both databases: every query is written in the SQL the two share
//! (`$n` parameters, `ON CONFLICT`, `RETURNING`, `CAST(SUM(..) AS BIGINT)`) and runs on
//! sqlx's `Any` driver, so no query is written twice. What differs lives in the migrations
//! (one folder per database, kept alike by the `schema_parity` test) and in `dialect.rs`,
//! which the other modules ask instead of matching on the backend. Queries are built at run
//! time, so a fresh clone builds without a database.

mod audit;
mod auth;
mod commitments;
mod connections;
mod data_version;
mod dialect;
mod digests;
mod events;
mod fx;
mod governance;
mod late_per_call;
mod mappings;
mod numbering;
mod outcomes;
mod overheads;
mod parties;
mod prices;
mod pulled_days;
mod reads;
mod recommendations;
mod reported_costs;
mod rows;
mod sessions;
mod statements;
mod team_colours;
mod teams;
pub mod topup;
mod transactions;
mod workflows;

use std::str::FromStr;
use std::sync::Arc;

use sqlx::AnyPool;
use sqlx::any::AnyConnectOptions;

pub use audit::AuditEntry;
pub use auth::{
    ApiTokenListing, ApiTokenRecord, TokenOwner, UserChange, UserChangeOutcome, UserRecord,
};
pub use connections::{ConnectionRecord, NewConnection, ProviderCost};
pub use dialect::Backend;
pub use events::AddedEvents;
pub use governance::{AlertRecord, Delivery, NewAlert};
pub use mappings::KeySeen;
pub use outcomes::{OutcomeChange, OutcomeRefusal, OutcomesSet, ReportedOutcome};
pub use reads::RowsOf;
pub use recommendations::RecommendationDecision;
pub use reported_costs::ReportedCall;
pub use sessions::SessionRecord;
pub use statements::{MonthClose, StoredStatement};
pub use teams::{FeatureRecord, TeamRecord};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    #[error("database configuration: {0}")]
    Config(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Other(sqlx::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::RowNotFound => Self::NotFound,
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                Self::Conflict(db.message().to_owned())
            }
            sqlx::Error::Io(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Tls(_) => Self::Unavailable(e.to_string()),
            // PostgreSQL shutting down or starting (57P0x), or the connection lost (08xxx).
            sqlx::Error::Database(db)
                if db
                    .code()
                    .is_some_and(|c| c.starts_with("57P0") || c.starts_with("08")) =>
            {
                Self::Unavailable(e.to_string())
            }
            _ => Self::Other(e),
        }
    }
}

impl StoreError {
    /// A transaction that lost a race (PostgreSQL deadlock or serialization failure) and can
    /// simply be run again.
    fn is_retryable(&self) -> bool {
        matches!(self, Self::Other(sqlx::Error::Database(db)) if matches!(db.code().as_deref(), Some("40001" | "40P01")))
    }
}

/// Hides the password of a database URL for logs and messages.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("****"));
            u.to_string()
        }
        _ => url.to_owned(),
    }
}

/// `work` on a task of its own, so that it can run on another core than its caller's (a
/// request's reads joined with `try_join!` would otherwise take turns on one). A panic in it
/// goes on in the caller.
pub async fn on_own_task<T: Send + 'static>(
    work: impl std::future::Future<Output = Result<T, StoreError>> + Send + 'static,
) -> Result<T, StoreError> {
    match tokio::spawn(work).await {
        Ok(done) => done,
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(e) => Err(StoreError::Unavailable(format!("work was cancelled: {e}"))),
    }
}

#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// PostgreSQL's own driver, for the month reads alone (see [`Store::read_rows`]): the
    /// `Any` driver copies every value and every column's name into its own row type first,
    /// which cost more than the query on a month's rows. `Some` exactly on PostgreSQL.
    rows_pool: Option<sqlx::PgPool>,
    /// SQLite takes one writer at a time; queueing writers here instead of in SQLite's busy
    /// handler keeps ingest fair and free of `SQLITE_BUSY`.
    writer: Arc<tokio::sync::Mutex<()>>,
    /// Ingest batches waiting for the writer (SQLite), stored together by the next one.
    queued: Arc<std::sync::Mutex<Vec<events::PendingBatch>>>,
    /// Month reads in flight at once. Each materialises a month of rows; past the cores more
    /// at once only add memory and hold pool connections (see [`Store::month_read`]).
    month_reads: Arc<tokio::sync::Semaphore>,
    /// Numbers of users, customers and party dimensions this server has seen committed.
    numbers: numbering::KnownNumbers,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Connects, creating a SQLite file when it is missing, and applies migrations.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let store = Self::connect_without_migrating(url).await?;
        store.migrate().await?;
        Ok(store)
    }

    pub async fn connect_without_migrating(url: &str) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = Backend::of_url(url)?;
        let url = backend.connect_url(url);
        let options =
            AnyConnectOptions::from_str(&url).map_err(|e| StoreError::Config(e.to_string()))?;
        let pool = backend.pool(options).await?;
        let rows_pool = backend.rows_pool(&url)?;
        Ok(Self {
            pool,
            backend,
            rows_pool,
            writer: Arc::new(tokio::sync::Mutex::new(())),
            queued: Arc::default(),
            month_reads: Arc::new(tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(2, |n| n.get().max(2)),
            )),
            numbers: numbering::KnownNumbers::default(),
        })
    }

    pub async fn migrate(&self) -> Result<(), StoreError> {
        self.backend
            .migrator()
            .run(&self.pool)
            .await
            .map_err(|e| match e {
                sqlx::migrate::MigrateError::Execute(e) => StoreError::from(e),
                other => StoreError::Config(other.to_string()),
            })
    }

    /// Applies the migrations up to `version` only: for tests that upgrade a database written
    /// by an older release.
    pub async fn migrate_to(&self, version: i64) -> Result<(), StoreError> {
        let all = self.backend.migrator();
        let partial = sqlx::migrate::Migrator {
            migrations: std::borrow::Cow::Owned(
                all.migrations
                    .iter()
                    .filter(|m| m.version <= version)
                    .cloned()
                    .collect(),
            ),
            ..sqlx::migrate::Migrator::DEFAULT
        };
        partial
            .run(&self.pool)
            .await
            .map_err(|e| StoreError::Config(e.to_string()))
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
        if let Some(p) = &self.rows_pool {
            p.close().await;
        }
    }

    /// A turn to read a month: held for the whole of one month read and never while asking
    /// for another, so reads in one request cannot wait on each other.
    async fn month_read(&self) -> tokio::sync::SemaphorePermit<'_> {
        self.month_reads
            .acquire()
            .await
            .expect("the month-read semaphore is never closed")
    }

    /// Holds the single-writer lock on SQLite; a no-op guard on PostgreSQL.
    async fn write_guard(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        if self.backend.single_writer() {
            Some(self.writer.lock().await)
        } else {
            None
        }
    }
}

pub(crate) fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// The clock storage stamps rows with, for use cases that schedule against it.
pub fn now_ms_pub() -> i64 {
    now_ms()
}
