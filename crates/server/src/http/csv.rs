//! A small CSV writer (RFC 4180 quoting) for table downloads.

use axum::http::header;
use rust_decimal::Decimal;
use tokentally_domain::tokens::TokenCounts;

/// The token-class columns every usage table exports, in this order.
pub const TOKEN_HEADERS: [&str; 5] = [
    "input_tokens",
    "cached_input_tokens",
    "cache_write_tokens",
    "output_tokens",
    "reasoning_tokens",
];

/// The cells under [`TOKEN_HEADERS`].
pub fn token_cells(t: &TokenCounts) -> [String; 5] {
    [
        t.input,
        t.cached_input,
        t.cache_write,
        t.output,
        t.reasoning,
    ]
    .map(|n| n.to_string())
}

/// An optional amount: empty when there is none.
pub fn optional(d: Option<Decimal>) -> String {
    d.map(|d| d.to_string()).unwrap_or_default()
}
use axum::response::{IntoResponse, Response};

#[derive(Debug, Default)]
pub struct Csv {
    out: String,
}

impl Csv {
    pub fn new(headers: &[&str]) -> Self {
        let mut c = Self::default();
        c.row(headers.iter().map(|h| h.to_string()));
        c
    }

    pub fn row(&mut self, cells: impl IntoIterator<Item = String>) {
        let mut first = true;
        for cell in cells {
            if !first {
                self.out.push(',');
            }
            first = false;
            // Names come from ingested data: a cell a spreadsheet would run as a formula is
            // written as text. Numbers (negative ones too) stay numbers.
            let cell = if cell.starts_with(['=', '+', '-', '@', '\t', '\r'])
                && cell.parse::<rust_decimal::Decimal>().is_err()
            {
                format!("'{cell}")
            } else {
                cell
            };
            if cell.contains([',', '"', '\n', '\r']) {
                self.out.push('"');
                self.out.push_str(&cell.replace('"', "\"\""));
                self.out.push('"');
            } else {
                self.out.push_str(&cell);
            }
        }
        self.out.push_str("\r\n");
    }

    /// A row written as it is, for interchange files (FOCUS): no formula guard, since the
    /// values must stay the provider's and user's own; `None` is null, an empty unquoted
    /// field, and an empty string is written quoted so the two stay apart.
    pub fn row_exact(&mut self, cells: impl IntoIterator<Item = Option<String>>) {
        let mut first = true;
        for cell in cells {
            if !first {
                self.out.push(',');
            }
            first = false;
            match cell {
                None => {}
                Some(c) if c.is_empty() || c.contains([',', '"', '\n', '\r']) => {
                    self.out.push('"');
                    self.out.push_str(&c.replace('"', "\"\""));
                    self.out.push('"');
                }
                Some(c) => self.out.push_str(&c),
            }
        }
        self.out.push_str("\r\n");
    }

    pub fn into_string(self) -> String {
        self.out
    }

    /// A download response named `filename`; characters other than letters, digits, `-` and
    /// `.` (team and model names come from ingested data) become `_`.
    pub fn into_download(self, filename: &str) -> Response {
        let filename: String = filename
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{filename}\""),
                ),
            ],
            self.out,
        )
            .into_response()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn quotes_what_needs_quoting() {
        let mut c = super::Csv::new(&["a", "b"]);
        c.row(["x,y".to_string(), "say \"hi\"".to_string()]);
        assert_eq!(c.into_string(), "a,b\r\n\"x,y\",\"say \"\"hi\"\"\"\r\n");
        let mut c = super::Csv::new(&["team", "cost"]);
        c.row(["=HYPERLINK(\"x\")".to_string(), "-12.50".to_string()]);
        assert_eq!(
            c.into_string(),
            "team,cost\r\n\"'=HYPERLINK(\"\"x\"\")\",-12.50\r\n"
        );
    }
}
