//! Packed reads: a query's rows answered as one text, a JSON array of arrays, and read from it.
//!
//! Why: sqlx hands each SQLite row from its worker thread to the caller one at a time (a
//! channel send and a wake-up per row) and converts every value into the Any driver's own. A
//! drill-down's month read, 58,000 daily rollup rows of 29 columns at 1M events, spent most of
//! its time there (profile in docs/BENCHMARKS.md). Packed, SQLite builds one value
//! (`json_group_array`) and the server parses it in one go, borrowing the strings it can. The rows and their order of columns are the query's own, so
//! a type reads a packed row exactly as it reads a driver's row ([`super::FromRow`]).
//!
//! Integers travel as JSON integers (SQLite writes 64-bit integers exactly); money is never
//! in these rows. PostgreSQL answers its rows as they are (`Store::read_rows` says why).

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use sqlx::AnyPool;
use sqlx::any::AnyArguments;

use super::{Cols, FromRow, Source};
use crate::storage::StoreError;

/// One value of a packed row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(in crate::storage) enum Cell<'a> {
    Int(i64),
    Text(Cow<'a, str>),
    Null,
}

impl<'de: 'a, 'a> serde::Deserialize<'de> for Cell<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct CellVisitor;
        impl<'de> Visitor<'de> for CellVisitor {
            type Value = Cell<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an integer, a string or null")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(Cell::Int(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                i64::try_from(v)
                    .map(Cell::Int)
                    .map_err(|_| E::custom(format!("{v} is beyond a 64-bit integer")))
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Cell::Text(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Cell::Text(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Cell::Text(Cow::Owned(v)))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Cell::Null)
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Cell::Null)
            }
        }
        d.deserialize_any(CellVisitor)
    }
}

/// A column's value from a packed cell; `None` when the cell holds another kind.
pub(in crate::storage) trait FromCell: Sized {
    fn from_cell(c: &Cell<'_>) -> Option<Self>;
}

impl FromCell for String {
    fn from_cell(c: &Cell<'_>) -> Option<Self> {
        match c {
            Cell::Text(s) => Some(s.to_string()),
            _ => None,
        }
    }
}

impl FromCell for i64 {
    fn from_cell(c: &Cell<'_>) -> Option<Self> {
        match c {
            Cell::Int(n) => Some(*n),
            _ => None,
        }
    }
}

impl<T: FromCell> FromCell for Option<T> {
    fn from_cell(c: &Cell<'_>) -> Option<Self> {
        match c {
            Cell::Null => Some(None),
            other => T::from_cell(other).map(Some),
        }
    }
}

/// The rows of `inner` (a query that selects `T::COLUMNS`, by those names, in order, with
/// `args` bound to its parameters), read as `T`s from one packed answer. SQLite only: see
/// `Store::read_rows` for why PostgreSQL answers its rows as they are.
pub(in crate::storage) async fn fetch_all<T: FromRow>(
    pool: &AnyPool,
    inner: &str,
    args: AnyArguments<'static>,
) -> Result<Vec<T>, StoreError> {
    let columns = T::COLUMNS.join(", ");
    let sql = format!(
        "SELECT json_group_array(json_array({columns})) AS packed FROM ({inner}) AS packed_rows"
    );
    let text: String = sqlx::query_scalar_with(&sql, args).fetch_one(pool).await?;
    read_all(&text)
}

/// `T`s from a packed answer, read row by row as the text is parsed: one buffer of cells
/// serves every row, so a month of rows makes no allocation per row beyond its own strings
/// (parsing into a vector of rows first spent a third of a drill-down's time allocating).
fn read_all<T: FromRow>(text: &str) -> Result<Vec<T>, StoreError> {
    let mut de = serde_json::Deserializer::from_str(text);
    let rows = de::DeserializeSeed::deserialize(Rows::<T>(std::marker::PhantomData), &mut de)
        .and_then(|rows| de.end().map(|()| rows))
        .map_err(|e| StoreError::Corrupt(format!("a packed answer: {e}")))?;
    Ok(rows)
}

/// The outer array of a packed answer, read as `T`s.
struct Rows<T>(std::marker::PhantomData<T>);

impl<'de, T: FromRow> de::DeserializeSeed<'de> for Rows<T> {
    type Value = Vec<T>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Vec<T>, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, T: FromRow> Visitor<'de> for Rows<T> {
    type Value = Vec<T>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of rows")
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        let mut cells: Vec<Cell<'de>> = Vec::with_capacity(T::COLUMNS.len());
        while seq.next_element_seed(Cells(&mut cells))?.is_some() {
            if cells.len() != T::COLUMNS.len() {
                return Err(de::Error::custom(format!(
                    "a packed row of {} values where {} reads {}",
                    cells.len(),
                    std::any::type_name::<T>(),
                    T::COLUMNS.len()
                )));
            }
            let mut c = Cols {
                row: Source::Packed(&cells, T::COLUMNS),
                at: 0,
            };
            out.push(T::read(&mut c).map_err(de::Error::custom)?);
            cells.clear();
        }
        Ok(out)
    }
}

/// One row of a packed answer, its cells put in a buffer the caller reuses.
struct Cells<'b, 'de>(&'b mut Vec<Cell<'de>>);

impl<'de> de::DeserializeSeed<'de> for Cells<'_, 'de> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Cells<'_, 'de> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a row: an array of values")
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(cell) = seq.next_element::<Cell<'de>>()? {
            self.0.push(cell);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_packed_answer_reads_row_by_row_and_refuses_a_short_row_or_trailing_text() {
        use tokentally_domain::rollup::UserWord;
        let text = r#"[["2026-03-01","openai","gpt-4o","k1","search","chat","","{}",0,5],
                       ["2026-03-02","openai","gpt-4o","k\"2","","","prod","{}",1,9223372036854775807]]"#;
        let words: Vec<UserWord> = read_all(text).unwrap();
        assert_eq!(words.len(), 2);
        assert_eq!(words[0].day.to_string(), "2026-03-01");
        assert_eq!((words[0].dims.team.as_str(), words[0].bits), ("search", 5));
        assert_eq!(
            words[1].dims.api_key, "k\"2",
            "an escaped string is read whole"
        );
        assert_eq!(
            (words[1].word, words[1].bits),
            (1, 9_223_372_036_854_775_807)
        );
        assert!(read_all::<UserWord>("[]").unwrap().is_empty());

        let short = r#"[["2026-03-01","openai","gpt-4o","k1","search","chat","","{}",0]]"#;
        let e = read_all::<UserWord>(short).unwrap_err().to_string();
        assert!(e.contains("a packed row of 9 values"), "{e}");
        let trailing = r#"[["2026-03-01","openai","gpt-4o","k1","search","chat","","{}",0,5]] x"#;
        assert!(read_all::<UserWord>(trailing).is_err());
        let not_a_day = r#"[["March","openai","gpt-4o","k1","search","chat","","{}",0,5]]"#;
        assert!(read_all::<UserWord>(not_a_day).is_err());
    }

    #[test]
    fn cells_borrow_plain_strings_and_keep_integers_exact() {
        let text = r#"[[9007199254740993, "plain", "esc\"aped", null]]"#;
        let rows: Vec<Vec<Cell<'_>>> = serde_json::from_str(text).unwrap();
        assert_eq!(rows[0][0], Cell::Int(9_007_199_254_740_993));
        assert!(matches!(&rows[0][1], Cell::Text(Cow::Borrowed("plain"))));
        assert_eq!(rows[0][2], Cell::Text(Cow::Owned("esc\"aped".into())));
        assert_eq!(rows[0][3], Cell::Null);
        assert_eq!(i64::from_cell(&rows[0][0]), Some(9_007_199_254_740_993));
        assert_eq!(
            String::from_cell(&rows[0][0]),
            None,
            "an integer is not text"
        );
        assert_eq!(Option::<String>::from_cell(&rows[0][3]), Some(None));
        assert!(serde_json::from_str::<Vec<Vec<Cell<'_>>>>("[[1.5]]").is_err());
    }
}
