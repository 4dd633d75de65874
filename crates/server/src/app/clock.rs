//! Today, as the use cases see it (UTC): one place, so that every use case agrees on it.

use chrono::NaiveDate;

pub fn today() -> NaiveDate {
    chrono::Utc::now().date_naive()
}
