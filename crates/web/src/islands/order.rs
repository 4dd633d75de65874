//! What the table island sorts and filters by, as plain functions of the cells' text (so the
//! server and the tests share them with the browser): the figure a cell shows, the order of
//! rows, whether a row matches a filter, and the line that says how many do.

use std::cmp::Ordering;

/// Decimal places a figure is read to: a price card's rate has nine (`$0.000000375`).
const SCALE: u32 = 12;

/// The figure a cell shows, exactly, in units of 10⁻¹²: `$1,234.50`, `-$12.00`, `12.5%`,
/// `1.2M` and `845k` tokens, `$0.0271`. The first figure counts (`$12.00 (+3.0%)` is 12);
/// a cell with none (`–`, `new`) has none, and sorts below every figure, as the server's
/// `Option` does.
pub fn figure(text: &str) -> Option<i128> {
    let start = text.find(|c: char| c.is_ascii_digit())?;
    let negative = text[..start].contains(['-', '−']);
    let mut whole: i128 = 0;
    let mut fraction: i128 = 0;
    let mut places = 0u32;
    let mut in_fraction = false;
    let mut rest = text[start..].chars().peekable();
    while let Some(&c) = rest.peek() {
        match c {
            '0'..='9' => {
                let digit = i128::from(c.to_digit(10).unwrap_or_default());
                if in_fraction {
                    if places < SCALE {
                        fraction = fraction * 10 + digit;
                        places += 1;
                    }
                } else {
                    whole = whole.checked_mul(10)?.checked_add(digit)?;
                }
            }
            ',' if !in_fraction => {}
            '.' if !in_fraction => in_fraction = true,
            _ => break,
        }
        rest.next();
    }
    let multiplier: i128 = match rest.next() {
        Some('k') => 1_000,
        Some('M') => 1_000_000,
        Some('B') => 1_000_000_000,
        _ => 1,
    };
    let value = whole.checked_mul(10i128.pow(SCALE))? + fraction * 10i128.pow(SCALE - places);
    let value = value.checked_mul(multiplier)?;
    Some(if negative { -value } else { value })
}

/// A cell as a sort key: a figure in a column of numbers (`th.num`), its text otherwise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SortKey {
    Figure(Option<i128>),
    Text(String),
}

impl SortKey {
    pub fn of(text: &str, numeric: bool) -> Self {
        if numeric {
            Self::Figure(figure(text))
        } else {
            Self::Text(text.trim().to_lowercase())
        }
    }
}

/// The order rows go in, as positions into `rows` (each its key and its name, the text of its
/// heading cell): by key, reversed when descending, then by name, as the server orders teams.
pub fn order(rows: &[(SortKey, String)], descending: bool) -> Vec<usize> {
    let mut positions: Vec<usize> = (0..rows.len()).collect();
    positions.sort_by(|&a, &b| {
        let (ka, na) = &rows[a];
        let (kb, nb) = &rows[b];
        let by = match (ka, kb) {
            (SortKey::Figure(x), SortKey::Figure(y)) => x.cmp(y),
            (SortKey::Text(x), SortKey::Text(y)) => x.cmp(y),
            (SortKey::Figure(_), SortKey::Text(_)) => Ordering::Less,
            (SortKey::Text(_), SortKey::Figure(_)) => Ordering::Greater,
        };
        let by = if descending { by.reverse() } else { by };
        by.then_with(|| na.cmp(nb))
    });
    positions
}

/// Whether a row named `name` is shown under the filter `query`: every row for an empty
/// query, else those whose name holds it, case aside.
pub fn matches(name: &str, query: &str) -> bool {
    let query = query.trim().to_lowercase();
    query.is_empty() || name.trim().to_lowercase().contains(&query)
}

/// The line beside a filter: how many rows it leaves; nothing without a filter.
pub fn status(shown: usize, total: usize, query: &str) -> String {
    if query.trim().is_empty() {
        String::new()
    } else {
        format!("{shown} of {total} rows match “{}”", query.trim())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const UNIT: i128 = 1_000_000_000_000;

    #[test]
    fn figures_read_as_the_pages_write_them() {
        assert_eq!(figure("$1,234.50"), Some(1_234 * UNIT + UNIT / 2));
        assert_eq!(figure("-$12.00"), Some(-12 * UNIT));
        assert_eq!(figure("-$12.50 (-3.0%)"), Some(-(12 * UNIT + UNIT / 2)));
        assert_eq!(figure("$12.00 (+3.0%)"), Some(12 * UNIT));
        assert_eq!(figure("12.5%"), Some(12 * UNIT + UNIT / 2));
        assert_eq!(figure("1.2M"), Some(1_200_000 * UNIT));
        assert_eq!(figure("845k"), Some(845_000 * UNIT));
        assert_eq!(figure("$0.000000375"), Some(375_000));
        assert_eq!(figure("12,345"), Some(12_345 * UNIT));
        assert_eq!(figure("–"), None);
        assert_eq!(figure("new"), None);
    }

    #[test]
    fn rows_order_by_figure_then_name_and_a_missing_figure_is_lowest() {
        let rows = vec![
            (SortKey::of("$10.00", true), "b".to_owned()),
            (SortKey::of("–", true), "a".to_owned()),
            (SortKey::of("$10.00", true), "a".to_owned()),
            (SortKey::of("$9.99", true), "c".to_owned()),
        ];
        assert_eq!(order(&rows, false), vec![1, 3, 2, 0]);
        assert_eq!(order(&rows, true), vec![2, 0, 3, 1]);
    }

    #[test]
    fn text_orders_case_aside() {
        let rows = vec![
            (SortKey::of("beta", false), "beta".to_owned()),
            (SortKey::of("Alpha", false), "Alpha".to_owned()),
        ];
        assert_eq!(order(&rows, false), vec![1, 0]);
    }

    #[test]
    fn a_filter_matches_part_of_a_name_case_aside() {
        assert!(matches("Support", "sup"));
        assert!(matches("Support", "  PORT "));
        assert!(matches("anything", ""));
        assert!(!matches("search", "sup"));
        assert_eq!(status(2, 9, "sup"), "2 of 9 rows match “sup”");
        assert_eq!(status(9, 9, " "), "");
    }
}
