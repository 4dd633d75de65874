//! `GET /admin/prices`, `POST /admin/prices` (add a card), `POST /admin/prices/import`
//! (upload a LiteLLM price file).

use axum::extract::{Multipart, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Deserialize;
use tokentally_domain::price_card::{PriceCard, Rates};
use tokentally_web::components::form::FieldErrors;
use tokentally_web::money::Money;
use tokentally_web::pages::prices_page::{CardForm, CardRow, PricesPage, prices_page};

use super::require_admin;
use crate::app::AppError;
use crate::app::prices;
use crate::http::error::ApiError;
use crate::http::extract::{CsrfForm, PageUser};
use crate::http::pages::{PageError, viewer_of};
use crate::state::AppState;

const SHOWN: usize = 300;

async fn page_model(
    state: &AppState,
    query: &str,
    form: CardForm,
    errors: FieldErrors,
    notice: Option<String>,
) -> Result<PricesPage, PageError> {
    let cards = state.store.list_price_cards().await?;
    let total = cards.len();
    let q = query.trim().to_lowercase();
    let cur = &state.config.currency;
    let rate = |r: Option<Decimal>| r.map(|r| Money::new(r, cur));
    let rows = cards
        .into_iter()
        .rev()
        .filter(|c| {
            q.is_empty()
                || c.provider.to_lowercase().contains(&q)
                || c.model.to_lowercase().contains(&q)
        })
        .take(SHOWN)
        .map(|c| CardRow {
            effective_from: c.effective_from,
            input: rate(c.rates.input),
            cached_input: rate(c.rates.cached_input),
            cache_write: rate(c.rates.cache_write),
            output: rate(c.rates.output),
            tiers: c.tiers.keys().map(|t| t.as_str().to_owned()).collect(),
            long_context_above: c.long_context.first().map(|lc| lc.threshold),
            origin: c.origin,
            provider: c.provider,
            model: c.model,
        })
        .collect();
    Ok(PricesPage {
        query: query.to_owned(),
        total,
        cards: rows,
        form,
        errors,
        notice,
    })
}

#[derive(Debug, Deserialize, Default)]
pub struct PricesQuery {
    #[serde(default)]
    pub q: String,
}

pub async fn page(
    State(state): State<AppState>,
    user: PageUser,
    Query(q): Query<PricesQuery>,
) -> Result<Html<String>, PageError> {
    require_admin(&user)?;
    let form = CardForm {
        effective_from: chrono::Utc::now().date_naive().to_string(),
        ..Default::default()
    };
    let p = page_model(&state, &q.q, form, FieldErrors::new(), None).await?;
    Ok(Html(prices_page(&viewer_of(&user), p)))
}

#[derive(Debug, Deserialize)]
pub struct CardPost {
    #[serde(default)]
    pub provider: String,
    #[serde(default)]
    pub model: String,
    #[serde(default)]
    pub effective_from: String,
    #[serde(default)]
    pub input: String,
    #[serde(default)]
    pub cached_input: String,
    #[serde(default)]
    pub cache_write: String,
    #[serde(default)]
    pub output: String,
    #[serde(default)]
    pub reasoning: String,
}

impl CardPost {
    fn form(&self) -> CardForm {
        CardForm {
            provider: self.provider.clone(),
            model: self.model.clone(),
            effective_from: self.effective_from.clone(),
            input: self.input.clone(),
            cached_input: self.cached_input.clone(),
            cache_write: self.cache_write.clone(),
            output: self.output.clone(),
            reasoning: self.reasoning.clone(),
        }
    }

    fn parse(&self) -> Result<PriceCard, FieldErrors> {
        let mut errors = FieldErrors::new();
        let mut rate = |name: &str, v: &str| -> Option<Decimal> {
            let v = v.trim();
            if v.is_empty() {
                return None;
            }
            match v.parse::<Decimal>() {
                Ok(d) if !d.is_sign_negative() => Some(d),
                _ => {
                    errors.insert(name.into(), "A rate per 1M tokens, like 2.50.".into());
                    None
                }
            }
        };
        let rates = Rates {
            input: rate("input", &self.input),
            cached_input: rate("cached_input", &self.cached_input),
            cache_write: rate("cache_write", &self.cache_write),
            output: rate("output", &self.output),
            reasoning: rate("reasoning", &self.reasoning),
            ..Rates::default()
        };
        let effective_from = self
            .effective_from
            .trim()
            .parse::<NaiveDate>()
            .unwrap_or_else(|_| {
                errors.insert("effective_from".into(), "Give a day as YYYY-MM-DD.".into());
                NaiveDate::MIN
            });
        for (name, v) in [
            ("provider", &self.provider),
            ("model", &self.model),
            ("input", &self.input),
            ("output", &self.output),
        ] {
            if v.trim().is_empty() {
                errors.insert(name.into(), "Required.".into());
            }
        }
        let card = PriceCard {
            provider: self.provider.trim().to_owned(),
            model: self.model.trim().to_owned(),
            effective_from,
            rates,
            tiers: Default::default(),
            long_context: Vec::new(),
            origin: "manual".into(),
        };
        if errors.is_empty()
            && let Err(e) = card.validate()
        {
            errors.insert("card".into(), e.to_string());
        }
        if errors.is_empty() {
            Ok(card)
        } else {
            Err(errors)
        }
    }
}

pub async fn add(
    State(state): State<AppState>,
    CsrfForm { user, form: f }: CsrfForm<CardPost>,
) -> Result<Response, PageError> {
    require_admin(&user)?;
    match f.parse() {
        Ok(card) => {
            let notice = if prices::add_card(&state.store, &user.principal.name, &card).await? {
                format!(
                    "Added {} / {} from {}.",
                    card.provider, card.model, card.effective_from
                )
            } else {
                "Nothing changed: the same rates are already in force on that day.".to_owned()
            };
            let p = page_model(
                &state,
                &card.model,
                CardForm::default(),
                FieldErrors::new(),
                Some(notice),
            )
            .await?;
            Ok(Html(prices_page(&viewer_of(&user), p)).into_response())
        }
        Err(errors) => {
            let p = page_model(&state, "", f.form(), errors, None).await?;
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                Html(prices_page(&viewer_of(&user), p)),
            )
                .into_response())
        }
    }
}

/// A multipart upload: `csrf`, `file` and optionally `effective_from`.
pub async fn import(
    State(state): State<AppState>,
    user: PageUser,
    mut parts: Multipart,
) -> Result<Response, PageError> {
    let (mut csrf, mut file, mut from) = (String::new(), None, String::new());
    while let Some(field) = parts
        .next_field()
        .await
        .map_err(|e| PageError::from(ApiError::BadRequest(e.body_text())))?
    {
        let name = field.name().unwrap_or("").to_owned();
        let bytes = field
            .bytes()
            .await
            .map_err(|e| PageError::from(ApiError::BadRequest(e.body_text())))?;
        match name.as_str() {
            "csrf" => csrf = String::from_utf8_lossy(&bytes).into_owned(),
            "file" => file = Some(bytes),
            "effective_from" => from = String::from_utf8_lossy(&bytes).into_owned(),
            _ => {}
        }
    }
    require_admin(&user)?;
    user.check_csrf(&csrf)?;
    let day = match from.trim() {
        "" => chrono::Utc::now().date_naive(),
        d => d.parse().map_err(|_| {
            PageError::from(AppError::invalid("`effective_from` must be YYYY-MM-DD"))
        })?,
    };
    let file = file
        .filter(|f| !f.is_empty())
        .ok_or_else(|| PageError::from(AppError::invalid("choose a price file to upload")))?;
    let (status, notice, errors) =
        match prices::import_as(&state.store, &user.principal.name, &file, day).await {
            Ok(r) => (
                StatusCode::OK,
                Some(format!(
                    "Imported {} cards ({} unchanged, {} entries skipped).",
                    r.imported, r.unchanged, r.skipped
                )),
                FieldErrors::new(),
            ),
            Err(e @ AppError::Invalid(_)) => {
                let errors = FieldErrors::from([(
                    "card".to_owned(),
                    format!("The file was not imported: {e}"),
                )]);
                (StatusCode::UNPROCESSABLE_ENTITY, None, errors)
            }
            Err(e) => return Err(PageError::from(e)),
        };
    let p = page_model(&state, "", CardForm::default(), errors, notice).await?;
    Ok((status, Html(prices_page(&viewer_of(&user), p))).into_response())
}
