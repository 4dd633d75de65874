//! Pull connections: an admin connects a provider account (OpenAI's organisation Usage and
//! Costs APIs, Anthropic's usage and cost reports) and tokentally pulls its daily buckets,
//! on demand and on a schedule.
//!
//! - **The key.** Sealed with the server secret before it is stored ([`seal`]); without a
//!   secret nothing is stored. It is opened only to make a request, and never answered,
//!   shown or logged (errors name the URL's path and the status, not the headers).
//! - **The cursor.** A connection's `cursor_day` is the first day not yet pulled complete.
//!   A pull starts [`SETTLE_DAYS`] before it (providers complete a day late), never before
//!   the start day nor before raw events were pruned, and goes to today in stretches of
//!   [`STRETCH_DAYS`]. Each stretch is fetched whole (every page), then its days are replaced
//!   in one transaction ([`crate::storage::Store::replace_source_days`]) and the cursor moves:
//!   a pull that fails or dies mid-stretch leaves the stretch as it was, and the next run
//!   fetches it again and replaces it, so nothing is counted twice.
//! - **Other sources.** Pulled rows keep only what no other source stored ([`topup`]).
//! - **One puller.** A server claims a connection (`lease_until_ms`) before it pulls, as
//!   webhook deliveries are claimed: the scheduler runs on every server, and only the one
//!   whose claim took pulls. The claim is a short lease renewed while the pull runs
//!   ([`claim`]), so the claim of a server that died lapses within [`LEASE`] and a live
//!   pull's never does.

pub mod claim;
pub mod compare;
pub mod fetch;
pub mod providers;
pub mod seal;
pub use crate::storage::topup;
pub use crate::storage::topup::{PULLED_PREFIX, SETTLE_DAYS};

use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::app::audit;
use crate::app::error::{AppError, AppResult};
use crate::auth::{Capability, Principal};
use crate::state::AppState;
use crate::storage::{ConnectionRecord, NewConnection, ProviderCost, now_ms_pub};
use providers::Provider;

/// Days fetched and replaced together.
pub const STRETCH_DAYS: i64 = 7;
/// How long a claim holds without being renewed (`Config::pull_lease`'s default): the pulling
/// server renews it every third of that, and "pull now" waits longer than it for a claim that
/// is not renewed. Defined with the configuration, which may not import `app`.
pub use crate::config::PULL_LEASE as LEASE;
/// Between two scheduled pulls of a connection.
pub const DAILY: Duration = Duration::from_secs(24 * 3600);
/// After a failed pull, the next try.
pub const RETRY_LATER: Duration = Duration::from_secs(30 * 60);

pub const NO_SECRET: &str = "tokentally has no server secret, so it stores no provider key: start it with \
     TOKENTALLY_SECRET_KEY set to a random text of 16 characters or more (e.g. `openssl rand -hex 32`), \
     or TOKENTALLY_SECRET_KEY_FILE naming a file that holds one";

/// The source of a connection's events.
pub fn source_of(c: &ConnectionRecord) -> String {
    format!("{PULLED_PREFIX}{}:{}", c.provider, c.id)
}

/// A connection as anyone may see it: no key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConnectionView {
    pub id: i64,
    pub provider: String,
    pub name: String,
    pub start_day: NaiveDate,
    pub base_url: String,
    /// The first day not yet pulled complete.
    pub cursor_day: NaiveDate,
    pub last_sync: Option<DateTime<Utc>>,
    /// Events stored from this connection now.
    pub rows_pulled: i64,
    pub next_run: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    /// A server is pulling it now.
    pub syncing: bool,
}

fn at(ms: i64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp_millis(ms)
}

impl From<&ConnectionRecord> for ConnectionView {
    fn from(c: &ConnectionRecord) -> Self {
        ConnectionView {
            id: c.id,
            provider: c.provider.clone(),
            name: c.name.clone(),
            start_day: c.start_day,
            base_url: c.base_url.clone(),
            cursor_day: c.cursor_day,
            last_sync: c.last_sync_ms.and_then(at),
            rows_pulled: c.rows_pulled,
            next_run: at(c.next_run_ms),
            last_error: c.last_error.clone(),
            syncing: c.lease_until_ms > now_ms_pub(),
        }
    }
}

/// `POST /api/v1/connections` and the form.
#[derive(Clone, Default, Deserialize)]
pub struct NewConnectionInput {
    #[serde(default)]
    pub provider: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub admin_key: String,
    #[serde(default)]
    pub start_day: String,
    #[serde(default)]
    pub base_url: Option<String>,
}

impl std::fmt::Debug for NewConnectionInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewConnectionInput")
            .field("provider", &self.provider)
            .field("name", &self.name)
            .field("admin_key", &"<redacted>")
            .field("start_day", &self.start_day)
            .field("base_url", &self.base_url)
            .finish()
    }
}

fn checked_base_url(url: Option<&str>, provider: Provider) -> AppResult<String> {
    let url = url.map(str::trim).filter(|u| !u.is_empty());
    let Some(url) = url else {
        return Ok(provider.default_base_url().to_owned());
    };
    let parsed = url::Url::parse(url)
        .map_err(|e| AppError::invalid(format!("`base_url` `{url}` is not a URL: {e}")))?;
    if parsed.scheme() != "https" || parsed.host_str().is_none() {
        return Err(AppError::invalid(
            "`base_url` must be https://HOST[:PORT][/PATH] (the admin key is sent to it)",
        ));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() || !parsed.username().is_empty() {
        return Err(AppError::invalid(
            "`base_url` takes no query, fragment or user name",
        ));
    }
    Ok(parsed.as_str().trim_end_matches('/').to_owned())
}

/// Adds a connection (admin): checks it, seals its key, audits it (without the key).
pub async fn create_as(
    state: &AppState,
    principal: &Principal,
    input: &NewConnectionInput,
) -> AppResult<ConnectionView> {
    principal.ensure(Capability::Administer)?;
    let secret = state
        .config
        .secret_key
        .as_ref()
        .ok_or_else(|| AppError::invalid(NO_SECRET))?;
    let provider = Provider::parse(&input.provider)
        .ok_or_else(|| AppError::invalid("`provider` must be `openai` or `anthropic`"))?;
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 80 || name.chars().any(char::is_control) {
        return Err(AppError::invalid(
            "`name` is required: up to 80 characters, no control characters",
        ));
    }
    let key = input.admin_key.trim();
    if key.is_empty()
        || key.len() > 1024
        || key.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(AppError::invalid(
            "`admin_key` is required: the provider's admin key, without spaces",
        ));
    }
    let start_day: NaiveDate = input.start_day.trim().parse().map_err(|_| {
        AppError::invalid(format!(
            "`start_day` `{}` is not a day (YYYY-MM-DD)",
            input.start_day.trim()
        ))
    })?;
    if start_day > Utc::now().date_naive() {
        return Err(AppError::invalid("`start_day` lies in the future"));
    }
    let base_url = checked_base_url(input.base_url.as_deref(), provider)?;
    let sealed = seal::seal(secret, key).map_err(|e| AppError::Internal(anyhow::anyhow!(e)))?;
    let id = state
        .store
        .add_connection(&NewConnection {
            provider: provider.as_str(),
            name,
            sealed_key: &sealed,
            start_day,
            base_url: &base_url,
            created_by: &principal.name,
        })
        .await
        .map_err(|e| match e {
            crate::storage::StoreError::Conflict(_) => {
                AppError::Conflict(format!("a connection named `{name}` exists already"))
            }
            other => other.into(),
        })?;
    let c = state
        .store
        .get_connection(id)
        .await?
        .ok_or_else(|| AppError::NotFound("connection".into()))?;
    let view = ConnectionView::from(&c);
    audit::record(
        &state.store,
        &principal.name,
        "connection.add",
        &format!("connection:{id}"),
        None::<()>,
        Some(&view),
    )
    .await?;
    Ok(view)
}

/// Every connection (admin).
pub async fn list_as(state: &AppState, principal: &Principal) -> AppResult<Vec<ConnectionView>> {
    principal.ensure(Capability::Administer)?;
    Ok(state
        .store
        .list_connections()
        .await?
        .iter()
        .map(ConnectionView::from)
        .collect())
}

/// What one pull did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SyncReport {
    pub connection: i64,
    /// The days fetched and replaced.
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// Events stored from this connection after the pull.
    pub rows_pulled: i64,
    /// Rows of the reports that could not be read (the first reasons in `error`).
    pub rows_refused: usize,
    pub error: Option<String>,
}

/// Pulls a connection now (admin) and answers when done; `Conflict` while another pull of it
/// runs.
pub async fn sync_as(state: &AppState, principal: &Principal, id: i64) -> AppResult<SyncReport> {
    principal.ensure(Capability::Administer)?;
    let c = state
        .store
        .get_connection(id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no connection {id}")))?;
    // A pull of the same connection may be running (the scheduler's, on this server or
    // another, e.g. right after the connection was added): wait for it to end, then pull
    // again, so that "pull now" answers with a pull that started after it was asked for.
    // A claim left by a server that died lapses within a lease, well within the wait.
    let waited_from = std::time::Instant::now();
    let lease = state.config.pull_lease;
    let held = loop {
        let until = claim::lease_from_now(lease);
        if state.store.claim_connection(id, until, false).await? {
            break until;
        }
        if waited_from.elapsed() > SYNC_WAIT.max(2 * lease) {
            return Err(AppError::Conflict(
                "a pull of this connection is running; try again when it ends".into(),
            ));
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    let report = Box::pin(sync_claimed(state, &c, held)).await?;
    audit::record(
        &state.store,
        &principal.name,
        "connection.sync",
        &format!("connection:{id}"),
        None::<()>,
        Some(&report),
    )
    .await?;
    Ok(report)
}

/// How long "pull now" waits for a running pull of the same connection before it answers 409
/// (at least twice the lease, so a dead server's claim lapses first).
const SYNC_WAIT: Duration = Duration::from_secs(120);

/// Pulls a connection claimed until `held`, renewing the claim while it runs, and releases it
/// with its outcome.
async fn sync_claimed(state: &AppState, c: &ConnectionRecord, held: i64) -> AppResult<SyncReport> {
    let mut report = SyncReport {
        connection: c.id,
        ..SyncReport::default()
    };
    let heartbeat =
        claim::Heartbeat::start(state.store.clone(), c.id, held, state.config.pull_lease);
    let outcome = Box::pin(pull(state, c, &heartbeat, &mut report)).await;
    if let Err(e) = &outcome {
        tracing::warn!(connection = c.id, error = %e, "a pull failed");
        report.error = Some(e.clone());
    }
    let next = match &report.error {
        None => now_ms_pub() + DAILY.as_millis() as i64,
        Some(_) => now_ms_pub() + RETRY_LATER.as_millis() as i64,
    };
    // A claim lost to another server is that server's to release, with its own outcome.
    if let Some(held) = heartbeat.stop().await {
        state
            .store
            .finish_connection_sync(c.id, held, report.error.as_deref(), next)
            .await?;
    }
    if let Some(after) = state.store.get_connection(c.id).await? {
        report.rows_pulled = after.rows_pulled;
    }
    state.forget_kept();
    Ok(report)
}

/// The pull itself; an `Err` is the sentence recorded as the connection's last error.
async fn pull(
    state: &AppState,
    c: &ConnectionRecord,
    claim: &claim::Heartbeat,
    report: &mut SyncReport,
) -> Result<(), String> {
    let provider =
        Provider::parse(&c.provider).ok_or_else(|| format!("unknown provider `{}`", c.provider))?;
    let secret = state.config.secret_key.as_ref().ok_or(NO_SECRET)?;
    let key = seal::open(secret, &c.sealed_key)?;
    let fetcher = fetch::Fetcher {
        client: &state.http,
        headers: provider.auth_headers(&key),
        backoff: state.config.pull_backoff,
    };
    let store = &state.store;
    let today = Utc::now().date_naive();
    let mut from = (c.cursor_day.min(today) - chrono::Duration::days(SETTLE_DAYS)).max(c.start_day);
    if let Some(horizon) = store.pruned_before().await.map_err(|e| e.to_string())? {
        from = from.max(horizon);
    }
    let source = source_of(c);
    let mut refused: Vec<String> = Vec::new();
    while from <= today {
        let to = (from + chrono::Duration::days(STRETCH_DAYS - 1)).min(today);
        let end = to + chrono::Duration::days(1);
        // Every page of the stretch first: nothing is stored from a stretch half read.
        let mut events = Vec::new();
        let mut page: Option<String> = None;
        loop {
            let body = fetcher
                .get(&provider.usage_url(&c.base_url, from, end, page.as_deref()))
                .await?;
            let (parsed, next) = provider.read_usage(&body, Utc::now())?;
            report.rows_refused += parsed.rejected.len();
            refused.extend(parsed.rejected.into_iter().map(|r| r.error));
            events.extend(parsed.events.into_iter().filter(|e| {
                let d = e.timestamp.date_naive();
                d >= from && d <= to
            }));
            match next {
                Some(p) => page = Some(p),
                None => break,
            }
        }
        let mut costs = Vec::new();
        let mut page: Option<String> = None;
        loop {
            let body = fetcher
                .get(&provider.cost_url(&c.base_url, from, end, page.as_deref()))
                .await?;
            let (read, next) = provider.read_costs(&body)?;
            costs.extend(read.into_iter().filter(|x| x.day >= from && x.day <= to));
            match next {
                Some(p) => page = Some(p),
                None => break,
            }
        }
        for e in &mut events {
            e.source.clone_from(&source);
        }
        if claim.lost() {
            return Err(format!(
                "this server's claim on the connection lapsed and another server took it; \
                 {from}..{to} was left to that server's pull"
            ));
        }
        let pushed = store
            .pushed_usage(provider.as_str(), from, to, PULLED_PREFIX)
            .await
            .map_err(|e| e.to_string())?;
        let events = topup::remainder(events, &pushed);
        store
            .replace_source_days(&source, from, to, events)
            .await
            .map_err(|e| format!("storing {from}..{to}: {e}"))?;
        let costs: Vec<ProviderCost> = providers::summed(costs)
            .into_iter()
            .map(|x| ProviderCost {
                connection_id: c.id,
                day: x.day,
                provider: provider.as_str().to_owned(),
                model: x.model,
                amount: x.amount,
                currency: x.currency,
                unit: x.unit,
            })
            .collect();
        store
            .replace_provider_costs(c.id, from, to, &costs)
            .await
            .map_err(|e| format!("storing the costs of {from}..{to}: {e}"))?;
        // Today is never complete: the cursor stays on it, so the next run fetches it again.
        let cursor = if to < today { end } else { today };
        store
            .advance_connection(c.id, cursor, &source)
            .await
            .map_err(|e| e.to_string())?;
        report.from.get_or_insert(from);
        report.to = Some(to);
        from = end;
    }
    if !refused.is_empty() {
        let first: Vec<&str> = refused.iter().take(3).map(String::as_str).collect();
        return Err(format!(
            "{} report rows could not be read, the rest was stored: {}",
            refused.len(),
            first.join("; ")
        ));
    }
    Ok(())
}

/// Pulls every connection that is due, each only where this server's claim takes.
pub async fn run_due(state: &AppState) -> anyhow::Result<usize> {
    let mut pulled = 0;
    for c in state.store.list_connections().await? {
        let until = claim::lease_from_now(state.config.pull_lease);
        if state.store.claim_connection(c.id, until, true).await? {
            Box::pin(sync_claimed(state, &c, until)).await?;
            pulled += 1;
        }
    }
    Ok(pulled)
}

/// The scheduler: every `every`, pulls the connections that are due (one server each).
pub async fn run_periodically(state: AppState, every: Duration) {
    // The first run comes one period after start, not at once: a server starting up has
    // other work, and a pull started at once would race an admin's "pull now".
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    loop {
        tick.tick().await;
        if let Err(e) = run_due(&state).await {
            tracing::warn!(error = ?e, "scheduled pulls failed");
        }
    }
}
