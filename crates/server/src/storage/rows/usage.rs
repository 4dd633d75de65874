//! The rows the month reads decode by the ten thousand: rollups, workflow groups, user words,
//! workflows, and the keys seen in usage.

use tokentally_domain::customer::CustomerRow;
use tokentally_domain::event::Outcome;
use tokentally_domain::month::Month;
use tokentally_domain::rollup::{
    PartyDims, RollupKey, RollupTotals, UserWord, WorkflowGroup, WorkflowRow,
};
use tokentally_domain::showback::UsageRow;

use super::{Cols, FromRow, with_extra_counts};
use crate::storage::StoreError;
use crate::storage::mappings::KeySeen;

/// A rollup: per day (or the first day of a stretch, or of a month), [`ROLLUPS`]' key and sums.
impl FromRow for UsageRow {
    const COLUMNS: &'static [&'static str] = &with_extra_counts::<20, 29>([
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
    ]);

    fn read(c: &mut Cols<'_>) -> Result<Self, StoreError> {
        let day = c.day()?;
        let d = c.dims()?;
        let mut row = UsageRow {
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
        };
        c.extra_counts(&mut row.totals.tokens)?;
        Ok(row)
    }
}

/// A party rollup row (`usage_customers_monthly`, `usage_users_monthly` and the log beside
/// them) with its dimensions and party resolved: the month, the customer or user, the
/// interned dimensions, then the sums of `parties::PARTY_SUMS`. Read as a monthly rollup row of successful calls
/// outside workflows (the party rollups keep no outcome; token cost does not read it).
impl FromRow for CustomerRow {
    const COLUMNS: &'static [&'static str] = &with_extra_counts::<18, 27>([
        "month",
        "party",
        "provider",
        "model",
        "api_key",
        "team",
        "feature",
        "environment",
        "tags",
        "service_tier",
        "context_band",
        "events",
        "requests",
        "input_tokens",
        "cached_input_tokens",
        "cache_write_tokens",
        "output_tokens",
        "reasoning_tokens",
    ]);

    fn read(c: &mut Cols<'_>) -> Result<Self, StoreError> {
        let month: Month = c.parsed()?;
        let customer = c.text()?;
        let dims = PartyDims {
            dims: c.dims()?,
            service_tier: c.parsed()?,
            context_band: c.count()?,
        };
        let mut row = UsageRow {
            key: dims.rollup_key(month.first_day()),
            totals: RollupTotals {
                events: c.count()?,
                requests: c.count()?,
                tokens: c.tokens()?,
                standalone_successes: 0,
            },
        };
        c.extra_counts(&mut row.totals.tokens)?;
        Ok(CustomerRow { customer, row })
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

/// `usage_user_words`.
impl FromRow for UserWord {
    const COLUMNS: &'static [&'static str] = &[
        "day",
        "provider",
        "model",
        "api_key",
        "team",
        "feature",
        "environment",
        "tags",
        "word",
        "bits",
    ];

    fn read(c: &mut Cols<'_>) -> Result<Self, StoreError> {
        Ok(UserWord {
            day: c.day()?,
            dims: c.dims()?,
            word: c.count()?,
            bits: c.count()?,
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
