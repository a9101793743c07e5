//! The order lifecycle: PLACED → CONFIRMED (acknowledged) → SHIPPED (every
//! accepted unit shipped) → DELIVERED, or CANCELLED from PLACED or
//! CONFIRMED. Each step is a conditional status update, its stock effect
//! (through `domain::inventory`) and an event row, in one transaction; the
//! event rows are the order's history, and the one place later live events
//! and reports read order changes from.

use entity::enums::OrderStatus;
use entity::{order_event, purchase_order};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::NotSet, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QuerySelect,
    Set,
};

use super::{allocations, status_name, visible};
use crate::auth::Viewer;
use crate::db::changes::{self, Key, Table};
use crate::db::{self, Db};
use crate::domain::rollup;
use crate::domain::{clock, text};
use crate::error::{AppError, AppResult};

/// The order, locked for the rest of the transaction on PostgreSQL (SQLite
/// writers hold the database lock already), if the caller may see it.
pub(super) async fn lock_visible(
    txn: &DatabaseTransaction,
    viewer: &Viewer,
    order_id: i64,
) -> AppResult<purchase_order::Model> {
    let order = visible(viewer, order_id)
        .lock_exclusive()
        .one(txn)
        .await?
        .ok_or_else(|| AppError::not_found("order"))?;
    // What the step writes of orders is this order's partner's.
    changes::changing(Table::ORDERS, [Key::Orders(order.partner_id)]);
    Ok(order)
}

/// CONFLICT unless the order is in one of `allowed`.
pub(super) fn require(
    order: &purchase_order::Model,
    allowed: &[OrderStatus],
    doing: &str,
) -> AppResult<()> {
    if allowed.contains(&order.status) {
        return Ok(());
    }
    Err(AppError::conflict(format!(
        "order is {}; it cannot be {doing}",
        status_name(order.status)
    )))
}

/// Moves the order to `to` (or leaves it, recording progress when `to` is
/// its status) and records the event.
pub(super) async fn move_to(
    txn: &DatabaseTransaction,
    order: &purchase_order::Model,
    to: OrderStatus,
    actor: i64,
    reason: Option<String>,
) -> AppResult<()> {
    let updated = purchase_order::Entity::update_many()
        .col_expr(purchase_order::Column::Status, Expr::value(to))
        .col_expr(purchase_order::Column::UpdatedAt, Expr::value(clock::now()))
        .filter(purchase_order::Column::Id.eq(order.id))
        .filter(purchase_order::Column::Status.eq(order.status))
        .exec(txn)
        .await?;
    if updated.rows_affected != 1 {
        return Err(AppError::conflict(
            "the order changed concurrently; read it again",
        ));
    }
    record_event(txn, order.id, Some(order.status), to, actor, reason).await
}

/// Records a status change or progress (the order's history).
pub(super) async fn record_event(
    txn: &DatabaseTransaction,
    order_id: i64,
    from: Option<OrderStatus>,
    to: OrderStatus,
    actor_partner_id: i64,
    reason: Option<String>,
) -> AppResult<()> {
    event(order_id, from, to, actor_partner_id, reason)
        .exec_without_returning(txn)
        .await?;
    Ok(())
}

/// The event as a PostgreSQL statement to run with others
/// (`tail_pg`).
pub(super) fn event_insert(
    order_id: i64,
    from: Option<OrderStatus>,
    to: OrderStatus,
    actor_partner_id: i64,
    reason: Option<String>,
) -> sea_orm::Statement {
    sea_orm::QueryTrait::build(
        &event(order_id, from, to, actor_partner_id, reason),
        sea_orm::DatabaseBackend::Postgres,
    )
}

fn event(
    order_id: i64,
    from: Option<OrderStatus>,
    to: OrderStatus,
    actor_partner_id: i64,
    reason: Option<String>,
) -> sea_orm::Insert<order_event::ActiveModel> {
    order_event::Entity::insert(order_event::ActiveModel {
        id: NotSet,
        order_id: Set(order_id),
        from_status: Set(from),
        to_status: Set(to),
        actor_partner_id: Set(actor_partner_id),
        reason: Set(reason),
        created_at: Set(clock::now()),
        tx: NotSet,
    })
}

pub(super) async fn reload(
    txn: &DatabaseTransaction,
    order_id: i64,
) -> AppResult<purchase_order::Model> {
    purchase_order::Entity::find_by_id(order_id)
        .one(txn)
        .await?
        .ok_or_else(|| AppError::not_found("order"))
}

/// Cancels an order while PLACED or CONFIRMED: its partner (or the
/// operator) may. Whatever it still holds is released; what has already
/// shipped stays shipped.
pub async fn cancel(
    db: &Db,
    viewer: &Viewer,
    order_id: i64,
    reason: Option<&str>,
) -> AppResult<purchase_order::Model> {
    let reason = text::reason(reason, "reason", false)?;
    let (txn, slot) = db::begin_write(db).await?;
    let order = lock_visible(&txn, viewer, order_id).await?;
    // Read before any change: the rollups get the difference.
    let before = rollup::contribution(&txn, order_id).await?;
    require(
        &order,
        &[OrderStatus::Placed, OrderStatus::Confirmed],
        "cancelled",
    )?;
    allocations::release_all(&txn, order.id, viewer.partner_id()).await?;
    move_to(
        &txn,
        &order,
        OrderStatus::Cancelled,
        viewer.partner_id(),
        reason,
    )
    .await?;
    let order = reload(&txn, order.id).await?;
    rollup::settle(&txn, order_id, before).await?;
    slot.commit(txn).await?;
    Ok(order)
}
