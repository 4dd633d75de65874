//! Leptos islands: the only parts of a page that hydrate in the browser.
//!
//! Each island wraps HTML the server already drew, and improves it in place once the client
//! bundle has loaded: [`TableIsland`] sorts and filters a table, [`ChartIsland`] reads out a
//! chart's figures and hides and shows its series, [`FormIsland`] answers its forms in place,
//! [`FilterIsland`] changes the page for another month, team or environment in place. They
//! take no props, so nothing of a page's data is serialised into it twice; without JavaScript
//! (or without the bundle) the page is the server's HTML, links and forms, and does all the
//! same things with a reload.
//!
//! Both builds compile this module: the server's (`ssr`), which renders an island's first
//! HTML, and the client bundle's (`hydrate`), which exports one function per island for the
//! loader to call on each `<leptos-island>` of the page.

// `#[island]` keeps each hydrated island's view state for the page's life by forgetting it
// (leptos 0.8's own code, in every island's exported function).
#![allow(clippy::mem_forget)]

mod chart;
mod dom;
mod filter;
mod form;
pub mod order;
mod table;

pub use chart::ChartIsland;
pub use filter::FilterIsland;
pub use form::FormIsland;
pub use table::TableIsland;

#[cfg(feature = "ssr")]
pub use server::with_islands;

#[cfg(feature = "ssr")]
mod server {
    use std::sync::Arc;

    use hydration_context::{SharedContext, SsrSharedContext};
    use leptos::prelude::*;
    use leptos::tachys::reactive_graph::OwnedView;

    /// Builds a view that holds islands. An island's children render through the server's
    /// shared context, which `render` does not make, and a page may build part of its view
    /// before `render` (the showback builds its charts first). So each call makes its own
    /// root owner with an islands-mode context, kept with the view until it has been rendered,
    /// and independent of whatever owner is current: a view rendered (and dropped) before
    /// another must not take the other's reactive values with it.
    pub fn with_islands<V>(build: impl FnOnce() -> V) -> AnyView
    where
        V: IntoView + 'static,
    {
        // `Owner::new_root` makes itself the current owner; the scratch owner's `with` puts
        // back the one that was current before.
        let scratch = Owner::new();
        let (owner, view) = scratch.with(|| {
            let context: Arc<dyn SharedContext + Send + Sync> =
                Arc::new(SsrSharedContext::new_islands());
            let owner = Owner::new_root(Some(context));
            let view = owner.with(build);
            (owner, view)
        });
        OwnedView::new_with_owner(view, owner).into_any()
    }
}
