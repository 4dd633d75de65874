//! Charts as inline SVG, drawn with plotters on pixel coordinates. Heights are computed from
//! exact decimals in integer pixels, so no floating point touches an amount.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use crate::format;

/// Colour-blind-friendly palette (Okabe–Ito, then Tableau); a team keeps its colour on every
/// chart because the colour follows its name.
const PALETTE: [(u8, u8, u8); 10] = [
    (0, 114, 178),
    (230, 159, 0),
    (0, 158, 115),
    (204, 121, 167),
    (86, 180, 233),
    (213, 94, 0),
    (240, 228, 66),
    (121, 94, 168),
    (140, 86, 75),
    (23, 190, 207),
];
const UNALLOCATED_GREY: (u8, u8, u8) = (160, 160, 160);

/// Colours for the series of one page: every name gets its own colour, in name order, so the
/// same team has the same colour in every chart and table of the page. Unallocated is grey.
#[derive(Debug, Clone, Default)]
pub struct Palette {
    colours: std::collections::BTreeMap<String, (u8, u8, u8)>,
}

impl Palette {
    pub fn new<'a>(names: impl IntoIterator<Item = &'a str>) -> Self {
        let mut names: Vec<&str> = names
            .into_iter()
            .filter(|n| *n != tokentally_domain::attribution::UNALLOCATED)
            .collect();
        names.sort_unstable();
        names.dedup();
        let colours = names
            .into_iter()
            .enumerate()
            .map(|(i, n)| (n.to_owned(), PALETTE[i % PALETTE.len()]))
            .collect();
        Self { colours }
    }

    /// Token classes keep fixed colours everywhere.
    pub fn token_classes() -> Self {
        let colours = tokentally_domain::pricing::TokenClass::ALL
            .iter()
            .zip([
                (0, 114, 178),
                (86, 180, 233),
                (0, 158, 115),
                (230, 159, 0),
                (204, 121, 167),
                (0, 90, 50),
                (213, 94, 0),
                (240, 228, 66),
                (120, 94, 240),
                (153, 79, 0),
                (100, 143, 255),
                (254, 97, 0),
                (220, 38, 127),
                (80, 80, 80),
            ])
            .map(|(c, rgb)| (c.label().to_owned(), rgb))
            .collect();
        Self { colours }
    }

    pub fn color_of(&self, name: &str) -> (u8, u8, u8) {
        self.colours.get(name).copied().unwrap_or(UNALLOCATED_GREY)
    }

    pub fn css(&self, name: &str) -> String {
        let (r, g, b) = self.color_of(name);
        format!("rgb({r},{g},{b})")
    }
}

/// One bar of a stacked bar chart: a label and its segments (series name, amount).
#[derive(Debug, Clone)]
pub struct Bar {
    pub label: String,
    pub segments: Vec<(String, Decimal)>,
}

/// A horizontal line across a chart (a budget).
#[derive(Debug, Clone)]
pub struct Marker {
    pub label: String,
    pub value: Decimal,
}

const W: u32 = 760;
const H: u32 = 260;
const LEFT: i32 = 70;
const RIGHT: i32 = 12;
const TOP: i32 = 12;
const BOTTOM: i32 = 36;

fn px(value: Decimal, max: Decimal, span: i32) -> i32 {
    if max <= Decimal::ZERO {
        return 0;
    }
    (value.max(Decimal::ZERO) * Decimal::from(span) / max)
        .round()
        .to_i32()
        .unwrap_or(0)
        .clamp(0, span)
}

/// A "nice" axis maximum above `max`: 1, 2 or 5 times a power of ten.
fn nice_ceiling(max: Decimal) -> Decimal {
    if max <= Decimal::ZERO {
        return Decimal::ONE;
    }
    let mut step = Decimal::new(1, 2);
    loop {
        for m in [1, 2, 5] {
            let c = step * Decimal::from(m);
            if c >= max {
                return c;
            }
        }
        step *= Decimal::TEN;
    }
}

/// Stacked vertical bars with a money axis, in `currency`.
pub fn stacked_bars(
    bars: &[Bar],
    palette: &Palette,
    currency: &str,
    marker: Option<&Marker>,
) -> String {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (W, H)).into_drawing_area();
        let _ = root.fill(&WHITE);
        let totals: Vec<Decimal> = bars
            .iter()
            .map(|b| b.segments.iter().map(|s| s.1).sum())
            .collect();
        let data_max = totals
            .iter()
            .copied()
            .chain(marker.map(|m| m.value))
            .max()
            .unwrap_or(Decimal::ZERO);
        let max = nice_ceiling(data_max);
        let plot_h = H as i32 - TOP - BOTTOM;
        let plot_w = W as i32 - LEFT - RIGHT;
        let axis = ShapeStyle::from(&RGBColor(200, 200, 200)).stroke_width(1);
        let label_style =
            TextStyle::from(("sans-serif", 13).into_font()).color(&RGBColor(80, 80, 80));
        for i in 0..=4 {
            let v = max * Decimal::from(i) / Decimal::from(4);
            let y = TOP + plot_h - px(v, max, plot_h);
            let _ = root.draw(&PathElement::new(vec![(LEFT, y), (LEFT + plot_w, y)], axis));
            let _ = root.draw(&Text::new(
                format::money(v, currency),
                (LEFT - 6, y),
                label_style.pos(Pos::new(HPos::Right, VPos::Center)),
            ));
        }
        let n = bars.len().max(1) as i32;
        let slot = plot_w / n;
        let bar_w = (slot * 7 / 10).max(2);
        for (i, bar) in bars.iter().enumerate() {
            let x0 = LEFT + slot * i as i32 + (slot - bar_w) / 2;
            let mut acc = Decimal::ZERO;
            for (name, amount) in &bar.segments {
                let y_low = TOP + plot_h - px(acc, max, plot_h);
                acc += *amount;
                let y_high = TOP + plot_h - px(acc, max, plot_h);
                if y_high < y_low {
                    let (r, g, b) = palette.color_of(name);
                    let _ = root.draw(&Rectangle::new(
                        [(x0, y_high), (x0 + bar_w, y_low)],
                        RGBColor(r, g, b).filled(),
                    ));
                }
            }
            let every = (bars.len() / 12).max(1);
            if i % every == 0 {
                let _ = root.draw(&Text::new(
                    bar.label.clone(),
                    (x0 + bar_w / 2, TOP + plot_h + 6),
                    label_style.pos(Pos::new(HPos::Center, VPos::Top)),
                ));
            }
        }
        if let Some(m) = marker {
            let y = TOP + plot_h - px(m.value, max, plot_h);
            let style = ShapeStyle::from(&RGBColor(200, 40, 40)).stroke_width(2);
            let _ = root.draw(&PathElement::new(
                vec![(LEFT, y), (LEFT + plot_w, y)],
                style,
            ));
            let _ = root.draw(&Text::new(
                m.label.clone(),
                (LEFT + plot_w - 4, y - 4),
                label_style.pos(Pos::new(HPos::Right, VPos::Bottom)),
            ));
        }
        let _ = root.present();
    }
    svg
}

/// Horizontal stacked bars (one per row label), e.g. cost by token class per team.
pub fn stacked_rows(rows: &[Bar], palette: &Palette, currency: &str) -> String {
    let mut svg = String::new();
    let row_h = 26;
    let height = (TOP + BOTTOM + row_h * rows.len().max(1) as i32) as u32;
    let label_w = 130;
    {
        let root = SVGBackend::with_string(&mut svg, (W, height)).into_drawing_area();
        let _ = root.fill(&WHITE);
        let max = nice_ceiling(
            rows.iter()
                .map(|r| r.segments.iter().map(|s| s.1).sum::<Decimal>())
                .max()
                .unwrap_or(Decimal::ZERO),
        );
        let plot_w = W as i32 - label_w - RIGHT;
        let label_style =
            TextStyle::from(("sans-serif", 13).into_font()).color(&RGBColor(60, 60, 60));
        for (i, row) in rows.iter().enumerate() {
            let y0 = TOP + row_h * i as i32 + 4;
            let _ = root.draw(&Text::new(
                row.label.clone(),
                (label_w - 8, y0 + (row_h - 8) / 2),
                label_style.pos(Pos::new(HPos::Right, VPos::Center)),
            ));
            let mut acc = Decimal::ZERO;
            for (name, amount) in &row.segments {
                let x_low = label_w + px(acc, max, plot_w);
                acc += *amount;
                let x_high = label_w + px(acc, max, plot_w);
                if x_high > x_low {
                    let (r, g, b) = palette.color_of(name);
                    let _ = root.draw(&Rectangle::new(
                        [(x_low, y0), (x_high, y0 + row_h - 8)],
                        RGBColor(r, g, b).filled(),
                    ));
                }
            }
        }
        let axis_y = TOP + row_h * rows.len() as i32 + 6;
        let _ = root.draw(&Text::new(
            format::money(max, currency),
            (label_w + plot_w, axis_y),
            label_style.pos(Pos::new(HPos::Right, VPos::Top)),
        ));
        let _ = root.draw(&Text::new(
            format::money(Decimal::ZERO, currency),
            (label_w, axis_y),
            label_style.pos(Pos::new(HPos::Left, VPos::Top)),
        ));
        let _ = root.present();
    }
    svg
}

/// One line of a [`line_chart`]: its name and a value per label, `None` for a gap.
#[derive(Debug, Clone)]
pub struct Series {
    pub name: String,
    pub values: Vec<Option<Decimal>>,
}

/// Lines over evenly spaced labels (months), from zero up; a `None` value breaks its line (a
/// month without usage is a gap, not a zero). Axis labels are written by `label`.
pub fn line_chart(
    labels: &[String],
    series: &[Series],
    palette: &Palette,
    label: &dyn Fn(Decimal) -> String,
    marker: Option<&Marker>,
) -> String {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (W, H)).into_drawing_area();
        let _ = root.fill(&WHITE);
        let data_max = series
            .iter()
            .flat_map(|s| s.values.iter().flatten().copied())
            .chain(marker.map(|m| m.value))
            .max()
            .unwrap_or(Decimal::ZERO);
        let max = nice_ceiling(data_max);
        let plot_h = H as i32 - TOP - BOTTOM;
        let plot_w = W as i32 - LEFT - RIGHT;
        let axis = ShapeStyle::from(&RGBColor(200, 200, 200)).stroke_width(1);
        let label_style =
            TextStyle::from(("sans-serif", 13).into_font()).color(&RGBColor(80, 80, 80));
        for i in 0..=4 {
            let v = max * Decimal::from(i) / Decimal::from(4);
            let y = TOP + plot_h - px(v, max, plot_h);
            let _ = root.draw(&PathElement::new(vec![(LEFT, y), (LEFT + plot_w, y)], axis));
            let _ = root.draw(&Text::new(
                label(v),
                (LEFT - 6, y),
                label_style.pos(Pos::new(HPos::Right, VPos::Center)),
            ));
        }
        let n = labels.len().max(1) as i32;
        let slot = plot_w / n;
        let x_of = |i: usize| LEFT + slot * i as i32 + slot / 2;
        for (i, l) in labels.iter().enumerate() {
            let _ = root.draw(&Text::new(
                l.clone(),
                (x_of(i), TOP + plot_h + 6),
                label_style.pos(Pos::new(HPos::Center, VPos::Top)),
            ));
        }
        for s in series {
            let (r, g, b) = palette.color_of(&s.name);
            let colour = RGBColor(r, g, b);
            let mut run: Vec<(i32, i32)> = Vec::new();
            let mut runs: Vec<Vec<(i32, i32)>> = Vec::new();
            for (i, v) in s.values.iter().enumerate() {
                match v {
                    Some(v) => run.push((x_of(i), TOP + plot_h - px(*v, max, plot_h))),
                    None => runs.push(std::mem::take(&mut run)),
                }
            }
            runs.push(run);
            for run in runs.into_iter().filter(|r| !r.is_empty()) {
                for p in &run {
                    let _ = root.draw(&Circle::new(*p, 3, colour.filled()));
                }
                if run.len() > 1 {
                    let _ = root.draw(&PathElement::new(run, colour.stroke_width(2)));
                }
            }
        }
        if let Some(m) = marker {
            let y = TOP + plot_h - px(m.value, max, plot_h);
            let style = ShapeStyle::from(&RGBColor(200, 40, 40)).stroke_width(2);
            let _ = root.draw(&PathElement::new(
                vec![(LEFT, y), (LEFT + plot_w, y)],
                style,
            ));
            let _ = root.draw(&Text::new(
                m.label.clone(),
                (LEFT + plot_w - 4, y - 4),
                label_style.pos(Pos::new(HPos::Right, VPos::Bottom)),
            ));
        }
        let _ = root.present();
    }
    svg
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn charts_are_svg_with_a_rect_per_segment() {
        let bars = vec![
            Bar {
                label: "2026-01".into(),
                segments: vec![("a".into(), dec!(10)), ("b".into(), dec!(5))],
            },
            Bar {
                label: "2026-02".into(),
                segments: vec![("a".into(), dec!(12))],
            },
        ];
        let p = Palette::new(["a", "b"]);
        let svg = stacked_bars(
            &bars,
            &p,
            "USD",
            Some(&Marker {
                label: "budget".into(),
                value: dec!(20),
            }),
        );
        assert!(svg.starts_with("<svg"), "{svg}");
        assert!(svg.contains("2026-02") && svg.contains("budget"));
        assert_eq!(
            svg.matches("<rect").count(),
            1 + 3,
            "the background and three segments"
        );
        assert!(stacked_rows(&bars, &p, "USD").contains("<svg"));
    }

    #[test]
    fn a_line_breaks_at_a_gap_and_draws_a_dot_per_value() {
        let labels: Vec<String> = ["01", "02", "03", "04"].map(String::from).to_vec();
        let s = Series {
            name: "a".into(),
            values: vec![Some(dec!(1)), Some(dec!(2)), None, Some(dec!(3))],
        };
        let svg = line_chart(
            &labels,
            &[s],
            &Palette::new(["a"]),
            &|v| v.to_string(),
            Some(&Marker {
                label: "target".into(),
                value: dec!(2.5),
            }),
        );
        assert_eq!(svg.matches("<circle").count(), 3, "{svg}");
        // Five grid lines, one line of two points (the lone point after the gap has none),
        // and the target.
        assert_eq!(svg.matches("<polyline").count(), 5 + 1 + 1, "{svg}");
        assert!(svg.contains("target"));
    }

    #[test]
    fn every_name_gets_its_own_colour_and_unallocated_is_grey() {
        let p = Palette::new(["search", "support", "legal-ai", "Unallocated"]);
        assert_ne!(p.color_of("search"), p.color_of("support"));
        assert_ne!(p.color_of("search"), p.color_of("legal-ai"));
        assert_eq!(p.color_of("Unallocated"), UNALLOCATED_GREY);
        assert_eq!(nice_ceiling(dec!(730)), dec!(1000));
        assert_eq!(nice_ceiling(dec!(0.3)), dec!(0.5));
    }
}

/// A chart with its caption, an optional legend, and its figures in words for those who
/// cannot see it.
#[leptos::component]
pub fn Figure(
    #[prop(into)] caption: String,
    #[prop(into)] alt: String,
    svg: String,
    #[prop(optional)] legend: Option<leptos::prelude::AnyView>,
) -> impl leptos::IntoView {
    use leptos::prelude::*;
    view! {
        <figure class="chart">
            <figcaption>{caption}</figcaption>
            {legend}
            <div role="img" aria-label=alt inner_html=svg></div>
        </figure>
    }
}
