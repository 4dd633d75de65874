//! Rows as the database answers them, read into domain types: every row type's columns and
//! conversions are here, and the queries elsewhere select [`FromRow::COLUMNS`] and call
//! [`decode`] or [`decode_all`].
//!
//! A row is read by position, in the order of its type's `COLUMNS`: no lookup by name per
//! value on the month reads, which decode tens of thousands of rows. Debug builds check that
//! the columns a query answered are the ones the type reads.

use std::sync::LazyLock;

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use sqlx::any::AnyRow;
use sqlx::{Any, Column, Row};
use tokentally_domain::allocation::Overhead;
use tokentally_domain::attribution::{KeyMapping, Rule};
use tokentally_domain::budget::Budget;
use tokentally_domain::commitment::Commitment;
use tokentally_domain::discount::Discount;
use tokentally_domain::event::Outcome;
use tokentally_domain::month::Month;
use tokentally_domain::price_card::{CONTEXT_THRESHOLDS, PriceCard};
use tokentally_domain::rollup::{
    Dims, RollupKey, RollupTotals, UserDay, WorkflowGroup, WorkflowRow,
};
use tokentally_domain::scorecard::UnitTarget;
use tokentally_domain::showback::UsageRow;
use tokentally_domain::statement::Mode;
use tokentally_domain::tokens::TokenCounts;
use tokentally_domain::transaction::BusinessTransactions;

use super::StoreError;
use super::audit::AuditEntry;
use super::auth::{ApiTokenListing, ApiTokenRecord, UserRecord};
use super::dialect::bigint;
use super::governance::{AlertRecord, Delivery};
use super::mappings::KeySeen;
use super::prices::CardBody;
use super::sessions::SessionRecord;
use super::statements::{MonthClose, StoredStatement};
use super::teams::{FeatureRecord, TeamRecord};

/// A sum kept per day and per month: its two tables, its key after the day (or month), its
/// summed columns, and the column whose zero marks a group that holds nothing.
pub(super) struct DailyAndMonthly {
    pub daily: &'static str,
    pub monthly: &'static str,
    pub keys: &'static [&'static str],
    pub sums: &'static [&'static str],
    pub counted: &'static str,
}

/// `usage_rollups` and `usage_rollups_monthly`.
pub(super) const ROLLUPS: DailyAndMonthly = DailyAndMonthly {
    daily: "usage_rollups",
    monthly: "usage_rollups_monthly",
    keys: &[
        "provider",
        "model",
        "api_key",
        "team",
        "feature",
        "environment",
        "tags",
        "service_tier",
        "outcome",
        "context_band",
        "in_workflow",
    ],
    sums: &[
        "events",
        "requests",
        "input_tokens",
        "cached_input_tokens",
        "cache_write_tokens",
        "output_tokens",
        "reasoning_tokens",
        "standalone_successes",
    ],
    counted: "events",
};

/// `workflow_groups` and `workflow_groups_monthly`.
pub(super) const WORKFLOW_GROUPS: DailyAndMonthly = DailyAndMonthly {
    daily: "workflow_groups",
    monthly: "workflow_groups_monthly",
    keys: &[
        "provider",
        "model",
        "api_key",
        "team",
        "feature",
        "environment",
        "tags",
        "outcome",
    ],
    sums: &["workflows", "calls", "first_input", "last_input"],
    counted: "workflows",
};

/// A type read from a row: its columns, in the order queries select them, and how they read.
pub(super) trait FromRow: Sized {
    const COLUMNS: &'static [&'static str];
    fn read(c: &mut Cols<'_>) -> Result<Self, StoreError>;
}

/// `T`'s columns as a select list.
pub(super) fn select<T: FromRow>() -> String {
    T::COLUMNS.join(", ")
}

/// A row whose first columns are `T`'s.
pub(super) fn decode<T: FromRow>(row: &AnyRow) -> Result<T, StoreError> {
    Cols::new(row).read()
}

pub(super) fn decode_all<T: FromRow>(rows: &[AnyRow]) -> Result<Vec<T>, StoreError> {
    rows.iter().map(decode).collect()
}

/// The columns of one row, read in order.
pub(super) struct Cols<'r> {
    row: &'r AnyRow,
    at: usize,
}

impl<'r> Cols<'r> {
    pub(super) fn new(row: &'r AnyRow) -> Self {
        Self { row, at: 0 }
    }

    /// The next columns, as a `T`.
    pub(super) fn read<T: FromRow>(&mut self) -> Result<T, StoreError> {
        debug_assert!(
            self.row
                .columns()
                .iter()
                .skip(self.at)
                .map(|c| c.name())
                .take(T::COLUMNS.len())
                .eq(T::COLUMNS.iter().copied()),
            "the query answered {:?} where {} reads {:?}",
            self.row
                .columns()
                .iter()
                .map(|c| c.name())
                .collect::<Vec<_>>(),
            std::any::type_name::<T>(),
            T::COLUMNS,
        );
        T::read(self)
    }

    fn next<T>(&mut self) -> Result<T, StoreError>
    where
        T: sqlx::Decode<'r, Any> + sqlx::Type<Any>,
    {
        let value = self.row.try_get(self.at)?;
        self.at += 1;
        Ok(value)
    }

    /// The name of the column read last, for messages.
    fn last(&self) -> &str {
        self.row
            .columns()
            .get(self.at.wrapping_sub(1))
            .map_or("?", |c| c.name())
    }

    pub(super) fn text(&mut self) -> Result<String, StoreError> {
        self.next()
    }

    pub(super) fn opt_text(&mut self) -> Result<Option<String>, StoreError> {
        self.next()
    }

    pub(super) fn int(&mut self) -> Result<i64, StoreError> {
        self.next()
    }

    pub(super) fn opt_int(&mut self) -> Result<Option<i64>, StoreError> {
        self.next()
    }

    pub(super) fn count(&mut self) -> Result<u64, StoreError> {
        let n = self.int()?;
        u64::try_from(n).map_err(|_| StoreError::Corrupt(format!("negative {}", self.last())))
    }

    pub(super) fn day(&mut self) -> Result<NaiveDate, StoreError> {
        let s = self.text()?;
        s.parse()
            .map_err(|_| StoreError::Corrupt(format!("{} `{s}` is not a date", self.last())))
    }

    pub(super) fn parsed<T: std::str::FromStr>(&mut self) -> Result<T, StoreError> {
        let s = self.text()?;
        s.parse()
            .map_err(|_| StoreError::Corrupt(format!("{} `{s}` is not valid", self.last())))
    }

    pub(super) fn json<T: serde::de::DeserializeOwned>(&mut self) -> Result<T, StoreError> {
        let s = self.text()?;
        json_of(self.last(), &s)
    }

    fn instant(&mut self) -> Result<DateTime<Utc>, StoreError> {
        let ms = self.int()?;
        DateTime::from_timestamp_millis(ms)
            .ok_or_else(|| StoreError::Corrupt(format!("{} {ms}", self.last())))
    }

    fn dims(&mut self) -> Result<Dims, StoreError> {
        Ok(Dims {
            provider: self.text()?,
            model: self.text()?,
            api_key: self.text()?,
            team: self.text()?,
            feature: self.text()?,
            environment: self.text()?,
            tags: self.text()?,
        })
    }

    fn tokens(&mut self) -> Result<TokenCounts, StoreError> {
        // Stored sums keep the per-event invariants, so no re-validation is needed.
        Ok(TokenCounts {
            input: self.count()?,
            cached_input: self.count()?,
            cache_write: self.count()?,
            output: self.count()?,
            reasoning: self.count()?,
        })
    }
}

/// JSON text of column `col`.
pub(super) fn json_of<T: serde::de::DeserializeOwned>(col: &str, s: &str) -> Result<T, StoreError> {
    serde_json::from_str(s).map_err(|e| StoreError::Corrupt(format!("{col}: {e}")))
}

/// A rollup: per day (or the first day of a stretch, or of a month), [`ROLLUPS`]' key and sums.
impl FromRow for UsageRow {
    const COLUMNS: &'static [&'static str] = &[
        "day",
        "provider",
        "model",
        "api_key",
        "team",
        "feature",
        "environment",
        "tags",
        "service_tier",
        "outcome",
        "context_band",
        "in_workflow",
        "events",
        "requests",
        "input_tokens",
        "cached_input_tokens",
        "cache_write_tokens",
        "output_tokens",
        "reasoning_tokens",
        "standalone_successes",
    ];

    fn read(c: &mut Cols<'_>) -> Result<Self, StoreError> {
        let day = c.day()?;
        let d = c.dims()?;
        Ok(UsageRow {
            key: RollupKey {
                day,
                provider: d.provider,
                model: d.model,
                api_key: d.api_key,
                team: d.team,
                feature: d.feature,
                environment: d.environment,
                tags: d.tags,
                service_tier: c.parsed()?,
                outcome: c.parsed()?,
                context_band: c.count()?,
                in_workflow: c.int()? != 0,
            },
            totals: RollupTotals {
                events: c.count()?,
                requests: c.count()?,
                tokens: c.tokens()?,
                standalone_successes: c.count()?,
            },
        })
    }
}

/// A workflow group: per day (or stretch, or month), [`WORKFLOW_GROUPS`]' key and sums.
impl FromRow for WorkflowGroup {
    const COLUMNS: &'static [&'static str] = &[
        "day",
        "provider",
        "model",
        "api_key",
        "team",
        "feature",
        "environment",
        "tags",
        "outcome",
        "workflows",
        "calls",
        "first_input",
        "last_input",
    ];

    fn read(c: &mut Cols<'_>) -> Result<Self, StoreError> {
        Ok(WorkflowGroup {
            day: c.day()?,
            dims: c.dims()?,
            outcome: c.parsed()?,
            workflows: c.count()?,
            calls: c.count()?,
            first_input: c.count()?,
            last_input: c.count()?,
        })
    }
}

/// `usage_users`.
impl FromRow for UserDay {
    const COLUMNS: &'static [&'static str] = &[
        "day",
        "provider",
        "model",
        "api_key",
        "team",
        "feature",
        "environment",
        "tags",
        "user_id",
    ];

    fn read(c: &mut Cols<'_>) -> Result<Self, StoreError> {
        Ok(UserDay {
            day: c.day()?,
            dims: c.dims()?,
            user: c.text()?,
        })
    }
}

/// `workflows`.
impl FromRow for WorkflowRow {
    const COLUMNS: &'static [&'static str] = &[
        "workflow_id",
        "calls",
        "requests",
        "first_ms",
        "last_ms",
        "first_input",
        "last_input",
        "last_day",
        "last_outcome",
        "explicit_outcome",
        "provider",
        "model",
        "api_key",
        "team",
        "feature",
        "environment",
        "tags",
    ];

    fn read(c: &mut Cols<'_>) -> Result<Self, StoreError> {
        let workflow_id = c.text()?;
        let calls = c.count()?;
        let requests = c.count()?;
        let first_at = c.instant()?;
        let last_at = c.instant()?;
        let first_input = c.count()?;
        let last_input = c.count()?;
        let day = c.day()?;
        let last_outcome = c.parsed()?;
        let explicit_outcome = c
            .opt_text()?
            .map(|o| {
                o.parse::<Outcome>()
                    .map_err(|_| StoreError::Corrupt(format!("explicit_outcome `{o}`")))
            })
            .transpose()?;
        Ok(WorkflowRow {
            workflow_id,
            day,
            first_at,
            last_at,
            calls,
            requests,
            first_input,
            last_input,
            last_outcome,
            explicit_outcome,
            dims: c.dims()?,
        })
    }
}

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

/// An API key's days and requests, from `usage_rollups`.
impl FromRow for KeySeen {
    const COLUMNS: &'static [&'static str] = &["api_key", "first_day", "last_day", "requests"];

    fn read(c: &mut Cols<'_>) -> Result<Self, StoreError> {
        Ok(KeySeen {
            api_key: c.text()?,
            first_day: c.day()?,
            last_day: c.day()?,
            requests: c.count()?,
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
    const COLUMNS: &'static [&'static str] = &["month", "scope", "subject", "amount", "thresholds"];

    fn read(c: &mut Cols<'_>) -> Result<Self, StoreError> {
        Ok(Budget {
            month: c.parsed()?,
            scope: c.parsed()?,
            subject: c.text()?,
            amount: c.parsed()?,
            thresholds: c.json()?,
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
pub(super) struct StatementMode {
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
pub(super) struct Invoice {
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
    const COLUMNS: &'static [&'static str] = &["period", "team", "feature", "name", "count"];

    fn read(c: &mut Cols<'_>) -> Result<Self, StoreError> {
        Ok(BusinessTransactions {
            period: c.parsed()?,
            team: c.text()?,
            feature: c.text()?,
            name: c.text()?,
            count: c.count()?,
        })
    }
}

/// `users`.
impl FromRow for UserRecord {
    const COLUMNS: &'static [&'static str] = &["id", "email", "password_hash", "role", "teams"];

    fn read(c: &mut Cols<'_>) -> Result<Self, StoreError> {
        Ok(UserRecord {
            id: c.int()?,
            email: c.text()?,
            password_hash: c.text()?,
            role: c.text()?,
            teams: c.json()?,
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

/// `api_tokens`, as authentication reads a token.
impl FromRow for ApiTokenRecord {
    const COLUMNS: &'static [&'static str] =
        &["id", "name", "role", "teams", "revoked_ms", "last_used_ms"];

    fn read(c: &mut Cols<'_>) -> Result<Self, StoreError> {
        Ok(ApiTokenRecord {
            id: c.int()?,
            name: c.text()?,
            role: c.text()?,
            teams: c.json()?,
            revoked: c.opt_int()?.is_some(),
            last_used_ms: c.opt_int()?,
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
pub(super) struct Alias {
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

/// `price_card::context_band` in SQL: the largest of the domain's
/// [`CONTEXT_THRESHOLDS`] that `input` exceeds, else 0, as
/// `CASE WHEN input > 272000 THEN 272000 WHEN … ELSE 0 END`.
pub(super) fn context_band_sql(input: &str) -> String {
    let mut sql = String::from("CASE");
    for t in CONTEXT_THRESHOLDS.iter().rev() {
        sql.push_str(&format!(" WHEN {input} > {t} THEN {t}"));
    }
    sql.push_str(" ELSE 0 END");
    sql
}

/// Raw events (`events e`) summed into the shape of rollup rows: select these columns first,
/// then any of the query's own, group by [`EVENT_ROLLUP_GROUP`] and those, and read a
/// [`UsageRow`] followed by the query's own columns. The context band follows
/// `price_card::context_band` per call (per request for pre-aggregated rows).
pub(super) fn event_rollup_select() -> &'static str {
    static SELECT: LazyLock<String> = LazyLock::new(|| {
        let sum = |expr: &str, name: &str| format!("{} AS {name}", bigint(&format!("SUM({expr})")));
        [
            "e.day, e.provider, e.model, e.api_key, e.team, e.feature, e.environment, e.tags, \
             e.service_tier, e.outcome"
                .to_owned(),
            format!(
                "{} AS context_band",
                context_band_sql("e.input_tokens / e.requests")
            ),
            "CASE WHEN e.workflow_id = '' THEN 0 ELSE 1 END AS in_workflow".to_owned(),
            format!("{} AS events", bigint("COUNT(*)")),
            sum("e.requests", "requests"),
            sum("e.input_tokens", "input_tokens"),
            sum("e.cached_input_tokens", "cached_input_tokens"),
            sum("e.cache_write_tokens", "cache_write_tokens"),
            sum("e.output_tokens", "output_tokens"),
            sum("e.reasoning_tokens", "reasoning_tokens"),
            sum(
                "CASE WHEN e.outcome = 'success' AND e.workflow_id = '' THEN e.requests ELSE 0 END",
                "standalone_successes",
            ),
        ]
        .join(", ")
    });
    &SELECT
}

/// The grouping of [`event_rollup_select`].
pub(super) const EVENT_ROLLUP_GROUP: &str = "e.day, e.provider, e.model, e.api_key, e.team, e.feature, \
     e.environment, e.tags, e.service_tier, e.outcome, context_band, in_workflow";

#[cfg(test)]
mod tests {
    use sqlx::AnyPool;
    use tokentally_domain::price_card::context_band;

    use super::*;

    fn kept_columns(kept: &DailyAndMonthly) -> Vec<&'static str> {
        std::iter::once("day")
            .chain(kept.keys.iter().copied())
            .chain(kept.sums.iter().copied())
            .collect()
    }

    #[test]
    fn rollups_and_workflow_groups_are_read_in_the_order_they_are_kept() {
        assert_eq!(UsageRow::COLUMNS, kept_columns(&ROLLUPS));
        assert_eq!(WorkflowGroup::COLUMNS, kept_columns(&WORKFLOW_GROUPS));
    }

    #[test]
    fn event_rollups_answer_the_columns_of_a_usage_row() {
        let names: Vec<&str> = event_rollup_select()
            .split(", ")
            .filter_map(|c| c.rsplit([' ', '.']).next())
            .filter(|c| !c.is_empty())
            .collect();
        assert_eq!(names, UsageRow::COLUMNS);
    }

    #[test]
    fn event_rollup_select_is_the_sql_it_replaced() {
        let before = "e.day, e.provider, e.model, e.api_key, e.team, e.feature, \
     e.environment, e.tags, e.service_tier, e.outcome, \
     CASE WHEN e.input_tokens / e.requests > 272000 THEN 272000 WHEN e.input_tokens / e.requests > 200000 THEN 200000 \
          WHEN e.input_tokens / e.requests > 128000 THEN 128000 ELSE 0 END AS context_band, \
     CASE WHEN e.workflow_id = '' THEN 0 ELSE 1 END AS in_workflow, \
     CAST(COUNT(*) AS BIGINT) AS events, CAST(SUM(e.requests) AS BIGINT) AS requests, \
     CAST(SUM(e.input_tokens) AS BIGINT) AS input_tokens, CAST(SUM(e.cached_input_tokens) AS BIGINT) AS cached_input_tokens, \
     CAST(SUM(e.cache_write_tokens) AS BIGINT) AS cache_write_tokens, CAST(SUM(e.output_tokens) AS BIGINT) AS output_tokens, \
     CAST(SUM(e.reasoning_tokens) AS BIGINT) AS reasoning_tokens, \
     CAST(SUM(CASE WHEN e.outcome = 'success' AND e.workflow_id = '' THEN e.requests ELSE 0 END) AS BIGINT) AS standalone_successes";
        let words = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
        assert_eq!(words(event_rollup_select()), words(before));
    }

    #[tokio::test]
    async fn context_band_sql_bands_as_the_domain_does() {
        sqlx::any::install_default_drivers();
        let pool = AnyPool::connect("sqlite::memory:").await.expect("SQLite");
        let sql = format!(
            "SELECT CAST({} AS BIGINT) AS band",
            context_band_sql("CAST($1 AS BIGINT)")
        );
        let mut inputs = vec![0_u64, 1, 1_000_000];
        for t in CONTEXT_THRESHOLDS {
            inputs.extend([t - 1, t, t + 1]);
        }
        for input in inputs {
            let band: i64 = sqlx::query_scalar(&sql)
                .bind(i64::try_from(input).expect("small"))
                .fetch_one(&pool)
                .await
                .expect("the band");
            assert_eq!(
                band,
                i64::try_from(context_band(input)).expect("small"),
                "{input}"
            );
        }
    }
}
