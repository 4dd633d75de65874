//! Roles and the caller of a request.

use std::fmt;
use std::str::FromStr;

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
        assert!(!ingest.may(super::super::Capability::ReadReports));
    }
}
