//! The order lifecycle: PLACED → CONFIRMED → SHIPPED → DELIVERED, or
//! CANCELLED from PLACED or CONFIRMED. Each step is a conditional status
//! update, its stock effect (through `domain::inventory`) and an event row,
//! in one transaction.

use entity::enums::OrderStatus;
use entity::{order_allocation, order_event, purchase_order};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::NotSet, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use super::{status_name, visible};
use crate::auth::Viewer;
use crate::db::{self, Db};
use crate::domain::inventory::{self, Units, Unreserve};
use crate::domain::{clock, text};
use crate::error::{AppError, AppResult};

/// A lifecycle step requested by a caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    Confirm,
    Ship,
    Deliver,
    Cancel,
}

impl Transition {
    fn target(self) -> OrderStatus {
        match self {
            Transition::Confirm => OrderStatus::Confirmed,
            Transition::Ship => OrderStatus::Shipped,
            Transition::Deliver => OrderStatus::Delivered,
            Transition::Cancel => OrderStatus::Cancelled,
        }
    }

    fn allowed_from(self, status: OrderStatus) -> bool {
        matches!(
            (self, status),
            (Transition::Confirm, OrderStatus::Placed)
                | (Transition::Ship, OrderStatus::Confirmed)
                | (Transition::Deliver, OrderStatus::Shipped)
                | (
                    Transition::Cancel,
                    OrderStatus::Placed | OrderStatus::Confirmed
                )
        )
    }

    /// What the step does to the order's reserved stock.
    fn stock_effect(self) -> Option<Unreserve> {
        match self {
            Transition::Cancel => Some(Unreserve::Release),
            Transition::Ship => Some(Unreserve::Ship),
            Transition::Confirm | Transition::Deliver => None,
        }
    }
}

/// Applies a lifecycle step. The current status is checked, and changed by a
/// conditional update, in the same transaction as the step's stock effect:
/// cancelling releases the reservation, shipping takes the quantity out of
/// on-hand and reserved. An illegal step is CONFLICT and changes nothing.
pub async fn transition(
    db: &Db,
    viewer: &Viewer,
    order_id: i64,
    step: Transition,
    reason: Option<&str>,
) -> AppResult<purchase_order::Model> {
    let reason = text::reason(reason, "reason", false)?;
    let (txn, _slot) = db::begin_write(db).await?;
    let order = visible(viewer, order_id)
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found("order"))?;
    let target = step.target();
    if !step.allowed_from(order.status) {
        return Err(AppError::conflict(format!(
            "order is {}; it cannot become {}",
            status_name(order.status),
            status_name(target)
        )));
    }
    let updated = purchase_order::Entity::update_many()
        .col_expr(purchase_order::Column::Status, Expr::value(target))
        .col_expr(purchase_order::Column::UpdatedAt, Expr::value(clock::now()))
        .filter(purchase_order::Column::Id.eq(order.id))
        .filter(purchase_order::Column::Status.eq(order.status))
        .exec(&txn)
        .await?;
    if updated.rows_affected != 1 {
        return Err(AppError::conflict(
            "the order changed concurrently; read it again",
        ));
    }
    if let Some(effect) = step.stock_effect() {
        let units = allocated_units(&txn, order.id).await?;
        inventory::release_or_ship(&txn, &units, effect, order.id, viewer.partner_id()).await?;
    }
    record_event(
        &txn,
        order.id,
        Some(order.status),
        target,
        viewer.partner_id(),
        reason,
    )
    .await?;
    let order = purchase_order::Entity::find_by_id(order.id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found("order"))?;
    txn.commit().await?;
    Ok(order)
}

/// Every unit the order holds, per product and location.
async fn allocated_units(txn: &DatabaseTransaction, order_id: i64) -> AppResult<Vec<Units>> {
    Ok(order_allocation::Entity::find()
        .filter(order_allocation::Column::OrderId.eq(order_id))
        .order_by_asc(order_allocation::Column::Id)
        .all(txn)
        .await?
        .into_iter()
        .map(|a| Units {
            product_id: a.product_id,
            location_id: a.location_id,
            quantity: a.quantity,
        })
        .collect())
}

/// Records a status change (the order's history, and later its events).
pub(super) async fn record_event(
    txn: &DatabaseTransaction,
    order_id: i64,
    from: Option<OrderStatus>,
    to: OrderStatus,
    actor_partner_id: i64,
    reason: Option<String>,
) -> AppResult<()> {
    order_event::Entity::insert(order_event::ActiveModel {
        id: NotSet,
        order_id: Set(order_id),
        from_status: Set(from),
        to_status: Set(to),
        actor_partner_id: Set(actor_partner_id),
        reason: Set(reason),
        created_at: Set(clock::now()),
    })
    .exec_without_returning(txn)
    .await?;
    Ok(())
}
