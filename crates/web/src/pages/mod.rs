//! One module per page.

pub mod account_page;
pub mod breakdown_page;
pub mod error_page;
pub mod login_page;
pub mod showback_page;
