//! Every page route: HTML for people, and the CSV downloads beside the tables.

use axum::Router;
use axum::routing::{get, post};

use super::{
    account, admin, alerts, breakdowns, costs, recommendations, scorecard, showback, statements,
    stylesheet, transactions, workflows,
};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(showback::page))
        .route("/showback.csv", get(showback::csv))
        .route("/teams/{team}", get(breakdowns::team_page))
        .route("/teams/{team}/export.csv", get(breakdowns::team_csv))
        .route(
            "/teams/{team}/features/{feature}",
            get(breakdowns::feature_page),
        )
        .route(
            "/teams/{team}/features/{feature}/export.csv",
            get(breakdowns::feature_csv),
        )
        .route("/teams/{team}/workflows", get(workflows::team_page))
        .route("/workflows/{id}", get(workflows::detail))
        .route("/keys/{key}", get(breakdowns::key_page))
        .route("/keys/{key}/export.csv", get(breakdowns::key_csv))
        .route("/models", get(breakdowns::models_page))
        .route("/models/export.csv", get(breakdowns::models_csv))
        .route("/models/{model}", get(breakdowns::model_page))
        .route("/models/{model}/export.csv", get(breakdowns::model_csv))
        .route("/login", get(account::get_login).post(account::post_login))
        .route("/logout", post(account::post_logout))
        .route("/account", get(account::get_account))
        .route("/account/password", post(account::post_password))
        .route("/assets/tokentally.css", get(stylesheet))
        .route("/statements", get(statements::list))
        .route("/statements/{team}/{month}", get(statements::document))
        .route("/statements/{team}/{month}/issue", post(statements::issue))
        .route("/statements/{team}/{month}/void", post(statements::void))
        .route("/statements/{team}/mode", post(statements::set_mode))
        .route("/months/{month}/issue-all", post(statements::issue_all))
        .route("/months/{month}/close", post(statements::close))
        .route("/months/{month}/reopen", post(statements::reopen))
        .route("/reconciliation", get(statements::reconciliation))
        .route("/reconciliation/invoices", post(statements::post_invoice))
        .route("/scorecard", get(scorecard::page))
        .route("/scorecard/publish", post(scorecard::post_publish))
        .route("/scorecard/targets", post(scorecard::post_target))
        .route("/scorecard/thresholds", post(scorecard::post_thresholds))
        .route("/alerts", get(alerts::page))
        .route("/alerts/evaluate", post(alerts::post_evaluate))
        .route("/alerts/digest", post(alerts::post_digest))
        .route("/alerts/webhook", post(alerts::post_webhook))
        .route("/alerts/anomaly", post(alerts::post_anomaly))
        .route("/alerts/{id}/acknowledge", post(alerts::post_acknowledge))
        .route("/budgets", get(alerts::budgets).post(alerts::post_budget))
        .route("/budgets/copy", post(alerts::post_copy_budgets))
        .route("/planning", get(super::planning::page))
        .route("/waste", get(recommendations::waste))
        .route("/recommendations", get(recommendations::page))
        .route("/recommendations.csv", get(recommendations::csv))
        .route(
            "/recommendations/settings",
            post(recommendations::post_settings),
        )
        .route(
            "/recommendations/{id}/accept",
            post(recommendations::accept),
        )
        .route(
            "/recommendations/{id}/dismiss",
            post(recommendations::dismiss),
        )
        .route("/costs", get(costs::page))
        .route("/costs/overheads", post(costs::post_overhead))
        .route("/costs/overheads/copy", post(costs::copy_overheads))
        .route("/costs/commitments", post(costs::post_commitment))
        .route("/costs/discounts", post(costs::post_discount))
        .route("/costs/fx-rates", post(costs::post_fx_rate))
        .route(
            "/transactions",
            get(transactions::page).post(transactions::post),
        )
        .route("/transactions/csv", post(transactions::post_csv))
        .route(
            "/admin/keys",
            get(admin::keys::page).post(admin::keys::post),
        )
        .route(
            "/admin/connections",
            get(admin::connections::page).post(admin::connections::post),
        )
        .route(
            "/admin/connections/{id}/sync",
            post(admin::connections::sync),
        )
        .route(
            "/admin/rules",
            get(admin::rules::page).post(admin::rules::post),
        )
        .route(
            "/admin/prices",
            get(admin::prices::page).post(admin::prices::add),
        )
        .route("/admin/prices/import", post(admin::prices::import))
        .route(
            "/admin/users",
            get(admin::people::users).post(admin::people::add_user),
        )
        .route(
            "/admin/users/{id}/disable",
            post(admin::people::disable_user),
        )
        .route("/admin/users/{id}/enable", post(admin::people::enable_user))
        .route("/admin/users/{id}/delete", post(admin::people::delete_user))
        .route("/admin/users/{id}/access", post(admin::people::set_access))
        .route(
            "/admin/users/{id}/password",
            post(admin::people::reset_password),
        )
        .route(
            "/admin/tokens",
            get(admin::people::tokens).post(admin::people::add_token),
        )
        .route(
            "/admin/tokens/{id}/revoke",
            post(admin::people::revoke_token),
        )
        .route("/admin/audit", get(admin::audit::page))
        .route(
            "/admin/import",
            get(admin::import::page).post(admin::import::post),
        )
        .route(
            "/admin/teams",
            get(admin::teams::page).post(admin::teams::create),
        )
        .route("/admin/teams/rename", post(admin::teams::rename))
        .route("/admin/teams/archive", post(admin::teams::archive))
        .route("/admin/teams/lead", post(admin::teams::add_lead))
        .route("/admin/features", post(admin::teams::create_feature))
        .route("/admin/features/rename", post(admin::teams::rename_feature))
        .route(
            "/admin/features/archive",
            post(admin::teams::archive_feature),
        )
}
