//! What the server keeps in memory between requests: the price book, computed showbacks
//! and other computed answers (movements). All are checked against a version asked of the database, so several servers sharing one
//! database never serve each other's stale answers.

mod price_book;
mod showbacks;
mod versioned;

pub use price_book::PriceBookCache;
pub use showbacks::ShowbackCache;
pub use versioned::VersionedCache;
