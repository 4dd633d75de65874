//! `GET /planning`: scenario planning for a feature and commitment sizing. Both forms are GET
//! forms (they change nothing); a refused value comes back beside its field.

use axum::extract::{Query, State};
use axum::response::Html;
use serde::Deserialize;
use tokentally_web::components::FieldErrors;
use tokentally_web::pages::planning_page::{
    PlanningPage, ScenarioForm, ScenarioRow, SizingForm, SizingView, planning_page,
};

use crate::app::governance::today;
use crate::app::planning::{self, PlanFields, SizingFields};
use crate::app::{AppError, catalog};
use crate::auth::Capability;
use crate::http::extract::PageUser;
use crate::http::pages::{PageError, reason, require, viewer_of};
use crate::state::AppState;

#[derive(Debug, Default, Deserialize)]
pub struct PlanningQuery {
    /// Which form was sent: `scenario` or `sizing`.
    pub form: Option<String>,
    #[serde(flatten)]
    pub plan: PlanFields,
    pub sizing_model: Option<String>,
    pub fee_per_million: Option<String>,
}

fn kept(v: &Option<String>) -> String {
    v.clone().unwrap_or_default()
}

/// A use case's refusal beside the form it belongs to; anything else fails the page.
fn beside(errors: &mut FieldErrors, form: &str, e: AppError) -> Result<(), PageError> {
    match e {
        AppError::Invalid(_) | AppError::BadRequest(_) | AppError::Forbidden(_) => {
            errors.insert(form.to_owned(), reason(&e));
            Ok(())
        }
        other => Err(other.into()),
    }
}

pub async fn page(
    State(state): State<AppState>,
    user: PageUser,
    Query(q): Query<PlanningQuery>,
) -> Result<Html<String>, PageError> {
    require(
        &user,
        Capability::ReadReports,
        "Planning is for report readers.",
    )?;
    let principal = &user.principal;
    let mut errors = FieldErrors::new();
    let models: Vec<(String, String)> = planning::priced_models(&state)
        .await?
        .into_iter()
        .map(|m| (m.clone(), m))
        .collect();
    let teams: Vec<String> = catalog::team_names(&state)
        .await?
        .into_iter()
        .filter(|t| principal.may_read_team(t))
        .collect();
    let features = planning::feature_names(&state, principal).await?;
    let p = &q.plan;
    let mut scenarios = Vec::new();
    let mut mix_note = None;
    if q.form.as_deref() == Some("scenario") {
        match p.parse() {
            Err((field, message)) => {
                errors.insert(field.to_owned(), message);
            }
            Ok(req) => match planning::scenarios(&state, principal, &req, today()).await {
                Ok(a) => {
                    mix_note = Some(match a.mix_month {
                        Some(m) => format!(
                            "Priced on the {} card of {} (from {}), with {}/{}'s {m} mix: {} input ({} cached, {} cache writes), {} output tokens.",
                            a.card,
                            a.provider,
                            a.card_effective_from,
                            a.team,
                            a.feature,
                            a.mix.input,
                            a.mix.cached_input,
                            a.mix.cache_write,
                            a.mix.output
                        ),
                        None => format!(
                            "Priced on the {} card of {} (from {}). {}/{} has no usage this month or last, so every token is priced as input.",
                            a.card, a.provider, a.card_effective_from, a.team, a.feature
                        ),
                    });
                    scenarios = a
                        .scenarios
                        .into_iter()
                        .map(|s| ScenarioRow {
                            name: s.name.to_owned(),
                            volume: s.volume,
                            input_tokens: s.tokens.input,
                            output_tokens: s.tokens.output,
                            token_cost: s.token_cost,
                            blended_cost: s.blended_cost,
                            cost_per_interaction: s.cost_per_interaction,
                        })
                        .collect();
                }
                Err(e) => beside(&mut errors, "scenario", e)?,
            },
        }
    }
    let may_size = principal.sees_everything();
    let mut sizing = None;
    let sizing_fields = SizingFields {
        model: q.sizing_model.clone(),
        fee_per_million: q.fee_per_million.clone(),
    };
    if may_size && q.form.as_deref() == Some("sizing") {
        match sizing_fields.parse() {
            Err((field, message)) => {
                let field = if field == "model" {
                    "sizing_model"
                } else {
                    field
                };
                errors.insert(field.to_owned(), message);
            }
            Ok((model, fee)) => {
                match planning::commitment_sizing(&state, principal, &model, fee, today()).await {
                    Ok(a) => {
                        let s = a.sizing;
                        sizing = Some(SizingView {
                            model: format!("{}/{}", a.provider, a.model),
                            from: a.from.to_string(),
                            to: a.to.to_string(),
                            days: s.days,
                            days_with_usage: s.days_with_usage,
                            steady: s.steady,
                            tokens: s.tokens,
                            on_demand_cost: s.on_demand_cost,
                            on_demand_per_million: s.on_demand_per_million,
                            fee_per_million: s.fee_per_million,
                            fee_source: a.fee_source,
                            daily_capacity: s.daily_capacity,
                            monthly_capacity: s.monthly_capacity,
                            fee: s.fee,
                            overflow_cost: s.overflow_cost,
                            committed_cost: s.committed_cost,
                            saving: s.saving,
                            utilisation_pct: s.utilisation_pct,
                        });
                    }
                    Err(e) => beside(&mut errors, "sizing", e)?,
                }
            }
        }
    }
    let page = PlanningPage {
        currency: state.config.currency.clone(),
        models,
        teams,
        features,
        scenario_form: ScenarioForm {
            team: kept(&p.team),
            feature: kept(&p.feature),
            model: kept(&p.model),
            volume: kept(&p.volume),
            tokens_per_interaction: kept(&p.tokens_per_interaction),
            overhead_multiplier: kept(&p.overhead_multiplier),
            spread_pct: kept(&p.spread_pct),
        },
        scenarios,
        mix_note,
        sizing_form: SizingForm {
            model: kept(&q.sizing_model),
            fee_per_million: kept(&q.fee_per_million),
        },
        sizing,
        errors,
        may_size,
    };
    Ok(Html(planning_page(&viewer_of(&user), page)))
}
