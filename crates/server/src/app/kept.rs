//! Answers kept until the data changes: a use case wraps what it computes in [`kept`], and
//! readers between two changes share one computation (see `cache::Answers`).

use std::any::Any;
use std::future::Future;

use crate::auth::Principal;
use crate::cache::is_fresh;
use crate::state::AppState;
use crate::storage::StoreError;

/// `compute`'s answer, kept at the current data version under its type and `key`; computed
/// anew when the request asked for it (`Cache-Control: no-cache`). `key` must name
/// everything the answer depends on besides the data: its month, its filters and, for an
/// answer narrowed to the caller, [`scope`].
pub async fn kept<T, E, F>(state: &AppState, key: String, compute: F) -> Result<T, E>
where
    T: Any + Clone + Send + Sync,
    E: From<StoreError>,
    F: Future<Output = Result<T, E>>,
{
    // On the heap: a page's computation is a large future, and the answer store nests it
    // a few levels deeper than a handler would.
    let compute = Box::pin(compute);
    if is_fresh() {
        return compute.await;
    }
    let version = state.store.data_version().await?;
    state.answers.get_or_compute(version, key, compute).await
}

/// What the caller may see, as part of a key: everything, or their teams.
pub fn scope(principal: &Principal) -> String {
    if principal.sees_everything() {
        "all".to_owned()
    } else {
        let mut teams = principal.teams.clone();
        teams.sort();
        format!("teams:{}", teams.join("\u{1f}"))
    }
}
