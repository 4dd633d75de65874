//! `GET /admin/keys`, `POST /admin/keys`: map API keys to owners.

use std::collections::BTreeMap;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use tokentally_domain::attribution::{AttributionError, Basis, KeyMapping, UNALLOCATED};
use tokentally_web::components::form::FieldErrors;
use tokentally_web::pages::keys_page::{KeyRow, KeysPage, MapForm, keys_page};

use super::require_admin;
use crate::app::AppError;
use crate::app::mappings::set_mapping;
use crate::app::reports::MonthContext;
use crate::app::reports::last_full_month;
use crate::http::extract::{CsrfForm, PageUser};
use crate::http::pages::{PageError, viewer_of};
use crate::state::AppState;

#[derive(Debug, Deserialize, Default)]
pub struct KeysQuery {
    pub month: Option<String>,
    pub mapped: Option<String>,
    /// Set when the key just mapped has carried no usage.
    pub unseen: Option<String>,
}

fn basis_label(b: Basis) -> String {
    match b {
        Basis::KeyMapping => "key mapping".into(),
        Basis::Tag => "event tag".into(),
        Basis::Rule(id) => format!("rule {id}"),
        Basis::Unallocated => "nothing: Unallocated".into(),
    }
}

/// Every key seen, with this month's spend: unmapped first, then by unallocated spend.
async fn rows(
    state: &AppState,
    month: tokentally_domain::month::Month,
) -> Result<Vec<KeyRow>, PageError> {
    let seen = state.store.list_keys_seen().await?;
    let ctx = MonthContext::load(&state.store, &state.prices, month).await?;
    let ledger = ctx.ledger();
    let sums = ledger.summarize(|r| Some(r.row.key.api_key.clone()));
    let unallocated =
        ledger.summarize(|r| (r.owner.team == UNALLOCATED).then(|| r.row.key.api_key.clone()));
    let mut basis: BTreeMap<String, (u64, Basis)> = BTreeMap::new();
    for (k, s) in ledger.summarize(|r| Some((r.row.key.api_key.clone(), r.owner.basis))) {
        let e = basis.entry(k.0).or_insert((0, k.1));
        if s.events > e.0 {
            *e = (s.events, k.1);
        }
    }
    let today = chrono::Utc::now().date_naive();
    let mut out: Vec<KeyRow> = seen
        .into_iter()
        .map(|k| {
            let owner = ctx.attributor.mapping(&k.api_key, today).map(|m| {
                [
                    Some(m.team.clone()),
                    m.feature.clone(),
                    m.environment.clone(),
                ]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" / ")
            });
            KeyRow {
                owner,
                basis: basis
                    .get(&k.api_key)
                    .map(|b| basis_label(b.1))
                    .unwrap_or_else(|| "no usage this month".into()),
                cost: sums
                    .get(&k.api_key)
                    .map(|s| s.token_cost().round_dp(2))
                    .unwrap_or_default(),
                unallocated: unallocated
                    .get(&k.api_key)
                    .map(|s| s.token_cost().round_dp(2))
                    .unwrap_or_default(),
                requests: sums.get(&k.api_key).map(|s| s.requests).unwrap_or(0),
                last_day: k.last_day,
                api_key: k.api_key,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        a.owner
            .is_some()
            .cmp(&b.owner.is_some())
            .then(b.unallocated.cmp(&a.unallocated))
            .then(b.cost.cmp(&a.cost))
            .then(a.api_key.cmp(&b.api_key))
    });
    Ok(out)
}

fn page_month(q: &Option<String>) -> tokentally_domain::month::Month {
    q.as_deref()
        .and_then(|m| m.parse().ok())
        .unwrap_or_else(last_full_month)
}

pub async fn page(
    State(state): State<AppState>,
    user: PageUser,
    Query(q): Query<KeysQuery>,
) -> Result<Html<String>, PageError> {
    require_admin(&user)?;
    let month = page_month(&q.month);
    let keys = rows(&state, month).await?;
    let unseen = q.unseen.is_some();
    let notice = q.mapped.map(|k| {
        let warning = if unseen {
            format!(" {}", crate::app::mappings::unseen_key_warning(&k))
        } else {
            String::new()
        };
        format!("Mapped {k}. Showback re-attributes its spend from the mapping's day on.{warning}")
    });
    let form = MapForm {
        valid_from: month.first_day().to_string(),
        ..Default::default()
    };
    let page = KeysPage {
        month,
        currency: state.config.currency.clone(),
        keys,
        form,
        errors: FieldErrors::new(),
        notice,
        team_names: crate::app::catalog::team_names(&state).await?,
    };
    Ok(Html(keys_page(&viewer_of(&user), page)))
}

#[derive(Debug, Deserialize)]
pub struct MapKeyForm {
    #[serde(default)]
    pub api_key: String,
    #[serde(default)]
    pub team: String,
    #[serde(default)]
    pub feature: String,
    #[serde(default)]
    pub environment: String,
    #[serde(default)]
    pub valid_from: String,
}

impl MapKeyForm {
    /// The mapping, or a message per field that is wrong.
    fn parse(&self) -> Result<KeyMapping, FieldErrors> {
        let mut errors = FieldErrors::new();
        let valid_from = match self.valid_from.trim() {
            "" => chrono::Utc::now().date_naive(),
            d => d.parse().unwrap_or_else(|_| {
                errors.insert("valid_from".into(), "Give a day as YYYY-MM-DD.".into());
                chrono::NaiveDate::MIN
            }),
        };
        let opt = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        let m = KeyMapping {
            api_key: self.api_key.trim().to_owned(),
            team: self.team.trim().to_owned(),
            feature: opt(&self.feature),
            environment: opt(&self.environment),
            valid_from,
        };
        match m.validate() {
            Err(AttributionError::Empty(field)) => {
                errors.insert(field.into(), "Required.".into());
            }
            Err(AttributionError::Reserved(name)) => {
                errors.insert(
                    "team".into(),
                    format!("`{name}` is reserved; name a real team."),
                );
            }
            Err(other) => {
                errors.insert("team".into(), other.to_string());
            }
            Ok(()) => {}
        }
        if errors.is_empty() {
            Ok(m)
        } else {
            Err(errors)
        }
    }
}

pub async fn post(
    State(state): State<AppState>,
    CsrfForm { user, form }: CsrfForm<MapKeyForm>,
) -> Result<Response, PageError> {
    require_admin(&user)?;
    match form.parse() {
        Ok(m) => {
            if let Err(e @ AppError::Invalid(_)) =
                crate::app::catalog::require_existing_team(&state, &m.team).await
            {
                let errors =
                    FieldErrors::from([("team".to_owned(), crate::http::pages::reason(&e))]);
                return invalid(&state, &user, &form, errors).await;
            }
            let warned = match set_mapping(&state, &user.principal.name, &m).await {
                Ok(warning) => warning.is_some(),
                Err(e @ AppError::Invalid(_)) => {
                    let errors =
                        FieldErrors::from([("team".to_owned(), crate::http::pages::reason(&e))]);
                    return invalid(&state, &user, &form, errors).await;
                }
                Err(e) => return Err(PageError::from(e)),
            };
            let key =
                url::form_urlencoded::byte_serialize(m.api_key.as_bytes()).collect::<String>();
            let unseen = if warned { "&unseen=1" } else { "" };
            Ok(Redirect::to(&format!("/admin/keys?mapped={key}{unseen}")).into_response())
        }
        Err(errors) => invalid(&state, &user, &form, errors).await,
    }
}

/// The keys page again, with the form as typed and what is wrong with it.
async fn invalid(
    state: &AppState,
    user: &PageUser,
    form: &MapKeyForm,
    errors: FieldErrors,
) -> Result<Response, PageError> {
    let month = last_full_month();
    let keys = rows(state, month).await?;
    let f = MapForm {
        api_key: form.api_key.clone(),
        team: form.team.clone(),
        feature: form.feature.clone(),
        environment: form.environment.clone(),
        valid_from: form.valid_from.clone(),
    };
    let page = KeysPage {
        month,
        currency: state.config.currency.clone(),
        keys,
        form: f,
        errors,
        notice: None,
        team_names: crate::app::catalog::team_names(state).await?,
    };
    Ok((
        StatusCode::UNPROCESSABLE_ENTITY,
        Html(keys_page(&viewer_of(user), page)),
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(team: &str, from: &str) -> MapKeyForm {
        MapKeyForm {
            api_key: "k".into(),
            team: team.into(),
            feature: String::new(),
            environment: String::new(),
            valid_from: from.into(),
        }
    }

    #[test]
    fn each_bad_field_gets_its_own_message() {
        assert!(form("search", "2026-03-01").parse().is_ok());
        assert!(
            form("", "2026-03-01")
                .parse()
                .unwrap_err()
                .contains_key("team")
        );
        assert!(
            form("Unallocated", "2026-03-01").parse().unwrap_err()["team"].contains("reserved")
        );
        assert!(
            form("search", "March")
                .parse()
                .unwrap_err()
                .contains_key("valid_from")
        );
    }
}
