//! Who did something and when, as the view models carry it; the time becomes text only in
//! this crate.

use chrono::{DateTime, Utc};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamp {
    pub by: String,
    pub at: DateTime<Utc>,
}
