//! Month-close reminders: from the `close_reminder_day`th of a month, while the month before
//! is not closed, finance is reminded once, on finance's webhook channel (else the default
//! webhook) and by email to the finance users when SMTP is set up.
//!
//! The reminder is an alert (kind `month_close`, period the open month): the alerts table's
//! one row per crossing makes it once across runs and servers, it is listed with the other
//! alerts, and its webhook delivery is retried like theirs.

use chrono::{Datelike, NaiveDate};
use tokentally_domain::month::Month;

use super::mailer::{Email, Mailer};
use crate::app::governance::{alert_body, deliver_due, webhook};
use crate::auth::Role;
use crate::state::AppState;
use crate::storage::NewAlert;

pub const KIND: &str = "month_close";

/// What a reminder run did: the month it reminded of, if it did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reminded {
    pub month: Option<Month>,
    pub emails: usize,
    pub email_errors: Vec<String>,
}

/// Reminds finance of last month when it is due and still open (once).
pub async fn run_due(state: &AppState, today: NaiveDate) -> anyhow::Result<Reminded> {
    let day = state.config.close_reminder_day;
    let mut out = Reminded::default();
    if day == 0 || today.day() < day {
        return Ok(out);
    }
    let store = &state.store;
    let month = Month::of(today).previous();
    if store.month_close(month).await?.is_some() {
        return Ok(out);
    }
    let detail = format!(
        "{month} is still open on {today}: issue its statements and close it (Statements page)"
    );
    let alert = NewAlert {
        kind: KIND,
        scope: "org".to_owned(),
        subject: "finance".to_owned(),
        team: String::new(),
        period: month.to_string(),
        level: 0,
        detail: detail.clone(),
        amount: rust_decimal::Decimal::ZERO,
    };
    // Only the run that records the reminder sends it.
    let Some(id) = store.add_alert(&alert).await? else {
        return Ok(out);
    };
    out.month = Some(month);
    if let Some((url, format)) = webhook(store).await?.finance_route() {
        store
            .add_delivery(id, url, &alert_body(format, id, &alert).to_string())
            .await?;
        deliver_due(store, &state.http, state.config.allow_private_webhooks).await?;
    }
    if let Ok(mailer) = Mailer::of(&state.config) {
        let text = format!(
            "{detail}.\n\nUntil it is closed, usage dated in {month} still changes its figures; once closed, late usage goes on the next open month.\n"
        );
        for u in store.list_users().await? {
            if u.role.parse::<Role>().ok() != Some(Role::Finance) {
                continue;
            }
            let email = Email {
                to: u.email.clone(),
                subject: format!("tokentally: {month} is not closed yet"),
                html: format!(
                    "<!DOCTYPE html><html lang=\"en\"><body><p>{}</p></body></html>",
                    escape(&text).replace("\n\n", "</p><p>")
                ),
                text: text.clone(),
            };
            match mailer.send(&email).await {
                Ok(()) => out.emails += 1,
                Err(e) => {
                    tracing::warn!(error = %e, "a month-close reminder email failed");
                    out.email_errors.push(e);
                }
            }
        }
    }
    Ok(out)
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
