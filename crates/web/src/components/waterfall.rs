//! A horizontal waterfall: the earlier total, one floating bar per step, the later total.
//!
//! Drawn as SVG by hand rather than with plotters, because each step is a link (`<a href>`
//! inside the SVG, which needs no JavaScript) to the team or feature it is about, and
//! plotters has no element for that. Positions are computed from exact decimals in integer
//! pixels, as in [`super::charts`]: no floating point touches an amount.

use std::fmt::Write;

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use crate::format;

/// One bar between the two totals: a signed amount, and where it links to, if anywhere.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub label: String,
    pub amount: Decimal,
    pub href: Option<String>,
}

const W: i32 = 760;
const LABEL_W: i32 = 250;
const AMOUNT_W: i32 = 100;
const ROW_H: i32 = 24;
const TOP: i32 = 8;
const BOTTOM: i32 = 8;

const TOTAL: &str = "rgb(0,114,178)";
const UP: &str = "rgb(213,94,0)";
const DOWN: &str = "rgb(0,158,115)";

/// Escapes text for an SVG text node or a double-quoted attribute.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `+$1.00` / `-$1.00`: a step's amount, its direction always shown.
pub fn signed_money(amount: Decimal, currency: &str) -> String {
    let m = format::money(amount, currency);
    if amount > Decimal::ZERO {
        format!("+{m}")
    } else {
        m
    }
}

/// The scale: amounts from `lo` to `hi` onto `span` pixels.
struct Scale {
    lo: Decimal,
    hi: Decimal,
    span: i32,
}

impl Scale {
    fn x(&self, v: Decimal) -> i32 {
        if self.hi <= self.lo {
            return LABEL_W;
        }
        let px = ((v - self.lo) * Decimal::from(self.span) / (self.hi - self.lo))
            .round()
            .to_i32()
            .unwrap_or(0)
            .clamp(0, self.span);
        LABEL_W + px
    }
}

/// Where the amount axis starts. From zero, unless every running total is positive and the
/// steps together span less than half of the smallest total: then a bar of a few cents
/// beside a total of thousands would be a pixel wide, so the axis is cut (the cut is drawn
/// on the two total bars) and starts one step-span below the smallest total, which gives the
/// steps at least half of the chart's width.
fn axis_start(lo: Decimal, hi: Decimal) -> Decimal {
    if lo <= Decimal::ZERO {
        return lo;
    }
    let spread = hi - lo;
    if spread * Decimal::TWO >= lo {
        return Decimal::ZERO;
    }
    lo - spread
}

/// The waterfall from `start` through `steps` to `end`, each a `(label, amount)`; `end` is
/// expected to equal `start` plus the steps (the bars are drawn from the running total).
pub fn waterfall(
    start: (&str, Decimal),
    steps: &[Step],
    end: (&str, Decimal),
    currency: &str,
) -> String {
    let mut running = start.1;
    let mut lo = start.1.min(end.1);
    let mut hi = start.1.max(end.1);
    for s in steps {
        running += s.amount;
        lo = lo.min(running);
        hi = hi.max(running);
    }
    let base = axis_start(lo, hi);
    let cut = base > Decimal::ZERO;
    let scale = Scale {
        lo: if cut { base } else { lo.min(Decimal::ZERO) },
        hi: hi.max(Decimal::ZERO),
        span: W - LABEL_W - AMOUNT_W - 8,
    };
    let rows = steps.len() as i32 + 2;
    let height = TOP + BOTTOM + ROW_H * rows;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="waterfall" width="{W}" height="{height}" viewBox="0 0 {W} {height}" font-family="sans-serif" font-size="13">"#
    );
    if cut {
        // Say in words where the cut axis starts; the totals carry a break mark.
        let _ = write!(
            svg,
            "<title>The amount axis starts at {} so that the steps can be seen</title>",
            escape(&format::money(base, currency))
        );
    }
    let _ = write!(
        svg,
        r##"<rect x="0" y="0" width="{W}" height="{height}" fill="#ffffff"/>"##
    );
    let zero = scale.x(if cut { base } else { Decimal::ZERO });
    let _ = write!(
        svg,
        r#"<line x1="{zero}" y1="{TOP}" x2="{zero}" y2="{}" stroke="rgb(200,200,200)"/>"#,
        height - BOTTOM
    );

    let mut row = 0;
    let mut bar = |svg: &mut String,
                   label: &str,
                   from: Decimal,
                   to: Decimal,
                   colour: &str,
                   text: String,
                   href: Option<&str>| {
        let y = TOP + ROW_H * row;
        row += 1;
        let (a, b) = (scale.x(from.min(to)), scale.x(from.max(to)));
        let width = (b - a).max(1);
        if let Some(href) = href {
            // The signed amount rides along for tests and scripts that read the chart.
            let _ = write!(
                svg,
                r#"<a href="{}" data-amount="{}">"#,
                escape(href),
                (to - from).normalize()
            );
        }
        let _ = write!(
            svg,
            r#"<g class="step"><title>{}: {}</title><text x="{}" y="{}" text-anchor="end" dominant-baseline="middle" fill="rgb(60,60,60)">{}</text><rect x="{a}" y="{}" width="{width}" height="{}" fill="{colour}"/><text x="{}" y="{}" dominant-baseline="middle" fill="rgb(60,60,60)">{}</text></g>"#,
            escape(label),
            escape(&text),
            LABEL_W - 8,
            y + ROW_H / 2,
            escape(label),
            y + 3,
            ROW_H - 6,
            W - AMOUNT_W,
            y + ROW_H / 2,
            escape(&text),
        );
        if href.is_some() {
            svg.push_str("</a>");
        }
        if cut && from == Decimal::ZERO {
            // A total drawn from a cut axis: two white slashes near its start mark the break.
            let x = a + 6;
            let _ = write!(
                svg,
                r#"<path class="axis-break" d="M{} {} l6 {} M{} {} l6 {}" stroke="white" stroke-width="2"/>"#,
                x,
                y + ROW_H - 3,
                -(ROW_H - 6),
                x + 5,
                y + ROW_H - 3,
                -(ROW_H - 6),
            );
        }
    };
    bar(
        &mut svg,
        start.0,
        Decimal::ZERO,
        start.1,
        TOTAL,
        format::money(start.1, currency),
        None,
    );
    let mut at = start.1;
    for s in steps {
        let colour = if s.amount < Decimal::ZERO { DOWN } else { UP };
        bar(
            &mut svg,
            &s.label,
            at,
            at + s.amount,
            colour,
            signed_money(s.amount, currency),
            s.href.as_deref(),
        );
        at += s.amount;
    }
    bar(
        &mut svg,
        end.0,
        Decimal::ZERO,
        end.1,
        TOTAL,
        format::money(end.1, currency),
        None,
    );
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn step(label: &str, amount: Decimal, href: Option<&str>) -> Step {
        Step {
            label: label.into(),
            amount,
            href: href.map(str::to_owned),
        }
    }

    #[test]
    fn a_bar_per_step_between_the_totals_and_links_where_given() {
        let svg = waterfall(
            ("2026-02", dec!(100)),
            &[
                step(
                    "Volume · search",
                    dec!(30),
                    Some("/teams/search?month=2026-03"),
                ),
                step("Price · openai/gpt-4o", dec!(-10), None),
            ],
            ("2026-03", dec!(120)),
            "USD",
        );
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"), "{svg}");
        // The background, two totals and two steps.
        assert_eq!(svg.matches("<rect").count(), 5);
        assert_eq!(svg.matches("<a href=").count(), 1);
        assert!(svg.contains(r#"<a href="/teams/search?month=2026-03" data-amount="30">"#));
        assert!(svg.contains("+$30.00") && svg.contains("-$10.00") && svg.contains("$120.00"));
        assert!(svg.contains(UP) && svg.contains(DOWN));
    }

    #[test]
    fn small_steps_beside_large_totals_get_a_cut_axis_and_half_the_width() {
        let svg = waterfall(
            ("2026-02", dec!(10000)),
            &[step("Volume", dec!(0.50), None)],
            ("2026-03", dec!(10000.50)),
            "USD",
        );
        // Cut one step-span below the smallest total: the axis starts at $9,999.50.
        assert!(svg.contains("axis starts at $9,999.50"), "{svg}");
        assert_eq!(svg.matches(r#"class="axis-break""#).count(), 2);
        // The step's bar takes half of the span (2 × 0.50 shown over 1.00), not one pixel.
        let span = W - LABEL_W - AMOUNT_W - 8;
        let step_bar = svg
            .split("<g class=\"step\">")
            .nth(2)
            .and_then(|g| g.split(r#"width=""#).nth(1))
            .and_then(|w| w.split('"').next())
            .and_then(|w| w.parse::<i32>().ok())
            .unwrap();
        assert_eq!(step_bar, span / 2);
    }

    #[test]
    fn steps_as_large_as_the_totals_keep_the_axis_at_zero() {
        let svg = waterfall(
            ("2026-02", dec!(100)),
            &[step("New", dec!(60), None)],
            ("2026-03", dec!(160)),
            "USD",
        );
        assert!(!svg.contains("axis starts at"), "{svg}");
        assert!(!svg.contains("axis-break"));
    }

    #[test]
    fn names_are_escaped_and_a_flat_chart_still_draws() {
        let svg = waterfall(
            ("a", Decimal::ZERO),
            &[step("<b>&\"x\"", Decimal::ZERO, Some("/teams/a&b"))],
            ("b", Decimal::ZERO),
            "USD",
        );
        assert!(svg.contains("&lt;b&gt;&amp;&quot;x&quot;"), "{svg}");
        assert!(svg.contains(r#"href="/teams/a&amp;b""#));
        assert!(!svg.contains("<b>"));
    }
}
