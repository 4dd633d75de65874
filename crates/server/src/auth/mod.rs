//! Who is calling, and what they may do. Every handler asks through [`Principal`].

pub mod passwords;
pub mod principal;
pub mod session;
pub mod tokens;

pub use principal::{Principal, Role};
