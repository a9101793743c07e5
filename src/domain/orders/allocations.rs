//! An order's reserved units, location by location: how acknowledgement
//! and cancellation release them and shipments take them out. The level
//! writes themselves go through `domain::inventory`; this file keeps
//! `order_allocation` in step (reserved: `quantity - released - shipped`).

use entity::order_allocation;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder, Set,
};

use crate::domain::inventory::{self, Units, Unreserve};
use crate::error::{AppError, AppResult};

/// The order's allocations, read once per operation: each line's units
/// are taken from its own rows only, so one read serves every line.
pub async fn of_order(
    txn: &DatabaseTransaction,
    order_id: i64,
) -> AppResult<Vec<order_allocation::Model>> {
    Ok(order_allocation::Entity::find()
        .filter(order_allocation::Column::OrderId.eq(order_id))
        .order_by_asc(order_allocation::Column::Id)
        .all(txn)
        .await?)
}

fn still_reserved(a: &order_allocation::Model) -> i64 {
    a.quantity - a.released - a.shipped
}

/// Takes up to `units` of `line_id`'s reservation, visiting its
/// allocations in `order`, and sets each allocation through `apply`.
/// Returns what was taken per location.
async fn take(
    txn: &DatabaseTransaction,
    allocations: &[order_allocation::Model],
    line_id: i64,
    mut units: i64,
    newest_first: bool,
    apply: impl Fn(&order_allocation::Model, i64) -> order_allocation::ActiveModel,
) -> AppResult<Vec<Units>> {
    let mut taken = Vec::new();
    let mut mine: Vec<&order_allocation::Model> = allocations
        .iter()
        .filter(|a| a.order_line_id == line_id && still_reserved(a) > 0)
        .collect();
    if newest_first {
        mine.reverse();
    }
    for a in mine {
        if units == 0 {
            break;
        }
        let n = still_reserved(a).min(units);
        apply(a, n).update(txn).await?;
        units -= n;
        taken.push(Units {
            product_id: a.product_id,
            location_id: a.location_id,
            quantity: n,
        });
    }
    if units > 0 {
        return Err(AppError::internal(std::io::Error::other(format!(
            "line {line_id} holds fewer reserved units than its order says"
        ))));
    }
    Ok(taken)
}

/// Releases `units` of a line's reservation (units not accepted), newest
/// allocation first, with their ledger rows.
pub async fn release_line(
    txn: &DatabaseTransaction,
    allocations: &[order_allocation::Model],
    order_id: i64,
    line_id: i64,
    units: i64,
    actor: i64,
) -> AppResult<()> {
    if units == 0 {
        return Ok(());
    }
    let released = take(txn, allocations, line_id, units, true, |a, n| {
        let mut row: order_allocation::ActiveModel = a.clone().into();
        row.released = Set(a.released + n);
        row
    })
    .await?;
    inventory::release_or_ship(txn, &released, Unreserve::Release, order_id, actor).await
}

/// Ships `units` of a line from its reservation, oldest allocation first:
/// they leave on-hand and reserved, with their ledger rows.
pub async fn ship_line(
    txn: &DatabaseTransaction,
    allocations: &[order_allocation::Model],
    order_id: i64,
    line_id: i64,
    units: i64,
    actor: i64,
) -> AppResult<()> {
    let shipped = take(txn, allocations, line_id, units, false, |a, n| {
        let mut row: order_allocation::ActiveModel = a.clone().into();
        row.shipped = Set(a.shipped + n);
        row
    })
    .await?;
    inventory::release_or_ship(txn, &shipped, Unreserve::Ship, order_id, actor).await
}

/// Releases everything the order still holds (a cancellation): what has
/// shipped stays shipped.
pub async fn release_all(txn: &DatabaseTransaction, order_id: i64, actor: i64) -> AppResult<()> {
    let mut released = Vec::new();
    for a in of_order(txn, order_id).await? {
        let n = still_reserved(&a);
        if n == 0 {
            continue;
        }
        released.push(Units {
            product_id: a.product_id,
            location_id: a.location_id,
            quantity: n,
        });
        let released = a.released + n;
        let mut row: order_allocation::ActiveModel = a.into();
        row.released = Set(released);
        row.update(txn).await?;
    }
    inventory::release_or_ship(txn, &released, Unreserve::Release, order_id, actor).await
}
