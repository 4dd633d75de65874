//! Party rollups: what each customer and each user used per month, kept apart from the
//! rollups showback reads and keyed by integers (see DECISIONS.md, "Customers and users").
//!
//! Ingest appends one narrow row per month, interned dimensions, customer and user of a batch
//! to `usage_party_log` (no key to look up, so the writes land at the table's end); a
//! compaction folds the log into `usage_customers_monthly` and `usage_users_monthly` and
//! deletes what it folded, in one transaction. Readers sum the compacted rows and the log, so
//! they are exact whenever compaction runs.

use std::collections::{BTreeSet, HashMap};

use sqlx::any::AnyArguments;
use sqlx::{Any, Transaction};
use tokentally_domain::customer::CustomerRow;
use tokentally_domain::event::UsageEvent;
use tokentally_domain::month::Month;
use tokentally_domain::rollup::{self, Dims, PartyDims};

use super::events::{ROLLUP_CHUNK, add, count, insert_sql};
use super::numbering::{CUSTOMER_NUMBERS, KnownNumbers, Learned, USER_NUMBERS, number_names};
use super::rows::{decode_all, extra_counts, with_extra_counts};
use super::{Backend, Store, StoreError};

/// The sums of a party row, in the order of the log's and the rollups' columns.
pub(super) const PARTY_SUMS: &[&str] = &with_extra_counts::<7, 16>([
    "events",
    "requests",
    "input_tokens",
    "cached_input_tokens",
    "cache_write_tokens",
    "output_tokens",
    "reasoning_tokens",
]);

const DIMS_COLUMNS: &[&str] = &[
    "provider",
    "model",
    "api_key",
    "team",
    "feature",
    "environment",
    "tags",
    "service_tier",
    "context_band",
];

/// A party rollup: its compacted table and its party column (the log has both columns).
#[derive(Debug, Clone, Copy)]
pub(super) struct PartyTable {
    table: &'static str,
    party: &'static str,
    /// Where the party's name is: its numbering table and name column.
    names: &'static str,
    name: &'static str,
}

pub(super) const CUSTOMERS: PartyTable = PartyTable {
    table: "usage_customers_monthly",
    party: "customer",
    names: "customer_numbers",
    name: "customer",
};

pub(super) const USERS: PartyTable = PartyTable {
    table: "usage_users_monthly",
    party: "user_n",
    names: "user_numbers",
    name: "user_id",
};

/// Appends the party deltas of `stored` to the log; answers the numbers it learned (for
/// [`KnownNumbers::remember`] after the commit). `users` numbers every user of `stored`.
pub(super) async fn log_parties(
    tx: &mut Transaction<'static, Any>,
    backend: Backend,
    known: &KnownNumbers,
    stored: &[&UsageEvent],
    users: &HashMap<String, u64>,
) -> Result<Learned, StoreError> {
    let deltas = rollup::fold_parties(stored.iter().copied());
    log_deltas(tx, backend, known, &deltas, Some(users), 1).await
}

/// Appends the stored events of `source` on the days `first..=last` to the log with a minus
/// sign: they are about to be replaced (a pulled source's days fetched again).
pub(super) async fn unlog_source_days(
    tx: &mut Transaction<'static, Any>,
    backend: Backend,
    known: &KnownNumbers,
    source: &str,
    first: &str,
    last: &str,
) -> Result<Learned, StoreError> {
    // The context band of each call's input per request, as `context_band` computes it.
    let mut bands = String::from("CASE");
    for t in tokentally_domain::price_card::CONTEXT_THRESHOLDS
        .iter()
        .rev()
    {
        bands.push_str(&format!(
            " WHEN input_tokens / CASE WHEN requests > 0 THEN requests ELSE 1 END > {t} THEN {t}"
        ));
    }
    bands.push_str(" ELSE 0 END");
    let group = format!(
        "substr(day, 1, 7), provider, model, api_key, team, feature, environment, tags, \
         service_tier, {bands}, customer, user_id"
    );
    let sums: Vec<String> = std::iter::once("CAST(COUNT(*) AS BIGINT)".to_owned())
        .chain(
            PARTY_SUMS[1..]
                .iter()
                .map(|c| super::dialect::bigint(&format!("SUM({c})"))),
        )
        .collect();
    let sql = format!(
        "SELECT {group}, {} FROM events WHERE source = $1 AND day >= $2 AND day <= $3 \
         AND (customer <> '' OR user_id <> '') GROUP BY {group}",
        sums.join(", ")
    );
    let rows = sqlx::query(&sql)
        .bind(source.to_owned())
        .bind(first.to_owned())
        .bind(last.to_owned())
        .fetch_all(&mut **tx)
        .await?;
    let mut deltas = std::collections::BTreeMap::new();
    for r in &rows {
        use sqlx::Row;
        let text = |i: usize| -> Result<String, StoreError> { Ok(r.try_get::<String, _>(i)?) };
        let int = |i: usize| -> Result<u64, StoreError> {
            Ok(u64::try_from(r.try_get::<i64, _>(i)?).unwrap_or(0))
        };
        let month: Month = text(0)?
            .parse()
            .map_err(|_| StoreError::Corrupt("an event's day".into()))?;
        let dims = PartyDims {
            dims: Dims {
                provider: text(1)?,
                model: text(2)?,
                api_key: text(3)?,
                team: text(4)?,
                feature: text(5)?,
                environment: text(6)?,
                tags: text(7)?,
            },
            service_tier: text(8)?
                .parse()
                .map_err(|_| StoreError::Corrupt("an event's service tier".into()))?,
            context_band: int(9)?,
        };
        let key = rollup::PartyKey {
            month,
            dims,
            customer: text(10)?,
            user: text(11)?,
        };
        let mut v = [0u64; 16];
        for (i, slot) in v.iter_mut().enumerate() {
            *slot = int(12 + i)?;
        }
        let mut t = rollup::RollupTotals {
            events: v[0],
            requests: v[1],
            ..Default::default()
        };
        t.tokens.input = v[2];
        t.tokens.cached_input = v[3];
        t.tokens.cache_write = v[4];
        t.tokens.output = v[5];
        t.tokens.reasoning = v[6];
        t.tokens.cache_write_1h = v[7];
        t.tokens.audio_input = v[8];
        t.tokens.cached_audio_input = v[9];
        t.tokens.image_input = v[10];
        t.tokens.audio_output = v[11];
        t.tokens.image_output = v[12];
        t.tokens.web_search = v[13];
        t.tokens.file_search = v[14];
        t.tokens.code_interpreter = v[15];
        deltas.insert(key, t);
    }
    log_deltas(tx, backend, known, &deltas, None, -1).await
}

/// Appends `deltas` (times `sign`) to the log, numbering their customers, users (unless
/// `users` numbers them already) and dimension tuples.
async fn log_deltas(
    tx: &mut Transaction<'static, Any>,
    backend: Backend,
    known: &KnownNumbers,
    deltas: &std::collections::BTreeMap<rollup::PartyKey, rollup::RollupTotals>,
    users: Option<&HashMap<String, u64>>,
    sign: i64,
) -> Result<Learned, StoreError> {
    let mut learned = Learned::default();
    if deltas.is_empty() {
        return Ok(learned);
    }
    let numbered_users;
    let users = match users {
        Some(u) => u,
        None => {
            let names: BTreeSet<&str> = deltas
                .keys()
                .map(|k| k.user.as_str())
                .filter(|c| !c.is_empty())
                .collect();
            numbered_users = if names.is_empty() {
                HashMap::new()
            } else {
                number_names(
                    tx,
                    backend,
                    known,
                    &mut learned,
                    USER_NUMBERS,
                    names.into_iter().collect(),
                )
                .await?
            };
            &numbered_users
        }
    };
    let names: BTreeSet<&str> = deltas
        .keys()
        .map(|k| k.customer.as_str())
        .filter(|c| !c.is_empty())
        .collect();
    let customers = if names.is_empty() {
        HashMap::new()
    } else {
        number_names(
            tx,
            backend,
            known,
            &mut learned,
            CUSTOMER_NUMBERS,
            names.into_iter().collect(),
        )
        .await?
    };
    let all: BTreeSet<&PartyDims> = deltas.keys().map(|k| &k.dims).collect();
    let mut numbers: HashMap<&PartyDims, i64> = HashMap::with_capacity(all.len());
    for d in all {
        let n = match known.dims(d) {
            Some(n) => n,
            None => {
                let n = number_dims(tx, backend, d).await?;
                learned.dims.push((d.clone(), n));
                n
            }
        };
        numbers.insert(d, n);
    }
    let party = |map: &HashMap<String, u64>, name: &str| -> Result<i64, StoreError> {
        if name.is_empty() {
            return Ok(0);
        }
        map.get(name)
            .map(|&n| count(n))
            .ok_or_else(|| StoreError::Corrupt(format!("party `{name}` has no number")))
    };
    let mut rows = Vec::with_capacity(deltas.len());
    for (k, t) in deltas {
        rows.push((
            k.month,
            numbers[&k.dims],
            party(&customers, &k.customer)?,
            party(users, &k.user)?,
            t,
        ));
    }
    let columns: Vec<&str> = ["month", "dims", "customer", "user_n"]
        .into_iter()
        .chain(PARTY_SUMS.iter().copied())
        .collect();
    for chunk in rows.chunks(ROLLUP_CHUNK) {
        let sql = insert_sql(backend, "usage_party_log", &columns, chunk.len());
        let mut args = AnyArguments::default();
        for (month, dims, customer, user, t) in chunk {
            add(&mut args, month.to_string());
            add(&mut args, *dims);
            add(&mut args, *customer);
            add(&mut args, *user);
            let tk = &t.tokens;
            for n in [
                t.events,
                t.requests,
                tk.input,
                tk.cached_input,
                tk.cache_write,
                tk.output,
                tk.reasoning,
            ]
            .into_iter()
            .chain(extra_counts(tk))
            {
                add(&mut args, count(n) * sign);
            }
        }
        sqlx::query_with(&sql, args)
            .persistent(chunk.len() == ROLLUP_CHUNK)
            .execute(&mut **tx)
            .await?;
    }
    Ok(learned)
}

/// The number of a dimension tuple, numbering it if it is new.
async fn number_dims(
    tx: &mut Transaction<'static, Any>,
    backend: Backend,
    d: &PartyDims,
) -> Result<i64, StoreError> {
    let bind = |args: &mut AnyArguments<'static>| {
        let x = &d.dims;
        for v in [
            &x.provider,
            &x.model,
            &x.api_key,
            &x.team,
            &x.feature,
            &x.environment,
            &x.tags,
        ] {
            add(args, v.clone());
        }
        add(args, d.service_tier.as_str().to_owned());
        add(args, count(d.context_band));
    };
    let mut args = AnyArguments::default();
    bind(&mut args);
    let sql = format!(
        "{} ON CONFLICT ({}) DO NOTHING",
        insert_sql(backend, "party_dims", DIMS_COLUMNS, 1),
        DIMS_COLUMNS.join(", ")
    );
    sqlx::query_with(&sql, args).execute(&mut **tx).await?;
    let mut sql = String::from("SELECT id FROM party_dims WHERE ");
    for (i, c) in DIMS_COLUMNS.iter().enumerate() {
        if i > 0 {
            sql.push_str(" AND ");
        }
        sql.push_str(c);
        sql.push_str(" = ");
        backend.push_param(&mut sql, i + 1);
    }
    let mut args = AnyArguments::default();
    bind(&mut args);
    Ok(sqlx::query_scalar_with(&sql, args)
        .fetch_one(&mut **tx)
        .await?)
}

/// A `party_dims` row: its id, the eight text columns and the context band.
type DimsRecord = (
    i64,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    i64,
);

/// `sum = table.sum + excluded.sum` for every party sum.
fn added(table: &str) -> String {
    PARTY_SUMS
        .iter()
        .map(|c| format!("{c} = {table}.{c} + excluded.{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `SUM(c) AS c, ..` over the party sums, read back as 64-bit integers.
fn summed() -> String {
    PARTY_SUMS
        .iter()
        .map(|c| format!("{} AS {c}", super::dialect::bigint(&format!("SUM({c})"))))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Store {
    /// Folds the party log into the per-customer and per-user rollups and empties it, in one
    /// transaction; answers how many log rows it folded. Readers see the same sums before
    /// and after. Safe to run on several servers at once.
    pub async fn compact_party_log(&self) -> Result<u64, StoreError> {
        let _guard = self.write_guard().await;
        let mut tx = self.pool.begin().await?;
        let sums = PARTY_SUMS.join(", ");
        let fold = |p: PartyTable, from: &str, cond: &str| {
            format!(
                "INSERT INTO {t} (month, dims, {party}, {sums}) \
                 SELECT month, dims, {party}, {summed} FROM {from} WHERE {cond}{party} <> 0 \
                 GROUP BY month, dims, {party} ORDER BY month, dims, {party} \
                 ON CONFLICT (month, dims, {party}) DO UPDATE SET {added}",
                t = p.table,
                party = p.party,
                summed = summed(),
                added = added(p.table),
            )
        };
        let folded = match self.backend {
            Backend::Postgres => {
                // One statement: it folds exactly the rows it deletes, whatever commits
                // meanwhile; a second compaction waits for these rows and then skips them.
                let columns = format!("month, dims, customer, user_n, {sums}");
                let sql = format!(
                    "WITH moved AS (DELETE FROM usage_party_log RETURNING {columns}), \
                     customers AS ({}), users AS ({}) \
                     SELECT CAST(COUNT(*) AS BIGINT) FROM moved",
                    fold(CUSTOMERS, "moved", ""),
                    fold(USERS, "moved", ""),
                );
                sqlx::query_scalar::<_, i64>(&sql)
                    .fetch_one(&mut *tx)
                    .await?
            }
            Backend::Sqlite => {
                // One writer at a time: nothing is added to the log while this runs.
                let last: Option<i64> = sqlx::query_scalar("SELECT MAX(id) FROM usage_party_log")
                    .fetch_one(&mut *tx)
                    .await?;
                let Some(last) = last else { return Ok(0) };
                let upto = format!("id <= {last} AND ");
                for p in [CUSTOMERS, USERS] {
                    sqlx::query(&fold(p, "usage_party_log", &upto))
                        .execute(&mut *tx)
                        .await?;
                }
                sqlx::query("DELETE FROM usage_party_log WHERE id <= $1")
                    .bind(last)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected() as i64
            }
        };
        tx.commit().await?;
        Ok(u64::try_from(folded).unwrap_or(0))
    }

    /// Every numbered dimension tuple.
    pub async fn list_party_dims(&self) -> Result<Vec<(i64, PartyDims)>, StoreError> {
        let rows: Vec<DimsRecord> = sqlx::query_as(&format!(
            "SELECT id, {} FROM party_dims",
            DIMS_COLUMNS.join(", ")
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|r| {
                Ok((
                    r.0,
                    PartyDims {
                        dims: Dims {
                            provider: r.1,
                            model: r.2,
                            api_key: r.3,
                            team: r.4,
                            feature: r.5,
                            environment: r.6,
                            tags: r.7,
                        },
                        service_tier: r.8.parse().map_err(|_| {
                            StoreError::Corrupt(format!("party_dims {}: tier `{}`", r.0, r.8))
                        })?,
                        context_band: u64::try_from(r.9).unwrap_or(0),
                    },
                ))
            })
            .collect()
    }

    /// The month's per-customer rollup rows.
    pub async fn list_customer_rollups(
        &self,
        month: Month,
    ) -> Result<Vec<CustomerRow>, StoreError> {
        self.list_party_rollups(CUSTOMERS, month, None).await
    }

    /// The month's per-user rollup rows; with `dims`, of those dimension tuples only.
    pub async fn list_user_rollups(
        &self,
        month: Month,
        dims: Option<&[i64]>,
    ) -> Result<Vec<CustomerRow>, StoreError> {
        self.list_party_rollups(USERS, month, dims).await
    }

    /// Appends `month = $n` and, with `dims`, ` AND dims IN ($n+1, ..)` to `sql`, binding
    /// the values after the `n` parameters already bound.
    fn month_and_dims(
        &self,
        sql: &mut String,
        n: &mut usize,
        args: &mut AnyArguments<'static>,
        month: Month,
        dims: Option<&[i64]>,
    ) {
        sql.push_str("month = ");
        *n += 1;
        self.backend.push_param(sql, *n);
        add(args, month.to_string());
        if let Some(ids) = dims {
            sql.push_str(" AND dims IN (");
            for (i, id) in ids.iter().enumerate() {
                if i > 0 {
                    sql.push_str(", ");
                }
                *n += 1;
                self.backend.push_param(sql, *n);
                add(args, *id);
            }
            sql.push(')');
        }
    }

    /// Distinct users in `month` whose calls fall on the dimension tuples `dims` (every tuple
    /// when `None`): the rolled-up users and those still in the log, counted once each.
    pub async fn count_month_users(
        &self,
        month: Month,
        dims: Option<&[i64]>,
    ) -> Result<u64, StoreError> {
        if dims.is_some_and(<[i64]>::is_empty) {
            return Ok(0);
        }
        let mut args = AnyArguments::default();
        let mut n = 0;
        let mut part = |from: &str, args: &mut AnyArguments<'static>| {
            let mut sql = format!("SELECT user_n FROM {from} WHERE user_n <> 0 AND ");
            self.month_and_dims(&mut sql, &mut n, args, month, dims);
            sql
        };
        let rolled = part(USERS.table, &mut args);
        let logged = part("usage_party_log", &mut args);
        let sql = format!(
            "SELECT {} FROM ({rolled} UNION {logged}) u",
            super::dialect::bigint("COUNT(*)")
        );
        let (users,): (i64,) = sqlx::query_as_with(&sql, args)
            .fetch_one(&self.pool)
            .await?;
        Ok(u64::try_from(users).unwrap_or(0))
    }

    async fn list_party_rollups(
        &self,
        p: PartyTable,
        month: Month,
        dims: Option<&[i64]>,
    ) -> Result<Vec<CustomerRow>, StoreError> {
        if dims.is_some_and(<[i64]>::is_empty) {
            return Ok(Vec::new());
        }
        let mut args = AnyArguments::default();
        let mut n = 0;
        let sums = PARTY_SUMS.join(", ");
        let mut part = |from: &str, party_filter: &str, args: &mut AnyArguments<'static>| {
            let mut sql = format!(
                "SELECT month, dims, {party} AS party, {sums} FROM {from} WHERE {party_filter}",
                party = p.party
            );
            self.month_and_dims(&mut sql, &mut n, args, month, dims);
            sql
        };
        let rolled = part(p.table, "", &mut args);
        let logged = part(
            "usage_party_log",
            &format!("{} <> 0 AND ", p.party),
            &mut args,
        );
        let dim_columns: Vec<String> = DIMS_COLUMNS.iter().map(|c| format!("d.{c}")).collect();
        let sql = format!(
            "SELECT u.month AS month, n.{name} AS party, {dims}, {summed} \
             FROM ({rolled} UNION ALL {logged}) u \
             JOIN party_dims d ON d.id = u.dims JOIN {names} n ON n.n = u.party \
             GROUP BY u.month, d.id, n.n, n.{name}, {dims}",
            name = p.name,
            names = p.names,
            dims = dim_columns.join(", "),
            summed = summed(),
        );
        let rows = sqlx::query_with(&sql, args).fetch_all(&self.pool).await?;
        decode_all(&rows)
    }
}
