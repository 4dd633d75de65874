//! Who is calling, and what they may do: roles, the capability policy, passwords, API tokens
//! and browser sessions. The HTTP extractors that build a [`Principal`] from a request live
//! at the edge, in `http::extract`.

pub mod passwords;
pub mod policy;
pub mod principal;
pub mod session;
pub mod tokens;

pub use policy::{Capability, Denied};
pub use principal::{Principal, Role};
