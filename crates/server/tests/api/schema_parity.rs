//! Both migration folders build the same schema: one implementation of storage runs the same
//! queries on both databases, so `migrations/sqlite` and `migrations/postgres` must agree on
//! every table, column (in order: some statements insert whole rows), type family,
//! nullability, primary and unique key, index and trigger. Read from each database's catalog
//! after migrating a fresh database; the differences the engines need are listed below.

use std::collections::{BTreeMap, BTreeSet};

use sqlx::Row;
use tokentally_server::storage::Store;

use crate::helpers::{Db, database_at_version};

/// Views only SQLite has: `workflow_group_parts` is written to by SQLite's workflow triggers,
/// and its `INSTEAD OF` trigger upserts a contribution into the daily and the monthly group
/// (SQLite has no functions to share that code). PostgreSQL does the same in the function
/// `workflow_groups_add`; functions are not compared.
const SQLITE_ONLY_VIEWS: &[&str] = &["workflow_group_parts"];

/// Triggers only SQLite has, as (table or view, trigger): the view's trigger above.
const SQLITE_ONLY_TRIGGERS: &[(&str, &str)] =
    &[("workflow_group_parts", "workflow_group_parts_add")];

/// SQLite tables kept `WITHOUT ROWID` (their key is the table; see DECISIONS.md, Rollups).
/// PostgreSQL has no such option: its tables are heaps with the key's index. Listed so that a
/// table changing storage on SQLite is a decision, not an accident.
const SQLITE_WITHOUT_ROWID: &[&str] = &[
    "usage_customers_monthly",
    "usage_rollups",
    "usage_rollups_monthly",
    "usage_user_words",
    "usage_users_monthly",
    "workflow_groups",
    "workflow_groups_monthly",
];

/// Indexes only PostgreSQL has, as (table, index): the drill-downs' ways into the rollups and
/// user words by key, team tag and model (migration 0029). PostgreSQL's heap tables grow
/// sparse under ingest's updates; SQLite's clustered ones hold a month as one dense range.
const POSTGRES_ONLY_INDEXES: &[(&str, &str)] = &[
    ("usage_rollups", "usage_rollups_api_key_day"),
    ("usage_rollups", "usage_rollups_team_day"),
    ("usage_rollups", "usage_rollups_model_day"),
    ("usage_user_words", "usage_user_words_api_key_day"),
    ("usage_user_words", "usage_user_words_team_day"),
    ("usage_user_words", "usage_user_words_model_day"),
];

#[derive(Debug, Clone, PartialEq, Eq)]
struct Column {
    name: String,
    /// `integer` (SQLite `INTEGER`, PostgreSQL `bigint` or `integer`), `text`, or the
    /// declared type as it is when it is neither.
    family: String,
    not_null: bool,
}

#[derive(Debug, Default, PartialEq, Eq)]
struct Table {
    columns: Vec<Column>,
    primary_key: Vec<String>,
    /// Unique constraints and unique indexes besides the primary key, by their columns.
    unique: BTreeSet<Vec<String>>,
    /// Other indexes, by name, with their columns and whether they are partial.
    indexes: BTreeMap<String, (Vec<String>, bool)>,
}

#[derive(Debug, Default, PartialEq, Eq)]
struct Schema {
    tables: BTreeMap<String, Table>,
    views: BTreeSet<String>,
    triggers: BTreeSet<(String, String)>,
    /// The applied migrations, as version and description.
    migrations: Vec<(i64, String)>,
}

fn family(declared: &str) -> String {
    match declared.to_ascii_lowercase().as_str() {
        "integer" | "bigint" | "int" | "smallint" => "integer".to_owned(),
        "text" => "text".to_owned(),
        other => other.to_owned(),
    }
}

async fn migrations(store: &Store) -> Vec<(i64, String)> {
    sqlx::query("SELECT version, description FROM _sqlx_migrations ORDER BY version")
        .fetch_all(store.pool())
        .await
        .expect("the migrations table")
        .iter()
        .map(|r| (r.get("version"), r.get("description")))
        .collect()
}

async fn sqlite_schema(store: &Store) -> (Schema, BTreeSet<String>) {
    let pool = store.pool();
    let mut schema = Schema::default();
    let mut without_rowid = BTreeSet::new();
    let objects = sqlx::query(
        "SELECT type, name, tbl_name, COALESCE(sql, '') AS sql FROM sqlite_master \
         WHERE name NOT LIKE 'sqlite_%' AND name <> '_sqlx_migrations' ORDER BY name",
    )
    .fetch_all(pool)
    .await
    .expect("sqlite_master");
    for o in &objects {
        let (kind, name, table, sql): (String, String, String, String) = (
            o.get("type"),
            o.get("name"),
            o.get("tbl_name"),
            o.get("sql"),
        );
        match kind.as_str() {
            "view" => {
                schema.views.insert(name);
            }
            "trigger" => {
                schema.triggers.insert((table, name));
            }
            "table" => {
                if sql.to_ascii_uppercase().contains("WITHOUT ROWID") {
                    without_rowid.insert(name.clone());
                }
                let mut t = Table::default();
                let columns = sqlx::query(
                    "SELECT name, type, \"notnull\" AS not_null, pk FROM pragma_table_info($1) ORDER BY cid",
                )
                .bind(name.clone())
                .fetch_all(pool)
                .await
                .expect("pragma_table_info");
                let mut key: Vec<(i64, String)> = Vec::new();
                let mut rowid_alias = None;
                for c in &columns {
                    let column: String = c.get("name");
                    let declared: String = c.get("type");
                    let pk: i64 = c.get("pk");
                    let not_null: i64 = c.get("not_null");
                    if pk > 0 {
                        key.push((pk, column.clone()));
                        if declared.eq_ignore_ascii_case("integer") {
                            rowid_alias = Some(t.columns.len());
                        }
                    }
                    t.columns.push(Column {
                        name: column,
                        family: family(&declared),
                        not_null: not_null != 0,
                    });
                }
                // A lone `INTEGER PRIMARY KEY` of a rowid table is the rowid, which cannot be
                // NULL though the catalog does not say NOT NULL.
                if let Some(i) =
                    rowid_alias.filter(|_| key.len() == 1 && !without_rowid.contains(&name))
                {
                    t.columns[i].not_null = true;
                }
                key.sort();
                t.primary_key = key.into_iter().map(|(_, c)| c).collect();
                let indexes = sqlx::query(
                    "SELECT name, \"unique\" AS is_unique, origin, partial FROM pragma_index_list($1)",
                )
                .bind(name.clone())
                .fetch_all(pool)
                .await
                .expect("pragma_index_list");
                for i in &indexes {
                    let index: String = i.get("name");
                    let origin: String = i.get("origin");
                    let unique: i64 = i.get("is_unique");
                    let partial: i64 = i.get("partial");
                    let columns: Vec<String> =
                        sqlx::query("SELECT name FROM pragma_index_info($1) ORDER BY seqno")
                            .bind(index.clone())
                            .fetch_all(pool)
                            .await
                            .expect("pragma_index_info")
                            .iter()
                            .map(|r| r.get("name"))
                            .collect();
                    if origin == "pk" {
                        continue;
                    } else if unique != 0 && partial == 0 {
                        t.unique.insert(columns);
                    } else {
                        t.indexes.insert(index, (columns, partial != 0));
                    }
                }
                schema.tables.insert(name, t);
            }
            // Indexes are read per table above.
            _ => {}
        }
    }
    schema.migrations = migrations(store).await;
    (schema, without_rowid)
}

async fn postgres_schema(store: &Store) -> Schema {
    let pool = store.pool();
    let mut schema = Schema::default();
    let columns = sqlx::query(
        "SELECT c.table_name::TEXT AS table_name, c.column_name::TEXT AS column_name, \
         c.data_type::TEXT AS data_type, c.is_nullable::TEXT AS is_nullable \
         FROM information_schema.columns c JOIN information_schema.tables t \
         ON t.table_schema = c.table_schema AND t.table_name = c.table_name \
         WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE' \
         AND c.table_name <> '_sqlx_migrations' ORDER BY c.table_name, c.ordinal_position",
    )
    .fetch_all(pool)
    .await
    .expect("information_schema.columns");
    for c in &columns {
        let table: String = c.get("table_name");
        let data_type: String = c.get("data_type");
        let nullable: String = c.get("is_nullable");
        schema
            .tables
            .entry(table)
            .or_default()
            .columns
            .push(Column {
                name: c.get("column_name"),
                family: family(&data_type),
                not_null: nullable == "NO",
            });
    }
    let indexes = sqlx::query(
        "SELECT t.relname::TEXT AS table_name, i.relname::TEXT AS index_name, \
         CAST(CASE WHEN x.indisprimary THEN 1 ELSE 0 END AS BIGINT) AS is_primary, \
         CAST(CASE WHEN x.indisunique THEN 1 ELSE 0 END AS BIGINT) AS is_unique, \
         CAST(CASE WHEN x.indpred IS NULL THEN 0 ELSE 1 END AS BIGINT) AS partial, \
         (SELECT string_agg(a.attname::TEXT, ',' ORDER BY k.n) \
            FROM unnest(x.indkey::INT2[]) WITH ORDINALITY AS k(attnum, n) \
            JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum) AS columns \
         FROM pg_index x JOIN pg_class t ON t.oid = x.indrelid JOIN pg_class i ON i.oid = x.indexrelid \
         JOIN pg_namespace s ON s.oid = t.relnamespace \
         WHERE s.nspname = current_schema() AND t.relname <> '_sqlx_migrations'",
    )
    .fetch_all(pool)
    .await
    .expect("pg_index");
    for i in &indexes {
        let table: String = i.get("table_name");
        let columns: String = i.get("columns");
        let columns: Vec<String> = columns.split(',').map(str::to_owned).collect();
        let (primary, unique, partial): (i64, i64, i64) =
            (i.get("is_primary"), i.get("is_unique"), i.get("partial"));
        let t = schema.tables.entry(table).or_default();
        if primary != 0 {
            t.primary_key = columns;
        } else if unique != 0 && partial == 0 {
            t.unique.insert(columns);
        } else {
            t.indexes
                .insert(i.get("index_name"), (columns, partial != 0));
        }
    }
    schema.views = sqlx::query(
        "SELECT table_name::TEXT AS name FROM information_schema.views WHERE table_schema = current_schema()",
    )
    .fetch_all(pool)
    .await
    .expect("information_schema.views")
    .iter()
    .map(|r| r.get("name"))
    .collect();
    schema.triggers = sqlx::query(
        "SELECT DISTINCT event_object_table::TEXT AS table_name, trigger_name::TEXT AS name \
         FROM information_schema.triggers WHERE trigger_schema = current_schema()",
    )
    .fetch_all(pool)
    .await
    .expect("information_schema.triggers")
    .iter()
    .map(|r| (r.get("table_name"), r.get("name")))
    .collect();
    schema.migrations = migrations(store).await;
    schema
}

/// The SQLite schema less what the allow-lists say only SQLite has.
fn without_sqlite_only(mut schema: Schema) -> Schema {
    for v in SQLITE_ONLY_VIEWS {
        assert!(
            schema.views.remove(*v),
            "the allow-listed SQLite view `{v}` no longer exists: drop it from the list"
        );
    }
    for (table, trigger) in SQLITE_ONLY_TRIGGERS {
        assert!(
            schema
                .triggers
                .remove(&((*table).to_owned(), (*trigger).to_owned())),
            "the allow-listed SQLite trigger `{trigger}` no longer exists: drop it from the list"
        );
    }
    schema
}

/// The PostgreSQL schema less what the allow-list says only PostgreSQL has.
fn without_postgres_only(mut schema: Schema) -> Schema {
    for (table, index) in POSTGRES_ONLY_INDEXES {
        let removed = schema
            .tables
            .get_mut(*table)
            .and_then(|t| t.indexes.remove(*index));
        assert!(
            removed.is_some(),
            "the allow-listed PostgreSQL index `{index}` no longer exists: drop it from the list"
        );
    }
    schema
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_migration_folders_build_the_same_schema() {
    let (sqlite, _sqlite_db) = database_at_version(Db::Sqlite, i64::MAX)
        .await
        .expect("SQLite always runs");
    let (sqlite, without_rowid) = sqlite_schema(&sqlite).await;
    assert_eq!(
        without_rowid,
        SQLITE_WITHOUT_ROWID
            .iter()
            .map(|t| (*t).to_owned())
            .collect::<BTreeSet<_>>(),
        "SQLite's WITHOUT ROWID tables"
    );
    // The catalogs were read at all: the tables every read and write needs are there.
    for table in [
        "events",
        "usage_rollups",
        "workflows",
        "workflow_groups_monthly",
    ] {
        assert!(sqlite.tables.contains_key(table), "SQLite has no `{table}`");
    }
    let sqlite = without_sqlite_only(sqlite);

    let Some((postgres, _postgres_db)) = database_at_version(Db::Postgres, i64::MAX).await else {
        return;
    };
    let postgres = without_postgres_only(postgres_schema(&postgres).await);

    assert_eq!(sqlite.migrations, postgres.migrations, "applied migrations");
    assert_eq!(
        sqlite.tables.keys().collect::<Vec<_>>(),
        postgres.tables.keys().collect::<Vec<_>>(),
        "tables"
    );
    for (name, s) in &sqlite.tables {
        let p = &postgres.tables[name];
        assert_eq!(
            s.columns, p.columns,
            "columns of `{name}` (SQLite, PostgreSQL)"
        );
        assert_eq!(s.primary_key, p.primary_key, "primary key of `{name}`");
        assert_eq!(s.unique, p.unique, "unique keys of `{name}`");
        assert_eq!(s.indexes, p.indexes, "indexes of `{name}`");
    }
    assert_eq!(sqlite.views, postgres.views, "views");
    assert_eq!(sqlite.triggers, postgres.triggers, "triggers");
}
