//! What orders do to stock: reserve (all of an order's levels, in the
//! global lock order so two orders never deadlock), release and ship, each
//! with its ledger rows.

use entity::enums::MovementKind;
use entity::inventory_level;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, Statement,
};

use super::{Movement, available_sql, changing_stock_of, movements_insert, record_movements};
use crate::domain::clock;
use crate::error::{AppError, AppResult};

/// The ledger rows of a new order's reservation, as a PostgreSQL
/// statement to run with others (`domain::orders::tail_pg`).
pub(crate) fn reservation_movements(units: &[Units], order_id: i64, actor: i64) -> Statement {
    let movements = units
        .iter()
        .map(|u| {
            order_movement(
                u,
                MovementKind::Reservation,
                (0, u.quantity),
                order_id,
                actor,
            )
        })
        .collect();
    sea_orm::QueryTrait::build(
        &movements_insert(movements),
        sea_orm::DatabaseBackend::Postgres,
    )
}

/// Units of one product at one location that an order reserves, releases
/// or ships.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Units {
    pub product_id: i64,
    pub location_id: i64,
    pub quantity: i64,
}

/// Sorts units into the global lock order, (product, location): every
/// writer of several levels takes their row locks in this order, so two
/// transactions can never deadlock on them.
pub(crate) fn in_lock_order(units: &[Units]) -> Vec<Units> {
    let mut sorted = units.to_vec();
    sorted.sort_by_key(|u| (u.product_id, u.location_id));
    sorted
}

/// Reserves every one of `units` for `order_id`, each with a conditional
/// `UPDATE ... WHERE on_hand - reserved >= qty`, and writes their ledger
/// rows. Returns false as soon as a row no longer has its quantity: the
/// caller must then roll the transaction back (and may plan again). On
/// PostgreSQL a concurrent reservation of the same row makes the update
/// wait for it, then re-check the condition against the committed row.
pub async fn reserve(
    txn: &DatabaseTransaction,
    units: &[Units],
    order_id: i64,
    actor_partner_id: i64,
) -> AppResult<bool> {
    let units = in_lock_order(units);
    if !reserve_levels(txn, &units).await? {
        return Ok(false);
    }
    record_movements(
        txn,
        units
            .iter()
            .map(|u| {
                let deltas = (0, u.quantity);
                order_movement(
                    u,
                    MovementKind::Reservation,
                    deltas,
                    order_id,
                    actor_partner_id,
                )
            })
            .collect(),
    )
    .await?;
    Ok(true)
}

/// The conditional updates of [`reserve`], in the lock order (every writer
/// of several levels takes their row locks in it, so none deadlocks).
/// `false` when some level no longer has its quantity.
pub(crate) async fn reserve_levels(txn: &DatabaseTransaction, units: &[Units]) -> AppResult<bool> {
    changing_stock_of(units.iter().map(|u| u.product_id));
    if txn.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        return reserve_levels_pg(txn, units).await;
    }
    let now = clock::now();
    for u in units {
        let reserved = Expr::col(inventory_level::Column::Reserved);
        let result = inventory_level::Entity::update_many()
            .col_expr(
                inventory_level::Column::Reserved,
                reserved.clone().add(u.quantity),
            )
            .col_expr(inventory_level::Column::UpdatedAt, Expr::value(now))
            .filter(inventory_level::Column::ProductId.eq(u.product_id))
            .filter(inventory_level::Column::LocationId.eq(u.location_id))
            .filter(
                Expr::col(inventory_level::Column::OnHand)
                    .sub(reserved)
                    .gte(u.quantity),
            )
            .exec(txn)
            .await?;
        if result.rows_affected != 1 {
            return Ok(false);
        }
    }
    Ok(true)
}

/// PostgreSQL: every level in one statement. The rows are first locked
/// by `SELECT .. ORDER BY .. FOR UPDATE` (a CTE with row locks is never
/// inlined, and its LockRows takes them in the sort's order), and the
/// update only reaches rows that CTE has emitted, so the locks are taken
/// in the lock order whatever join the planner picks. (A bare `UPDATE ..
/// FROM (VALUES ..)` locks in whatever order its plan visits the rows; it
/// deadlocked with concurrent cancellations.) The availability test is
/// re-checked against the locked row, as a single-row update's is.
async fn reserve_levels_pg(txn: &DatabaseTransaction, units: &[Units]) -> AppResult<bool> {
    let Some((statement, levels)) = reservation_pg(units) else {
        return Ok(true);
    };
    let result = txn.execute_raw(statement).await?;
    Ok(result.rows_affected() == levels as u64)
}

/// The statement of `reserve_levels_pg`, returning a row per level
/// reserved, and how many levels it must reserve (to run inside another,
/// `domain::orders::tail_pg`). None when there is nothing to reserve.
pub(crate) fn reservation_pg(units: &[Units]) -> Option<(Statement, usize)> {
    // Callers sort into the lock order already; a repeated level (adjacent
    // once sorted) is one row of the update, so it is summed.
    debug_assert!(units.is_sorted_by_key(|u| (u.product_id, u.location_id)));
    let mut merged: Vec<Units> = Vec::with_capacity(units.len());
    for &u in units {
        match merged.last_mut() {
            Some(last) if (last.product_id, last.location_id) == (u.product_id, u.location_id) => {
                last.quantity += u.quantity;
            }
            _ => merged.push(u),
        }
    }
    if merged.is_empty() {
        return None;
    }
    let mut values: Vec<sea_orm::Value> = vec![clock::now().into()];
    let mut rows = Vec::with_capacity(merged.len());
    for u in &merged {
        let n = values.len();
        rows.push(format!(
            "(${}::bigint, ${}::bigint, ${}::bigint)",
            n + 1,
            n + 2,
            n + 3
        ));
        values.extend([u.product_id.into(), u.location_id.into(), u.quantity.into()]);
    }
    let sql = format!(
        "WITH wanted (product_id, location_id, qty) AS (VALUES {}),
         locked AS (
           SELECT il.product_id, il.location_id FROM inventory_level il
           JOIN wanted w ON w.product_id = il.product_id AND w.location_id = il.location_id
           ORDER BY il.product_id, il.location_id
           FOR UPDATE OF il)
         UPDATE inventory_level il SET reserved = il.reserved + w.qty, updated_at = $1
         FROM wanted w JOIN locked l
           ON l.product_id = w.product_id AND l.location_id = w.location_id
         WHERE il.product_id = w.product_id AND il.location_id = w.location_id
           AND {available} >= w.qty
         RETURNING 1",
        rows.join(", "),
        available = available_sql("il"),
    );
    Some((
        Statement::from_sql_and_values(sea_orm::DatabaseBackend::Postgres, sql, values),
        merged.len(),
    ))
}

/// What happens to reserved units that leave a reservation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unreserve {
    /// Back to available (a cancellation, a rejected line).
    Release,
    /// Out of the building: on-hand drops with reserved.
    Ship,
}

/// Takes `units` out of reserved (and, when shipping, out of on-hand) for
/// `order_id`, with their ledger rows. The reservation must be there: a
/// missing one is a broken invariant, answered INTERNAL with nothing
/// changed (the caller's transaction is dropped).
pub async fn release_or_ship(
    txn: &DatabaseTransaction,
    units: &[Units],
    effect: Unreserve,
    order_id: i64,
    actor_partner_id: i64,
) -> AppResult<()> {
    let units = in_lock_order(units);
    changing_stock_of(units.iter().map(|u| u.product_id));
    let now = clock::now();
    for u in &units {
        let reserved = Expr::col(inventory_level::Column::Reserved);
        let mut update = inventory_level::Entity::update_many()
            .col_expr(inventory_level::Column::Reserved, reserved.sub(u.quantity))
            .col_expr(inventory_level::Column::UpdatedAt, Expr::value(now));
        if effect == Unreserve::Ship {
            update = update.col_expr(
                inventory_level::Column::OnHand,
                Expr::col(inventory_level::Column::OnHand).sub(u.quantity),
            );
        }
        let result = update
            .filter(inventory_level::Column::ProductId.eq(u.product_id))
            .filter(inventory_level::Column::LocationId.eq(u.location_id))
            .filter(inventory_level::Column::Reserved.gte(u.quantity))
            .exec(txn)
            .await?;
        if result.rows_affected != 1 {
            return Err(AppError::internal(std::io::Error::other(format!(
                "reservation of order {order_id} missing at product {} location {}",
                u.product_id, u.location_id
            ))));
        }
    }
    record_movements(
        txn,
        units
            .iter()
            .map(|u| {
                let (kind, deltas) = match effect {
                    Unreserve::Release => (MovementKind::Release, (0, -u.quantity)),
                    Unreserve::Ship => (MovementKind::Shipment, (-u.quantity, -u.quantity)),
                };
                order_movement(u, kind, deltas, order_id, actor_partner_id)
            })
            .collect(),
    )
    .await
}

/// The ledger row of an order's stock effect on `u`: `(on_hand_delta,
/// reserved_delta)`.
fn order_movement(
    u: &Units,
    kind: MovementKind,
    (on_hand_delta, reserved_delta): (i64, i64),
    order_id: i64,
    actor: i64,
) -> Movement {
    Movement {
        product_id: u.product_id,
        location_id: u.location_id,
        kind,
        on_hand_delta,
        reserved_delta,
        order_id: Some(order_id),
        reason: None,
        actor_partner_id: Some(actor),
    }
}
