//! Every route in one place.

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::http;
use crate::http::pages;
use crate::startup::AppState;

pub fn router(state: AppState) -> Router {
    let limit = state.config.body_limit;
    let timeout = state.config.request_timeout;
    Router::new()
        .route("/", get(pages::showback::page))
        .route("/showback.csv", get(pages::showback::csv))
        .route("/teams/{team}", get(pages::breakdowns::team_page))
        .route("/teams/{team}/export.csv", get(pages::breakdowns::team_csv))
        .route(
            "/teams/{team}/features/{feature}",
            get(pages::breakdowns::feature_page),
        )
        .route(
            "/teams/{team}/features/{feature}/export.csv",
            get(pages::breakdowns::feature_csv),
        )
        .route("/keys/{key}", get(pages::breakdowns::key_page))
        .route("/keys/{key}/export.csv", get(pages::breakdowns::key_csv))
        .route("/models/{model}", get(pages::breakdowns::model_page))
        .route(
            "/models/{model}/export.csv",
            get(pages::breakdowns::model_csv),
        )
        .route(
            "/login",
            get(pages::account::get_login).post(pages::account::post_login),
        )
        .route("/logout", post(pages::account::post_logout))
        .route("/account", get(pages::account::get_account))
        .route("/account/password", post(pages::account::post_password))
        .route("/assets/tokentally.css", get(pages::stylesheet))
        .route("/statements", get(pages::statements::list))
        .route(
            "/statements/{team}/{month}",
            get(pages::statements::document),
        )
        .route(
            "/statements/{team}/{month}/issue",
            post(pages::statements::issue),
        )
        .route(
            "/statements/{team}/{month}/void",
            post(pages::statements::void),
        )
        .route("/months/{month}/close", post(pages::statements::close))
        .route("/reconciliation", get(pages::statements::reconciliation))
        .route(
            "/reconciliation/invoices",
            post(pages::statements::post_invoice),
        )
        .route("/scorecard", get(pages::scorecard::page))
        .route("/scorecard/publish", post(pages::scorecard::post_publish))
        .route("/scorecard/targets", post(pages::scorecard::post_target))
        .route(
            "/scorecard/thresholds",
            post(pages::scorecard::post_thresholds),
        )
        .route("/alerts", get(pages::alerts::page))
        .route("/alerts/evaluate", post(pages::alerts::post_evaluate))
        .route("/alerts/webhook", post(pages::alerts::post_webhook))
        .route(
            "/alerts/{id}/acknowledge",
            post(pages::alerts::post_acknowledge),
        )
        .route(
            "/budgets",
            get(pages::alerts::budgets).post(pages::alerts::post_budget),
        )
        .route("/waste", get(pages::alerts::waste))
        .route("/costs", get(pages::costs::page))
        .route("/costs/overheads", post(pages::costs::post_overhead))
        .route("/costs/overheads/copy", post(pages::costs::copy_overheads))
        .route("/costs/commitments", post(pages::costs::post_commitment))
        .route("/costs/discounts", post(pages::costs::post_discount))
        .route(
            "/transactions",
            get(pages::transactions::page).post(pages::transactions::post),
        )
        .route(
            "/admin/keys",
            get(pages::admin::keys::page).post(pages::admin::keys::post),
        )
        .route(
            "/admin/rules",
            get(pages::admin::rules::page).post(pages::admin::rules::post),
        )
        .route(
            "/admin/prices",
            get(pages::admin::prices::page).post(pages::admin::prices::add),
        )
        .route("/admin/prices/import", post(pages::admin::prices::import))
        .route(
            "/admin/users",
            get(pages::admin::people::users).post(pages::admin::people::add_user),
        )
        .route(
            "/admin/tokens",
            get(pages::admin::people::tokens).post(pages::admin::people::add_token),
        )
        .route(
            "/admin/tokens/{id}/revoke",
            post(pages::admin::people::revoke_token),
        )
        .route("/admin/audit", get(pages::admin::audit::page))
        .route(
            "/admin/import",
            get(pages::admin::import::page).post(pages::admin::import::post),
        )
        .route(
            "/admin/teams",
            get(pages::admin::teams::page).post(pages::admin::teams::create),
        )
        .route("/admin/teams/rename", post(pages::admin::teams::rename))
        .route("/admin/teams/archive", post(pages::admin::teams::archive))
        .route("/admin/teams/lead", post(pages::admin::teams::add_lead))
        .route("/admin/features", post(pages::admin::teams::create_feature))
        .route(
            "/admin/features/rename",
            post(pages::admin::teams::rename_feature),
        )
        .route(
            "/admin/features/archive",
            post(pages::admin::teams::archive_feature),
        )
        .route("/healthz", get(http::health::healthz))
        .route("/metrics", get(http::metrics::get))
        .route("/api/v1/events", post(http::events::post))
        .route("/v1/traces", post(http::otlp::post))
        .route("/api/v1/ingest/openai", post(http::adapters::openai))
        .route(
            "/api/v1/ingest/openai/usage",
            post(http::adapters::openai_usage),
        )
        .route("/api/v1/ingest/anthropic", post(http::adapters::anthropic))
        .route(
            "/api/v1/ingest/anthropic/usage",
            post(http::adapters::anthropic_usage),
        )
        .route("/api/v1/ingest/litellm", post(http::adapters::litellm))
        .route("/api/v1/ingest/bedrock", post(http::adapters::bedrock))
        .route("/api/v1/ingest/csv", post(http::adapters::csv))
        .route("/api/v1/showback", get(http::showback::get))
        .route("/api/v1/teams/{team}", get(http::showback::team))
        .route(
            "/api/v1/key-mappings",
            get(http::key_mappings::list).post(http::key_mappings::post),
        )
        .route("/api/v1/keys", get(http::key_mappings::keys))
        .route(
            "/api/v1/rules",
            get(http::rules::list).post(http::rules::post),
        )
        .route(
            "/api/v1/overheads",
            get(http::overheads::list).post(http::overheads::post),
        )
        .route(
            "/api/v1/teams/{team}/features/{feature}",
            get(http::showback::feature),
        )
        .route("/api/v1/workflows", get(http::workflows::list))
        .route("/api/v1/workflows/{id}", get(http::workflows::get))
        .route(
            "/api/v1/workflows/{id}/outcome",
            post(http::workflows::set_outcome),
        )
        .route(
            "/api/v1/transactions",
            get(http::transactions::list).post(http::transactions::post),
        )
        .route(
            "/api/v1/commitments",
            get(http::commitments::list_commitments).post(http::commitments::post_commitment),
        )
        .route(
            "/api/v1/discounts",
            get(http::commitments::list_discounts).post(http::commitments::post_discount),
        )
        .route("/api/v1/statements", get(http::statements::list))
        .route(
            "/api/v1/statements/{team}/{month}",
            get(http::statements::get),
        )
        .route(
            "/api/v1/statements/{team}/{month}/export.csv",
            get(http::statements::csv),
        )
        .route(
            "/api/v1/statements/{team}/{month}/issue",
            post(http::statements::issue),
        )
        .route(
            "/api/v1/statements/{team}/{month}/void",
            post(http::statements::void),
        )
        .route(
            "/api/v1/months/{month}/close",
            post(http::statements::close),
        )
        .route(
            "/api/v1/reconciliation",
            get(http::statements::reconciliation),
        )
        .route("/api/v1/invoices", post(http::statements::post_invoice))
        .route(
            "/api/v1/teams/{team}/statement-mode",
            post(http::statements::set_mode),
        )
        .route("/api/v1/export/focus", get(http::statements::focus))
        .route(
            "/api/v1/budgets",
            get(http::budgets::list).post(http::budgets::post),
        )
        .route("/api/v1/alerts", get(http::alerts::list))
        .route("/api/v1/alerts/evaluate", post(http::alerts::evaluate))
        .route(
            "/api/v1/alerts/{id}/acknowledge",
            post(http::alerts::acknowledge),
        )
        .route(
            "/api/v1/webhook",
            get(http::alerts::get_webhook).post(http::alerts::post_webhook),
        )
        .route("/api/v1/webhook/deliveries", get(http::alerts::deliveries))
        .route("/api/v1/scorecard", get(http::scorecard::get))
        .route(
            "/api/v1/scorecard/thresholds",
            get(http::scorecard::get_thresholds).post(http::scorecard::post_thresholds),
        )
        .route(
            "/api/v1/unit-targets",
            get(http::scorecard::list_targets).post(http::scorecard::post_target),
        )
        .route("/api/v1/showback/publish", post(http::scorecard::publish))
        .route("/api/v1/waste", get(http::scorecard::waste))
        .route("/api/v1/prices", get(http::prices::list))
        .route("/api/v1/prices/import", post(http::prices::import))
        .fallback(http::health::not_found)
        .layer(DefaultBodyLimit::max(limit))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            timeout,
        ))
        // A bug must cost one request a 500, never the connection or the process.
        .layer(CatchPanicLayer::new())
        // Outside the timeout and the panic guard: a change committed by a handler that then
        // timed out or panicked still moves the version.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            http::data_version::bump_after_changes,
        ))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
