//! What every request handler, use case and background task shares.

use std::sync::Arc;

use crate::cache::{PriceBookCache, ShowbackCache};
use crate::config::Config;
use crate::storage::Store;
use crate::telemetry::Metrics;

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub prices: PriceBookCache,
    pub showbacks: ShowbackCache,
    pub config: Arc<Config>,
    pub metrics: Arc<Metrics>,
}

impl AppState {
    pub fn new(store: Store, config: Config) -> Self {
        Self {
            store,
            prices: PriceBookCache::default(),
            showbacks: ShowbackCache::default(),
            config: Arc::new(config),
            metrics: Arc::default(),
        }
    }
}
