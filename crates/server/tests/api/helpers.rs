//! The real application on a random port with a fresh database, SQLite or PostgreSQL.
//!
//! PostgreSQL runs when `TOKENTALLY_TEST_POSTGRES_URL` names a server (e.g.
//! `postgres://postgres@127.0.0.1:5432/test`): each test creates its own uniquely named
//! database there and drops it after. Without the variable the PostgreSQL variants say so
//! and pass, unless `TOKENTALLY_TEST_REQUIRE_POSTGRES=1` (as `.ci/run` sets).

use std::net::SocketAddr;

use reqwest::{Client, RequestBuilder, Response, StatusCode};
use serde_json::Value;
use sqlx::Connection;
use tokentally_server::auth::Role;
use tokentally_server::config::Config;
use tokentally_server::startup::{Application, ensure_default_catalog};
use tokentally_server::storage::Store;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

/// Runs a test body against SQLite and PostgreSQL, as two tests.
#[macro_export]
macro_rules! storage_test {
    ($name:ident, |$app:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let Some($app) = $crate::helpers::spawn_app($crate::helpers::Db::Sqlite).await
                else {
                    return;
                };
                $body
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some($app) = $crate::helpers::spawn_app($crate::helpers::Db::Postgres).await
                else {
                    return;
                };
                $body
            }
        }
    };
}

/// [`storage_test!`] with settings changed by `$configure` (a `fn(&mut Config)`).
#[macro_export]
macro_rules! storage_test_with {
    ($name:ident, $configure:expr, |$app:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let Some($app) =
                    $crate::helpers::spawn_app_with($crate::helpers::Db::Sqlite, $configure).await
                else {
                    return;
                };
                $body
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some($app) =
                    $crate::helpers::spawn_app_with($crate::helpers::Db::Postgres, $configure)
                        .await
                else {
                    return;
                };
                $body
            }
        }
    };
}

pub struct TestApp {
    pub address: String,
    pub store: Store,
    pub client: Client,
    pub ingest_token: String,
    pub admin_token: String,
    pub finance_token: String,
    /// The running application's state: for calling a use case or a scheduled task directly.
    pub state: tokentally_server::state::AppState,
    _db: TestDatabase,
}

enum TestDatabase {
    // Held so that the directory (and its database file) lives as long as the app.
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres { admin_url: String, name: String },
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let TestDatabase::Postgres { admin_url, name } = self {
            let (admin_url, name) = (admin_url.clone(), name.clone());
            // Drop runs outside async: a short-lived runtime on its own thread drops the database.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("a runtime");
                rt.block_on(async move {
                    if let Ok(mut conn) = sqlx::PgConnection::connect(&admin_url).await {
                        let _ = sqlx::query(&format!(
                            "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                        ))
                        .execute(&mut conn)
                        .await;
                    }
                });
            })
            .join();
        }
    }
}

fn postgres_url() -> Option<String> {
    match std::env::var("TOKENTALLY_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            if std::env::var("TOKENTALLY_TEST_REQUIRE_POSTGRES").is_ok_and(|v| v == "1") {
                panic!(
                    "TOKENTALLY_TEST_REQUIRE_POSTGRES=1 but TOKENTALLY_TEST_POSTGRES_URL is not set"
                );
            }
            eprintln!(
                "note: SQLite only; set TOKENTALLY_TEST_POSTGRES_URL to run this test on PostgreSQL too"
            );
            None
        }
    }
}

/// A fresh, empty database with the migrations up to `version` only, and a guard that drops
/// it: for upgrade tests.
pub async fn database_at_version(db: Db, version: i64) -> Option<(Store, impl Drop)> {
    let (url, guard) = match db {
        Db::Sqlite => {
            let dir = tempfile::tempdir().expect("a temp dir");
            let url = format!("sqlite://{}", dir.path().join("old.db").display());
            (url, TestDatabase::Sqlite(dir))
        }
        Db::Postgres => {
            let admin_url = postgres_url()?;
            let name = format!("tt_test_{}", uuid_like());
            let mut conn = sqlx::PgConnection::connect(&admin_url)
                .await
                .expect("PostgreSQL answers");
            sqlx::query(&format!("CREATE DATABASE \"{name}\""))
                .execute(&mut conn)
                .await
                .expect("create the test database");
            let mut url = url::Url::parse(&admin_url).expect("a URL");
            url.set_path(&name);
            (url.to_string(), TestDatabase::Postgres { admin_url, name })
        }
    };
    let store = Store::connect_without_migrating(&url)
        .await
        .expect("the database opens");
    store
        .migrate_to(version)
        .await
        .expect("the old migrations apply");
    Some((store, guard))
}

/// A fresh, migrated, empty database.
async fn fresh_database(db: Db) -> Option<(Store, TestDatabase)> {
    match db {
        Db::Sqlite => {
            let dir = tempfile::tempdir().expect("a temp dir");
            let url = format!("sqlite://{}", dir.path().join("test.db").display());
            Some((
                Store::connect(&url).await.expect("SQLite opens"),
                TestDatabase::Sqlite(dir),
            ))
        }
        Db::Postgres => {
            let admin_url = postgres_url()?;
            let name = format!("tt_test_{}", uuid_like());
            let mut conn = sqlx::PgConnection::connect(&admin_url)
                .await
                .expect("PostgreSQL answers at TOKENTALLY_TEST_POSTGRES_URL");
            sqlx::query(&format!("CREATE DATABASE \"{name}\""))
                .execute(&mut conn)
                .await
                .expect("create the test database");
            let mut url = url::Url::parse(&admin_url).expect("a URL");
            url.set_path(&name);
            let guard = TestDatabase::Postgres { admin_url, name };
            Some((
                Store::connect(url.as_str())
                    .await
                    .expect("PostgreSQL opens"),
                guard,
            ))
        }
    }
}

fn uuid_like() -> String {
    use rand::Rng;
    let n: u64 = rand::thread_rng().r#gen();
    format!("{n:016x}")
}

pub async fn spawn_app(db: Db) -> Option<TestApp> {
    spawn_app_with(db, |_| {}).await
}

pub async fn spawn_app_with(db: Db, configure: impl FnOnce(&mut Config)) -> Option<TestApp> {
    if std::env::var("TEST_LOG").is_ok() {
        tokentally_server::telemetry::init_tracing();
    }
    let (store, guard) = fresh_database(db).await?;
    ensure_default_catalog(&store)
        .await
        .expect("default catalog");
    let mut config = Config::new("unused://", SocketAddr::from(([127, 0, 0, 1], 0)));
    configure(&mut config);
    let app = Application::with_store(store.clone(), config)
        .await
        .expect("binds");
    let address = format!("http://127.0.0.1:{}", app.port());
    let state = app.state().clone();
    tokio::spawn(app.run_until_stopped());
    let token = |name: &'static str, role: Role| {
        let store = store.clone();
        async move {
            tokentally_server::app::accounts::create_token(&store, name, role, &[])
                .await
                .expect("token")
        }
    };
    Some(TestApp {
        address,
        client: Client::new(),
        ingest_token: token("ingest", Role::Ingest).await,
        admin_token: token("admin", Role::Admin).await,
        finance_token: token("finance", Role::Finance).await,
        store,
        state,
        _db: guard,
    })
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub fn get(&self, path: &str, token: &str) -> RequestBuilder {
        self.client.get(self.url(path)).bearer_auth(token)
    }

    pub fn post(&self, path: &str, token: &str) -> RequestBuilder {
        self.client.post(self.url(path)).bearer_auth(token)
    }

    pub async fn token_for(&self, role: Role, teams: &[&str]) -> String {
        let teams: Vec<String> = teams.iter().map(|t| t.to_string()).collect();
        tokentally_server::app::accounts::create_token(&self.store, "extra", role, &teams)
            .await
            .expect("token")
    }

    /// Posts events as a JSON array and answers the status and body.
    pub async fn post_events(&self, events: &Value) -> (StatusCode, Value) {
        let r = self
            .post("/api/v1/events", &self.ingest_token)
            .json(events)
            .send()
            .await
            .expect("request");
        json_of(r).await
    }

    pub async fn showback(&self, month: &str) -> Value {
        let (status, body) = json_of(
            self.get(
                &format!("/api/v1/showback?month={month}"),
                &self.finance_token,
            )
            .send()
            .await
            .expect("request"),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }

    pub async fn admin_post(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        json_of(
            self.post(path, &self.admin_token)
                .json(body)
                .send()
                .await
                .expect("request"),
        )
        .await
    }

    pub async fn count_events(&self) -> i64 {
        self.store.count_events().await.expect("count")
    }
}

pub async fn json_of(r: Response) -> (StatusCode, Value) {
    let status = r.status();
    let text = r.text().await.expect("a body");
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// The row of `team` in a showback answer.
pub fn team<'a>(showback: &'a Value, team: &str) -> &'a Value {
    showback["teams"]
        .as_array()
        .and_then(|ts| ts.iter().find(|t| t["team"] == team))
        .unwrap_or_else(|| panic!("no team {team} in {showback}"))
}

/// A money field as a decimal, for exact comparisons.
pub fn money(v: &Value) -> rust_decimal::Decimal {
    v.as_str()
        .unwrap_or_else(|| panic!("money is a string, got {v}"))
        .parse()
        .expect("a decimal")
}
