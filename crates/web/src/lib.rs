//! tokentally's pages, rendered on the server with Leptos. Every page is a function from a
//! plain view model to a complete HTML document: no hydration, no JavaScript needed.

pub mod components;
pub mod email;
pub mod format;
pub mod money;
pub mod pages;
pub mod shell;
pub mod stamp;
