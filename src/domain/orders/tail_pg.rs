//! PostgreSQL: the tail of placing an order. The stock is reserved one
//! level at a time in the global lock order (`inventory::reserve_levels`),
//! then its ledger rows, the order's event and the report rollups are
//! written in one statement of data-modifying CTEs: one round trip
//! instead of three.

use entity::enums::OrderStatus;
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseTransaction, Statement, Value};

use crate::domain::inventory::{self, Units};
use crate::domain::rollup::{self, Contribution};
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

/// Reserves `units` for the new order and records it. `false`: some level
/// no longer had its quantity (roll back, plan again).
pub(super) async fn reserve_and_record(
    txn: &DatabaseTransaction,
    units: &[Units],
    order_id: i64,
    actor_partner_id: i64,
    sold: Contribution,
) -> AppResult<bool> {
    let units = inventory::in_lock_order(units);
    if !inventory::reserve_levels(txn, &units).await? {
        return Ok(false);
    }
    let mut ctes = Ctes::default();
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
    let sql = format!("WITH {} SELECT 1", ctes.parts.join(", "));
    txn.execute_raw(Statement::from_sql_and_values(
        DatabaseBackend::Postgres,
        sql,
        ctes.values,
    ))
    .await?;
    Ok(true)
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
