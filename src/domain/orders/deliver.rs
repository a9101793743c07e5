//! Proof of delivery: what the store received, line by line. A shortfall is
//! recorded per line (`deliveredQuantity` below what shipped) and does not
//! return stock: those units left the warehouse.

use entity::enums::OrderStatus;
use entity::{order_line, purchase_order};
use sea_orm::{ActiveModelTrait, Set};

use super::acknowledge::lines_of;
use super::lifecycle::{lock_visible, move_to, reload, require};
use crate::auth::Viewer;
use crate::db::{self, Db};
use crate::domain::rollup;
use crate::error::{AppError, AppResult};

#[derive(Clone, Debug)]
pub struct Received {
    pub line_id: i64,
    pub quantity: i64,
}

/// Records the delivery of a SHIPPED order (operator,
/// `fulfillment:write`); lines not named were received in full.
pub async fn deliver(
    db: &Db,
    viewer: &Viewer,
    order_id: i64,
    received: Vec<Received>,
) -> AppResult<purchase_order::Model> {
    let actor = viewer.partner_id();
    let (txn, slot) = db::begin_write(db).await?;
    let order = lock_visible(&txn, viewer, order_id).await?;
    // Read before any change: the rollups get the difference.
    let before = rollup::contribution(&txn, order_id).await?;
    require(&order, &[OrderStatus::Shipped], "delivered")?;
    let lines = lines_of(&txn, order.id).await?;
    let mut got: std::collections::HashMap<i64, i64> = std::collections::HashMap::new();
    for (i, r) in received.iter().enumerate() {
        let field = |f: &str| format!("input.lines.{i}.{f}");
        let Some(line) = lines.iter().find(|l| l.id == r.line_id) else {
            return Err(AppError::bad_field(
                field("lineId"),
                "not a line of this order",
            ));
        };
        if got.insert(line.id, r.quantity).is_some() {
            return Err(AppError::bad_field(
                field("lineId"),
                "this line is named twice",
            ));
        }
        if !(0..=line.shipped_quantity).contains(&r.quantity) {
            return Err(AppError::bad_field(
                field("receivedQuantity"),
                format!("{} units of this line shipped", line.shipped_quantity),
            ));
        }
    }
    let mut shortfalls = Vec::new();
    for line in lines {
        let delivered = got.get(&line.id).copied().unwrap_or(line.shipped_quantity);
        if delivered < line.shipped_quantity {
            shortfalls.push(format!(
                "line {}: {delivered} of {}",
                line.line_no, line.shipped_quantity
            ));
        }
        let mut row: order_line::ActiveModel = line.into();
        row.delivered_quantity = Set(Some(delivered));
        row.update(&txn).await?;
    }
    let note = (!shortfalls.is_empty()).then(|| format!("short: {}", shortfalls.join("; ")));
    move_to(&txn, &order, OrderStatus::Delivered, actor, note).await?;
    let order = reload(&txn, order.id).await?;
    rollup::settle(&txn, order_id, before).await?;
    slot.commit(txn).await?;
    Ok(order)
}
