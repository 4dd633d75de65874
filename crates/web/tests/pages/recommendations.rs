//! The recommendations page: a measured routing item with its evidence and the decision
//! forms, and an accepted caching item with who decided and the note.

use rust_decimal_macros::dec;
use tokentally_domain::recommendation::{Basis, Evidence, Lever, Recommendation};
use tokentally_web::pages::recommendations_page::{
    DecisionView, RecommendationRow, RecommendationsPage, recommendations_page,
};

use crate::fixtures::{day, lead, month, months};
use crate::snapshot;

fn rec(lever: Lever, saving: rust_decimal::Decimal, basis: Basis) -> Recommendation {
    Recommendation {
        id: format!("2026-03-{:016x}", lever as u64),
        month: month(),
        lever,
        team: "search".into(),
        feature: "answers".into(),
        key: "key-search".into(),
        model: "openai/gpt-4o".into(),
        action: format!("{} for search/answers", lever.label()),
        monthly_saving: saving,
        basis,
        evidence: vec![Evidence::new(
            "token cost on the current model",
            "3.50",
            "/teams/search/features/answers?month=2026-03",
        )],
        cost_per_success: Some(dec!(0.0035)),
        implied_cost_per_success: Some(dec!(0.00021)),
        candidate: (lever == Lever::Routing).then(|| "openai/gpt-4o-mini".into()),
        break_even_success_pct: (lever == Lever::Routing).then(|| dec!(5.4)),
    }
}

#[test]
fn recommendations_ranked_with_evidence_and_decisions() {
    let page = RecommendationsPage {
        month: month(),
        months: months(),
        currency: "USD".into(),
        rows: vec![
            RecommendationRow {
                recommendation: rec(Lever::Routing, dec!(3.29), Basis::Measured),
                decision: None,
                may_decide: true,
            },
            RecommendationRow {
                recommendation: rec(Lever::Caching, dec!(0.5625), Basis::Assumed),
                decision: Some(DecisionView {
                    decision: "accepted".into(),
                    note: "cache the system prompt".into(),
                    by: "lead@example.com".into(),
                    day: day(12),
                }),
                may_decide: true,
            },
        ],
        total: dec!(3.8525),
        ceiling: dec!(120.5),
        teams: vec!["search".into()],
        team: Some("search".into()),
        lever: None,
        notice: Some("Accepted: it is followed from today.".into()),
        error: None,
        settings: None,
    };
    let html = recommendations_page(&lead(), page);
    assert!(html.contains("<details class=\"evidence\">"), "{html}");
    assert!(html.contains("/recommendations/2026-03-"), "{html}");
    snapshot!("recommendations", html);
}
