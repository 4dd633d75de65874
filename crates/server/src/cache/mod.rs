//! What the server keeps in memory between requests: the price book, computed showbacks,
//! drill-downs, movements and trends, and the months the drill-down pages read.
//! All are checked against a version asked of the database, so several servers sharing one
//! database never serve each other's stale answers.

mod answers;
mod kept;
mod price_book;

pub use answers::{Answers, computed_anew, is_fresh};
pub use kept::{
    EnvironmentCache, FeatureCache, Kept, MonthDataCache, MovementCache, MovementKey,
    RecommendationCache, ShowbackCache, TeamCache, TrendCache, TrendKey,
};
pub use price_book::PriceBookCache;
