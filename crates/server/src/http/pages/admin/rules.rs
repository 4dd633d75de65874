//! `GET /admin/rules`, `POST /admin/rules` (preview or save).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use rust_decimal::Decimal;
use serde::Deserialize;
use tokentally_domain::attribution::{Basis, Rule};
use tokentally_web::components::form::FieldErrors;
use tokentally_web::pages::rules_page::{RuleForm, RuleRow, RulesPage, rules_page};

use super::require_admin;
use crate::app::mappings::{self, NewRule};
use crate::app::reports::MonthContext;
use crate::app::reports::last_full_month;
use crate::http::extract::{CsrfForm, PageUser};
use crate::http::pages::{PageError, viewer_of};
use crate::state::AppState;

/// This month's token cost that `rule` matches among spend with no key mapping or team tag
/// (the only spend rules decide).
fn moves(ctx: &MonthContext, rule: &Rule) -> Decimal {
    let ledger = ctx.ledger();
    ledger
        .summarize(|r| {
            if !matches!(r.owner.basis, Basis::Rule(_) | Basis::Unallocated) {
                return None;
            }
            let dims = r.row.key.dims();
            let tags = dims.parse_tags();
            rule.matches(&dims.event_dims(&tags)).then_some(())
        })
        .remove(&())
        .map(|s| s.token_cost().round_dp(2))
        .unwrap_or_default()
}

fn describe(r: &Rule) -> (String, String) {
    let mut when = Vec::new();
    if let Some(p) = &r.provider {
        when.push(format!("provider = {p}"));
    }
    if let Some(m) = &r.model {
        when.push(format!("model = {m}"));
    }
    if let Some(k) = &r.key_prefix {
        when.push(format!("key starts with {k}"));
    }
    if let Some((k, v)) = &r.tag {
        when.push(format!("tag {k} = {v}"));
    }
    let then = [
        r.team.as_ref().map(|t| format!("team {t}")),
        r.feature.as_ref().map(|f| format!("feature {f}")),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>();
    (when.join(" and "), then.join(", "))
}

async fn page_model(
    state: &AppState,
    form: RuleForm,
    errors: FieldErrors,
    preview: Option<Decimal>,
    notice: Option<String>,
) -> Result<RulesPage, PageError> {
    let month = last_full_month();
    let ctx = MonthContext::load(&state.store, &state.prices, month).await?;
    let rules = state.store.list_rules().await?;
    let rows = rules
        .iter()
        .map(|r| {
            let (conditions, target) = describe(r);
            RuleRow {
                priority: r.priority,
                conditions,
                target,
                moves: moves(&ctx, r),
            }
        })
        .collect();
    Ok(RulesPage {
        month,
        currency: state.config.currency.clone(),
        rules: rows,
        form,
        errors,
        preview,
        notice,
    })
}

pub async fn page(
    State(state): State<AppState>,
    user: PageUser,
) -> Result<Html<String>, PageError> {
    require_admin(&user)?;
    let p = page_model(&state, RuleForm::default(), FieldErrors::new(), None, None).await?;
    Ok(Html(rules_page(&viewer_of(&user), p)))
}

#[derive(Debug, Deserialize)]
pub struct RulePost {
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub priority: String,
    #[serde(default)]
    pub provider: String,
    #[serde(default)]
    pub model: String,
    #[serde(default)]
    pub key_prefix: String,
    #[serde(default)]
    pub tag: String,
    #[serde(default)]
    pub tag_value: String,
    #[serde(default)]
    pub team: String,
    #[serde(default)]
    pub feature: String,
}

pub async fn post(
    State(state): State<AppState>,
    CsrfForm { user, form: f }: CsrfForm<RulePost>,
) -> Result<Response, PageError> {
    require_admin(&user)?;
    let form = RuleForm {
        priority: f.priority.clone(),
        provider: f.provider.clone(),
        model: f.model.clone(),
        key_prefix: f.key_prefix.clone(),
        tag: f.tag.clone(),
        tag_value: f.tag_value.clone(),
        team: f.team.clone(),
        feature: f.feature.clone(),
    };
    let mut errors = FieldErrors::new();
    let priority = match f.priority.trim() {
        "" => 100,
        p => p.parse().unwrap_or_else(|_| {
            errors.insert("priority".into(), "A whole number.".into());
            0
        }),
    };
    let some = |s: String| Some(s);
    let new = NewRule {
        priority,
        provider: some(f.provider),
        model: some(f.model),
        key_prefix: some(f.key_prefix),
        tag: some(f.tag),
        tag_value: some(f.tag_value),
        team: some(f.team),
        feature: some(f.feature),
    };
    let rule = match new.into_rule() {
        Ok(r) if errors.is_empty() => r,
        Ok(_) => return invalid(&state, &user, form, errors).await,
        Err(e) => {
            errors.insert("rule".into(), crate::http::pages::reason(&e));
            return invalid(&state, &user, form, errors).await;
        }
    };
    if f.action == "preview" {
        let ctx = MonthContext::load(&state.store, &state.prices, last_full_month()).await?;
        let p = page_model(&state, form, errors, Some(moves(&ctx, &rule)), None).await?;
        return Ok(Html(rules_page(&viewer_of(&user), p)).into_response());
    }
    let rule = mappings::add_rule(&state, &user.principal.name, rule).await?;
    let p = page_model(
        &state,
        RuleForm::default(),
        FieldErrors::new(),
        None,
        Some(format!("Saved rule {}.", rule.id)),
    )
    .await?;
    Ok(Html(rules_page(&viewer_of(&user), p)).into_response())
}

async fn invalid(
    state: &AppState,
    user: &PageUser,
    form: RuleForm,
    errors: FieldErrors,
) -> Result<Response, PageError> {
    let p = page_model(state, form, errors, None, None).await?;
    Ok((
        StatusCode::UNPROCESSABLE_ENTITY,
        Html(rules_page(&viewer_of(user), p)),
    )
        .into_response())
}
