//! What every request handler, use case and background task shares.

use std::sync::Arc;

use crate::cache::{
    Answers, EnvironmentCache, FeatureCache, MonthDataCache, MovementCache, PriceBookCache,
    RecommendationCache, ShowbackCache, TeamCache, TrendCache,
};
use crate::config::Config;
use crate::storage::Store;
use crate::telemetry::Metrics;

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub prices: PriceBookCache,
    pub showbacks: ShowbackCache,
    /// Months with their users, for the drill-down pages.
    pub months: MonthDataCache,
    pub teams: TeamCache,
    pub features: FeatureCache,
    /// Movements between two months, per scope (see `app::movement`).
    pub movements: MovementCache,
    /// Features' trends (see `app::trends`).
    pub trends: TrendCache,
    /// The month's recommendations (see `app::recommendations`).
    pub recommendations: RecommendationCache,
    /// The month's environments per team (see `app::environments`).
    pub environments: EnvironmentCache,
    /// Every other kept answer (statements, reconciliation, scorecards, ...), per type and key.
    pub answers: Answers,
    /// Turns to store an ingest request (see `http::ingest::backpressure`).
    pub ingest_turns: Arc<tokio::sync::Semaphore>,
    pub config: Arc<Config>,
    pub metrics: Arc<Metrics>,
    /// Outgoing HTTPS (webhooks, provider pulls): rustls with the web PKI roots and
    /// `TOKENTALLY_CA_FILE`'s.
    pub http: reqwest::Client,
}

/// The client for outgoing requests: the web PKI roots, plus the configured extra roots.
pub fn http_client(config: &Config) -> reqwest::Client {
    let mut b = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .connect_timeout(std::time::Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("tokentally/", env!("CARGO_PKG_VERSION")));
    if let Some(pem) = &config.ca_pem {
        match reqwest::Certificate::from_pem_bundle(pem) {
            Ok(certs) => {
                for c in certs {
                    b = b.add_root_certificate(c);
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "TOKENTALLY_CA_FILE could not be read; using the web PKI roots only")
            }
        }
    }
    b.build().unwrap_or_else(|e| {
        tracing::warn!(error = %e, "building the HTTPS client failed; using the defaults");
        reqwest::Client::new()
    })
}

impl AppState {
    /// Forgets every kept report: when the data version could not be bumped after a change.
    pub fn forget_kept(&self) {
        self.showbacks.clear();
        self.months.clear();
        self.teams.clear();
        self.features.clear();
        self.movements.clear();
        self.trends.clear();
        self.recommendations.clear();
        self.environments.clear();
        self.answers.clear();
    }

    pub fn new(store: Store, config: Config) -> Self {
        Self {
            store,
            prices: PriceBookCache::default(),
            showbacks: ShowbackCache::default(),
            months: MonthDataCache::default(),
            teams: TeamCache::default(),
            features: FeatureCache::default(),
            movements: MovementCache::default(),
            trends: TrendCache::default(),
            recommendations: RecommendationCache::default(),
            environments: EnvironmentCache::default(),
            answers: Answers::default(),
            ingest_turns: Arc::new(tokio::sync::Semaphore::new(
                config.ingest_concurrency.max(1),
            )),
            http: http_client(&config),
            config: Arc::new(config),
            metrics: Arc::default(),
        }
    }
}
