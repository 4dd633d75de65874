//! `GET /admin/connections`, `POST /admin/connections` (add), and
//! `POST /admin/connections/{id}/sync` (pull now). The key typed in the form is never
//! rendered back, not even after a refusal.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use tokentally_web::components::form::FieldErrors;
use tokentally_web::pages::connections_page::{
    ConnectionForm, ConnectionRow, ConnectionsPage, connections_page,
};

use super::require_admin;
use crate::app::connections::{self, NO_SECRET, NewConnectionInput};
use crate::app::error::AppError;
use crate::http::extract::{CsrfForm, PageUser};
use crate::http::pages::{PageError, viewer_of};
use crate::state::AppState;

#[derive(serde::Deserialize, Default)]
pub struct NoticeQuery {
    pub pulled: Option<i64>,
}

async fn page_model(
    state: &AppState,
    user: &PageUser,
    form: ConnectionForm,
    errors: FieldErrors,
    notice: Option<String>,
) -> Result<ConnectionsPage, PageError> {
    let connections = connections::list_as(state, &user.principal)
        .await?
        .into_iter()
        .map(|c| ConnectionRow {
            id: c.id,
            name: c.name,
            provider: c.provider,
            base_url: c.base_url,
            start_day: c.start_day,
            cursor_day: c.cursor_day,
            last_sync: c.last_sync,
            rows_pulled: u64::try_from(c.rows_pulled).unwrap_or(0),
            next_run: c.next_run,
            last_error: c.last_error,
            syncing: c.syncing,
        })
        .collect();
    Ok(ConnectionsPage {
        connections,
        form,
        errors,
        notice,
        no_secret: state
            .config
            .secret_key
            .is_none()
            .then(|| NO_SECRET.to_owned()),
    })
}

pub async fn page(
    State(state): State<AppState>,
    user: PageUser,
    axum::extract::Query(q): axum::extract::Query<NoticeQuery>,
) -> Result<Html<String>, PageError> {
    require_admin(&user)?;
    let notice = q
        .pulled
        .map(|id| format!("Pulled connection {id}; its status is below."));
    let p = page_model(
        &state,
        &user,
        ConnectionForm::default(),
        FieldErrors::new(),
        notice,
    )
    .await?;
    Ok(Html(connections_page(&viewer_of(&user), p)))
}

pub async fn post(
    State(state): State<AppState>,
    CsrfForm { user, form }: CsrfForm<NewConnectionInput>,
) -> Result<Response, PageError> {
    require_admin(&user)?;
    let kept = ConnectionForm {
        provider: form.provider.clone(),
        name: form.name.clone(),
        start_day: form.start_day.clone(),
        base_url: form.base_url.clone().unwrap_or_default(),
    };
    match connections::create_as(&state, &user.principal, &form).await {
        Ok(c) => {
            let notice = Some(format!(
                "Connected {} ({}). Its first pull runs within minutes, or now with \"Pull now\".",
                c.name, c.provider
            ));
            let p = page_model(
                &state,
                &user,
                ConnectionForm::default(),
                FieldErrors::new(),
                notice,
            )
            .await?;
            Ok(Html(connections_page(&viewer_of(&user), p)).into_response())
        }
        Err(AppError::Invalid(m) | AppError::Conflict(m)) => {
            let mut errors = FieldErrors::new();
            errors.insert("connection".into(), m);
            let p = page_model(&state, &user, kept, errors, None).await?;
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                Html(connections_page(&viewer_of(&user), p)),
            )
                .into_response())
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn sync(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm { user, .. }: CsrfForm<crate::http::extract::NoFields>,
) -> Result<Response, PageError> {
    require_admin(&user)?;
    Box::pin(connections::sync_as(&state, &user.principal, id)).await?;
    Ok(Redirect::to(&format!("/admin/connections?pulled={id}")).into_response())
}
