//! Numbers for what ingest names by the thousand: users (`user_numbers`), customers
//! (`customer_numbers`) and party dimension tuples (`party_dims`). A number is given once, by
//! insert-or-ignore then select, so several servers agree on it, and never changes; so each
//! server keeps the numbers it has seen committed and asks the database only about names it
//! has not met. With 100,000 customers a month, that turns a lookup per customer of every
//! batch into a lookup per customer per server.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use sqlx::any::AnyArguments;
use sqlx::{Any, Transaction};
use tokentally_domain::rollup::PartyDims;

use super::events::{EVENT_CHUNK, add, insert_sql};
use super::{Backend, StoreError};

/// Names kept per table at most: past it, new names are looked up in the database every
/// time (memory stays bounded however many customers there are).
const MAX_KNOWN_NAMES: usize = 500_000;

/// A numbering table: `n` and a unique name column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) struct NameTable {
    pub table: &'static str,
    pub column: &'static str,
}

pub(super) const USER_NUMBERS: NameTable = NameTable {
    table: "user_numbers",
    column: "user_id",
};

pub(super) const CUSTOMER_NUMBERS: NameTable = NameTable {
    table: "customer_numbers",
    column: "customer",
};

/// The numbers this server has seen committed.
#[derive(Debug, Clone, Default)]
pub(super) struct KnownNumbers(Arc<Mutex<Known>>);

#[derive(Debug, Default)]
struct Known {
    dims: HashMap<PartyDims, i64>,
    names: HashMap<NameTable, HashMap<String, u64>>,
}

/// Numbers a transaction looked up or gave: remembered once it has committed (a rolled-back
/// insert's number must not be).
#[derive(Debug, Default)]
pub(super) struct Learned {
    pub dims: Vec<(PartyDims, i64)>,
    names: Vec<(NameTable, String, u64)>,
}

impl Learned {
    pub fn extend(&mut self, other: Learned) {
        self.dims.extend(other.dims);
        self.names.extend(other.names);
    }
}

impl KnownNumbers {
    pub fn dims(&self, d: &PartyDims) -> Option<i64> {
        self.lock().dims.get(d).copied()
    }

    pub fn remember(&self, learned: Learned) {
        let mut known = self.lock();
        known.dims.extend(learned.dims);
        for (table, name, n) in learned.names {
            let names = known.names.entry(table).or_default();
            if names.len() < MAX_KNOWN_NAMES {
                names.insert(name, n);
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Known> {
        // Inserting cannot leave the maps half-changed.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The numbers of these names in `t`, numbering those seen for the first time; the names
/// this server did not know yet go into `learned`.
pub(super) async fn number_names(
    tx: &mut Transaction<'static, Any>,
    backend: Backend,
    known: &KnownNumbers,
    learned: &mut Learned,
    t: NameTable,
    names: Vec<&str>,
) -> Result<HashMap<String, u64>, StoreError> {
    let mut numbers = HashMap::with_capacity(names.len());
    let mut unknown = Vec::new();
    {
        let guard = known.lock();
        let cached = guard.names.get(&t);
        for name in names {
            match cached.and_then(|c| c.get(name)) {
                Some(&n) => {
                    numbers.insert(name.to_owned(), n);
                }
                None => unknown.push(name),
            }
        }
    }
    let found = number_in_database(tx, backend, t, &unknown).await?;
    for (name, n) in found {
        learned.names.push((t, name.clone(), n));
        numbers.insert(name, n);
    }
    Ok(numbers)
}

/// [`number_names`] in the database alone.
async fn number_in_database(
    tx: &mut Transaction<'static, Any>,
    backend: Backend,
    t: NameTable,
    names: &[&str],
) -> Result<HashMap<String, u64>, StoreError> {
    let mut numbers = HashMap::with_capacity(names.len());
    for chunk in names.chunks(EVENT_CHUNK) {
        find_numbers(tx, backend, t, chunk, &mut numbers).await?;
    }
    let new: Vec<&str> = names
        .iter()
        .copied()
        .filter(|n| !numbers.contains_key(*n))
        .collect();
    for chunk in new.chunks(EVENT_CHUNK) {
        // Only names not found are offered: on PostgreSQL every row offered takes a number
        // from the sequence, and words stay dense only if few are wasted.
        let sql = format!(
            "{} ON CONFLICT ({}) DO NOTHING",
            insert_sql(backend, t.table, &[t.column], chunk.len()),
            t.column
        );
        let mut args = AnyArguments::default();
        for name in chunk {
            add(&mut args, (*name).to_owned());
        }
        sqlx::query_with(&sql, args).execute(&mut **tx).await?;
        find_numbers(tx, backend, t, chunk, &mut numbers).await?;
    }
    if let Some(lost) = names.iter().find(|n| !numbers.contains_key(**n)) {
        return Err(StoreError::Corrupt(format!(
            "`{lost}` has no number in {}",
            t.table
        )));
    }
    Ok(numbers)
}

async fn find_numbers(
    tx: &mut Transaction<'static, Any>,
    backend: Backend,
    t: NameTable,
    names: &[&str],
    numbers: &mut HashMap<String, u64>,
) -> Result<(), StoreError> {
    let mut sql = format!(
        "SELECT {column}, n FROM {table} WHERE {column} IN (",
        column = t.column,
        table = t.table
    );
    for i in 0..names.len() {
        if i > 0 {
            sql.push_str(", ");
        }
        backend.push_param(&mut sql, i + 1);
    }
    sql.push(')');
    let mut args = AnyArguments::default();
    for name in names {
        add(&mut args, (*name).to_owned());
    }
    let found: Vec<(String, i64)> = sqlx::query_as_with(&sql, args)
        .persistent(names.len() == EVENT_CHUNK)
        .fetch_all(&mut **tx)
        .await?;
    for (name, n) in found {
        let n = u64::try_from(n)
            .map_err(|_| StoreError::Corrupt(format!("`{name}` has number {n} in {}", t.table)))?;
        numbers.insert(name, n);
    }
    Ok(())
}
