//! The marks of a chart that plotters drew: each shape's series and figure, written into the
//! SVG once it is drawn (plotters writes neither), for the tooltips and the legend's buttons.

use super::waterfall::escape;

/// What a drawn shape is: the series it belongs to and, for a mark, its figure as a tooltip.
#[derive(Debug, Clone)]
pub struct Mark {
    series: String,
    title: Option<String>,
}

impl Mark {
    pub fn figure(series: &str, title: String) -> Option<Self> {
        Some(Self {
            series: series.to_owned(),
            title: Some(title),
        })
    }

    pub fn line(series: &str) -> Option<Self> {
        Some(Self {
            series: series.to_owned(),
            title: None,
        })
    }
}

/// Gives the n-th `<tag …/>` of `svg` what `marks[n]` says: its series as `data-series` (the
/// legend's buttons hide and show a series by it) and its tooltip as a `<title>`; `None` leaves
/// it as it is. Plotters draws neither, so they go in once it has drawn, in drawing order.
pub fn annotate(svg: &str, tag: &str, marks: &[Option<Mark>]) -> String {
    let open = format!("<{tag} ");
    let mut out = String::with_capacity(svg.len() + 80 * marks.len());
    let mut rest = svg;
    let mut n = 0;
    while let Some(start) = rest.find(&open) {
        let Some(len) = rest[start..].find("/>") else {
            break;
        };
        let end = start + len;
        out.push_str(&rest[..end]);
        match marks.get(n).and_then(Option::as_ref) {
            Some(mark) => {
                out.push_str(" data-series=\"");
                out.push_str(&escape(&mark.series));
                out.push('"');
                match &mark.title {
                    Some(title) => {
                        out.push_str("><title>");
                        out.push_str(&escape(title));
                        out.push_str("</title></");
                        out.push_str(tag);
                        out.push('>');
                    }
                    None => out.push_str("/>"),
                }
            }
            None => out.push_str("/>"),
        }
        rest = &rest[end + 2..];
        n += 1;
    }
    out.push_str(rest);
    out
}
