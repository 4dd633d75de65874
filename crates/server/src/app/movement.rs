//! Why the bill moved between two months, for the organisation, a team or a feature: the
//! domain's chained split (`tokentally_domain::movement`) over the two months as showback
//! reads them.

use tokentally_domain::month::Month;
use tokentally_domain::movement::{self, MonthSide, Movement, Scope};

use super::reports::MonthContext;
use super::{AppError, AppResult};
use crate::auth::{Capability, Principal};
use crate::state::AppState;

/// The movement from `from` to `to` (a later month) in `scope`, for a caller who may read it:
/// a lead asks for one of their teams, since the organisation's figures would show the others.
pub async fn movement(
    state: &AppState,
    principal: &Principal,
    from: Month,
    to: Month,
    scope: Scope,
) -> AppResult<Movement> {
    principal.ensure(Capability::ReadReports)?;
    if from >= to {
        return Err(AppError::BadRequest(format!(
            "`from` ({from}) must be a month before `to` ({to})"
        )));
    }
    match &scope {
        Scope::Org if !principal.sees_everything() => {
            return Err(AppError::Forbidden(
                "a lead reads the movement of one of their teams: give `team`".into(),
            ));
        }
        Scope::Team { team } | Scope::Feature { team, .. } if !principal.may_read_team(team) => {
            return Err(AppError::Forbidden(format!(
                "you may not read team `{team}`"
            )));
        }
        _ => {}
    }
    let key = match &scope {
        Scope::Org => (from, to, None, None),
        Scope::Team { team } => (from, to, Some(team.clone()), None),
        Scope::Feature { team, feature } => (from, to, Some(team.clone()), Some(feature.clone())),
    };
    let version = state.store.data_version().await?;
    let kept = state
        .movements
        .get_or_compute(version, key, Box::pin(compute(state, from, to, &scope)))
        .await?;
    Ok(Movement::clone(&kept))
}

/// The movement computed from the two months' rollups. Kept per data version (see
/// `AppState::movements`): a page that shows it reads the months once, not on every load.
async fn compute(state: &AppState, from: Month, to: Month, scope: &Scope) -> AppResult<Movement> {
    let currency = &state.config.currency;
    let (before, after) = tokio::try_join!(
        MonthContext::load(&state.store, &state.prices, from),
        MonthContext::load(&state.store, &state.prices, to),
    )?;
    let (before_sb, after_sb) = (before.showback(currency), after.showback(currency));
    let before_side = MonthSide {
        data: &before.data,
        attributor: &before.attributor,
        showback: &before_sb,
    };
    let after_side = MonthSide {
        data: &after.data,
        attributor: &after.attributor,
        showback: &after_sb,
    };
    Ok(movement::movement(
        scope,
        &before_side,
        &after_side,
        &after.book,
    ))
}
