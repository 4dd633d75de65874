//! The JSON API under `/api/v1`, one module per capability, with health and metrics.
//! Handlers check the caller, parse input, call a use case in `app` and shape the answer.

pub mod alerts;
pub mod budgets;
pub mod commitments;
pub mod connections;
pub mod currencies;
pub mod customers;
pub mod digests;
pub mod feature_users;
pub mod focus;
pub mod forecast;
pub mod health;
pub mod key_mappings;
pub mod metrics;
pub mod models;
pub mod movement;
pub mod outcomes;
pub mod overheads;
pub mod planning;
pub mod prices;
pub mod recommendations;
pub mod rules;
pub mod scorecard;
pub mod showback;
pub(crate) use showback::asks_for_fresh;
pub mod statements;
pub mod transactions;
pub mod trends;
pub mod workflows;

use axum::Router;
use axum::routing::{get, post};

use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/metrics", get(metrics::get))
        .route("/api/v1/showback", get(showback::get))
        .route("/api/v1/forecast", get(forecast::get))
        .route("/api/v1/customers", get(customers::get))
        .route(
            "/api/v1/connections",
            get(connections::list).post(connections::post),
        )
        .route("/api/v1/connections/{id}/sync", post(connections::sync))
        .route(
            "/api/v1/reconciliation/provider-costs",
            get(connections::provider_costs),
        )
        .route(
            "/api/v1/reconciliation/provider-costs/units",
            get(connections::provider_costs_by_unit),
        )
        .route("/api/v1/teams/{team}", get(showback::team))
        .route(
            "/api/v1/key-mappings",
            get(key_mappings::list).post(key_mappings::post),
        )
        .route("/api/v1/keys", get(key_mappings::keys))
        .route("/api/v1/rules", get(rules::list).post(rules::post))
        .route(
            "/api/v1/overheads",
            get(overheads::list).post(overheads::post),
        )
        .route(
            "/api/v1/teams/{team}/features/{feature}",
            get(showback::feature),
        )
        .route(
            "/api/v1/teams/{team}/features/{feature}/users",
            get(feature_users::get),
        )
        .route("/api/v1/movement", get(movement::get))
        .route("/api/v1/models", get(models::get))
        .route("/api/v1/trends", get(trends::get))
        .route("/api/v1/outcomes", post(outcomes::post))
        .route("/api/v1/workflows", get(workflows::list))
        .route("/api/v1/workflows/{id}", get(workflows::get))
        .route("/api/v1/workflows/{id}/calls", get(workflows::calls))
        .route("/api/v1/teams/{team}/workflows", get(workflows::of_team))
        .route(
            "/api/v1/workflows/{id}/outcome",
            post(workflows::set_outcome),
        )
        .route(
            "/api/v1/transactions",
            get(transactions::list).post(transactions::post),
        )
        .route("/api/v1/transactions/csv", post(transactions::post_csv))
        .route(
            "/api/v1/commitments",
            get(commitments::list_commitments).post(commitments::post_commitment),
        )
        .route(
            "/api/v1/discounts",
            get(commitments::list_discounts).post(commitments::post_discount),
        )
        .route("/api/v1/statements", get(statements::list))
        .route("/api/v1/statements/{team}/{month}", get(statements::get))
        .route(
            "/api/v1/statements/{team}/{month}/export.csv",
            get(statements::csv),
        )
        .route(
            "/api/v1/statements/{team}/{month}/issue",
            post(statements::issue),
        )
        .route(
            "/api/v1/statements/{team}/{month}/void",
            post(statements::void),
        )
        .route("/api/v1/months/{month}/close", post(statements::close))
        .route(
            "/api/v1/months/{month}/issue-all",
            post(statements::issue_all),
        )
        .route("/api/v1/months/{month}/reopen", post(statements::reopen))
        .route("/api/v1/reconciliation", get(statements::reconciliation))
        .route("/api/v1/invoices", post(statements::post_invoice))
        .route(
            "/api/v1/teams/{team}/statement-mode",
            post(statements::set_mode),
        )
        .route(
            "/api/v1/fx-rates",
            get(currencies::list_rates).post(currencies::post_rate),
        )
        .route("/api/v1/fx-rates/import", post(currencies::import_rates))
        .route(
            "/api/v1/currency",
            get(currencies::get_currency).post(currencies::post_currency),
        )
        .route(
            "/api/v1/teams/{team}/currency",
            post(currencies::post_team_currency),
        )
        .route(
            "/api/v1/statements/{team}/{month}/converted",
            get(currencies::converted),
        )
        .route("/api/v1/export/focus", get(focus::cost_and_usage))
        .route(
            "/api/v1/export/focus/billing-periods",
            get(focus::billing_periods),
        )
        .route(
            "/api/v1/export/focus/contract-commitments",
            get(focus::contract_commitments),
        )
        .route(
            "/api/v1/export/focus/invoice-details",
            get(focus::invoice_details),
        )
        .route("/api/v1/budgets", get(budgets::list).post(budgets::post))
        .route("/api/v1/budgets/copy", post(budgets::copy))
        .route("/api/v1/planning/scenarios", get(planning::scenarios))
        .route(
            "/api/v1/planning/commitment-sizing",
            get(planning::commitment_sizing),
        )
        .route("/api/v1/alerts", get(alerts::list))
        .route("/api/v1/alerts/evaluate", post(alerts::evaluate))
        .route("/api/v1/digests/send", post(digests::send))
        .route("/api/v1/alerts/{id}/acknowledge", post(alerts::acknowledge))
        .route(
            "/api/v1/webhook",
            get(alerts::get_webhook).post(alerts::post_webhook),
        )
        .route("/api/v1/webhook/deliveries", get(alerts::deliveries))
        .route(
            "/api/v1/anomaly/settings",
            get(alerts::get_anomaly).post(alerts::post_anomaly),
        )
        .route("/api/v1/scorecard", get(scorecard::get))
        .route(
            "/api/v1/scorecard/thresholds",
            get(scorecard::get_thresholds).post(scorecard::post_thresholds),
        )
        .route(
            "/api/v1/unit-targets",
            get(scorecard::list_targets).post(scorecard::post_target),
        )
        .route("/api/v1/showback/publish", post(scorecard::publish))
        .route("/api/v1/recommendations", get(recommendations::list))
        .route(
            "/api/v1/recommendations/settings",
            get(recommendations::get_settings).post(recommendations::post_settings),
        )
        .route(
            "/api/v1/recommendations/{id}/accept",
            post(recommendations::accept),
        )
        .route(
            "/api/v1/recommendations/{id}/dismiss",
            post(recommendations::dismiss),
        )
        .route("/api/v1/prices", get(prices::list))
        .route("/api/v1/prices/import", post(prices::import))
}
