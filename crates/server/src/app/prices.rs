//! The price catalog: LiteLLM price files imported as effective-dated cards.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;
use tokentally_domain::litellm;
use tokentally_domain::price_card::PriceCard;

use super::{AppError, AppResult, audit, closed_months};
use crate::storage::Store;

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct ImportReport {
    pub imported: usize,
    pub unchanged: usize,
    pub skipped: u64,
    pub skipped_by_reason: BTreeMap<String, u64>,
}

/// Imports a LiteLLM price file: shared by the API and the CLI.
pub async fn import_litellm(
    store: &Store,
    body: &[u8],
    effective_from: NaiveDate,
) -> Result<ImportReport, AppError> {
    closed_months::refuse_from(store, "A price import", effective_from).await?;
    let parsed =
        litellm::import(body, effective_from).map_err(|e| AppError::invalid(e.to_string()))?;
    let known: std::collections::HashSet<(String, String)> = store
        .list_price_cards()
        .await?
        .into_iter()
        .map(|c| (c.provider, c.model))
        .collect();
    // A model seen for the first time is priced from the start, so that its earlier usage
    // is priced too; but never inside a closed month, whose statements stand as issued.
    let first_day = closed_months::earliest_open_day(
        store,
        NaiveDate::from_ymd_opt(2000, 1, 1).expect("a valid date"),
    )
    .await?;
    let cards: Vec<PriceCard> = parsed
        .cards
        .iter()
        .cloned()
        .map(|mut c| {
            if !known.contains(&(c.provider.clone(), c.model.clone())) {
                c.effective_from = first_day;
            }
            c
        })
        .collect();
    let stored = store.add_price_cards(&cards).await?;
    Ok(ImportReport {
        imported: stored.added,
        unchanged: stored.unchanged,
        skipped: parsed.skipped_total(),
        skipped_by_reason: parsed.skipped,
    })
}

/// Imports a LiteLLM price file for a person or token, audited.
pub async fn import_as(
    store: &Store,
    actor: &str,
    body: &[u8],
    effective_from: NaiveDate,
) -> AppResult<ImportReport> {
    let report = import_litellm(store, body, effective_from).await?;
    audit::record(
        store,
        actor,
        "prices.import",
        "prices",
        None::<()>,
        Some(serde_json::json!({"imported": report.imported, "effective_from": effective_from})),
    )
    .await?;
    Ok(report)
}

/// Adds one card typed by a person; audited. `false` when the same card is stored already.
pub async fn add_card(store: &Store, actor: &str, card: &PriceCard) -> AppResult<bool> {
    card.validate()
        .map_err(|e| AppError::invalid(e.to_string()))?;
    closed_months::refuse_from(store, "A price card", card.effective_from).await?;
    let stored = store.add_price_cards(std::slice::from_ref(card)).await?;
    if stored.added == 0 {
        return Ok(false);
    }
    let subject = format!("price:{}/{}", card.provider, card.model);
    audit::record(
        store,
        actor,
        "price_card.add",
        &subject,
        None::<()>,
        Some(card),
    )
    .await?;
    Ok(true)
}
