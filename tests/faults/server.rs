//! The `tokentally` binary as a child process, on a database of its own.

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::Duration;

use sqlx::Connection;
use tokentally_server::storage::Store;

pub enum Database {
    Sqlite {
        _dir: tempfile::TempDir,
        url: String,
    },
    Postgres {
        admin_url: String,
        name: String,
        url: String,
    },
    /// Another way to reach a database owned elsewhere (through a proxy).
    Alias { url: String },
}

impl Database {
    pub fn sqlite() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("faults.db").display());
        Database::Sqlite { _dir: dir, url }
    }

    pub async fn postgres() -> Option<Self> {
        let admin_url = match std::env::var("TOKENTALLY_TEST_POSTGRES_URL") {
            Ok(u) if !u.is_empty() => u,
            _ => {
                assert!(
                    std::env::var("TOKENTALLY_TEST_REQUIRE_POSTGRES").as_deref() != Ok("1"),
                    "TOKENTALLY_TEST_REQUIRE_POSTGRES=1 but TOKENTALLY_TEST_POSTGRES_URL is not set"
                );
                eprintln!(
                    "note: SQLite only; set TOKENTALLY_TEST_POSTGRES_URL for the PostgreSQL faults"
                );
                return None;
            }
        };
        let name = format!("tt_fault_{:016x}", rand::random::<u64>());
        let mut conn = sqlx::PgConnection::connect(&admin_url).await.unwrap();
        sqlx::query(&format!("CREATE DATABASE \"{name}\""))
            .execute(&mut conn)
            .await
            .unwrap();
        let mut url = url::Url::parse(&admin_url).unwrap();
        url.set_path(&name);
        Some(Database::Postgres {
            admin_url,
            name,
            url: url.to_string(),
        })
    }

    pub fn url(&self) -> &str {
        match self {
            Database::Sqlite { url, .. }
            | Database::Postgres { url, .. }
            | Database::Alias { url } => url,
        }
    }

    pub fn postgres_port(&self) -> u16 {
        url::Url::parse(self.url()).unwrap().port().unwrap_or(5432)
    }

    /// The same database reached through `port` on 127.0.0.1.
    pub fn via_port(&self, port: u16) -> Database {
        let mut url = url::Url::parse(self.url()).unwrap();
        url.set_host(Some("127.0.0.1")).unwrap();
        url.set_port(Some(port)).unwrap();
        Database::Alias {
            url: url.to_string(),
        }
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        if let Database::Postgres {
            admin_url, name, ..
        } = self
        {
            let (admin_url, name) = (admin_url.clone(), name.clone());
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(async move {
                    if let Ok(mut c) = sqlx::PgConnection::connect(&admin_url).await {
                        let _ = sqlx::query(&format!(
                            "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                        ))
                        .execute(&mut c)
                        .await;
                    }
                });
            })
            .join();
        }
    }
}

pub struct Server {
    pub base: String,
    pub addr: SocketAddr,
    pub ingest_token: String,
    url: String,
    env: Vec<(String, String)>,
    child: Mutex<Option<Child>>,
}

pub struct Counts {
    pub events: i64,
    pub rollup_events: i64,
}

fn binary() -> Command {
    Command::new(env!("CARGO_BIN_EXE_tokentally-under-test"))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Server {
    pub async fn start(db: &Database, env: &[(&str, &str)]) -> Server {
        let url = db.url().to_owned();
        let out = binary()
            .args(["token", "create", "--name", "faults", "--role", "ingest"])
            .env("TOKENTALLY_DATABASE_URL", &url)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        let ingest_token = stdout.lines().last().unwrap().trim().to_owned();
        let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
        let s = Server {
            base: format!("http://{addr}"),
            addr,
            ingest_token,
            url,
            env: env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            child: Mutex::new(None),
        };
        s.spawn().await;
        s
    }

    async fn spawn(&self) {
        let child = binary()
            .args(["serve", "--bind", &self.addr.to_string()])
            .env("TOKENTALLY_DATABASE_URL", &self.url)
            .env("RUST_LOG", "warn")
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        *self.child.lock().unwrap() = Some(child);
        let client = reqwest::Client::new();
        for _ in 0..200 {
            if let Ok(r) = client.get(format!("{}/healthz", self.base)).send().await
                && r.status().is_success()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("tokentally did not start on {}", self.base);
    }

    /// SIGKILL: no shutdown, no flush.
    pub fn kill9(&self) {
        if let Some(c) = self.child.lock().unwrap().as_mut() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    pub async fn restart(&mut self, _db: &Database) {
        self.kill9();
        self.spawn().await;
    }

    pub fn stop(&self) {
        self.kill9();
    }

    pub fn is_running(&self) -> bool {
        self.child
            .lock()
            .unwrap()
            .as_mut()
            .is_some_and(|c| c.try_wait().ok().flatten().is_none())
    }

    /// A token of `role` made with the binary's CLI, as an operator would.
    pub fn token(&self, role: &str) -> String {
        let out = binary()
            .args(["token", "create", "--name", role, "--role", role])
            .env("TOKENTALLY_DATABASE_URL", &self.url)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .last()
            .unwrap()
            .trim()
            .to_owned()
    }

    pub async fn store(&self) -> Store {
        Store::connect_without_migrating(&self.url).await.unwrap()
    }

    pub async fn counts(&self) -> Counts {
        let store = self.store().await;
        let events: i64 = sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM events")
            .fetch_one(store.pool())
            .await
            .unwrap();
        let rollup_events: i64 = sqlx::query_scalar(
            "SELECT CAST(COALESCE(SUM(events), 0) AS BIGINT) FROM usage_rollups",
        )
        .fetch_one(store.pool())
        .await
        .unwrap();
        store.close().await;
        Counts {
            events,
            rollup_events,
        }
    }

    pub async fn has_event(&self, id: &str) -> bool {
        let store = self.store().await;
        let n: i64 =
            sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM events WHERE event_id = $1")
                .bind(id.to_owned())
                .fetch_one(store.pool())
                .await
                .unwrap();
        store.close().await;
        n == 1
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill9();
    }
}
