//! Roles and the caller of a request.

use std::fmt;
use std::str::FromStr;

use axum::extract::FromRequestParts;
use axum::http::Method;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use crate::error::ApiError;
use crate::startup::AppState;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    Finance,
    /// Sees only the teams named on the account or token.
    Lead,
    Viewer,
    /// API tokens only: may send usage, may read nothing.
    Ingest,
}

impl Role {
    pub const USER_ROLES: [Role; 4] = [Role::Admin, Role::Finance, Role::Lead, Role::Viewer];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Finance => "finance",
            Self::Lead => "lead",
            Self::Viewer => "viewer",
            Self::Ingest => "ingest",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        [
            Self::Admin,
            Self::Finance,
            Self::Lead,
            Self::Viewer,
            Self::Ingest,
        ]
        .into_iter()
        .find(|r| r.as_str() == s)
        .ok_or_else(|| {
            format!("unknown role `{s}`; expected admin, finance, lead, viewer or ingest")
        })
    }
}

/// The authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub name: String,
    pub role: Role,
    pub teams: Vec<String>,
}

impl Principal {
    pub fn may_read(&self) -> bool {
        self.role != Role::Ingest
    }

    /// Whether the caller may see this team's numbers (Unallocated is a team here).
    pub fn may_read_team(&self, team: &str) -> bool {
        match self.role {
            Role::Admin | Role::Finance | Role::Viewer => true,
            Role::Lead => self.teams.iter().any(|t| t == team),
            Role::Ingest => false,
        }
    }

    /// Readers other than leads see the whole organisation.
    pub fn sees_everything(&self) -> bool {
        matches!(self.role, Role::Admin | Role::Finance | Role::Viewer)
    }

    pub fn require(&self, allowed: &[Role]) -> Result<(), ApiError> {
        if allowed.contains(&self.role) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!(
                "the {} role may not do this",
                self.role
            )))
        }
    }

    pub fn require_read(&self) -> Result<(), ApiError> {
        self.require(&[Role::Admin, Role::Finance, Role::Lead, Role::Viewer])
    }
}

impl FromRequestParts<AppState> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let Some(header) = parts.headers.get(AUTHORIZATION) else {
            // A signed-in browser may read the JSON API; changes need a token (no CSRF risk).
            if matches!(parts.method, Method::GET | Method::HEAD)
                && let Some(token) = super::session::session_cookie(&parts.headers)
                && let Some((s, _)) = super::session::load(&state.store, &token).await?
            {
                return Ok(super::session::principal_of(&s.user));
            }
            return Err(ApiError::Unauthorized(
                "send an API token as `Authorization: Bearer <token>`".into(),
            ));
        };
        let token = header
            .to_str()
            .ok()
            .and_then(|h| {
                h.strip_prefix("Bearer ")
                    .or_else(|| h.strip_prefix("bearer "))
            })
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                ApiError::Unauthorized("the Authorization header must be `Bearer <token>`".into())
            })?;
        let record = state
            .store
            .get_api_token(&super::tokens::digest(token))
            .await?
            .filter(|t| !t.revoked)
            .ok_or_else(|| ApiError::Unauthorized("unknown or revoked API token".into()))?;
        // Last use is informational, kept to the minute: most requests write nothing, and a
        // failed update never fails the request.
        let stale = record
            .last_used_ms
            .is_none_or(|t| chrono::Utc::now().timestamp_millis() - t > 60_000);
        if stale && let Err(e) = state.store.touch_api_token(record.id).await {
            tracing::warn!(error = %e, "could not record the token's last use");
        }
        let role = record
            .role
            .parse()
            .map_err(|e: String| ApiError::Internal(anyhow::anyhow!(e)))?;
        Ok(Principal {
            name: format!("token:{}", record.name),
            role,
            teams: record.teams,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leads_read_only_their_teams_and_ingest_reads_nothing() {
        let lead = Principal {
            name: "l".into(),
            role: Role::Lead,
            teams: vec!["search".into()],
        };
        assert!(lead.may_read_team("search"));
        assert!(!lead.may_read_team("support"));
        assert!(!lead.may_read_team("Unallocated"));
        let ingest = Principal {
            name: "i".into(),
            role: Role::Ingest,
            teams: vec![],
        };
        assert!(!ingest.may_read() && ingest.require_read().is_err());
    }
}
