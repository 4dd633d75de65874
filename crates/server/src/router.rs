//! The application's one router: the three routers of `http` merged, each wrapped in the
//! layers it needs.

use axum::Router;
use axum::extract::DefaultBodyLimit;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::http;
use crate::http::client_bundle::ClientBundle;
use crate::state::AppState;

pub fn router(state: AppState, client: Option<std::sync::Arc<ClientBundle>>) -> Router {
    let guarded = |routes: Router<AppState>| {
        routes
            .layer(DefaultBodyLimit::max(state.config.body_limit))
            .layer(TimeoutLayer::with_status_code(
                axum::http::StatusCode::REQUEST_TIMEOUT,
                state.config.request_timeout,
            ))
            // A bug must cost one request a 500, never the connection or the process.
            .layer(CatchPanicLayer::new())
    };
    // Outside the timeout and the panic guard: a change committed by a handler that then
    // timed out or panicked still moves the version. Ingest bumps the version inside each
    // batch's own transaction, so its router goes without.
    let bumps_version =
        axum::middleware::from_fn_with_state(state.clone(), http::data_version::bump_after_changes);
    let no_cache = axum::middleware::from_fn(http::data_version::honour_no_cache);
    let api = guarded(http::api::routes())
        .layer(no_cache.clone())
        .layer(bumps_version.clone());
    let pages = guarded(http::pages::routes())
        .layer(no_cache)
        .layer(axum::middleware::from_fn(http::pages::render_errors))
        .layer(CompressionLayer::new())
        .layer(bumps_version);
    // Outermost on ingest: a request waits for its turn before its body is read.
    let ingest = guarded(http::ingest::routes()).layer(axum::middleware::from_fn_with_state(
        state.clone(),
        http::ingest::backpressure::take_turn,
    ));
    Router::new()
        .merge(api)
        .merge(pages)
        .merge(ingest)
        // Compressed once when read; kept outside the compression layer.
        .merge(http::client_bundle::routes(client))
        .fallback(http::api::health::not_found)
        .layer(axum::middleware::from_fn(http::security_headers::add))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
