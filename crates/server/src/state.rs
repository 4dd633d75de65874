//! What every request handler, use case and background task shares.

use std::sync::Arc;

use tokentally_domain::month::Month;
use tokentally_domain::movement::Movement;
use tokentally_domain::trend::TrendPoint;

use crate::cache::{PriceBookCache, ShowbackCache, VersionedCache};
use crate::config::Config;
use crate::storage::Store;
use crate::telemetry::Metrics;

/// A movement's months and scope: `from`, `to`, and the team and feature, if any.
pub type MovementKey = (Month, Month, Option<String>, Option<String>);

/// A feature's trend: its last month, team and feature.
pub type TrendKey = (Month, String, String);

/// Movements (and features' trends) kept at one data version: a page for each team and feature of a month or two.
const MOVEMENTS_KEPT: usize = 512;

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub prices: PriceBookCache,
    pub showbacks: ShowbackCache,
    /// Movements between two months, per scope (see `app::movement`).
    pub movements: VersionedCache<MovementKey, Movement>,
    /// Features' trends (see `app::trends`): twelve months of reads each.
    pub trends: VersionedCache<TrendKey, Vec<TrendPoint>>,
    pub config: Arc<Config>,
    pub metrics: Arc<Metrics>,
}

impl AppState {
    pub fn new(store: Store, config: Config) -> Self {
        Self {
            store,
            prices: PriceBookCache::default(),
            showbacks: ShowbackCache::default(),
            movements: VersionedCache::new(MOVEMENTS_KEPT),
            trends: VersionedCache::new(MOVEMENTS_KEPT),
            config: Arc::new(config),
            metrics: Arc::default(),
        }
    }
}
