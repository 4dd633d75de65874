//! Settings: flags and `TOKENTALLY_*` environment variables (clap reads both), with defaults.

use std::net::SocketAddr;

pub const DEFAULT_DATABASE_URL: &str = "sqlite://tokentally.db";
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";
/// Where `.ci/client` writes the client bundle, from the repository's root.
pub const DEFAULT_CLIENT_DIR: &str = "target/client";
pub const DEFAULT_BODY_LIMIT: usize = 16 * 1024 * 1024;
/// Longest a request may take, body upload included, before it is answered 408.
pub const DEFAULT_REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// Ingest requests one server stores at once, by default; the rest wait their turn.
pub const DEFAULT_INGEST_CONCURRENCY: usize = 8;
/// How long an ingest request waits for a turn, by default, before it is answered 503.
pub const DEFAULT_INGEST_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// How long a provider pull's claim holds without being renewed, by default (see
/// `app::connections::claim`).
pub const PULL_LEASE: std::time::Duration = std::time::Duration::from_secs(60);

#[derive(Clone)]
pub struct Config {
    pub database_url: String,
    pub bind: SocketAddr,
    /// Largest request body accepted (ingest and imports); larger ones get 413.
    pub body_limit: usize,
    /// Longest a request may take (a slow upload included); then 408.
    pub request_timeout: std::time::Duration,
    /// Ingest requests stored at once; a request past them waits for a turn (its body not
    /// yet read) and is answered 503 with `Retry-After` when none comes within `ingest_wait`.
    pub ingest_concurrency: usize,
    pub ingest_wait: std::time::Duration,
    pub currency: String,
    /// How often the background task evaluates budget and anomaly alerts.
    pub alert_interval: std::time::Duration,
    /// Proxies whose `X-Forwarded-For` names the client (for login throttling); from no one
    /// else is the header believed.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Whether alert webhooks may target loopback, private and link-local addresses (a
    /// webhook receiver inside the network); off by default, so a webhook cannot probe it.
    pub allow_private_webhooks: bool,
    /// The server secret that seals the admin keys of pull connections; without one, no
    /// secret is stored (`TOKENTALLY_SECRET_KEY` or `TOKENTALLY_SECRET_KEY_FILE`).
    pub secret_key: Option<SecretKey>,
    /// Further trusted roots (PEM) for outgoing HTTPS, beside the web PKI roots
    /// (`TOKENTALLY_CA_FILE`): a corporate proxy, a local fake.
    pub ca_pem: Option<Vec<u8>>,
    /// How often the scheduler looks for connections due a pull.
    pub pull_check_interval: std::time::Duration,
    /// The first wait before a failed provider request is tried again (doubled each time).
    pub pull_backoff: std::time::Duration,
    /// How long a server's claim on a connection holds unless renewed: the pulling server
    /// renews it every third of it, so the claim of a server that died lapses within it.
    pub pull_lease: std::time::Duration,
    /// Where email goes out (the monthly digest, month-close reminders); none: no email.
    pub smtp: Option<SmtpConfig>,
    /// The day of the month from which the previous month's digest is sent (1 to 28).
    pub digest_day: u32,
    /// The day of the month on which finance is reminded that the previous month is still
    /// open (1 to 28; 0: never).
    pub close_reminder_day: u32,
    /// How often the notifier looks for a digest or a reminder due.
    pub notify_interval: std::time::Duration,
    /// Where the client bundle is (the islands, built by `.ci/client`); none, or a folder
    /// without it: the pages are served static, and work the same with a reload.
    pub client_dir: Option<std::path::PathBuf>,
}

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartTls {
    /// STARTTLS or nothing is sent (the default).
    Required,
    /// STARTTLS when the server offers it, else in clear.
    Opportunistic,
    /// In clear: a relay on the same host, a local test sink.
    None,
}

impl std::str::FromStr for StartTls {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "required" => Ok(Self::Required),
            "opportunistic" => Ok(Self::Opportunistic),
            "none" => Ok(Self::None),
            other => Err(format!(
                "TOKENTALLY_SMTP_STARTTLS `{other}` must be required, opportunistic or none"
            )),
        }
    }
}

/// The SMTP server that sends tokentally's email. Its `Debug` hides the password.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub username: Option<String>,
    pub password: Option<String>,
    /// The sender, `tokentally <finops@example.com>` or a bare address.
    pub from: String,
    pub starttls: StartTls,
}

impl std::fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<set>"))
            .field("from", &self.from)
            .field("starttls", &self.starttls)
            .finish()
    }
}

/// A 32-byte key derived from the server secret (SHA-256 of the text given). Its `Debug`
/// shows nothing of it.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretKey(pub [u8; 32]);

/// The shortest server secret taken.
pub const MIN_SECRET_LEN: usize = 16;

impl SecretKey {
    /// The key of a secret text (surrounding whitespace and a final newline ignored).
    pub fn from_text(text: &str) -> Result<Self, String> {
        use sha2::Digest;
        let text = text.trim();
        if text.len() < MIN_SECRET_LEN {
            return Err(format!(
                "the server secret must be at least {MIN_SECRET_LEN} characters (e.g. `openssl rand -hex 32`)"
            ));
        }
        Ok(Self(sha2::Sha256::digest(text.as_bytes()).into()))
    }
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("database_url", &crate::storage::redact(&self.database_url))
            .field("bind", &self.bind)
            .field("body_limit", &self.body_limit)
            .field("request_timeout", &self.request_timeout)
            .field("currency", &self.currency)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("allow_private_webhooks", &self.allow_private_webhooks)
            .field("secret_key", &self.secret_key.as_ref().map(|_| "<set>"))
            .field("ca_pem", &self.ca_pem.as_ref().map(Vec::len))
            .field("smtp", &self.smtp)
            .field("digest_day", &self.digest_day)
            .field("close_reminder_day", &self.close_reminder_day)
            .field("client_dir", &self.client_dir)
            .finish()
    }
}

impl Config {
    pub fn new(database_url: impl Into<String>, bind: SocketAddr) -> Self {
        Self {
            database_url: database_url.into(),
            bind,
            body_limit: DEFAULT_BODY_LIMIT,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            ingest_concurrency: DEFAULT_INGEST_CONCURRENCY,
            ingest_wait: DEFAULT_INGEST_WAIT,
            currency: tokentally_domain::DEFAULT_CURRENCY.to_owned(),
            alert_interval: std::time::Duration::from_secs(300),
            trusted_proxies: Vec::new(),
            allow_private_webhooks: false,
            secret_key: None,
            ca_pem: None,
            pull_check_interval: std::time::Duration::from_secs(300),
            pull_backoff: std::time::Duration::from_secs(1),
            pull_lease: PULL_LEASE,
            smtp: None,
            digest_day: 2,
            close_reminder_day: 5,
            notify_interval: std::time::Duration::from_secs(300),
            client_dir: None,
        }
    }
}
