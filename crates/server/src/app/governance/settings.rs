//! The settings governance reads, each changed by a person and audited: scorecard
//! thresholds, unit-cost targets, showback publication and the alert webhook.

use rust_decimal::Decimal;
use serde::Deserialize;
use tokentally_domain::anomaly::AnomalySettings;
use tokentally_domain::month::Month;
use tokentally_domain::scorecard::{Thresholds, UnitTarget};

use super::Webhook;
use crate::app::{AppError, audit};
use crate::auth::{Capability, Principal};
use crate::state::AppState;

pub async fn set_thresholds_as(
    state: &AppState,
    principal: &Principal,
    t: Thresholds,
) -> Result<Thresholds, AppError> {
    principal.ensure(Capability::Administer)?;
    t.validate().map_err(|e| AppError::invalid(e.to_string()))?;
    let before = super::thresholds(&state.store).await?;
    state.store.set_setting(super::THRESHOLDS, &t).await?;
    audit::record(
        &state.store,
        &principal.name,
        "scorecard.thresholds",
        "setting:scorecard",
        Some(before),
        Some(&t),
    )
    .await?;
    Ok(t)
}

/// Sets the anomaly thresholds (admins), audited; a bad value changes nothing.
pub async fn set_anomaly_as(
    state: &AppState,
    principal: &Principal,
    a: AnomalySettings,
) -> Result<AnomalySettings, AppError> {
    principal.ensure(Capability::Administer)?;
    a.validate().map_err(|e| AppError::invalid(e.to_string()))?;
    let before = super::anomaly_settings(&state.store).await?;
    state.store.set_setting(super::ANOMALY, &a).await?;
    audit::record(
        &state.store,
        &principal.name,
        "anomaly.settings",
        "setting:anomaly",
        Some(before),
        Some(&a),
    )
    .await?;
    Ok(a)
}

/// The anomaly thresholds as a form posts them (text), read into settings: a field that is
/// empty or not a number is refused with its name, before any range check.
pub fn anomaly_from_text(
    z_threshold: &str,
    min_amount: &str,
    min_days: &str,
) -> Result<AnomalySettings, AppError> {
    fn decimal(name: &str, v: &str) -> Result<Decimal, AppError> {
        let v = v.trim();
        if v.is_empty() {
            return Err(AppError::invalid(format!("`{name}` is required")));
        }
        v.parse::<Decimal>().map_err(|_| {
            AppError::invalid(format!(
                "`{name}` must be a decimal number, got `{}`",
                v.chars().take(40).collect::<String>()
            ))
        })
    }
    let days = min_days.trim();
    let min_days = if days.is_empty() {
        return Err(AppError::invalid("`min_days` is required"));
    } else {
        days.parse::<u32>().map_err(|_| {
            AppError::invalid(format!(
                "`min_days` must be a whole number of days between 1 and 28, got `{}`",
                days.chars().take(40).collect::<String>()
            ))
        })?
    };
    Ok(AnomalySettings {
        z_threshold: decimal("z_threshold", z_threshold)?,
        min_amount: decimal("min_amount", min_amount)?,
        min_days,
    })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewTarget {
    pub team: String,
    /// Empty (or left out): the target of the team as a whole, drawn on its trend.
    #[serde(default)]
    pub feature: String,
    /// Cost per successful outcome, at most.
    pub target: Decimal,
}

pub async fn set_target_as(
    state: &AppState,
    principal: &Principal,
    t: NewTarget,
) -> Result<UnitTarget, AppError> {
    principal.ensure(Capability::Govern)?;
    let t = UnitTarget {
        team: t.team.trim().to_owned(),
        feature: t.feature.trim().to_owned(),
        target: t.target,
    };
    if t.team.is_empty() {
        return Err(AppError::invalid(
            "name the team (and a feature, or none for the whole team)",
        ));
    }
    if t.target <= Decimal::ZERO || t.target > tokentally_domain::bounds::MAX_AMOUNT {
        return Err(AppError::invalid(format!(
            "`target` must be a cost > 0 and at most {}, got {}",
            tokentally_domain::bounds::MAX_AMOUNT,
            t.target
        )));
    }
    let before = state.store.set_unit_target(&t).await?;
    audit::record(
        &state.store,
        &principal.name,
        "unit_target.set",
        &format!("unit_target:{}:{}", t.team, t.feature),
        before,
        Some(&t),
    )
    .await?;
    Ok(t)
}

/// Marks the month's showback published (audited); publishing twice is harmless.
pub async fn publish_as(
    state: &AppState,
    principal: &Principal,
    month: Month,
) -> Result<bool, AppError> {
    principal.ensure(Capability::Govern)?;
    let new = state.store.publish_showback(month, &principal.name).await?;
    if new {
        audit::record(
            &state.store,
            &principal.name,
            "showback.publish",
            &format!("showback:{month}"),
            None::<()>,
            Some(serde_json::json!({"month": month})),
        )
        .await?;
    }
    Ok(new)
}

/// Checks a webhook URL: empty (none) or an `https://` (or `http://`) URL with a host,
/// outside the network unless `allow_private`.
pub fn checked(url: &str, allow_private: bool) -> Result<Webhook, AppError> {
    let url = url.trim();
    if url.is_empty() {
        return Ok(Webhook::default());
    }
    let parsed = url::Url::parse(url)
        .map_err(|e| AppError::invalid(format!("`{url}` is not a URL: {e}")))?;
    if !matches!(parsed.scheme(), "https" | "http") || parsed.host_str().is_none() {
        return Err(AppError::invalid(
            "the webhook URL must be https://HOST/... (or http://)",
        ));
    }
    if !allow_private && let Some(reason) = super::webhook_target::refused_host(&parsed) {
        return Err(AppError::invalid(reason));
    }
    Ok(Webhook {
        url: url.to_owned(),
        ..Webhook::default()
    })
}

/// Checks a whole webhook setting: the default URL and each team's.
pub fn checked_all(hook: &Webhook, allow_private: bool) -> Result<Webhook, AppError> {
    let mut out = checked(&hook.url, allow_private)?;
    out.format = hook.format;
    for (team, route) in &hook.teams {
        let team = team.trim();
        if team.is_empty() {
            return Err(AppError::invalid("a team route needs the team's name"));
        }
        let r = checked(&route.url, allow_private)?;
        if r.url.is_empty() {
            return Err(AppError::invalid(format!(
                "the route of team `{team}` needs a URL"
            )));
        }
        out.teams.insert(
            team.to_owned(),
            super::Route {
                url: r.url,
                format: route.format,
            },
        );
    }
    if let Some(route) = &hook.finance {
        let r = checked(&route.url, allow_private)?;
        if r.url.is_empty() {
            return Err(AppError::invalid("the finance route needs a URL"));
        }
        out.finance = Some(super::Route {
            url: r.url,
            format: route.format,
        });
    }
    Ok(out)
}

/// Sets the whole webhook setting (the API): default URL and format, and per-team routes.
pub async fn set_webhook_full_as(
    state: &AppState,
    principal: &Principal,
    hook: &Webhook,
) -> Result<Webhook, AppError> {
    principal.ensure(Capability::Administer)?;
    let hook = checked_all(hook, state.config.allow_private_webhooks)?;
    let before = super::webhook(&state.store).await?;
    state.store.set_setting(super::WEBHOOK, &hook).await?;
    audit::record(
        &state.store,
        &principal.name,
        "webhook.set",
        "setting:webhook",
        Some(before),
        Some(&hook),
    )
    .await?;
    Ok(hook)
}

pub async fn set_webhook_as(
    state: &AppState,
    principal: &Principal,
    url: &str,
) -> Result<Webhook, AppError> {
    principal.ensure(Capability::Administer)?;
    let before = super::webhook(&state.store).await?;
    let hook = Webhook {
        format: before.format,
        teams: before.teams.clone(),
        finance: before.finance.clone(),
        ..checked(url, state.config.allow_private_webhooks)?
    };
    state.store.set_setting(super::WEBHOOK, &hook).await?;
    audit::record(
        &state.store,
        &principal.name,
        "webhook.set",
        "setting:webhook",
        Some(before),
        Some(&hook),
    )
    .await?;
    Ok(hook)
}
