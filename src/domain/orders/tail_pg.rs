//! PostgreSQL: placing an order in two statements after the reads, where
//! SQLite takes one per row and table.
//!
//! 1. `insert_order`: the order, its lines and their allocations, as
//!    data-modifying CTEs (the lines take the order's new id, the
//!    allocations their line's). The unique (partner, idempotency key)
//!    index decides a race between two identical requests here, before
//!    any stock is touched.
//! 2. `reserve_and_record`: the stock reserved level by level in the
//!    global lock order (`inventory::reservation_pg`), its ledger rows, the
//!    order's first event, and the report rollups, read from the rollups'
//!    own definitions (the order's rows are the first statement's) and
//!    written in key order. The reservation is what the statement's own
//!    query reads, so it runs first; the other CTEs run after it, as
//!    PostgreSQL runs the data-modifying CTEs the query does not read. Its
//!    locks are then taken as before: stock rows, then rollup rows.
//!
//! Measured (BENCHMARKS.md, W4P): these two statements replaced six.

use entity::enums::OrderStatus;
use entity::purchase_order;
use sea_orm::{
    ActiveEnum, ConnectionTrait, DatabaseBackend, DatabaseTransaction, DbErr, FromQueryResult,
    Statement, Value,
};

use super::plan::{PlannedUnits, PricedLine};
use super::request::ValidOrder;
use crate::domain::clock;
use crate::domain::inventory::{self, Units};
use crate::domain::rollup;
use crate::error::AppResult;

/// Statements joined as CTEs, their placeholders renumbered.
#[derive(Default)]
struct Ctes {
    parts: Vec<String>,
    values: Vec<Value>,
}

impl Ctes {
    fn push(&mut self, name: &str, statement: Statement) {
        let sql = shift_placeholders(&statement.sql, self.values.len());
        self.parts.push(format!("{name} AS ({sql})"));
        self.values
            .extend(statement.values.map(|v| v.0).unwrap_or_default());
    }

    /// `sql` whose only placeholder `$1` is `value`.
    fn push_with(&mut self, name: &str, sql: &str, value: Value) {
        self.push(
            name,
            Statement::from_sql_and_values(DatabaseBackend::Postgres, sql, [value]),
        );
    }
}

/// `$n` becomes `$(n + by)`. The statements come from our own builders,
/// with every value bound, so no `$` appears inside a literal.
fn shift_placeholders(sql: &str, by: usize) -> String {
    if by == 0 {
        return sql.to_owned();
    }
    let mut out = String::with_capacity(sql.len() + 16);
    let mut chars = sql.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c != '$' {
            out.push(c);
            continue;
        }
        let start = i + 1;
        let mut end = start;
        while let Some(&(j, d)) = chars.peek() {
            if d.is_ascii_digit() {
                end = j + d.len_utf8();
                chars.next();
            } else {
                break;
            }
        }
        match sql[start..end].parse::<usize>() {
            Ok(n) => out.push_str(&format!("${}", n + by)),
            Err(_) => out.push('$'),
        }
    }
    out
}

/// `$a, $b, ...` for the next `n` values after `values`, each cast.
fn params(values: &mut Vec<Value>, row: Vec<(Value, &str)>) -> String {
    row.into_iter()
        .map(|(v, ty)| {
            values.push(v);
            format!("${}::{ty}", values.len())
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Writes the order, its lines and their allocations; the order's row.
pub(super) async fn insert_order(
    txn: &DatabaseTransaction,
    partner_id: i64,
    order: &ValidOrder,
    lines: &[PricedLine],
    plan: &[PlannedUnits],
    total: i64,
) -> Result<purchase_order::Model, DbErr> {
    let now = clock::now();
    let mut values: Vec<Value> = Vec::new();
    let header = params(
        &mut values,
        vec![
            (partner_id.into(), "bigint"),
            (order.store_id.into(), "bigint"),
            (order.idempotency_key.clone().into(), "text"),
            (order.hash.clone().into(), "text"),
            (order.buyer_reference.clone().into(), "text"),
            (order.requested_delivery_date.into(), "date"),
            (OrderStatus::Placed.to_value().into(), "text"),
            (total.into(), "bigint"),
            (now.into(), "timestamptz"),
        ],
    );
    let line_rows: Vec<String> = lines
        .iter()
        .map(|l| {
            format!(
                "({})",
                params(
                    &mut values,
                    vec![
                        (l.line_no.into(), "int"),
                        (l.product.id.into(), "bigint"),
                        (l.quantity.into(), "bigint"),
                        (l.unit_price.into(), "bigint"),
                        (l.line_total.into(), "bigint"),
                    ],
                )
            )
        })
        .collect();
    let allocation_rows: Vec<String> = plan
        .iter()
        .map(|p| {
            format!(
                "({})",
                params(
                    &mut values,
                    vec![
                        (p.line_no.into(), "int"),
                        (p.units.product_id.into(), "bigint"),
                        (p.units.location_id.into(), "bigint"),
                        (p.units.quantity.into(), "bigint"),
                    ],
                )
            )
        })
        .collect();
    let sql = format!(
        "WITH h AS (
           INSERT INTO purchase_order (partner_id, store_id, idempotency_key, request_hash,
             buyer_reference, requested_delivery_date, status, total_vnd, created_at, updated_at)
           SELECT p, s, k, rh, br, d, st, t, at, at FROM (VALUES ({header})) v(p, s, k, rh, br, d, st, t, at)
           RETURNING *),
         l AS (
           INSERT INTO order_line (order_id, line_no, product_id, quantity, unit_price_vnd,
             line_total_vnd, shipped_quantity)
           SELECT h.id, v.line_no, v.product_id, v.quantity, v.unit_price, v.line_total, 0
           FROM h, (VALUES {lines}) v(line_no, product_id, quantity, unit_price, line_total)
           RETURNING id, line_no),
         a AS (
           INSERT INTO order_allocation (order_line_id, order_id, product_id, location_id,
             quantity, shipped, released)
           SELECT l.id, h.id, w.product_id, w.location_id, w.quantity, 0, 0
           FROM h, l JOIN (VALUES {allocations}) w(line_no, product_id, location_id, quantity)
             ON w.line_no = l.line_no)
         SELECT * FROM h",
        lines = line_rows.join(", "),
        allocations = allocation_rows.join(", "),
    );
    let row = txn
        .query_one_raw(Statement::from_sql_and_values(
            DatabaseBackend::Postgres,
            sql,
            values,
        ))
        .await?
        .ok_or_else(|| DbErr::RecordNotInserted)?;
    purchase_order::Model::from_query_result(&row, "")
}

/// Reserves `units` for the new order and records it. `false`: some level
/// no longer had its quantity (roll back, plan again).
pub(super) async fn reserve_and_record(
    txn: &DatabaseTransaction,
    units: &[Units],
    order_id: i64,
    actor_partner_id: i64,
) -> AppResult<bool> {
    let units = inventory::in_lock_order(units);
    inventory::changing_stock_of(units.iter().map(|u| u.product_id));
    let Some((reservation, levels)) = inventory::reservation_pg(&units) else {
        return Ok(true);
    };
    let mut ctes = Ctes::default();
    ctes.push("r", reservation);
    ctes.push(
        "m",
        inventory::reservation_movements(&units, order_id, actor_partner_id),
    );
    ctes.push(
        "e",
        super::lifecycle::event_insert(order_id, None, OrderStatus::Placed, actor_partner_id, None),
    );
    for (i, sql) in rollup::new_order_upserts_pg().iter().enumerate() {
        ctes.push_with(&format!("u{i}"), sql, order_id.into());
    }
    let sql = format!(
        "WITH {} SELECT CAST(COUNT(*) AS BIGINT) AS reserved FROM r",
        ctes.parts.join(", ")
    );
    let row = txn
        .query_one_raw(Statement::from_sql_and_values(
            DatabaseBackend::Postgres,
            sql,
            ctes.values,
        ))
        .await?;
    let reserved: i64 = match row {
        Some(row) => row.try_get("", "reserved")?,
        None => 0,
    };
    Ok(reserved == levels as i64)
}

#[cfg(test)]
mod tests {
    use super::shift_placeholders;

    #[test]
    fn placeholders_are_renumbered() {
        assert_eq!(
            shift_placeholders("INSERT INTO t (a, b) VALUES ($1, $12)", 3),
            "INSERT INTO t (a, b) VALUES ($4, $15)"
        );
        assert_eq!(shift_placeholders("SELECT $ x", 2), "SELECT $ x");
    }
}
