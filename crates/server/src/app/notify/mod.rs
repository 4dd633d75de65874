//! Reaching people where they work: the monthly digest by email ([`digest`]) and finance's
//! month-close reminders ([`reminders`]), on a schedule that runs on every server (a claim
//! or a unique row makes each one go out once), and the SMTP mailer they share ([`mailer`]).

pub mod digest;
pub mod mailer;
pub mod reminders;

use std::time::Duration;

use crate::state::AppState;

/// One pass: the digest and the reminder, if due.
pub async fn run_due(state: &AppState) {
    let today = crate::app::clock::today();
    if let Err(e) = Box::pin(digest::run_due(state, today)).await {
        tracing::warn!(error = ?e, "the scheduled digest failed");
    }
    if let Err(e) = Box::pin(reminders::run_due(state, today)).await {
        tracing::warn!(error = ?e, "the month-close reminder failed");
    }
}

/// Looks for a digest or reminder due every `every`, the first time one period after start.
pub async fn run_periodically(state: AppState, every: Duration) {
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    loop {
        tick.tick().await;
        run_due(&state).await;
    }
}
