//! What the server keeps in memory between requests: the price book and computed showbacks.
//! Both are checked against a version asked of the database, so several servers sharing one
//! database never serve each other's stale answers.

mod price_book;
mod showbacks;

pub use price_book::PriceBookCache;
pub use showbacks::ShowbackCache;
