//! What every request handler, use case and background task shares.

use std::sync::Arc;

use crate::cache::{
    FeatureCache, MonthDataCache, MovementCache, PriceBookCache, RecommendationCache,
    ShowbackCache, TeamCache, TrendCache,
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
    pub config: Arc<Config>,
    pub metrics: Arc<Metrics>,
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
            config: Arc::new(config),
            metrics: Arc::default(),
        }
    }
}
