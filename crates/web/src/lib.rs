//! tokentally's pages, rendered on the server with Leptos. Every page is a function from a
//! plain view model to a complete HTML document that works with JavaScript off.
//!
//! A few parts of some pages are Leptos islands ([`islands`]): the data tables sort and filter
//! in place and the charts read out the figure under the pointer or the keyboard. Only those
//! hydrate, from the client bundle that the `hydrate` feature builds (`.ci/client`); the rest
//! of a page stays the server's HTML, and without the bundle the pages are simply static.

#[cfg(feature = "ssr")]
pub mod components;
#[cfg(feature = "ssr")]
pub mod email;
#[cfg(feature = "ssr")]
pub mod format;
pub mod islands;
#[cfg(feature = "ssr")]
pub mod money;
#[cfg(feature = "ssr")]
pub mod pages;
#[cfg(feature = "ssr")]
pub mod shell;
#[cfg(feature = "ssr")]
pub mod stamp;

/// The client bundle's entry point: the loader (`islands.js`) calls it once the module is
/// instantiated, then hydrates each `<leptos-island>` of the page through its exported function.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    leptos::mount::hydrate_islands();
}
