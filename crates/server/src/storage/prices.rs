//! Price cards. A stored card never changes: a new price is a new card from a later date.

use std::collections::HashMap;

use tokentally_domain::price_card::PriceCard;

use super::rows::{decode_all, decode_valid, select};
use super::{Store, StoreError, now_ms};

/// What an import did.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PriceImport {
    /// Cards stored (new models, and new rates from the card's date).
    pub added: usize,
    /// Cards whose model already had the same rates in force.
    pub unchanged: usize,
}

/// The stored part of a card besides its key columns.
#[derive(serde::Serialize, serde::Deserialize)]
pub(super) struct CardBody {
    pub rates: tokentally_domain::price_card::Rates,
    #[serde(default)]
    pub tiers: std::collections::BTreeMap<
        tokentally_domain::event::ServiceTier,
        tokentally_domain::price_card::Rates,
    >,
    /// One band (an object) as stored before several were priced, or a list.
    #[serde(
        default,
        deserialize_with = "tokentally_domain::price_card::one_or_many_bands"
    )]
    pub long_context: Vec<tokentally_domain::price_card::LongContext>,
}

impl Store {
    pub async fn list_price_cards(&self) -> Result<Vec<PriceCard>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {} FROM price_cards ORDER BY id",
            select::<PriceCard>()
        ))
        .fetch_all(&self.pool)
        .await?;
        decode_valid(&rows, "price card", PriceCard::validate)
    }

    /// Changes whenever a card is added: cheap to ask before reusing a cached price book.
    pub async fn price_cards_version(&self) -> Result<(i64, i64), StoreError> {
        Ok(sqlx::query_as("SELECT CAST(COUNT(*) AS BIGINT) AS n, CAST(COALESCE(MAX(id), 0) AS BIGINT) AS last FROM price_cards")
            .fetch_one(&self.pool)
            .await?)
    }

    /// Adds cards that change something: a model without a card, or rates that differ from
    /// the card in force on the new card's date. A card for a date that already has one for
    /// the same model replaces nothing and counts as unchanged, unless the stored one is out
    /// of bounds (stored before the bounds existed, and left out of every read): a valid card
    /// takes its place, which is how such a card is corrected.
    pub async fn add_price_cards(&self, cards: &[PriceCard]) -> Result<PriceImport, StoreError> {
        let existing = self.list_price_cards().await?;
        let all: Vec<PriceCard> = decode_all(
            &sqlx::query(&format!(
                "SELECT {} FROM price_cards ORDER BY id",
                select::<PriceCard>()
            ))
            .fetch_all(&self.pool)
            .await?,
        )?;
        let unusable: std::collections::HashSet<(String, String, chrono::NaiveDate)> = all
            .into_iter()
            .filter(|c| c.validate().is_err())
            .map(|c| (c.provider, c.model, c.effective_from))
            .collect();
        let mut latest: HashMap<(String, String), Vec<&PriceCard>> = HashMap::new();
        for c in &existing {
            latest
                .entry((c.provider.clone(), c.model.clone()))
                .or_default()
                .push(c);
        }
        let _guard = self.write_guard().await;
        let mut tx = self.pool.begin().await?;
        let mut result = PriceImport::default();
        for card in cards {
            let versions = latest.get(&(card.provider.clone(), card.model.clone()));
            let in_force = versions.and_then(|v| {
                v.iter()
                    .filter(|c| c.effective_from <= card.effective_from)
                    .max_by_key(|c| c.effective_from)
            });
            if in_force.is_some_and(|c| c.same_rates(card)) {
                result.unchanged += 1;
                continue;
            }
            let key = (
                card.provider.clone(),
                card.model.clone(),
                card.effective_from,
            );
            if unusable.contains(&key) && card.validate().is_ok() {
                sqlx::query(
                    "DELETE FROM price_cards WHERE provider = $1 AND model = $2 AND effective_from = $3",
                )
                .bind(key.0)
                .bind(key.1)
                .bind(key.2.to_string())
                .execute(&mut *tx)
                .await?;
            }
            let body = CardBody {
                rates: card.rates.clone(),
                tiers: card.tiers.clone(),
                long_context: card.long_context.clone(),
            };
            let done = sqlx::query(
                "INSERT INTO price_cards (provider, model, effective_from, card, origin, created_ms) VALUES ($1, $2, $3, $4, $5, $6) \
                 ON CONFLICT (provider, model, effective_from) DO NOTHING",
            )
            .bind(card.provider.clone())
            .bind(card.model.clone())
            .bind(card.effective_from.to_string())
            .bind(serde_json::to_string(&body).map_err(|e| StoreError::Corrupt(e.to_string()))?)
            .bind(card.origin.clone())
            .bind(now_ms())
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 1 {
                result.added += 1;
            } else {
                result.unchanged += 1;
            }
        }
        tx.commit().await?;
        Ok(result)
    }
}
