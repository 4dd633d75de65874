//! Packed reads: a query's rows answered as one text, a JSON array of arrays, and read from it.
//!
//! Why: sqlx hands each SQLite row from its worker thread to the caller one at a time (a
//! channel send and a wake-up per row) and converts every value into the Any driver's own. A
//! drill-down's month read, 58,000 daily rollup rows of 29 columns at 1M events, spent most of
//! its time there (profile in docs/BENCHMARKS.md). Packed, the database builds one value
//! (SQLite's `json_group_array`, PostgreSQL's `json_agg`) and the server parses it in one go,
//! borrowing the strings it can. The rows and their order of columns are the query's own, so
//! a type reads a packed row exactly as it reads a driver's row ([`super::FromRow`]).
//!
//! Integers travel as JSON integers (both databases write 64-bit integers exactly); money is
//! never in these rows.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use sqlx::AnyPool;
use sqlx::any::AnyArguments;

use super::{Cols, FromRow, Source};
use crate::storage::{Backend, StoreError};

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
/// `args` bound to its parameters), read as `T`s from one packed answer.
pub(in crate::storage) async fn fetch_all<T: FromRow>(
    pool: &AnyPool,
    backend: Backend,
    inner: &str,
    args: AnyArguments<'static>,
) -> Result<Vec<T>, StoreError> {
    let columns = T::COLUMNS.join(", ");
    let sql = match backend {
        Backend::Sqlite => format!(
            "SELECT json_group_array(json_array({columns})) AS packed FROM ({inner}) AS packed_rows"
        ),
        Backend::Postgres => format!(
            "SELECT CAST(COALESCE(json_agg(json_build_array({columns})), '[]') AS TEXT) AS packed \
             FROM ({inner}) AS packed_rows"
        ),
    };
    let text: String = sqlx::query_scalar_with(&sql, args).fetch_one(pool).await?;
    read_all(&text)
}

/// `T`s from a packed answer.
fn read_all<T: FromRow>(text: &str) -> Result<Vec<T>, StoreError> {
    let rows: Vec<Vec<Cell<'_>>> = serde_json::from_str(text)
        .map_err(|e| StoreError::Corrupt(format!("a packed answer: {e}")))?;
    rows.iter()
        .map(|cells| {
            let mut c = Cols {
                row: Source::Packed(cells, T::COLUMNS),
                at: 0,
            };
            if cells.len() != T::COLUMNS.len() {
                return Err(StoreError::Corrupt(format!(
                    "a packed row of {} values where {} reads {}",
                    cells.len(),
                    std::any::type_name::<T>(),
                    T::COLUMNS.len()
                )));
            }
            T::read(&mut c)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

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
