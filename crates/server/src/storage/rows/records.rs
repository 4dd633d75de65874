//! The rows people set and the server keeps: mappings, rules, prices, budgets, targets,
//! alerts and deliveries, statements and closes, costs beyond tokens, accounts and owners.

use rust_decimal::Decimal;
use tokentally_domain::allocation::Overhead;
use tokentally_domain::attribution::{KeyMapping, Rule};
use tokentally_domain::budget::Budget;
use tokentally_domain::commitment::Commitment;
use tokentally_domain::discount::Discount;
use tokentally_domain::fx::FxRate;
use tokentally_domain::month::Month;
use tokentally_domain::price_card::PriceCard;
use tokentally_domain::scorecard::UnitTarget;
use tokentally_domain::statement::Mode;
use tokentally_domain::transaction::{BusinessTransactions, TransactionValue};

use super::{Cols, FromRow, json_of};
use crate::storage::StoreError;
use crate::storage::audit::AuditEntry;
use crate::storage::auth::{ApiTokenListing, ApiTokenRecord, TokenOwner, UserRecord};
use crate::storage::governance::{AlertRecord, Delivery};
use crate::storage::prices::CardBody;
use crate::storage::sessions::SessionRecord;
use crate::storage::statements::{MonthClose, StoredStatement};
use crate::storage::teams::{FeatureRecord, TeamRecord};

/// `key_mappings`.
impl FromRow for KeyMapping {
    const COLUMNS: &'static [&'static str] =
        &["api_key", "team", "feature", "environment", "valid_from"];

    fn read(c: &mut Cols<'_>) -> Result<Self, StoreError> {
        Ok(KeyMapping {
            api_key: c.text()?,
            team: c.text()?,
            feature: c.opt_text()?,
            environment: c.opt_text()?,
            valid_from: c.day()?,
        })
    }
}

/// `rules`.
impl FromRow for Rule {
    const COLUMNS: &'static [&'static str] = &[
        "id",
        "priority",
        "provider",
        "model",
        "key_prefix",
        "tag_key",
        "tag_value",
        "team",
        "feature",
    ];

    fn read(c: &mut Cols<'_>) -> Result<Self, StoreError> {
        let id = c.int()?;
        let priority = c.int()?;
        let provider = c.opt_text()?;
        let model = c.opt_text()?;
        let key_prefix = c.opt_text()?;
        let tag = match (c.opt_text()?, c.opt_text()?) {
            (Some(k), Some(v)) => Some((k, v)),
            _ => None,
        };
        Ok(Rule {
            id,
            priority,
            provider,
            model,
            key_prefix,
            tag,
            team: c.opt_text()?,
            feature: c.opt_text()?,
        })
    }
}

/// `price_cards`: the key columns, and the rest of the card as JSON.
impl FromRow for PriceCard {
    const COLUMNS: &'static [&'static str] =
        &["provider", "model", "effective_from", "card", "origin"];

    fn read(c: &mut Cols<'_>) -> Result<Self, StoreError> {
        let provider = c.text()?;
        let model = c.text()?;
        let effective_from = c.day()?;
        let body: CardBody = c.json()?;
        Ok(PriceCard {
            provider,
            model,
            effective_from,
            rates: body.rates,
            tiers: body.tiers,
            long_context: body.long_context,
            origin: c.text()?,
        })
    }
}

/// `budgets`.
impl FromRow for Budget {
    const COLUMNS: &'static [&'static str] = &[
        "month",
        "scope",
        "subject",
        "feature",
        "amount",
        "thresholds",
        "recurring",
    ];

    fn read(c: &mut Cols<'_>) -> Result<Self, StoreError> {
        Ok(Budget {
            month: c.parsed()?,
            scope: c.parsed()?,
            subject: c.text()?,
            feature: c.text()?,
            amount: c.parsed()?,
            thresholds: c.json()?,
            recurring: c.int()? != 0,
            carried_from: None,
        })
    }
}

/// `unit_targets`.
impl FromRow for UnitTarget {
    const COLUMNS: &'static [&'static str] = &["team", "feature", "target"];

    fn read(c: &mut Cols<'_>) -> Result<Self, StoreError> {
        Ok(UnitTarget {
            team: c.text()?,
            feature: c.text()?,
            target: c.parsed()?,
        })
    }
}

/// `alerts`.
impl FromRow for AlertRecord {
    const COLUMNS: &'static [&'static str] = &[
        "id",
        "kind",
        "scope",
        "subject",
        "team",
        "period",
        "level",
        "detail",
        "amount",
        "first_seen_ms",
        "ack_by",
        "ack_ms",
    ];

    fn read(c: &mut Cols<'_>) -> Result<Self, StoreError> {
        Ok(AlertRecord {
            id: c.int()?,
            kind: c.text()?,
            scope: c.text()?,
            subject: c.text()?,
            team: c.text()?,
            period: c.text()?,
            level: c.int()?,
            detail: c.text()?,
            amount: c.parsed()?,
            first_seen_ms: c.int()?,
            ack_by: c.opt_text()?,
            ack_ms: c.opt_int()?,
        })
    }
}

/// `webhook_deliveries`.
impl FromRow for Delivery {
    const COLUMNS: &'static [&'static str] = &[
        "id",
        "alert_id",
        "url",
        "body",
        "status",
        "attempts",
        "last_code",
        "last_error",
        "next_attempt_ms",
        "created_ms",
        "delivered_ms",
    ];

    fn read(c: &mut Cols<'_>) -> Result<Self, StoreError> {
        Ok(Delivery {
            id: c.int()?,
            alert_id: c.int()?,
            url: c.text()?,
            body: c.text()?,
            status: c.text()?,
            attempts: c.int()?,
            last_code: c.opt_int()?,
            last_error: c.opt_text()?,
            next_attempt_ms: c.int()?,
            created_ms: c.int()?,
            delivered_ms: c.opt_int()?,
        })
    }
}

/// `statements`.
impl FromRow for StoredStatement {
    const COLUMNS: &'static [&'static str] = &[
        "team",
        "month",
        "version",
        "status",
        "content",
        "sha256",
        "issued_ms",
        "issued_by",
        "void_ms",
        "void_by",
        "void_reason",
    ];

    fn read(c: &mut Cols<'_>) -> Result<Self, StoreError> {
        Ok(StoredStatement {
            team: c.text()?,
            month: c.parsed()?,
            version: c.int()?,
            status: c.text()?,
            content: c.text()?,
            sha256: c.text()?,
            issued_ms: c.int()?,
            issued_by: c.text()?,
            void_ms: c.opt_int()?,
            void_by: c.opt_text()?,
            void_reason: c.opt_text()?,
        })
    }
}

/// `month_closes`.
impl FromRow for MonthClose {
    const COLUMNS: &'static [&'static str] = &["month", "closed_ms", "closed_by"];

    fn read(c: &mut Cols<'_>) -> Result<Self, StoreError> {
        Ok(MonthClose {
            month: c.parsed()?,
            closed_ms: c.int()?,
            closed_by: c.text()?,
        })
    }
}

/// A team's statement mode, from `statement_modes`.
pub(in crate::storage) struct StatementMode {
    pub team: String,
    pub mode: Mode,
}

impl FromRow for StatementMode {
    const COLUMNS: &'static [&'static str] = &["team", "mode"];

    fn read(c: &mut Cols<'_>) -> Result<Self, StoreError> {
        Ok(StatementMode {
            team: c.text()?,
            mode: c.parsed()?,
        })
    }
}

/// A provider's invoiced amount for a month, from `provider_invoices`.
pub(in crate::storage) struct Invoice {
    pub provider: String,
    pub amount: Decimal,
}

impl FromRow for Invoice {
    const COLUMNS: &'static [&'static str] = &["provider", "amount"];

    fn read(c: &mut Cols<'_>) -> Result<Self, StoreError> {
        Ok(Invoice {
            provider: c.text()?,
            amount: c.parsed()?,
        })
    }
}

/// `commitments`.
impl FromRow for Commitment {
    const COLUMNS: &'static [&'static str] = &[
        "month",
        "provider",
        "model",
        "fee",
        "capacity_tokens",
        "utilisation_floor",
    ];

    fn read(c: &mut Cols<'_>) -> Result<Self, StoreError> {
        Ok(Commitment {
            month: c.parsed()?,
            provider: c.text()?,
            model: c.text()?,
            fee: c.parsed()?,
            capacity_tokens: c.count()?,
            utilisation_floor: c.parsed()?,
        })
    }
}

/// `fx_rates`.
impl FromRow for FxRate {
    const COLUMNS: &'static [&'static str] = &["base", "quote", "month", "rate", "source"];

    fn read(c: &mut Cols<'_>) -> Result<Self, StoreError> {
        Ok(FxRate {
            base: c.text()?,
            quote: c.text()?,
            month: c.parsed()?,
            rate: c.parsed()?,
            source: c.text()?,
        })
    }
}

/// `discounts`.
impl FromRow for Discount {
    const COLUMNS: &'static [&'static str] = &["provider", "effective_from", "percent"];

    fn read(c: &mut Cols<'_>) -> Result<Self, StoreError> {
        Ok(Discount {
            provider: c.text()?,
            effective_from: c.day()?,
            percent: c.parsed()?,
        })
    }
}

/// `overheads`.
impl FromRow for Overhead {
    const COLUMNS: &'static [&'static str] = &["month", "category", "amount", "allocation"];

    fn read(c: &mut Cols<'_>) -> Result<Self, StoreError> {
        let month: Month = c.parsed()?;
        let category = c.text()?;
        let amount = c.text()?;
        Ok(Overhead {
            month,
            category,
            amount: amount
                .parse::<Decimal>()
                .map_err(|_| StoreError::Corrupt(format!("amount `{amount}`")))?,
            allocation: c.json()?,
        })
    }
}

/// `business_transactions`.
impl FromRow for BusinessTransactions {
    const COLUMNS: &'static [&'static str] = &[
        "period",
        "team",
        "feature",
        "name",
        "count",
        "value_amount",
        "value_basis",
        "value_currency",
    ];

    fn read(c: &mut Cols<'_>) -> Result<Self, StoreError> {
        let period = c.parsed()?;
        let team = c.text()?;
        let feature = c.text()?;
        let name = c.text()?;
        let count = c.count()?;
        let amount = c.opt_text()?;
        let basis = c.opt_text()?;
        let currency = c.opt_text()?;
        let value = match (amount, basis, currency) {
            (Some(a), Some(b), Some(currency)) => Some(TransactionValue {
                amount: a.parse().map_err(|_| {
                    StoreError::Corrupt(format!("value_amount `{a}` is not a decimal"))
                })?,
                basis: b
                    .parse()
                    .map_err(|_| StoreError::Corrupt(format!("value_basis `{b}` is not valid")))?,
                currency,
            }),
            _ => None,
        };
        Ok(BusinessTransactions {
            period,
            team,
            feature,
            name,
            count,
            value,
        })
    }
}

/// `users`.
impl FromRow for UserRecord {
    const COLUMNS: &'static [&'static str] = &[
        "id",
        "email",
        "password_hash",
        "role",
        "teams",
        "disabled_ms",
    ];

    fn read(c: &mut Cols<'_>) -> Result<Self, StoreError> {
        Ok(UserRecord {
            id: c.int()?,
            email: c.text()?,
            password_hash: c.text()?,
            role: c.text()?,
            teams: c.json()?,
            disabled_ms: c.opt_int()?,
        })
    }
}

/// `sessions s` joined to its user `u`.
impl FromRow for SessionRecord {
    const COLUMNS: &'static [&'static str] = &[
        "session_id",
        "csrf",
        "last_seen_ms",
        "expires_ms",
        "id",
        "email",
        "password_hash",
        "role",
        "teams",
        "disabled_ms",
    ];

    fn read(c: &mut Cols<'_>) -> Result<Self, StoreError> {
        Ok(SessionRecord {
            id: c.int()?,
            csrf: c.text()?,
            last_seen_ms: c.int()?,
            expires_ms: c.int()?,
            user: c.read()?,
        })
    }
}

/// `api_tokens t`, as authentication reads a token, with its owner `u` (left joined).
impl FromRow for ApiTokenRecord {
    const COLUMNS: &'static [&'static str] = &[
        "id",
        "name",
        "role",
        "teams",
        "revoked_ms",
        "last_used_ms",
        "owner_id",
        "owner_found",
        "owner_role",
        "owner_teams",
        "owner_disabled_ms",
    ];

    fn read(c: &mut Cols<'_>) -> Result<Self, StoreError> {
        let (id, name, role, teams) = (c.int()?, c.text()?, c.text()?, c.json()?);
        let (revoked, last_used_ms) = (c.opt_int()?.is_some(), c.opt_int()?);
        let owner_id = c.opt_int()?;
        let found = c.opt_int()?.is_some();
        let (owner_role, owner_teams, disabled) = (c.opt_text()?, c.opt_text()?, c.opt_int()?);
        let owner = match (owner_id, found, owner_role, owner_teams) {
            (None, ..) => None,
            (Some(_), true, Some(role), Some(teams)) => Some(TokenOwner::Present {
                role,
                teams: json_of("owner_teams", &teams)?,
                disabled: disabled.is_some(),
            }),
            (Some(_), ..) => Some(TokenOwner::Deleted),
        };
        Ok(ApiTokenRecord {
            id,
            name,
            role,
            teams,
            revoked,
            last_used_ms,
            owner,
        })
    }
}

/// `api_tokens`, as the tokens page lists them.
impl FromRow for ApiTokenListing {
    const COLUMNS: &'static [&'static str] = &[
        "id",
        "name",
        "role",
        "teams",
        "created_ms",
        "last_used_ms",
        "revoked_ms",
        "owner",
    ];

    fn read(c: &mut Cols<'_>) -> Result<Self, StoreError> {
        Ok(ApiTokenListing {
            id: c.int()?,
            name: c.text()?,
            role: c.text()?,
            teams: c.json()?,
            created_ms: c.int()?,
            last_used_ms: c.opt_int()?,
            revoked_ms: c.opt_int()?,
            owner: c.opt_text()?,
        })
    }
}

/// `audit_log`.
impl FromRow for AuditEntry {
    const COLUMNS: &'static [&'static str] = &[
        "id", "at_ms", "actor", "action", "subject", "before", "after",
    ];

    fn read(c: &mut Cols<'_>) -> Result<Self, StoreError> {
        Ok(AuditEntry {
            id: c.int()?,
            at_ms: c.int()?,
            actor: c.text()?,
            action: c.text()?,
            subject: c.text()?,
            before: c.opt_text()?,
            after: c.opt_text()?,
        })
    }
}

/// `teams`.
impl FromRow for TeamRecord {
    const COLUMNS: &'static [&'static str] = &["name", "archived_ms"];

    fn read(c: &mut Cols<'_>) -> Result<Self, StoreError> {
        Ok(TeamRecord {
            name: c.text()?,
            archived: c.opt_int()?.is_some(),
        })
    }
}

/// `features`.
impl FromRow for FeatureRecord {
    const COLUMNS: &'static [&'static str] = &["team", "name", "archived_ms"];

    fn read(c: &mut Cols<'_>) -> Result<Self, StoreError> {
        Ok(FeatureRecord {
            team: c.text()?,
            name: c.text()?,
            archived: c.opt_int()?.is_some(),
        })
    }
}

/// `owner_aliases`: an old team or feature name and the name it stands for now.
pub(in crate::storage) struct Alias {
    pub kind: String,
    pub team: String,
    pub old_name: String,
    pub new_name: String,
}

impl FromRow for Alias {
    const COLUMNS: &'static [&'static str] = &["kind", "team", "old_name", "new_name"];

    fn read(c: &mut Cols<'_>) -> Result<Self, StoreError> {
        Ok(Alias {
            kind: c.text()?,
            team: c.text()?,
            old_name: c.text()?,
            new_name: c.text()?,
        })
    }
}
