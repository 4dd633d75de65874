//! Building the application: state, router, listener. Tests bind port 0 and ask for the port.

use anyhow::Context;
use chrono::NaiveDate;
use tokentally_domain::litellm;
use tokio::net::TcpListener;

use crate::config::Config;
use crate::http::client_bundle::ClientBundle;
use crate::state::AppState;
use crate::storage::Store;

/// The LiteLLM price file shipped as the default catalog.
pub const DEFAULT_CATALOG: &[u8] = include_bytes!("../../../assets/litellm-model-prices.json");

pub struct Application {
    listener: TcpListener,
    state: AppState,
    client: Option<std::sync::Arc<ClientBundle>>,
}

impl Application {
    /// Connects to the database (migrating it), seeds the default price catalog into an empty
    /// one, and binds the listener.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let store = Store::connect(&config.database_url)
            .await
            .with_context(|| {
                format!(
                    "opening the database {}",
                    crate::storage::redact(&config.database_url)
                )
            })?;
        ensure_default_catalog(&store).await?;
        Self::with_store(store, config).await
    }

    pub async fn with_store(store: Store, config: Config) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(config.bind)
            .await
            .with_context(|| format!("binding {}", config.bind))?;
        let client = client_bundle(&config)?.map(std::sync::Arc::new);
        // The documents name the loader only when there is a bundle to load.
        tokentally_web::shell::serve_client_bundle_at(client.as_ref().map(|c| c.path().to_owned()));
        Ok(Self {
            listener,
            state: AppState::new(store, config),
            client,
        })
    }

    /// Whether the pages have their islands (a client bundle was found).
    pub fn has_client_bundle(&self) -> bool {
        self.client.is_some()
    }

    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        tokio::spawn(crate::app::governance::run_periodically(
            self.state.clone(),
            self.state.config.alert_interval,
        ));
        tokio::spawn(crate::app::connections::run_periodically(
            self.state.clone(),
            self.state.config.pull_check_interval,
        ));
        tokio::spawn(crate::app::notify::run_periodically(
            self.state.clone(),
            self.state.config.notify_interval,
        ));
        tokio::spawn(crate::app::customers::compact_periodically(
            self.state.clone(),
            crate::app::customers::COMPACTION_INTERVAL,
        ));
        // The peer address feeds login throttling.
        let app = crate::router::router(self.state, self.client)
            .into_make_service_with_connect_info::<std::net::SocketAddr>();
        axum::serve(self.listener, app)
            .with_graceful_shutdown(shutdown_signal())
            .await
            .context("serving HTTP")
    }
}

/// The client bundle of the configured folder, if it has been built there.
fn client_bundle(config: &Config) -> anyhow::Result<Option<ClientBundle>> {
    let Some(dir) = &config.client_dir else {
        return Ok(None);
    };
    let bundle = ClientBundle::load(dir)?;
    match &bundle {
        Some(b) => {
            for (file, plain, gzip) in b.sizes() {
                tracing::info!(
                    file,
                    plain,
                    gzip,
                    "serving the client bundle at {}",
                    b.path()
                );
            }
        }
        None => tracing::info!(
            dir = %dir.display(),
            "no client bundle: the pages are static (`.ci/client` builds it)"
        ),
    }
    Ok(bundle)
}

/// Imports the shipped catalog when no card is stored yet, effective from 2000-01-01 so that
/// all history is priced.
pub async fn ensure_default_catalog(store: &Store) -> anyhow::Result<()> {
    if store.price_cards_version().await?.0 > 0 {
        return Ok(());
    }
    let since = NaiveDate::from_ymd_opt(2000, 1, 1).expect("a valid date");
    let import =
        litellm::import(DEFAULT_CATALOG, since).context("reading the shipped price catalog")?;
    let stored = store.add_price_cards(&import.cards).await?;
    tracing::info!(cards = stored.added, "imported the default price catalog");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = terminate => {} }
}
