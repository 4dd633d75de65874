//! One policy: which role may do what. Handlers, pages and use cases ask
//! `principal.may(Capability::…)` (or `ensure`), never compare roles themselves, so the
//! route × role test in `tests/api/pages.rs` checks this table through every door.

use super::{Principal, Role};

/// Something a caller may be allowed to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Capability {
    /// Read reports: showback, drill-downs, statements, scorecard, alerts, prices.
    ReadReports,
    /// Send usage events (ingest tokens only: they read nothing).
    SendUsage,
    /// Report a workflow's outcome after the fact.
    RecordOutcomes,
    /// Report business transactions for cost per transaction.
    ReportTransactions,
    /// Acknowledge an alert on a team one may read.
    AcknowledgeAlerts,
    /// Overheads, commitments, discounts and budgets.
    ManageCosts,
    /// Issue and void statements, close months, record invoices, set statement modes.
    IssueStatements,
    /// Publish a month's showback, set unit-cost targets, evaluate alerts on demand.
    Govern,
    /// See every key, its mappings and the attribution rules.
    ReadKeys,
    /// Accept or dismiss a recommendation on a team one may read.
    DecideRecommendations,
    /// Map keys, write rules and price cards, manage teams, people, tokens, thresholds and
    /// the webhook: the admin pages.
    Administer,
}

impl Capability {
    /// The policy itself.
    pub fn allows(self, role: Role) -> bool {
        use Role::*;
        match self {
            Self::ReadReports => matches!(role, Admin | Finance | Lead | Viewer),
            Self::SendUsage => role == Ingest,
            Self::RecordOutcomes => matches!(role, Admin | Ingest),
            Self::ReportTransactions | Self::AcknowledgeAlerts | Self::DecideRecommendations => {
                matches!(role, Admin | Finance | Lead)
            }
            Self::ManageCosts | Self::IssueStatements | Self::Govern | Self::ReadKeys => {
                matches!(role, Admin | Finance)
            }
            Self::Administer => role == Admin,
        }
    }
}

impl Principal {
    pub fn may(&self, capability: Capability) -> bool {
        capability.allows(self.role)
    }

    /// Refuses a caller without `capability`.
    pub fn ensure(&self, capability: Capability) -> Result<(), Denied> {
        if self.may(capability) {
            Ok(())
        } else {
            Err(Denied(format!("the {} role may not do this", self.role)))
        }
    }
}

/// A caller without the capability asked for; the sentence says which role was refused.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Denied(pub String);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_ingest_tokens_send_usage_and_they_read_nothing() {
        for role in [Role::Admin, Role::Finance, Role::Lead, Role::Viewer] {
            assert!(Capability::ReadReports.allows(role));
            assert!(!Capability::SendUsage.allows(role));
        }
        assert!(Capability::SendUsage.allows(Role::Ingest));
        assert!(!Capability::ReadReports.allows(Role::Ingest));
    }

    #[test]
    fn finance_manages_money_but_not_the_setup() {
        assert!(Capability::IssueStatements.allows(Role::Finance));
        assert!(Capability::ManageCosts.allows(Role::Finance));
        assert!(!Capability::Administer.allows(Role::Finance));
        assert!(!Capability::ManageCosts.allows(Role::Lead));
        assert!(Capability::ReportTransactions.allows(Role::Lead));
        assert!(!Capability::ReportTransactions.allows(Role::Viewer));
    }
}
