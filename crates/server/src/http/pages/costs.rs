//! `GET /costs`: the blended-cost view and the forms for overheads (with a copy of last
//! month's), commitments and discounts. Admin and finance only; every change is audited.

use std::collections::BTreeMap;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use rust_decimal::Decimal;
use serde::Deserialize;
use tokentally_domain::allocation::{Allocation, Overhead};
use tokentally_domain::month::Month;
use tokentally_domain::typed_amount::parse_typed_amount;
use tokentally_web::components::form::FieldErrors;
use tokentally_web::pages::costs_page::{
    BlendedRow, CommitmentRow, CostForms, CostsPage, DiscountRow, FxRateRow, OverheadRow,
    costs_page,
};

use super::{PageError, reason, require, viewer_of};
use crate::app::AppError;
use crate::app::costs::{
    NewCommitment, NewDiscount, NewOverhead, record_commitment, record_discount, record_overhead,
};
use crate::app::currencies::{NewRate, set_rates};
use crate::app::reports::MonthContext;
use crate::auth::Capability;
use crate::http::MonthQuery;
use crate::http::error::ApiError;
use crate::http::extract::{CsrfForm, PageUser};
use crate::state::AppState;

fn require_finance(user: &PageUser) -> Result<(), PageError> {
    require(
        user,
        Capability::ManageCosts,
        "only finance and admins manage costs beyond tokens",
    )
}

fn describe(a: &Allocation) -> String {
    match a {
        Allocation::Proportional => "proportional to token cost".into(),
        Allocation::Even => "even among teams with spend".into(),
        Allocation::Fixed { shares } => format!(
            "fixed: {}",
            shares
                .iter()
                .map(|(t, s)| format!("{t} {s}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Allocation::Direct { team } => format!("direct to {team}"),
    }
}

async fn model(
    state: &AppState,
    month: Month,
    forms: CostForms,
    errors: FieldErrors,
    notice: Option<String>,
) -> Result<CostsPage, PageError> {
    let ctx = MonthContext::load(&state.store, &state.prices, month).await?;
    let sb = ctx.showback(&state.config.currency);
    let categories: Vec<String> = ctx
        .data
        .overheads
        .iter()
        .map(|o| o.category.clone())
        .collect();
    let teams = sb
        .teams
        .iter()
        .map(|t| BlendedRow {
            team: t.team.clone(),
            token_cost: t.token_cost,
            overheads: categories
                .iter()
                .map(|c| t.overhead_by_category.get(c).copied().unwrap_or_default())
                .collect(),
            commitment: t.commitment,
            blended_cost: t.blended_cost,
        })
        .collect();
    // What "copy last month's" would bring: categories of last month not set this month.
    let previous_overheads = ctx
        .previous
        .overheads
        .iter()
        .filter(|p| !ctx.data.overheads.iter().any(|o| o.category == p.category))
        .count();
    let discounts = state.store.list_discounts().await?;
    let fx_rates = state
        .store
        .list_fx_rates()
        .await?
        .into_iter()
        .filter(|r| r.month == month)
        .map(|r| FxRateRow {
            base: r.base,
            quote: r.quote,
            rate: r.rate,
            source: r.source,
        })
        .collect();
    let closed = state.store.month_close(month).await?.is_some();
    Ok(CostsPage {
        month,
        months: state.store.list_months().await?,
        currency: state.config.currency.clone(),
        categories,
        teams,
        idle_commitment: sb.idle_commitment,
        org_total: sb.org_total,
        overheads: ctx
            .data
            .overheads
            .iter()
            .map(|o| OverheadRow {
                category: o.category.clone(),
                amount: o.amount,
                allocation: describe(&o.allocation),
            })
            .collect(),
        previous_overheads,
        commitments: sb
            .commitments
            .iter()
            .map(|c| CommitmentRow {
                label: format!("{}/{}", c.provider, c.model),
                fee: c.fee,
                capacity_tokens: c.capacity_tokens,
                used_tokens: c.used_tokens,
                utilisation: c.utilisation,
                underused: c.underused,
                idle: c.idle,
            })
            .collect(),
        discounts: discounts
            .iter()
            .map(|d| DiscountRow {
                provider: d.provider.clone(),
                percent: d.percent.normalize(),
                effective_from: d.effective_from,
            })
            .collect(),
        fx_rates,
        closed,
        forms,
        errors,
        notice,
        team_names: crate::app::catalog::team_names(state).await?,
    })
}

#[derive(Debug, Deserialize)]
pub struct CostsQuery {
    pub month: Option<String>,
    pub saved: Option<String>,
}

pub async fn page(
    State(state): State<AppState>,
    user: PageUser,
    Query(q): Query<CostsQuery>,
) -> Result<Html<String>, PageError> {
    require_finance(&user)?;
    let month = MonthQuery {
        month: q.month.filter(|m| !m.is_empty()),
    }
    .month()?;
    let notice = q.saved.as_deref().and_then(|s| match s {
        "overhead" => Some("Overhead saved.".to_owned()),
        "copied" => Some("Last month's overheads copied.".to_owned()),
        "commitment" => Some("Commitment saved.".to_owned()),
        "discount" => Some("Discount saved.".to_owned()),
        "fx-rate" => Some("Exchange rate saved.".to_owned()),
        _ => None,
    });
    let p = model(
        &state,
        month,
        CostForms::default(),
        FieldErrors::new(),
        notice,
    )
    .await?;
    Ok(Html(costs_page(&viewer_of(&user), p)))
}

fn saved(month: Month, what: &str) -> Response {
    Redirect::to(&format!("/costs?month={month}&saved={what}")).into_response()
}

async fn invalid(
    state: &AppState,
    user: &PageUser,
    month: Month,
    forms: CostForms,
    error: &AppError,
) -> Result<Response, PageError> {
    let mut errors = FieldErrors::new();
    errors.insert("form".into(), reason(error));
    let p = model(state, month, forms, errors, None).await?;
    Ok((
        StatusCode::UNPROCESSABLE_ENTITY,
        Html(costs_page(&viewer_of(user), p)),
    )
        .into_response())
}

fn month_of(s: &str) -> Result<Month, PageError> {
    s.parse()
        .map_err(|_| PageError::from(ApiError::BadRequest(format!("`{s}` is not a month"))))
}

/// `search 2, support 1` → {search: 2, support: 1}.
fn parse_shares(s: &str) -> Result<BTreeMap<String, Decimal>, AppError> {
    s.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|part| {
            let (team, share) = part.rsplit_once(' ').ok_or_else(|| {
                AppError::invalid(format!("`{part}`: write each share as `team weight`"))
            })?;
            let share: Decimal = share
                .trim()
                .parse()
                .map_err(|_| AppError::invalid(format!("`{share}` is not a number")))?;
            Ok((team.trim().to_owned(), share))
        })
        .collect()
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct OverheadPost {
    pub month: String,
    pub category: String,
    pub amount: String,
    pub allocation: String,
    pub team: String,
    pub shares: String,
}

pub async fn post_overhead(
    State(state): State<AppState>,
    CsrfForm { user, form: f }: CsrfForm<OverheadPost>,
) -> Result<Response, PageError> {
    require_finance(&user)?;
    let month = month_of(&f.month)?;
    let forms = CostForms {
        category: f.category.clone(),
        amount: f.amount.clone(),
        allocation: f.allocation.clone(),
        team: f.team.clone(),
        shares: f.shares.clone(),
        ..CostForms::default()
    };
    let parsed = (|| {
        let amount: Decimal = parse_typed_amount(&f.amount).map_err(AppError::invalid)?;
        let shares = match f.allocation.as_str() {
            "fixed" => Some(parse_shares(&f.shares)?),
            _ => None,
        };
        NewOverhead {
            month,
            category: f.category.clone(),
            amount,
            allocation: Some(f.allocation.clone()).filter(|a| !a.is_empty()),
            team: Some(f.team.clone()).filter(|t| !t.trim().is_empty()),
            shares,
        }
        .into_overhead()
    })();
    let o = match parsed {
        Ok(o) => o,
        Err(e) => return invalid(&state, &user, month, forms, &e).await,
    };
    let named: Vec<String> = match &o.allocation {
        Allocation::Direct { team } => vec![team.clone()],
        Allocation::Fixed { shares } => shares.keys().cloned().collect(),
        _ => Vec::new(),
    };
    for team in named {
        if let Err(e) = crate::app::catalog::require_existing_team(&state, &team).await {
            return invalid(&state, &user, month, forms, &e).await;
        }
    }
    record_overhead(&state, &user.principal.name, &o).await?;
    Ok(saved(month, "overhead"))
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct CopyPost {
    pub month: String,
}

/// Copies last month's overheads into this month, leaving categories already set alone.
pub async fn copy_overheads(
    State(state): State<AppState>,
    CsrfForm { user, form: f }: CsrfForm<CopyPost>,
) -> Result<Response, PageError> {
    require_finance(&user)?;
    let month = month_of(&f.month)?;
    let existing = state.store.list_overheads(month).await?;
    for o in state.store.list_overheads(month.previous()).await? {
        if existing.iter().any(|e| e.category == o.category) {
            continue;
        }
        let copy = Overhead { month, ..o };
        record_overhead(&state, &user.principal.name, &copy).await?;
    }
    Ok(saved(month, "copied"))
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct CommitmentPost {
    pub month: String,
    pub provider: String,
    pub model: String,
    pub fee: String,
    pub capacity_tokens: String,
    pub utilisation_floor: String,
}

pub async fn post_commitment(
    State(state): State<AppState>,
    CsrfForm { user, form: f }: CsrfForm<CommitmentPost>,
) -> Result<Response, PageError> {
    require_finance(&user)?;
    let month = month_of(&f.month)?;
    let forms = CostForms {
        provider: f.provider.clone(),
        model: f.model.clone(),
        fee: f.fee.clone(),
        capacity_tokens: f.capacity_tokens.clone(),
        utilisation_floor: f.utilisation_floor.clone(),
        ..CostForms::default()
    };
    let parsed = (|| {
        let number = |s: &str, what: &str| {
            s.trim()
                .parse::<Decimal>()
                .map_err(|_| AppError::invalid(format!("{what} `{s}` is not a number")))
        };
        NewCommitment {
            month,
            provider: f.provider.clone(),
            model: f.model.clone(),
            fee: parse_typed_amount(&f.fee).map_err(|e| AppError::invalid(format!("fee: {e}")))?,
            capacity_tokens: f.capacity_tokens.trim().parse().map_err(|_| {
                AppError::invalid(format!(
                    "capacity `{}` is not a whole number of tokens",
                    f.capacity_tokens
                ))
            })?,
            utilisation_floor: match f.utilisation_floor.trim() {
                "" => None,
                s => Some(number(s, "utilisation floor")?),
            },
        }
        .into_domain()
    })();
    match parsed {
        Ok(c) => {
            record_commitment(&state, &user.principal.name, &c).await?;
            Ok(saved(month, "commitment"))
        }
        Err(e) => invalid(&state, &user, month, forms, &e).await,
    }
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct DiscountPost {
    pub month: String,
    pub discount_provider: String,
    pub percent: String,
    pub effective_from: String,
}

pub async fn post_discount(
    State(state): State<AppState>,
    CsrfForm { user, form: f }: CsrfForm<DiscountPost>,
) -> Result<Response, PageError> {
    require_finance(&user)?;
    let month = month_of(&f.month)?;
    let forms = CostForms {
        discount_provider: f.discount_provider.clone(),
        percent: f.percent.clone(),
        effective_from: f.effective_from.clone(),
        ..CostForms::default()
    };
    let parsed =
        (|| {
            NewDiscount {
                provider: f.discount_provider.clone(),
                percent: f.percent.trim().parse().map_err(|_| {
                    AppError::invalid(format!("`{}` is not a percentage", f.percent))
                })?,
                effective_from: f.effective_from.trim().parse().map_err(|_| {
                    AppError::invalid(format!("`{}` is not a day (YYYY-MM-DD)", f.effective_from))
                })?,
            }
            .into_domain()
        })();
    match parsed {
        Ok(d) => {
            record_discount(&state, &user.principal.name, &d).await?;
            Ok(saved(month, "discount"))
        }
        Err(e) => invalid(&state, &user, month, forms, &e).await,
    }
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct FxRatePost {
    pub month: String,
    pub fx_base: String,
    pub fx_quote: String,
    pub fx_rate: String,
    pub fx_source: String,
}

/// The month's exchange rate for a currency pair; refused for a closed month.
pub async fn post_fx_rate(
    State(state): State<AppState>,
    CsrfForm { user, form: f }: CsrfForm<FxRatePost>,
) -> Result<Response, PageError> {
    require_finance(&user)?;
    let month = month_of(&f.month)?;
    let forms = CostForms {
        fx_base: f.fx_base.clone(),
        fx_quote: f.fx_quote.clone(),
        fx_rate: f.fx_rate.clone(),
        fx_source: f.fx_source.clone(),
        ..CostForms::default()
    };
    let parsed = (|| {
        NewRate {
            base: f.fx_base.clone(),
            quote: f.fx_quote.clone(),
            month: f.month.clone(),
            rate: f
                .fx_rate
                .trim()
                .parse()
                .map_err(|_| AppError::invalid(format!("`{}` is not a rate", f.fx_rate)))?,
            source: f.fx_source.clone(),
        }
        .into_domain()
    })();
    let stored = match parsed {
        Ok(r) => set_rates(&state, &user.principal.name, std::slice::from_ref(&r)).await,
        Err(e) => Err(e),
    };
    match stored {
        Ok(()) => Ok(saved(month, "fx-rate")),
        Err(e) if e.is_callers_fault() => invalid(&state, &user, month, forms, &e).await,
        Err(e) => Err(e.into()),
    }
}
