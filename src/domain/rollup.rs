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

use entity::enums::OrderStatus;
use sea_orm::{
    ActiveEnum, ConnectionTrait, DatabaseBackend, DatabaseConnection, DbErr, Statement,
    TransactionTrait, Value,
};

use crate::domain::clock::BUSINESS_UTC_OFFSET_HOURS;
use crate::error::{AppError, AppResult};

#[derive(Clone, Copy)]
enum Kind {
    Int,
    Text,
}

struct Table {
    name: &'static str,
    keys: &'static [(&'static str, Kind)],
    counters: &'static [&'static str],
    select: fn(DatabaseBackend, &Filter) -> String,
}

const SALES: Table = Table {
    name: "sales_rollup",
    keys: &[
        ("dim", Kind::Text),
        ("day", Kind::Text),
        ("partner_id", Kind::Int),
        ("k", Kind::Text),
    ],
    counters: &["orders", "units", "revenue"],
    select: sales_sql,
};

const LEVEL_SALES: Table = Table {
    name: "level_sales_rollup",
    keys: &[
        ("day", Kind::Text),
        ("product_id", Kind::Int),
        ("location_id", Kind::Int),
    ],
    counters: &["units"],
    select: level_sales_sql,
};

const FULFILLMENT: Table = Table {
    name: "fulfillment_rollup",
    keys: &[
        ("day", Kind::Text),
        ("partner_id", Kind::Int),
        ("confirm_hours", Kind::Int),
        ("deliver_hours", Kind::Int),
    ],
    counters: &[
        "orders",
        "cancelled",
        "units_ordered",
        "units_accepted",
        "units_shipped",
        "units_delivered",
        "lines",
        "lines_filled",
        "delivered",
        "on_time",
    ],
    select: fulfillment_sql,
};

const TABLES: [&Table; 3] = [&SALES, &LEVEL_SALES, &FULFILLMENT];

/// The `sales_rollup.dim` values.
pub mod dim {
    pub const STORE: &str = "store";
    pub const PRODUCT: &str = "product";
    pub const CATEGORY: &str = "category";
    pub const PROVINCE: &str = "province";
    pub const LOCATION: &str = "location";
}

/// Which orders a contribution covers.
enum Filter {
    All,
    Order(i64),
}

impl Filter {
    /// A condition on `column`. One order's is its only parameter, so the
    /// statement's text is the same for every order and stays prepared.
    fn on(&self, backend: DatabaseBackend, column: &str) -> String {
        match (self, backend) {
            (Filter::All, _) => "1 = 1".into(),
            (Filter::Order(_), DatabaseBackend::Postgres) => format!("{column} = $1"),
            (Filter::Order(_), _) => format!("{column} = ?1"),
        }
    }

    fn values(&self) -> Vec<Value> {
        match self {
            Filter::All => Vec::new(),
            Filter::Order(id) => vec![(*id).into()],
        }
    }
}

/// A timestamp's local business day, as `YYYY-MM-DD` text.
pub fn local_day(backend: DatabaseBackend, column: &str) -> String {
    match backend {
        DatabaseBackend::Postgres => format!(
            "to_char(({column} AT TIME ZONE 'UTC') + interval '{BUSINESS_UTC_OFFSET_HOURS} hours', 'YYYY-MM-DD')"
        ),
        _ => format!("date({column}, '+{BUSINESS_UTC_OFFSET_HOURS} hours')"),
    }
}

fn local_date_le(backend: DatabaseBackend, at: &str, date_column: &str) -> String {
    match backend {
        DatabaseBackend::Postgres => format!(
            "CAST(({at} AT TIME ZONE 'UTC') + interval '{BUSINESS_UTC_OFFSET_HOURS} hours' AS DATE) <= {date_column}"
        ),
        _ => format!("date({at}, '+{BUSINESS_UTC_OFFSET_HOURS} hours') <= {date_column}"),
    }
}

/// Whole hours from `from` to `to`, rounded down; -1 when `to` is null.
fn whole_hours(backend: DatabaseBackend, from: &str, to: &str) -> String {
    let hours = match backend {
        DatabaseBackend::Postgres => {
            format!("FLOOR(EXTRACT(EPOCH FROM ({to} - {from})) / 3600)")
        }
        _ => format!("(julianday({to}) - julianday({from})) * 24"),
    };
    format!("CAST(COALESCE({hours}, -1) AS BIGINT)")
}

fn cancelled() -> String {
    format!("'{}'", OrderStatus::Cancelled.to_value())
}

/// Sales lines (`sl`) and the units reserved per location (`sa`) of the
/// orders not cancelled: a line counts its accepted units once
/// acknowledged (its ordered units before), a location what it still
/// holds or shipped.
fn sales_ctes(backend: DatabaseBackend, filter: &Filter) -> String {
    let day = local_day(backend, "o.created_at");
    let cancelled = cancelled();
    format!(
        "WITH sl AS (
            SELECT o.id AS order_id, {day} AS day, o.partner_id, o.store_id, l.product_id,
                   COALESCE(l.accepted_quantity, l.quantity) AS units, l.unit_price_vnd AS price
            FROM order_line l JOIN purchase_order o ON o.id = l.order_id
            WHERE o.status <> {cancelled} AND {lf} AND {of}),
         sa AS (
            SELECT o.id AS order_id, {day} AS day, o.partner_id, a.product_id, a.location_id,
                   a.quantity - a.released AS units, l.unit_price_vnd AS price
            FROM order_allocation a
            JOIN order_line l ON l.id = a.order_line_id
            JOIN purchase_order o ON o.id = a.order_id
            WHERE o.status <> {cancelled} AND {af} AND {of})",
        lf = filter.on(backend, "l.order_id"),
        af = filter.on(backend, "a.order_id"),
        of = filter.on(backend, "o.id"),
    )
}

fn sales_sql(backend: DatabaseBackend, filter: &Filter) -> String {
    let sums = "COUNT(DISTINCT order_id) AS orders, CAST(SUM(units) AS BIGINT) AS units, \
                CAST(SUM(units * price) AS BIGINT) AS revenue";
    let group = |dim: &str, key: &str, from: &str, by: &str| {
        format!(
            "SELECT '{dim}' AS dim, day, partner_id, CAST({key} AS TEXT) AS k, {sums}
             FROM {from} GROUP BY day, partner_id, {by}"
        )
    };
    format!(
        "{ctes}
        {store} UNION ALL {product} UNION ALL {category} UNION ALL {province} UNION ALL {location}",
        ctes = sales_ctes(backend, filter),
        store = group(dim::STORE, "store_id", "sl", "store_id"),
        product = group(dim::PRODUCT, "product_id", "sl", "product_id"),
        category = group(
            dim::CATEGORY,
            "p.category",
            "sl JOIN product p ON p.id = sl.product_id",
            "p.category"
        ),
        province = group(
            dim::PROVINCE,
            "pr.province_key",
            "sl JOIN product p ON p.id = sl.product_id JOIN producer pr ON pr.id = p.producer_id",
            "pr.province_key"
        ),
        location = group(dim::LOCATION, "location_id", "sa", "location_id"),
    )
}

fn level_sales_sql(backend: DatabaseBackend, filter: &Filter) -> String {
    format!(
        "{ctes}
        SELECT day, product_id, location_id, CAST(SUM(units) AS BIGINT) AS units
        FROM sa GROUP BY day, product_id, location_id",
        ctes = sales_ctes(backend, filter)
    )
}

fn fulfillment_sql(backend: DatabaseBackend, filter: &Filter) -> String {
    let day = local_day(backend, "o.created_at");
    let event = |to: OrderStatus, from: Option<OrderStatus>| {
        let from = from
            .map(|f| format!(" AND from_status = '{}'", f.to_value()))
            .unwrap_or_default();
        format!(
            "(SELECT order_id, MIN(created_at) AS at FROM order_event
              WHERE to_status = '{}'{from} AND {} GROUP BY order_id)",
            to.to_value(),
            filter.on(backend, "order_id")
        )
    };
    format!(
        "SELECT day, partner_id, confirm_hours, deliver_hours, COUNT(*) AS orders,
                CAST(SUM(cancelled) AS BIGINT) AS cancelled,
                CAST(SUM(ordered) AS BIGINT) AS units_ordered,
                CAST(SUM(accepted) AS BIGINT) AS units_accepted,
                CAST(SUM(shipped) AS BIGINT) AS units_shipped,
                CAST(SUM(delivered_units) AS BIGINT) AS units_delivered,
                CAST(SUM(lines) AS BIGINT) AS lines,
                CAST(SUM(lines_filled) AS BIGINT) AS lines_filled,
                CAST(SUM(delivered) AS BIGINT) AS delivered,
                CAST(SUM(on_time) AS BIGINT) AS on_time
         FROM (
            SELECT {day} AS day, o.partner_id,
                   {confirm_hours} AS confirm_hours, {deliver_hours} AS deliver_hours,
                   CASE WHEN o.status = {cancelled} THEN 1 ELSE 0 END AS cancelled,
                   SUM(l.quantity) AS ordered,
                   SUM(COALESCE(l.accepted_quantity, 0)) AS accepted,
                   SUM(l.shipped_quantity) AS shipped,
                   SUM(COALESCE(l.delivered_quantity, 0)) AS delivered_units,
                   COUNT(*) AS lines,
                   SUM(CASE WHEN l.shipped_quantity >= l.quantity THEN 1 ELSE 0 END) AS lines_filled,
                   CASE WHEN de.at IS NULL THEN 0 ELSE 1 END AS delivered,
                   CASE WHEN de.at IS NOT NULL AND {on_time} THEN 1 ELSE 0 END AS on_time
            FROM purchase_order o
            JOIN order_line l ON l.order_id = o.id
            LEFT JOIN {confirmed} ce ON ce.order_id = o.id
            LEFT JOIN {delivered} de ON de.order_id = o.id
            WHERE {of} AND {lf}
            GROUP BY o.id, o.partner_id, o.created_at, o.status, o.requested_delivery_date, ce.at, de.at
         ) fo
         GROUP BY day, partner_id, confirm_hours, deliver_hours",
        confirm_hours = whole_hours(backend, "o.created_at", "ce.at"),
        deliver_hours = whole_hours(backend, "o.created_at", "de.at"),
        cancelled = cancelled(),
        on_time = local_date_le(backend, "de.at", "o.requested_delivery_date"),
        confirmed = event(OrderStatus::Confirmed, Some(OrderStatus::Placed)),
        delivered = event(OrderStatus::Delivered, None),
        of = filter.on(backend, "o.id"),
        lf = filter.on(backend, "l.order_id"),
    )
}

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

/// Upserts the rows of every table, in key order. On PostgreSQL all
/// tables go in one statement (data-modifying CTEs); SQLite takes one per
/// table.
async fn add(db: &impl ConnectionTrait, delta: Contribution) -> AppResult<()> {
    let backend = db.get_database_backend();
    let mut values: Vec<Value> = Vec::new();
    let mut inserts = Vec::new();
    for (table, rows) in TABLES.iter().zip(delta.0) {
        if rows.is_empty() {
            continue;
        }
        if backend != DatabaseBackend::Postgres {
            values.clear();
        }
        let sql = upsert_sql(backend, table, rows, &mut values);
        if backend == DatabaseBackend::Postgres {
            inserts.push(sql);
        } else {
            db.execute_raw(Statement::from_sql_and_values(
                backend,
                sql,
                std::mem::take(&mut values),
            ))
            .await?;
        }
    }
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
            tuple.push(match backend {
                DatabaseBackend::Postgres => format!("${}", values.len()),
                _ => "?".to_owned(),
            });
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
        set = table
            .counters
            .iter()
            .map(|c| format!("{c} = {t}.{c} + excluded.{c}", t = table.name))
            .collect::<Vec<_>>()
            .join(", "),
    )
}

fn columns(table: &Table) -> String {
    table
        .keys
        .iter()
        .map(|(k, _)| *k)
        .chain(table.counters.iter().copied())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Recomputes every rollup from the orders (call inside a transaction).
pub async fn rebuild(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    for table in TABLES {
        db.execute_unprepared(&format!("DELETE FROM {}", table.name))
            .await?;
        let sql = format!(
            "INSERT INTO {t} ({cols}) SELECT {cols} FROM ({select}) x",
            t = table.name,
            cols = columns(table),
            select = (table.select)(backend, &Filter::All),
        );
        db.execute_unprepared(&sql).await?;
    }
    Ok(())
}

/// Builds the rollups of a database whose orders predate them (the first
/// start after the migration that added them). Returns whether it did.
pub async fn backfill_if_missing(db: &DatabaseConnection) -> Result<bool, DbErr> {
    let backend = db.get_database_backend();
    let has = |sql: &'static str| async move {
        Ok::<bool, DbErr>(
            db.query_one_raw(Statement::from_string(backend, sql))
                .await?
                .is_some(),
        )
    };
    if has("SELECT 1 FROM fulfillment_rollup LIMIT 1").await?
        || !has("SELECT 1 FROM purchase_order LIMIT 1").await?
    {
        return Ok(false);
    }
    let txn = db.begin().await?;
    rebuild(&txn).await?;
    txn.commit().await?;
    Ok(true)
}

/// One rollup row that disagrees with the orders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RollupMismatch {
    pub table: &'static str,
    /// The row's key columns and counters, as stored or as recomputed.
    pub row: String,
    /// `stored` (in the table, not in the orders) or `expected`.
    pub side: &'static str,
}

/// Recomputes every rollup from the orders and compares, in SQL (rows
/// whose counters are all zero are the same as no row).
pub async fn verify(db: &impl ConnectionTrait) -> AppResult<Vec<RollupMismatch>> {
    let backend = db.get_database_backend();
    let mut out = Vec::new();
    for table in TABLES {
        let cols = columns(table);
        let nonzero = table
            .counters
            .iter()
            .map(|c| format!("{c} <> 0"))
            .collect::<Vec<_>>()
            .join(" OR ");
        let stored = format!("SELECT {cols} FROM {} WHERE {nonzero}", table.name);
        let expected = format!(
            "SELECT {cols} FROM ({}) x WHERE {nonzero}",
            (table.select)(backend, &Filter::All)
        );
        for (side, a, b) in [
            ("stored", &stored, &expected),
            ("expected", &expected, &stored),
        ] {
            let sql = format!("SELECT * FROM ({a} EXCEPT {b}) d LIMIT 20");
            for row in db
                .query_all_raw(Statement::from_string(backend, sql))
                .await?
            {
                let mut parts = Vec::new();
                for (name, kind) in table.keys {
                    parts.push(match kind {
                        Kind::Int => row.try_get::<i64>("", name)?.to_string(),
                        Kind::Text => row.try_get::<String>("", name)?,
                    });
                }
                for name in table.counters {
                    parts.push(format!("{name}={}", row.try_get::<i64>("", name)?));
                }
                out.push(RollupMismatch {
                    table: table.name,
                    row: parts.join(" "),
                    side,
                });
            }
        }
    }
    Ok(out)
}
