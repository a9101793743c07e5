//! PostgreSQL: the tail of placing an order (reserve the stock, write its
//! ledger rows and the order's event, add it to the report rollups) as one
//! statement of data-modifying CTEs, in one round trip instead of one per
//! reserved level plus three.
//!
//! The reservation is set-based: one `UPDATE .. FROM (VALUES ..)` whose
//! rows are given in the global lock order (product, location). Each row
//! keeps its condition (`on_hand - reserved >= quantity`, re-checked
//! against the committed row after a wait), and the statement returns how
//! many rows it reserved: fewer than planned means stock moved, and the
//! caller rolls everything back, the inserts of the same statement
//! included. PostgreSQL locks the rows as the join reaches them, which
//! for a handful of keys on a unique index is the VALUES order; should a
//! plan ever take them otherwise, a deadlock is detected, rolled back and
//! retried like any stock that moved.

use entity::enums::OrderStatus;
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseTransaction, DbErr, Statement, Value};

use crate::domain::clock;
use crate::domain::inventory::{self, Units};
use crate::domain::rollup::{self, Contribution};
use crate::error::{AppError, AppResult};

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

    fn placeholder(&mut self, value: impl Into<Value>) -> String {
        self.values.push(value.into());
        format!("${}", self.values.len())
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

/// Reserves `units` for the new order and records it, in one statement.
/// `false`: some level no longer had its quantity (roll back, plan again).
pub(super) async fn reserve_and_record(
    txn: &DatabaseTransaction,
    units: &[Units],
    order_id: i64,
    actor_partner_id: i64,
    sold: Contribution,
) -> AppResult<bool> {
    let units = inventory::in_lock_order(units);
    let mut ctes = Ctes::default();
    let now = ctes.placeholder(clock::now());
    let rows: Vec<String> = units
        .iter()
        .map(|u| {
            format!(
                "({}::bigint, {}::bigint, {}::bigint)",
                ctes.placeholder(u.product_id),
                ctes.placeholder(u.location_id),
                ctes.placeholder(u.quantity)
            )
        })
        .collect();
    ctes.parts.push(format!(
        "r AS (UPDATE inventory_level AS i SET reserved = i.reserved + v.q, updated_at = {now} \
         FROM (VALUES {rows}) AS v(p, l, q) \
         WHERE i.product_id = v.p AND i.location_id = v.l AND i.on_hand - i.reserved >= v.q \
         RETURNING 1)",
        rows = rows.join(", ")
    ));
    ctes.push(
        "m",
        inventory::reservation_movements(&units, order_id, actor_partner_id),
    );
    ctes.push(
        "e",
        super::lifecycle::event_insert(order_id, None, OrderStatus::Placed, actor_partner_id, None),
    );
    for (i, sql) in rollup::upserts_pg(sold, &mut ctes.values)
        .into_iter()
        .enumerate()
    {
        ctes.parts.push(format!("u{i} AS ({sql})"));
    }
    let sql = format!("WITH {} SELECT count(*) FROM r", ctes.parts.join(", "));
    let row = txn
        .query_one_raw(Statement::from_sql_and_values(
            DatabaseBackend::Postgres,
            sql,
            ctes.values,
        ))
        .await?
        .ok_or_else(|| AppError::internal(DbErr::RecordNotFound("count".into())))?;
    let reserved: i64 = row.try_get_by_index(0)?;
    Ok(reserved == units.len() as i64)
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
