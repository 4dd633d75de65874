//! The price book: every card, and how an event's (provider, model) finds its card.
//!
//! Lookup order: the exact (provider, model) after provider aliases; then the longest
//! pattern card of that provider; then the model name alone, when only one provider prices
//! it. Among a model's cards, the one in force on the day wins (latest `effective_from` ≤ day).

use std::collections::HashMap;

use chrono::NaiveDate;

use crate::price_card::PriceCard;

/// The provider name tokentally uses for a name a source may send (LiteLLM's provider
/// names, SDK names, OpenTelemetry's `gen_ai.provider.name` values).
pub fn canonical_provider(name: &str) -> String {
    let lower = name.trim().to_ascii_lowercase();
    if lower.starts_with("vertex_ai") {
        return "vertex_ai".to_owned();
    }
    let canonical = match lower.as_str() {
        "azure" | "azure_ai_openai" | "azure.ai.openai" | "az.ai.openai" => "azure_openai",
        "bedrock_converse" | "aws.bedrock" | "aws_bedrock" => "bedrock",
        "text-completion-openai" => "openai",
        "cohere_chat" => "cohere",
        "text-completion-codestral" => "codestral",
        "gcp.vertex_ai" | "gcp.gen_ai" | "google_vertex" => "vertex_ai",
        "gcp.gemini" | "google" | "google_ai_studio" => "gemini",
        "mistral_ai" => "mistral",
        "x_ai" => "xai",
        other => other,
    };
    canonical.to_owned()
}

/// Splits `gemini/gemini-1.5-pro` into a provider hint and the model, when the prefix names
/// a provider; gateways often send models that way.
pub fn split_model_prefix(model: &str) -> (Option<String>, &str) {
    match model.split_once('/') {
        Some((prefix, rest)) if !rest.is_empty() && KNOWN_PREFIXES.contains(&prefix) => {
            (Some(canonical_provider(prefix)), rest)
        }
        _ => (None, model),
    }
}

const KNOWN_PREFIXES: [&str; 12] = [
    "openai",
    "anthropic",
    "azure",
    "azure_openai",
    "bedrock",
    "vertex_ai",
    "gemini",
    "mistral",
    "groq",
    "xai",
    "deepseek",
    "cohere",
];

/// A card's place in the book.
pub type CardId = usize;

#[derive(Debug, Clone, Default)]
pub struct PriceBook {
    cards: Vec<PriceCard>,
    /// (provider, model) → card ids, oldest first.
    exact: HashMap<(String, String), Vec<CardId>>,
    /// model → providers with an exact card for it.
    by_model: HashMap<String, Vec<String>>,
    /// provider → pattern → card ids, oldest first.
    patterns: HashMap<String, HashMap<String, Vec<CardId>>>,
}

impl PriceBook {
    pub fn new(cards: Vec<PriceCard>) -> Self {
        let mut book = PriceBook {
            cards,
            ..Default::default()
        };
        let mut order: Vec<CardId> = (0..book.cards.len()).collect();
        order.sort_by_key(|&i| book.cards[i].effective_from);
        for i in order {
            let c = &book.cards[i];
            let provider = canonical_provider(&c.provider);
            if c.is_pattern() {
                book.patterns
                    .entry(provider)
                    .or_default()
                    .entry(c.model.clone())
                    .or_default()
                    .push(i);
            } else {
                let providers = book.by_model.entry(c.model.clone()).or_default();
                if !providers.contains(&provider) {
                    providers.push(provider.clone());
                }
                book.exact
                    .entry((provider, c.model.clone()))
                    .or_default()
                    .push(i);
            }
        }
        book
    }

    pub fn cards(&self) -> &[PriceCard] {
        &self.cards
    }

    pub fn card(&self, id: CardId) -> &PriceCard {
        &self.cards[id]
    }

    /// The cards that may price (provider, model), most specific first: the exact card's
    /// versions, the longest pattern's, the model priced by a single provider. Each list is
    /// oldest first. On a given day the first list with a card in force wins, so an exact card
    /// from a later date does not un-price the days a pattern priced before it.
    pub fn candidates(&self, provider: &str, model: &str) -> Candidates<'_> {
        let (hint, bare) = split_model_prefix(model);
        let provider = hint.unwrap_or_else(|| canonical_provider(provider));
        let exact = [model, bare]
            .into_iter()
            .find_map(|m| self.exact.get(&(provider.clone(), m.to_owned())))
            .map_or(&[][..], Vec::as_slice);
        let pattern = self.best_pattern(&provider, bare).unwrap_or(&[]);
        let by_model = match self.by_model.get(bare).map(Vec::as_slice) {
            Some([only]) if *only != provider => {
                self.exact[&(only.clone(), bare.to_owned())].as_slice()
            }
            _ => &[],
        };
        Candidates([exact, pattern, by_model])
    }

    fn best_pattern(&self, provider: &str, model: &str) -> Option<&[CardId]> {
        self.patterns
            .get(provider)?
            .iter()
            .filter(|(pattern, _)| model.starts_with(pattern.trim_end_matches('*')))
            .max_by_key(|(pattern, _)| pattern.len())
            .map(|(_, ids)| ids.as_slice())
    }

    /// The card in force on `day` for (provider, model).
    pub fn lookup(&self, provider: &str, model: &str, day: NaiveDate) -> Option<CardId> {
        self.candidates(provider, model).in_force(&self.cards, day)
    }
}

/// The card lists that may price one (provider, model), most specific first.
#[derive(Debug, Clone, Copy)]
pub struct Candidates<'a>([&'a [CardId]; 3]);

impl Candidates<'_> {
    pub fn in_force(&self, cards: &[PriceCard], day: NaiveDate) -> Option<CardId> {
        self.0.iter().find_map(|ids| in_force(cards, ids, day))
    }
}

/// The latest of `ids` (oldest first) that took effect on or before `day`.
pub fn in_force(cards: &[PriceCard], ids: &[CardId], day: NaiveDate) -> Option<CardId> {
    ids.iter()
        .rev()
        .copied()
        .find(|&i| cards[i].effective_from <= day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::price_card::Rates;
    use rust_decimal::Decimal;

    fn card(provider: &str, model: &str, from: &str, input: i64) -> PriceCard {
        PriceCard {
            provider: provider.into(),
            model: model.into(),
            effective_from: from.parse().unwrap(),
            rates: Rates {
                input: Some(Decimal::from(input)),
                output: Some(Decimal::from(input * 4)),
                ..Rates::default()
            },
            tiers: Default::default(),
            long_context: Vec::new(),
            origin: "test".into(),
        }
    }

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn finds_the_card_in_force_on_the_day() {
        let book = PriceBook::new(vec![
            card("openai", "gpt-4o", "2024-06-01", 5),
            card("openai", "gpt-4o", "2000-01-01", 3),
        ]);
        assert_eq!(
            book.lookup("openai", "gpt-4o", day("2024-05-31"))
                .map(|i| book.card(i).rates.input),
            Some(Some(Decimal::from(3)))
        );
        assert_eq!(
            book.lookup("openai", "gpt-4o", day("2024-06-01"))
                .map(|i| book.card(i).rates.input),
            Some(Some(Decimal::from(5)))
        );
        assert_eq!(book.lookup("openai", "gpt-4o", day("1999-01-01")), None);
    }

    #[test]
    fn a_later_exact_card_does_not_unprice_what_a_pattern_priced_before() {
        let book = PriceBook::new(vec![
            card("openai", "gpt-4o*", "2000-01-01", 2),
            card("openai", "gpt-4o-2024-08-06", "2026-06-01", 3),
        ]);
        let input = |d: &str| {
            book.lookup("openai", "gpt-4o-2024-08-06", day(d))
                .and_then(|i| book.card(i).rates.input)
        };
        assert_eq!(input("2026-05-31"), Some(Decimal::from(2)));
        assert_eq!(input("2026-06-01"), Some(Decimal::from(3)));
    }

    #[test]
    fn resolves_aliases_prefixes_patterns_and_bare_model_names() {
        let book = PriceBook::new(vec![
            card("azure", "gpt-4o", "2000-01-01", 1),
            card("openai", "gpt-4o", "2000-01-01", 2),
            card(
                "vertex_ai-language-models",
                "gemini-1.5-pro",
                "2000-01-01",
                3,
            ),
            card("anthropic", "claude-3-5-sonnet-20241022", "2000-01-01", 4),
            card("mistral", "mistral-*", "2000-01-01", 5),
            card("mistral", "mistral-large-*", "2000-01-01", 6),
        ]);
        let input = |p: &str, m: &str| {
            book.lookup(p, m, day("2025-01-01"))
                .and_then(|i| book.card(i).rates.input)
        };
        assert_eq!(input("azure_openai", "gpt-4o"), Some(Decimal::from(1)));
        assert_eq!(input("vertex_ai", "gemini-1.5-pro"), Some(Decimal::from(3)));
        assert_eq!(input("gateway", "openai/gpt-4o"), Some(Decimal::from(2)));
        assert_eq!(
            input("my-gateway", "claude-3-5-sonnet-20241022"),
            Some(Decimal::from(4))
        );
        assert_eq!(
            input("my-gateway", "gpt-4o"),
            None,
            "two providers price gpt-4o: ambiguous"
        );
        assert_eq!(
            input("mistral", "mistral-large-2411"),
            Some(Decimal::from(6))
        );
        assert_eq!(input("mistral", "mistral-small"), Some(Decimal::from(5)));
        assert_eq!(input("openai", "gpt-unknown"), None);
    }
}
