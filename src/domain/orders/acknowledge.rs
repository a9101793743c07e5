//! Order acknowledgement (EDI 855 / GS1 ORDRSP): the supplier accepts each
//! line whole, in part or not at all, and promises a ship date. What is not
//! accepted is released at once; an order with nothing accepted ends
//! CANCELLED.

use std::collections::HashMap;

use chrono::NaiveDate;
use entity::enums::OrderStatus;
use entity::{order_line, purchase_order};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder, Set,
};

use super::allocations;
use super::lifecycle::{lock_visible, move_to, reload, require};
use crate::auth::Viewer;
use crate::db::{self, Db};
use crate::domain::rollup;
use crate::domain::{clock, text};
use crate::error::{AppError, AppResult};

/// What the supplier says of one line.
#[derive(Clone, Debug)]
pub struct LineAck {
    pub line_id: i64,
    pub accepted: i64,
    pub reason: Option<String>,
}

/// An acknowledgement: lines not named are accepted whole.
#[derive(Clone, Debug, Default)]
pub struct Ack {
    pub promised_ship_date: Option<NaiveDate>,
    pub lines: Vec<LineAck>,
}

pub(super) async fn lines_of(
    txn: &DatabaseTransaction,
    order_id: i64,
) -> AppResult<Vec<order_line::Model>> {
    Ok(order_line::Entity::find()
        .filter(order_line::Column::OrderId.eq(order_id))
        .order_by_asc(order_line::Column::LineNo)
        .all(txn)
        .await?)
}

/// Checks the acknowledgement against the order's lines; returns what is
/// accepted per line id, with its reason. Nothing is written on an error.
fn decide(
    ack: &Ack,
    lines: &[order_line::Model],
) -> AppResult<HashMap<i64, (i64, Option<String>)>> {
    if ack
        .promised_ship_date
        .is_some_and(|d| d < clock::business_today())
    {
        return Err(AppError::bad_field(
            "input.promisedShipDate",
            "the promised ship date is in the past",
        ));
    }
    let mut decided: HashMap<i64, (i64, Option<String>)> =
        lines.iter().map(|l| (l.id, (l.quantity, None))).collect();
    let mut named = std::collections::HashSet::new();
    for (i, a) in ack.lines.iter().enumerate() {
        let field = |f: &str| format!("input.lines.{i}.{f}");
        let Some(line) = lines.iter().find(|l| l.id == a.line_id) else {
            return Err(AppError::bad_field(
                field("lineId"),
                "not a line of this order",
            ));
        };
        if !named.insert(a.line_id) {
            return Err(AppError::bad_field(
                field("lineId"),
                "this line is named twice",
            ));
        }
        if !(0..=line.quantity).contains(&a.accepted) {
            return Err(AppError::bad_field(
                field("acceptedQuantity"),
                format!("accept 0 to {} units of this line", line.quantity),
            ));
        }
        let reason = text::reason(a.reason.as_deref(), &field("reason"), false)?;
        decided.insert(a.line_id, (a.accepted, reason));
    }
    Ok(decided)
}

/// Acknowledges a PLACED order (operator, `fulfillment:write`).
pub async fn acknowledge(
    db: &Db,
    viewer: &Viewer,
    order_id: i64,
    ack: Ack,
) -> AppResult<purchase_order::Model> {
    let actor = viewer.partner_id();
    let (txn, slot) = db::begin_write(db).await?;
    let order = lock_visible(&txn, viewer, order_id).await?;
    // Read before any change: the rollups get the difference.
    let before = rollup::contribution(&txn, order_id).await?;
    require(&order, &[OrderStatus::Placed], "acknowledged")?;
    let lines = lines_of(&txn, order.id).await?;
    let decided = decide(&ack, &lines)?;
    let held = allocations::of_order(&txn, order.id).await?;
    let mut accepted_units = 0;
    let mut summary = Vec::new();
    for line in lines {
        let (accepted, reason) = decided
            .get(&line.id)
            .cloned()
            .unwrap_or((line.quantity, None));
        allocations::release_line(
            &txn,
            &held,
            order.id,
            line.id,
            line.quantity - accepted,
            actor,
        )
        .await?;
        if accepted < line.quantity {
            let why = reason
                .as_ref()
                .map(|r| format!(" ({r})"))
                .unwrap_or_default();
            summary.push(format!(
                "line {}: {accepted} of {}{why}",
                line.line_no, line.quantity
            ));
        }
        accepted_units += accepted;
        let mut row: order_line::ActiveModel = line.into();
        row.accepted_quantity = Set(Some(accepted));
        row.rejection_reason = Set(reason);
        row.update(&txn).await?;
    }
    let mut header: purchase_order::ActiveModel = order.clone().into();
    header.promised_ship_date = Set(ack.promised_ship_date);
    header.update(&txn).await?;
    let note = (!summary.is_empty()).then(|| format!("accepted {}", summary.join("; ")));
    let to = if accepted_units == 0 {
        OrderStatus::Cancelled
    } else {
        OrderStatus::Confirmed
    };
    let note = if to == OrderStatus::Cancelled {
        Some(
            note.unwrap_or_default()
                .replacen("accepted", "nothing accepted:", 1),
        )
    } else {
        note
    };
    move_to(&txn, &order, to, actor, note).await?;
    let order = reload(&txn, order.id).await?;
    rollup::settle(&txn, order_id, before).await?;
    slot.commit(txn).await?;
    Ok(order)
}
