//! Email bodies: the monthly digest as HTML and as plain text, from one view model. The HTML
//! keeps to tables and inline styles (mail clients ignore stylesheets); both parts say the
//! same figures, formatted as the pages format them.

use leptos::prelude::*;
use rust_decimal::Decimal;
use tokentally_domain::month::Month;

use crate::format::{money, signed_pct};
use crate::shell::render;

/// One scope of a digest: the organisation, or one team.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestSection {
    /// `Organisation` or the team's name.
    pub title: String,
    /// Blended cost of the month, as showback shows it.
    pub spend: Decimal,
    /// The month before's, when there was one.
    pub previous: Option<Decimal>,
    /// The largest features and models by blended cost, largest first.
    pub top_features: Vec<(String, Decimal)>,
    pub top_models: Vec<(String, Decimal)>,
    pub budgets: Vec<DigestBudget>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestBudget {
    /// `team search` or `key sk-...`.
    pub subject: String,
    pub amount: Decimal,
    pub spent: Decimal,
    /// `on track`, `at risk`, `over`.
    pub status: String,
}

/// A digest for one reader.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestEmail {
    pub month: Month,
    pub currency: String,
    /// Whose numbers: `the organisation` or `your teams`.
    pub audience: String,
    pub sections: Vec<DigestSection>,
}

impl DigestSection {
    /// Spend against the month before: `+$12.00 (+5.0%)`, or `no spend the month before`.
    pub fn change(&self, currency: &str) -> String {
        match self.previous {
            Some(p) if !p.is_zero() => {
                let d = self.spend - p;
                let sign = if d > Decimal::ZERO { "+" } else { "" };
                format!(
                    "{sign}{} ({})",
                    money(d, currency),
                    signed_pct(d / p * Decimal::ONE_HUNDRED)
                )
            }
            _ => "no spend the month before".to_owned(),
        }
    }
}

impl DigestEmail {
    pub fn subject(&self) -> String {
        let names: Vec<&str> = self.sections.iter().map(|s| s.title.as_str()).collect();
        format!("tokentally digest {}: {}", self.month, names.join(", "))
    }

    /// The plain-text part.
    pub fn text(&self) -> String {
        let cur = &self.currency;
        let mut out = format!(
            "tokentally monthly digest for {}, {}\n",
            self.month, self.audience
        );
        for s in &self.sections {
            out.push_str(&format!("\n== {} ==\n", s.title));
            out.push_str(&format!("Spend: {}\n", money(s.spend, cur)));
            out.push_str(&format!("Change vs last month: {}\n", s.change(cur)));
            let list = |out: &mut String, title: &str, items: &[(String, Decimal)]| {
                if items.is_empty() {
                    return;
                }
                out.push_str(&format!("{title}:\n"));
                for (name, amount) in items {
                    out.push_str(&format!("  - {name}: {}\n", money(*amount, cur)));
                }
            };
            list(&mut out, "Top features", &s.top_features);
            list(&mut out, "Top models", &s.top_models);
            if s.budgets.is_empty() {
                out.push_str("Budgets: none set\n");
            } else {
                out.push_str("Budgets:\n");
                for b in &s.budgets {
                    out.push_str(&format!(
                        "  - {}: {} of {}, {}\n",
                        b.subject,
                        money(b.spent, cur),
                        money(b.amount, cur),
                        b.status
                    ));
                }
            }
        }
        out.push_str("\nFigures are blended costs (tokens, overheads and commitments), as on the showback page.\n");
        out
    }

    /// The HTML part.
    pub fn html(&self) -> String {
        let cur = self.currency.clone();
        let cell = "padding:4px 12px 4px 0;text-align:left";
        let num = "padding:4px 0 4px 12px;text-align:right;font-variant-numeric:tabular-nums";
        let sections = self
            .sections
            .iter()
            .map(|s| {
                let cur = cur.clone();
                let list = |title: &'static str, items: &[(String, Decimal)]| {
                    (!items.is_empty()).then(|| {
                        let rows = items
                            .iter()
                            .map(|(name, amount)| {
                                view! { <tr><td style=cell>{name.clone()}</td><td style=num>{money(*amount, &cur)}</td></tr> }
                            })
                            .collect_view();
                        view! {
                            <h3 style="font-size:14px;margin:12px 0 4px">{title}</h3>
                            <table role="presentation" style="border-collapse:collapse">{rows}</table>
                        }
                    })
                };
                let budgets = if s.budgets.is_empty() {
                    view! { <p style="margin:8px 0">"No budget set."</p> }.into_any()
                } else {
                    let rows = s
                        .budgets
                        .iter()
                        .map(|b| {
                            view! {
                                <tr>
                                    <td style=cell>{b.subject.clone()}</td>
                                    <td style=num>{money(b.spent, &cur)}</td>
                                    <td style=num>{money(b.amount, &cur)}</td>
                                    <td style=cell>{b.status.clone()}</td>
                                </tr>
                            }
                        })
                        .collect_view();
                    view! {
                        <h3 style="font-size:14px;margin:12px 0 4px">"Budgets"</h3>
                        <table role="presentation" style="border-collapse:collapse">
                            <tr><th style=cell>"Budget"</th><th style=num>"Spent"</th><th style=num>"Amount"</th><th style=cell>"Status"</th></tr>
                            {rows}
                        </table>
                    }
                    .into_any()
                };
                view! {
                    <h2 style="font-size:18px;margin:24px 0 8px">{s.title.clone()}</h2>
                    <table role="presentation" style="border-collapse:collapse">
                        <tr><th style=cell>"Spend"</th><td style=num><strong>{money(s.spend, &cur)}</strong></td></tr>
                        <tr><th style=cell>"Change vs last month"</th><td style=num>{s.change(&cur)}</td></tr>
                    </table>
                    {list("Top features", &s.top_features)}
                    {list("Top models", &s.top_models)}
                    {budgets}
                }
            })
            .collect_view();
        let title = format!(
            "tokentally monthly digest for {}, {}",
            self.month, self.audience
        );
        render(move || {
            view! {
                <!DOCTYPE html>
                <html lang="en">
                    <head><meta charset="utf-8"/><title>{title.clone()}</title></head>
                    <body style="font-family:system-ui,sans-serif;color:#1a1a1a;font-size:14px">
                        <h1 style="font-size:20px">{title}</h1>
                        {sections}
                        <p style="color:#666;margin-top:24px">"Figures are blended costs (tokens, overheads and commitments), as on the showback page."</p>
                    </body>
                </html>
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn digest() -> DigestEmail {
        DigestEmail {
            month: "2026-10".parse().unwrap(),
            currency: "USD".into(),
            audience: "your teams".into(),
            sections: vec![DigestSection {
                title: "search <&>".into(),
                spend: dec!(1234.5),
                previous: Some(dec!(1100)),
                top_features: vec![("answers".into(), dec!(1200))],
                top_models: vec![("gpt-4o".into(), dec!(1234.5))],
                budgets: vec![DigestBudget {
                    subject: "team search".into(),
                    amount: dec!(2000),
                    spent: dec!(1234.5),
                    status: "on track".into(),
                }],
            }],
        }
    }

    #[test]
    fn both_parts_say_the_same_figures_and_the_html_escapes_names() {
        let d = digest();
        let text = d.text();
        assert!(text.contains("Spend: $1,234.50"), "{text}");
        assert!(
            text.contains("Change vs last month: +$134.50 (+12.2%)"),
            "{text}"
        );
        assert!(text.contains("  - answers: $1,200.00"), "{text}");
        assert!(
            text.contains("team search: $1,234.50 of $2,000.00, on track"),
            "{text}"
        );
        let html = d.html();
        assert!(html.contains("$1,234.50"), "{html}");
        assert!(html.contains("search &lt;&amp;&gt;"), "{html}");
        assert!(!html.contains("search <&>"), "{html}");
        assert!(d.subject().starts_with("tokentally digest 2026-10"));
    }
}
