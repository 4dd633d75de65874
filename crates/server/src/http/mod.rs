//! HTTP handlers, one module per capability. Handlers check the caller's role, parse input
//! into domain types, call a use case and shape the answer.

pub mod adapters;
pub mod alerts;
pub mod budgets;
pub mod commitments;
pub mod csv;
pub mod data_version;
pub mod events;
pub mod health;
pub mod key_mappings;
pub mod metrics;
pub mod otlp;
pub mod overheads;
pub mod pages;
pub mod prices;
pub mod rules;
pub mod scorecard;
pub mod showback;
pub mod statements;
pub mod transactions;
pub mod workflows;

use axum::extract::FromRequest;
use axum::extract::rejection::JsonRejection;
use serde::Deserialize;
use tokentally_domain::month::Month;

use crate::error::ApiError;

/// `?month=YYYY-MM`; without it, the last full month.
#[derive(Debug, Deserialize)]
pub struct MonthQuery {
    pub month: Option<String>,
}

impl MonthQuery {
    pub fn month(&self) -> Result<Month, ApiError> {
        match &self.month {
            Some(m) => m
                .parse()
                .map_err(|e: tokentally_domain::month::MonthParseError| {
                    ApiError::BadRequest(e.to_string())
                }),
            None => Ok(last_full_month()),
        }
    }
}

pub fn last_full_month() -> Month {
    Month::of(chrono::Utc::now().date_naive()).previous()
}

/// A JSON body whose rejections answer with a reason in our error shape.
pub struct JsonBody<T>(pub T);

impl<S, T> FromRequest<S> for JsonBody<T>
where
    axum::Json<T>: FromRequest<S, Rejection = JsonRejection>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(Self(v)),
            Err(JsonRejection::MissingJsonContentType(_)) => Err(ApiError::UnsupportedMediaType(
                "send the body as `Content-Type: application/json`".into(),
            )),
            Err(JsonRejection::JsonDataError(e)) => Err(ApiError::invalid(e.body_text())),
            Err(JsonRejection::JsonSyntaxError(e)) => Err(ApiError::BadRequest(e.body_text())),
            Err(JsonRejection::BytesRejection(e))
                if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE =>
            {
                Err(ApiError::PayloadTooLarge(0))
            }
            Err(e) => Err(ApiError::BadRequest(e.body_text())),
        }
    }
}
