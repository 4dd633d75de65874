//! Charts as inline SVG, drawn with plotters on pixel coordinates. Heights are computed from
//! exact decimals in integer pixels, so no floating point touches an amount.
//!
//! Every bar segment and every point carries its figure as an SVG `<title>` (a tooltip, and
//! what a screen reader's "describe" reads); a chart of several series comes with a legend in
//! the order the series are stacked.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use tokentally_domain::attribution::UNALLOCATED;

use super::chart_marks::{Mark, annotate};
use crate::format;

type Rgb = (u8, u8, u8);

/// Colour-blind-friendly colours (Okabe–Ito, then Tableau and a few more) for series of a
/// fixed set, such as metrics, in the order given.
const PALETTE: [Rgb; 10] = [
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

/// Colours for teams. A team's colour is the slot the server handed it the first time it was
/// drawn (kept in the database), so it keeps its colour when teams are added, in every month,
/// and whoever looks (a lead sees their team in the colour finance sees it in); the first
/// sixteen teams each have their own. A team without a slot yet (only in tests and previews)
/// takes one from a hash of its name.
const TEAM_PALETTE: [Rgb; 16] = [
    (0, 114, 178),
    (230, 159, 0),
    (0, 158, 115),
    (204, 121, 167),
    (86, 180, 233),
    (213, 94, 0),
    (121, 94, 168),
    (140, 86, 75),
    (31, 70, 144),
    (23, 190, 207),
    (188, 60, 100),
    (100, 150, 40),
    (200, 180, 40),
    (250, 130, 110),
    (70, 70, 70),
    (150, 120, 220),
];
const UNALLOCATED_GREY: Rgb = (160, 160, 160);

/// FNV-1a over the name's bytes: stable across builds, platforms and releases (std's hasher
/// is not).
fn stable_hash(name: &str) -> u32 {
    name.bytes().fold(0x811c_9dc5_u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

/// The colour of a team in its palette slot; Unallocated is grey, a team without a slot
/// takes one from its name.
pub fn team_colour(team: &str, slot: Option<usize>) -> Rgb {
    if team == UNALLOCATED {
        return UNALLOCATED_GREY;
    }
    let slot = slot.unwrap_or_else(|| stable_hash(team) as usize);
    TEAM_PALETTE[slot % TEAM_PALETTE.len()]
}

/// Colours for the series of a chart: teams by their name ([`team_colour`]), or a fixed set
/// of series (metrics, token classes) each in its own colour.
#[derive(Debug, Clone, Default)]
pub struct Palette {
    colours: std::collections::BTreeMap<String, Rgb>,
    /// Teams' palette slots, when the palette is for teams.
    team_slots: Option<std::collections::BTreeMap<String, usize>>,
}

impl Palette {
    /// Every name of a fixed set gets its own colour, in name order. Unallocated is grey.
    pub fn new<'a>(names: impl IntoIterator<Item = &'a str>) -> Self {
        let mut names: Vec<&str> = names.into_iter().filter(|n| *n != UNALLOCATED).collect();
        names.sort_unstable();
        names.dedup();
        let colours = names
            .into_iter()
            .enumerate()
            .map(|(i, n)| (n.to_owned(), PALETTE[i % PALETTE.len()]))
            .collect();
        Self {
            colours,
            team_slots: None,
        }
    }

    /// Teams, each in the colour of its palette slot ([`team_colour`]).
    pub fn teams(slots: std::collections::BTreeMap<String, usize>) -> Self {
        Self {
            colours: Default::default(),
            team_slots: Some(slots),
        }
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
        Self {
            colours,
            team_slots: None,
        }
    }

    pub fn color_of(&self, name: &str) -> Rgb {
        if let Some(slots) = &self.team_slots {
            return team_colour(name, slots.get(name).copied());
        }
        self.colours.get(name).copied().unwrap_or(UNALLOCATED_GREY)
    }

    pub fn css(&self, name: &str) -> String {
        let (r, g, b) = self.color_of(name);
        format!("rgb({r},{g},{b})")
    }
}

/// The order series stack in, bottom up, and the legend's order: by name (case aside), with
/// Unallocated on top. The same in every bar and every month, whatever each one's size.
pub fn stack_order<'a>(names: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut names: Vec<String> = names.into_iter().map(str::to_owned).collect();
    names.sort_by(|a, b| {
        (a == UNALLOCATED)
            .cmp(&(b == UNALLOCATED))
            .then_with(|| a.to_lowercase().cmp(&b.to_lowercase()))
            .then_with(|| a.cmp(b))
    });
    names.dedup();
    names
}

/// A chart's legend: a swatch and the name of each series, in the order given. Each entry
/// names its series as the chart's shapes do (`data-series`), so that in the browser the
/// [`ChartIsland`](crate::islands::ChartIsland) turns it into a button that hides and shows
/// the series.
pub fn legend(names: &[String], palette: &Palette) -> leptos::prelude::AnyView {
    use leptos::prelude::*;
    let items = names
        .iter()
        .map(|n| {
            let style = format!("background:{}", palette.css(n));
            view! { <li data-series=n.clone()><span class="swatch" style=style aria-hidden="true"></span>{n.clone()}</li> }
        })
        .collect_view();
    view! { <ul class="legend">{items}</ul> }.into_any()
}

/// Labels for a money axis: whole amounts without cents (`$1,500`) when every tick is whole.
fn money_ticks(ticks: &[Decimal], currency: &str) -> Vec<String> {
    let whole = ticks.iter().all(|t| t.fract().is_zero());
    ticks
        .iter()
        .map(|t| {
            if whole {
                format::whole_money(*t, currency)
            } else {
                format::money(*t, currency)
            }
        })
        .collect()
}

/// The room the longest axis label needs left of the plot, in pixels.
fn label_room(labels: &[String]) -> i32 {
    let widest = labels.iter().map(|l| l.chars().count()).max().unwrap_or(0) as i32;
    (widest * 8 + 14).max(LEFT)
}

/// The style of axis text: large enough to read when the chart is drawn at half its width.
fn axis_text() -> TextStyle<'static> {
    TextStyle::from(("sans-serif", AXIS_FONT).into_font()).color(&RGBColor(55, 60, 70))
}

/// One bar of a stacked bar chart: a label and its segments (series name, amount), bottom up.
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
const H: u32 = 280;
const LEFT: i32 = 70;
const RIGHT: i32 = 12;
const TOP: i32 = 12;
const BOTTOM: i32 = 38;
/// In plotters' points: about 14 px of text in the 760 px drawing.
const AXIS_FONT: u32 = 17;

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

/// The five ticks of a value axis from zero to `max`.
fn ticks(max: Decimal) -> Vec<Decimal> {
    (0..=4)
        .map(|i| max * Decimal::from(i) / Decimal::from(4))
        .collect()
}

/// Draws a marker's line and label across the plot.
fn draw_marker<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    m: &Marker,
    max: Decimal,
    left: i32,
    plot_w: i32,
    plot_h: i32,
) {
    let y = TOP + plot_h - px(m.value, max, plot_h);
    let style = ShapeStyle::from(&RGBColor(200, 40, 40)).stroke_width(2);
    let _ = root.draw(&PathElement::new(
        vec![(left, y), (left + plot_w, y)],
        style,
    ));
    let _ = root.draw(&Text::new(
        m.label.clone(),
        (left + plot_w - 4, y - 4),
        axis_text().pos(Pos::new(HPos::Right, VPos::Bottom)),
    ));
}

/// Stacked vertical bars with a money axis, in `currency`. Segments stack in the order each
/// bar lists them; each carries its figure as a tooltip.
pub fn stacked_bars(
    bars: &[Bar],
    palette: &Palette,
    currency: &str,
    marker: Option<&Marker>,
) -> String {
    let mut svg = String::new();
    let mut marks: Vec<Option<Mark>> = vec![None]; // the background
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
        let ticks = ticks(max);
        let tick_labels = money_ticks(&ticks, currency);
        let left = label_room(&tick_labels);
        let plot_h = H as i32 - TOP - BOTTOM;
        let plot_w = W as i32 - left - RIGHT;
        let axis = ShapeStyle::from(&RGBColor(200, 200, 200)).stroke_width(1);
        for (v, text) in ticks.iter().zip(tick_labels) {
            let y = TOP + plot_h - px(*v, max, plot_h);
            let _ = root.draw(&PathElement::new(vec![(left, y), (left + plot_w, y)], axis));
            let _ = root.draw(&Text::new(
                text,
                (left - 6, y),
                axis_text().pos(Pos::new(HPos::Right, VPos::Center)),
            ));
        }
        let n = bars.len().max(1) as i32;
        let slot = plot_w / n;
        let bar_w = (slot * 7 / 10).max(2);
        // A label per bar while they fit side by side, else every second or third.
        let every = (bars.len() / 12).max(1);
        for (i, bar) in bars.iter().enumerate() {
            let x0 = left + slot * i as i32 + (slot - bar_w) / 2;
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
                    marks.push(Mark::figure(
                        name,
                        format!(
                            "{} · {name}: {}",
                            bar.label,
                            format::money(*amount, currency)
                        ),
                    ));
                }
            }
            if i % every == 0 {
                let _ = root.draw(&Text::new(
                    bar.label.clone(),
                    (x0 + bar_w / 2, TOP + plot_h + 8),
                    axis_text().pos(Pos::new(HPos::Center, VPos::Top)),
                ));
            }
        }
        if let Some(m) = marker {
            draw_marker(&root, m, max, left, plot_w, plot_h);
        }
        let _ = root.present();
    }
    annotate(&svg, "rect", &marks)
}

/// Horizontal stacked bars (one per row label), e.g. cost by token class per team.
pub fn stacked_rows(rows: &[Bar], palette: &Palette, currency: &str) -> String {
    let mut svg = String::new();
    let mut marks: Vec<Option<Mark>> = vec![None]; // the background
    let row_h = 28;
    let height = (TOP + BOTTOM + row_h * rows.len().max(1) as i32) as u32;
    let widest = rows
        .iter()
        .map(|r| r.label.chars().count())
        .max()
        .unwrap_or(0) as i32;
    let label_w = (widest * 8 + 16).clamp(90, 220);
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
        for (i, row) in rows.iter().enumerate() {
            let y0 = TOP + row_h * i as i32 + 4;
            let _ = root.draw(&Text::new(
                row.label.clone(),
                (label_w - 8, y0 + (row_h - 8) / 2),
                axis_text().pos(Pos::new(HPos::Right, VPos::Center)),
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
                    marks.push(Mark::figure(
                        name,
                        format!(
                            "{} · {name}: {}",
                            row.label,
                            format::money(*amount, currency)
                        ),
                    ));
                }
            }
        }
        let axis_y = TOP + row_h * rows.len() as i32 + 6;
        let ends = money_ticks(&[Decimal::ZERO, max], currency);
        let _ = root.draw(&Text::new(
            ends[1].clone(),
            (label_w + plot_w, axis_y),
            axis_text().pos(Pos::new(HPos::Right, VPos::Top)),
        ));
        let _ = root.draw(&Text::new(
            ends[0].clone(),
            (label_w, axis_y),
            axis_text().pos(Pos::new(HPos::Left, VPos::Top)),
        ));
        let _ = root.present();
    }
    annotate(&svg, "rect", &marks)
}

/// One line of a [`line_chart`]: its name and a value per label, `None` for a gap.
#[derive(Debug, Clone)]
pub struct Series {
    pub name: String,
    pub values: Vec<Option<Decimal>>,
}

/// Lines over evenly spaced labels (months), from zero up; a `None` value breaks its line (a
/// month without usage is a gap, not a zero). Values and axis labels are written by `label`;
/// each point carries its value as a tooltip.
pub fn line_chart(
    labels: &[String],
    series: &[Series],
    palette: &Palette,
    label: &dyn Fn(Decimal) -> String,
    marker: Option<&Marker>,
) -> String {
    let mut svg = String::new();
    let mut points: Vec<Option<Mark>> = Vec::new();
    // Plotters draws a path as a `<polyline>`: the grid lines first, then the series' lines.
    let mut lines: Vec<Option<Mark>> = Vec::new();
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
        let ticks = ticks(max);
        let tick_labels: Vec<String> = ticks.iter().map(|t| label(*t)).collect();
        let left = label_room(&tick_labels);
        let plot_h = H as i32 - TOP - BOTTOM;
        let plot_w = W as i32 - left - RIGHT;
        let axis = ShapeStyle::from(&RGBColor(200, 200, 200)).stroke_width(1);
        for (v, text) in ticks.iter().zip(tick_labels) {
            let y = TOP + plot_h - px(*v, max, plot_h);
            let _ = root.draw(&PathElement::new(vec![(left, y), (left + plot_w, y)], axis));
            lines.push(None);
            let _ = root.draw(&Text::new(
                text,
                (left - 6, y),
                axis_text().pos(Pos::new(HPos::Right, VPos::Center)),
            ));
        }
        let n = labels.len().max(1) as i32;
        let slot = plot_w / n;
        let x_of = |i: usize| left + slot * i as i32 + slot / 2;
        for (i, l) in labels.iter().enumerate() {
            let _ = root.draw(&Text::new(
                l.clone(),
                (x_of(i), TOP + plot_h + 8),
                axis_text().pos(Pos::new(HPos::Center, VPos::Top)),
            ));
        }
        for s in series {
            let (r, g, b) = palette.color_of(&s.name);
            let colour = RGBColor(r, g, b);
            let mut run: Vec<(i32, i32)> = Vec::new();
            let mut runs: Vec<Vec<(i32, i32)>> = Vec::new();
            for (i, v) in s.values.iter().enumerate() {
                match v {
                    Some(v) => {
                        run.push((x_of(i), TOP + plot_h - px(*v, max, plot_h)));
                        let month = labels.get(i).map_or("", String::as_str);
                        points.push(Mark::figure(
                            &s.name,
                            format!("{month} · {}: {}", s.name, label(*v)),
                        ));
                    }
                    None => runs.push(std::mem::take(&mut run)),
                }
            }
            runs.push(run);
            for run in runs.into_iter().filter(|r| !r.is_empty()) {
                if run.len() > 1 {
                    let _ = root.draw(&PathElement::new(run.clone(), colour.stroke_width(2)));
                    lines.push(Mark::line(&s.name));
                }
                for p in &run {
                    let _ = root.draw(&Circle::new(*p, 4, colour.filled()));
                }
            }
        }
        if let Some(m) = marker {
            draw_marker(&root, m, max, left, plot_w, plot_h);
        }
        let _ = root.present();
    }
    annotate(&annotate(&svg, "polyline", &lines), "circle", &points)
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
    fn a_teams_colour_is_its_slots_whatever_else_is_drawn() {
        let slots = |names: &[(&str, usize)]| {
            Palette::teams(names.iter().map(|(n, s)| (n.to_string(), *s)).collect())
        };
        let finance = slots(&[("search", 0), ("support", 1), ("growth", 2)]);
        let added = slots(&[
            ("search", 0),
            ("support", 1),
            ("growth", 2),
            ("aardvark", 3),
        ]);
        let lead = slots(&[("support", 1)]);
        assert_eq!(finance.color_of("support"), added.color_of("support"));
        assert_eq!(finance.color_of("support"), lead.color_of("support"));
        assert_eq!(finance.color_of("support"), TEAM_PALETTE[1]);
        // The first sixteen teams each have a colour of their own.
        let all: Vec<(String, usize)> = (0..16).map(|i| (format!("t{i}"), i)).collect();
        let p = Palette::teams(all.iter().cloned().collect());
        let colours: std::collections::BTreeSet<Rgb> =
            all.iter().map(|(n, _)| p.color_of(n)).collect();
        assert_eq!(colours.len(), 16);
        assert_eq!(p.color_of(UNALLOCATED), UNALLOCATED_GREY);
        // Without a slot, the name picks one, the same on every build.
        assert_eq!(stable_hash("search"), 0x8033_28a9);
        assert_eq!(
            Palette::teams(Default::default()).color_of("search"),
            TEAM_PALETTE[0x8033_28a9 % 16]
        );
    }

    #[test]
    fn segments_and_points_carry_their_figures_as_titles() {
        let bars = vec![Bar {
            label: "2026-01".into(),
            segments: vec![("R&D <core>".into(), dec!(1234.5)), ("b".into(), dec!(0))],
        }];
        let svg = stacked_bars(&bars, &Palette::teams(Default::default()), "USD", None);
        assert!(
            svg.contains("><title>2026-01 · R&amp;D &lt;core&gt;: $1,234.50</title></rect>"),
            "{svg}"
        );
        assert_eq!(
            svg.matches("<title>").count(),
            1,
            "a zero segment is not drawn"
        );
        let rows = stacked_rows(&bars, &Palette::teams(Default::default()), "USD");
        assert!(rows.contains("<title>2026-01 · R&amp;D &lt;core&gt;: $1,234.50</title>"));
        let line = line_chart(
            &["01".into(), "02".into()],
            &[Series {
                name: "cost per query".into(),
                values: vec![None, Some(dec!(0.25))],
            }],
            &Palette::new(["cost per query"]),
            &|v| format!("${v}"),
            None,
        );
        assert!(
            line.contains("><title>02 · cost per query: $0.25</title></circle>"),
            "{line}"
        );
    }

    #[test]
    fn every_shape_of_a_series_names_it_and_nothing_else_does() {
        let bars = vec![Bar {
            label: "2026-01".into(),
            segments: vec![("search".into(), dec!(10)), ("support".into(), dec!(5))],
        }];
        let svg = stacked_bars(&bars, &Palette::teams(Default::default()), "USD", None);
        assert_eq!(svg.matches(r#"data-series="search""#).count(), 1, "{svg}");
        assert_eq!(svg.matches(r#"data-series="support""#).count(), 1);
        assert_eq!(svg.matches("data-series").count(), 2, "not the background");
        let line = line_chart(
            &["01".into(), "02".into(), "03".into()],
            &[
                Series {
                    name: "a".into(),
                    values: vec![Some(dec!(1)), Some(dec!(2)), Some(dec!(3))],
                },
                Series {
                    name: "b".into(),
                    values: vec![Some(dec!(2)), None, Some(dec!(1))],
                },
            ],
            &Palette::new(["a", "b"]),
            &|v| format!("{v}"),
            Some(&Marker {
                label: "target".into(),
                value: dec!(2),
            }),
        );
        // a: its line and three points; b: two points and no line (a gap splits it).
        assert_eq!(line.matches(r#"data-series="a""#).count(), 4, "{line}");
        assert_eq!(line.matches(r#"data-series="b""#).count(), 2, "{line}");
        let polylines: Vec<&str> = line.split("<polyline ").skip(1).collect();
        let named = polylines
            .iter()
            .filter(|p| p[..p.find("/>").unwrap()].contains("data-series"))
            .count();
        assert_eq!(named, 1, "only a's line names a series: {line}");
        assert!(
            polylines.len() > 2,
            "grid lines and the target's line are drawn too, without a series"
        );
    }

    #[test]
    fn series_stack_by_name_with_unallocated_on_top_and_the_legend_follows() {
        let order = stack_order(["support", UNALLOCATED, "Growth", "search", "support"]);
        assert_eq!(order, ["Growth", "search", "support", UNALLOCATED]);
        let html = leptos::prelude::RenderHtml::to_html(legend(
            &order,
            &Palette::teams(Default::default()),
        ));
        assert!(html.starts_with(r#"<ul class="legend">"#), "{html}");
        assert!(html.find(">Growth</li>") < html.find(">Unallocated</li>"));
        assert_eq!(html.matches("<li data-series=").count(), 4);
        assert!(html.contains(r#"<li data-series="Growth">"#), "{html}");
    }

    #[test]
    fn whole_axis_ticks_drop_their_cents() {
        assert_eq!(
            money_ticks(&ticks(dec!(2000)), "USD"),
            ["$0", "$500", "$1,000", "$1,500", "$2,000"]
        );
        assert_eq!(money_ticks(&ticks(dec!(1)), "USD")[1], "$0.25");
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
            <ChartValues>
                {legend}
                <div role="img" aria-label=alt inner_html=svg></div>
            </ChartValues>
        </figure>
    }
}

/// A chart (its `role="img"` box of SVG, and its legend) that reads out the figure under the
/// pointer or the arrow keys in the browser, and whose legend hides and shows a series (the
/// [`ChartIsland`](crate::islands::ChartIsland)); its marks' `<title>` tooltips say the
/// figures without JavaScript.
#[leptos::component]
pub fn ChartValues(children: leptos::prelude::Children) -> impl leptos::IntoView {
    use crate::islands::{ChartIsland, with_islands};
    use leptos::prelude::*;
    with_islands(move || view! { <ChartIsland>{children()}</ChartIsland> })
}
