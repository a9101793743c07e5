//! Daily rollups the reports read, kept in the same transaction as the
//! order changes that move them.
//!
//! Each rollup is defined once, as a `SELECT` of what a set of orders
//! contributes. The same statement rebuilds a table from every order
//! (seeds, the first start after the migration), verifies it
//! (`ocop-gateway check`), and keeps it current: a transaction that
//! changes an order reads the order's contribution before, changes the
//! order, reads it after, and adds the difference. The rollup cannot then
//! disagree with the definition, whatever the change was.
//!
//! Three tables:
//! - `sales_rollup` (dim, local day, partner, key): orders, units and
//!   revenue of orders not cancelled, per store, product, category,
//!   province and location; DAY/WEEK/MONTH/PARTNER sum the store rows
//!   (every order has exactly one store and day, so order counts add up).
//! - `level_sales_rollup` (local day, product, location): units sold from
//!   each stock level, for `lowStock`.
//! - `fulfillment_rollup` (local day, partner, whole hours to confirm, to
//!   deliver): counts for the fill, on-time and cancel rates; the hour
//!   columns are the lead-time histograms (-1: not yet).
//!
//! Rows are upserted in key order so that concurrent transactions lock
//! them in the same order (no deadlock on PostgreSQL), and last in each
//! transaction, after the stock rows, so the hot rows (today, partner) are
//! held only until the commit.

use std::collections::BTreeMap;

use sea_orm::{ConnectionTrait, DatabaseBackend, Statement, Value};

use crate::error::{AppError, AppResult};

mod check;
mod definition;

pub use check::{RollupMismatch, backfill_if_missing, rebuild, verify};
use definition::{Filter, Kind, TABLES, Table};
pub use definition::{dim, partner_level_sales_sql};

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum KeyPart {
    Int(i64),
    Text(String),
}

impl From<KeyPart> for Value {
    fn from(k: KeyPart) -> Value {
        match k {
            KeyPart::Int(i) => i.into(),
            KeyPart::Text(s) => s.into(),
        }
    }
}

/// Rows of one table keyed by their key columns; values are the counters.
type Rows = BTreeMap<Vec<KeyPart>, Vec<i64>>;

/// What one order contributes to every rollup, read inside its
/// transaction.
pub struct Contribution([Rows; 3]);

/// Most key and counter columns of any rollup.
const KEYS: usize = 4;
const COUNTERS: usize = 10;

/// One statement for all three rollups (fewer round trips inside the
/// order's transaction): each table's rows as `t`, keys as text `k0..`,
/// counters `c0..`, padded.
fn contribution_sql(backend: DatabaseBackend, filter: &Filter) -> String {
    TABLES
        .iter()
        .enumerate()
        .map(|(t, table)| {
            let keys = (0..KEYS).map(|i| match table.keys.get(i) {
                Some((name, _)) => format!("CAST({name} AS TEXT) AS k{i}"),
                None => format!("CAST('' AS TEXT) AS k{i}"),
            });
            let counters = (0..COUNTERS).map(|i| match table.counters.get(i) {
                Some(name) => format!("CAST({name} AS BIGINT) AS c{i}"),
                None => format!("CAST(0 AS BIGINT) AS c{i}"),
            });
            format!(
                "SELECT CAST({t} AS BIGINT) AS t, {} FROM ({}) r{t}",
                keys.chain(counters).collect::<Vec<_>>().join(", "),
                (table.select)(backend, filter)
            )
        })
        .collect::<Vec<_>>()
        .join(" UNION ALL ")
}

/// The order's contribution now (empty for an order not yet written).
pub async fn contribution(db: &impl ConnectionTrait, order_id: i64) -> AppResult<Contribution> {
    let backend = db.get_database_backend();
    let filter = Filter::Order(order_id);
    let mut out = Contribution::none();
    for row in db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            contribution_sql(backend, &filter),
            filter.values(),
        ))
        .await?
    {
        let t: i64 = row.try_get("", "t")?;
        let Some(table) = TABLES.get(t as usize) else {
            continue;
        };
        let mut key = Vec::with_capacity(table.keys.len());
        for (i, (_, kind)) in table.keys.iter().enumerate() {
            let text: String = row.try_get("", &format!("k{i}"))?;
            key.push(match kind {
                Kind::Int => KeyPart::Int(text.parse().map_err(AppError::internal)?),
                Kind::Text => KeyPart::Text(text),
            });
        }
        let mut counters = Vec::with_capacity(table.counters.len());
        for i in 0..table.counters.len() {
            counters.push(
                row.try_get::<Option<i64>>("", &format!("c{i}"))?
                    .unwrap_or(0),
            );
        }
        out.0[t as usize].insert(key, counters);
    }
    Ok(out)
}

impl Contribution {
    pub fn none() -> Contribution {
        Contribution([Rows::new(), Rows::new(), Rows::new()])
    }

    /// What moved from `before` to `self`: the rows to add.
    fn less(self, before: Contribution) -> Contribution {
        let mut out = self;
        for ((table, delta), before) in TABLES.iter().zip(out.0.iter_mut()).zip(before.0) {
            for (key, old) in before {
                let counters = delta
                    .entry(key)
                    .or_insert_with(|| vec![0; table.counters.len()]);
                for (c, o) in counters.iter_mut().zip(old) {
                    *c -= o;
                }
            }
            delta.retain(|_, counters| counters.iter().any(|c| *c != 0));
        }
        out
    }
}

/// Adds what the order's change moved: its contribution now less
/// `before`. Call last in the transaction that changed it.
pub async fn settle(
    db: &impl ConnectionTrait,
    order_id: i64,
    before: Contribution,
) -> AppResult<()> {
    let after = contribution(db, order_id).await?;
    add(db, after.less(before)).await
}

/// Adds a new order's contribution, read earlier in its transaction
/// (before its stock rows were locked, so that the locks are held for as
/// short a tail as possible).
pub async fn add_new(db: &impl ConnectionTrait, contribution: Contribution) -> AppResult<()> {
    add(db, contribution.less(Contribution::none())).await
}

/// PostgreSQL: the upserts adding a new order's contribution, read from
/// the rollups' own definitions inside the statement that adds it (the
/// order's rows were written by an earlier statement of its transaction),
/// as statements to join with others (`domain::orders::tail_pg`). Each
/// takes the order's id as `$1`; rows go in key order, as every writer of
/// the rollups takes them (no deadlock).
pub fn new_order_upserts_pg() -> Vec<String> {
    let backend = DatabaseBackend::Postgres;
    // Any order id: the definition's text names it as `$1` whatever it is.
    let filter = Filter::Order(0);
    TABLES
        .iter()
        .map(|table| {
            let keys: Vec<&str> = table.keys.iter().map(|(k, _)| *k).collect();
            let key_columns: Vec<String> = table
                .keys
                .iter()
                .map(|(k, kind)| match kind {
                    Kind::Int => format!("CAST(r.{k} AS BIGINT)"),
                    Kind::Text => format!("CAST(r.{k} AS TEXT)"),
                })
                .collect();
            let counters: Vec<String> = table
                .counters
                .iter()
                .map(|c| format!("CAST(COALESCE(r.{c}, 0) AS BIGINT)"))
                .collect();
            // As `add` does: a row that adds nothing is not written.
            let moves = counters
                .iter()
                .map(|c| format!("{c} <> 0"))
                .collect::<Vec<_>>()
                .join(" OR ");
            format!(
                "INSERT INTO {t} ({keys}, {counter_names}) SELECT {key_columns}, {counters} FROM ({select}) r \
                 WHERE {moves} ORDER BY {key_order} ON CONFLICT ({keys}) DO UPDATE SET {set}",
                t = table.name,
                keys = keys.join(", "),
                counter_names = table.counters.join(", "),
                key_columns = key_columns.join(", "),
                counters = counters.join(", "),
                select = (table.select)(backend, &filter),
                key_order = (1..=keys.len())
                    .map(|i| i.to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
                set = adding(table),
            )
        })
        .collect()
}

fn pg_upserts(delta: Contribution, values: &mut Vec<Value>) -> Vec<String> {
    TABLES
        .iter()
        .zip(delta.0)
        .filter(|(_, rows)| !rows.is_empty())
        .map(|(table, rows)| upsert_sql(DatabaseBackend::Postgres, table, rows, values))
        .collect()
}

/// Upserts the rows of every table, in key order. On PostgreSQL all
/// tables go in one statement (data-modifying CTEs); SQLite takes one per
/// table.
async fn add(db: &impl ConnectionTrait, delta: Contribution) -> AppResult<()> {
    let backend = db.get_database_backend();
    if backend != DatabaseBackend::Postgres {
        for (table, rows) in TABLES.iter().zip(delta.0) {
            if rows.is_empty() {
                continue;
            }
            let mut values = Vec::new();
            let sql = upsert_sql(backend, table, rows, &mut values);
            db.execute_raw(Statement::from_sql_and_values(backend, sql, values))
                .await?;
        }
        return Ok(());
    }
    let mut values: Vec<Value> = Vec::new();
    let mut inserts = pg_upserts(delta, &mut values);
    if let Some(last) = inserts.pop() {
        let ctes: Vec<String> = inserts
            .iter()
            .enumerate()
            .map(|(i, sql)| format!("u{i} AS ({sql})"))
            .collect();
        let sql = if ctes.is_empty() {
            last
        } else {
            format!("WITH {} {last}", ctes.join(", "))
        };
        db.execute_raw(Statement::from_sql_and_values(backend, sql, values))
            .await?;
    }
    Ok(())
}

/// `INSERT .. ON CONFLICT DO UPDATE` adding `rows`; its values are
/// appended to `values` (PostgreSQL placeholders number on from there).
fn upsert_sql(
    backend: DatabaseBackend,
    table: &Table,
    rows: Rows,
    values: &mut Vec<Value>,
) -> String {
    let width = table.keys.len() + table.counters.len();
    let mut tuples = Vec::with_capacity(rows.len());
    for (key, counters) in rows {
        let mut tuple = Vec::with_capacity(width);
        for part in key
            .into_iter()
            .map(Value::from)
            .chain(counters.into_iter().map(Value::from))
        {
            values.push(part);
            tuple.push(crate::db::sql::param(backend, values.len()));
        }
        tuples.push(format!("({})", tuple.join(", ")));
    }
    let keys: Vec<&str> = table.keys.iter().map(|(k, _)| *k).collect();
    format!(
        "INSERT INTO {t} ({keys}, {counters}) VALUES {tuples} ON CONFLICT ({keys}) DO UPDATE SET {set}",
        t = table.name,
        keys = keys.join(", "),
        counters = table.counters.join(", "),
        tuples = tuples.join(", "),
        set = adding(table),
    )
}

/// An upsert's `SET`: each counter plus what the new row brings.
fn adding(table: &Table) -> String {
    table
        .counters
        .iter()
        .map(|c| format!("{c} = {t}.{c} + excluded.{c}", t = table.name))
        .collect::<Vec<_>>()
        .join(", ")
}
