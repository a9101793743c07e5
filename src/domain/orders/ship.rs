//! Shipments (EDI 856 / GS1 DESADV): an order ships in one or more
//! shipments of SSCC-labelled packages; food and beverage lines carry a lot
//! number and an expiry date. The order stays CONFIRMED until every
//! accepted unit has shipped, then it is SHIPPED.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use entity::enums::{Category, OrderStatus};
use entity::{order_line, product, purchase_order, shipment, shipment_line, shipment_package};
use sea_orm::ActiveValue::NotSet;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, Set, SqlErr,
};

use super::acknowledge::lines_of;
use super::allocations;
use super::lifecycle::{lock_visible, move_to, reload, require};
use crate::auth::Viewer;
use crate::db::{self, Db};
use crate::domain::rollup;
use crate::domain::{clock, gtin, text};
use crate::error::{AppError, AppResult};

#[derive(Clone, Debug)]
pub struct PackageLine {
    pub line_id: i64,
    pub quantity: i64,
    pub lot_number: Option<String>,
    pub expiry_date: Option<NaiveDate>,
}

#[derive(Clone, Debug)]
pub struct Package {
    pub sscc: String,
    pub lines: Vec<PackageLine>,
}

/// A shipment to record. Without one (`shipOrder(id)`), everything accepted
/// and not yet shipped ships at once, with no package record.
#[derive(Clone, Debug)]
pub struct NewShipment {
    pub carrier: String,
    pub tracking_reference: String,
    pub packages: Vec<Package>,
}

/// True for an 18-digit SSCC whose GS1 check digit checks.
pub fn is_valid_sscc(sscc: &str) -> bool {
    sscc.len() == 18
        && sscc.bytes().all(|b| b.is_ascii_digit())
        && gtin::check_digit(&sscc[..17])
            .map(|d| d.to_string())
            .as_deref()
            == Some(&sscc[17..])
}

fn short_text(value: &str, field: &str, what: &str) -> AppResult<String> {
    text::printable(
        value,
        1,
        64,
        field,
        &format!("{what} is 1 to 64 characters"),
    )
}

/// Checks a shipment against the order's lines (what is accepted and not
/// yet shipped, lots for food); returns units per line id.
fn check(
    shipment: &NewShipment,
    lines: &[order_line::Model],
    categories: &HashMap<i64, Category>,
) -> AppResult<HashMap<i64, i64>> {
    if shipment.packages.is_empty() || shipment.packages.len() > 100 {
        return Err(AppError::bad_field(
            "input.packages",
            "a shipment has 1 to 100 packages",
        ));
    }
    let today = clock::business_today();
    let mut ssccs = HashSet::new();
    let mut units: HashMap<i64, i64> = HashMap::new();
    for (p, package) in shipment.packages.iter().enumerate() {
        let at = |f: &str| format!("input.packages.{p}.{f}");
        if !is_valid_sscc(&package.sscc) {
            return Err(AppError::bad_field(
                at("sscc"),
                "an SSCC is 18 digits with a valid GS1 check digit",
            ));
        }
        if !ssccs.insert(package.sscc.as_str()) {
            return Err(AppError::bad_field(at("sscc"), "this SSCC is used twice"));
        }
        if package.lines.is_empty() {
            return Err(AppError::bad_field(
                at("lines"),
                "a package holds at least one line",
            ));
        }
        for (i, pl) in package.lines.iter().enumerate() {
            let field = |f: &str| format!("input.packages.{p}.lines.{i}.{f}");
            let Some(line) = lines.iter().find(|l| l.id == pl.line_id) else {
                return Err(AppError::bad_field(
                    field("lineId"),
                    "not a line of this order",
                ));
            };
            if pl.quantity < 1 {
                return Err(AppError::bad_field(
                    field("quantity"),
                    "ship at least one unit",
                ));
            }
            let perishable = matches!(
                categories.get(&line.product_id),
                Some(Category::Food | Category::Beverages)
            );
            if perishable && pl.lot_number.as_deref().is_none_or(|l| l.trim().is_empty()) {
                return Err(AppError::bad_field(
                    field("lotNumber"),
                    "food and beverage lines need a lot number",
                ));
            }
            match pl.expiry_date {
                None if perishable => {
                    return Err(AppError::bad_field(
                        field("expiryDate"),
                        "food and beverage lines need an expiry date",
                    ));
                }
                Some(d) if d < today => {
                    return Err(AppError::bad_field(
                        field("expiryDate"),
                        "this lot has expired",
                    ));
                }
                _ => {}
            }
            if pl
                .lot_number
                .as_deref()
                .is_some_and(|l| l.chars().count() > 40)
            {
                return Err(AppError::bad_field(
                    field("lotNumber"),
                    "a lot number is at most 40 characters",
                ));
            }
            let total = units.entry(line.id).or_default();
            *total += pl.quantity;
            let open = line.accepted_quantity.unwrap_or(0) - line.shipped_quantity;
            if *total > open {
                return Err(AppError::bad_field(
                    field("quantity"),
                    format!(
                        "line {} has {open} accepted units left to ship",
                        line.line_no
                    ),
                ));
            }
        }
    }
    Ok(units)
}

fn sscc_taken(e: &DbErr) -> bool {
    matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

/// Ships (part of) a CONFIRMED order (operator, `fulfillment:write`).
pub async fn ship(
    db: &Db,
    viewer: &Viewer,
    order_id: i64,
    shipment: Option<NewShipment>,
) -> AppResult<purchase_order::Model> {
    let actor = viewer.partner_id();
    let (txn, slot) = db::begin_write(db).await?;
    let order = lock_visible(&txn, viewer, order_id).await?;
    // Read before any change: the rollups get the difference.
    let before = rollup::contribution(&txn, order_id).await?;
    require(&order, &[OrderStatus::Confirmed], "shipped")?;
    let lines = lines_of(&txn, order.id).await?;
    let units = match &shipment {
        None => lines
            .iter()
            .map(|l| (l.id, l.accepted_quantity.unwrap_or(0) - l.shipped_quantity))
            .filter(|(_, n)| *n > 0)
            .collect(),
        Some(s) => {
            let categories: HashMap<i64, Category> = product::Entity::find()
                .filter(product::Column::Id.is_in(lines.iter().map(|l| l.product_id)))
                .all(&txn)
                .await?
                .into_iter()
                .map(|p| (p.id, p.category))
                .collect();
            check(s, &lines, &categories)?
        }
    };
    let note = match &shipment {
        Some(s) => Some(record_shipment(&txn, order.id, actor, s).await?),
        None => None,
    };
    let held = allocations::of_order(&txn, order.id).await?;
    let mut complete = true;
    for line in &lines {
        let n = units.get(&line.id).copied().unwrap_or(0);
        if n > 0 {
            allocations::ship_line(&txn, &held, order.id, line.id, n, actor).await?;
            let mut row: order_line::ActiveModel = line.clone().into();
            row.shipped_quantity = Set(line.shipped_quantity + n);
            row.update(&txn).await?;
        }
        if line.shipped_quantity + n < line.accepted_quantity.unwrap_or(0) {
            complete = false;
        }
    }
    let to = if complete {
        OrderStatus::Shipped
    } else {
        OrderStatus::Confirmed
    };
    move_to(&txn, &order, to, actor, note).await?;
    let order = reload(&txn, order.id).await?;
    rollup::settle(&txn, order_id, before).await?;
    slot.commit(txn).await?;
    Ok(order)
}

/// Writes the shipment, its packages and lines; returns the history note.
async fn record_shipment(
    txn: &sea_orm::DatabaseTransaction,
    order_id: i64,
    actor: i64,
    s: &NewShipment,
) -> AppResult<String> {
    let carrier = short_text(&s.carrier, "input.carrier", "the carrier")?;
    let tracking = short_text(
        &s.tracking_reference,
        "input.trackingReference",
        "the tracking reference",
    )?;
    let header = shipment::ActiveModel {
        id: NotSet,
        order_id: Set(order_id),
        carrier: Set(carrier.clone()),
        tracking_reference: Set(tracking.clone()),
        actor_partner_id: Set(actor),
        shipped_at: Set(clock::now()),
    }
    .insert(txn)
    .await?;
    let mut units = 0;
    for (p, package) in s.packages.iter().enumerate() {
        let row = shipment_package::ActiveModel {
            id: NotSet,
            shipment_id: Set(header.id),
            sscc: Set(package.sscc.clone()),
        }
        .insert(txn)
        .await
        .map_err(|e| {
            if sscc_taken(&e) {
                AppError::bad_field(
                    format!("input.packages.{p}.sscc"),
                    "this SSCC labels a package of an earlier shipment",
                )
            } else {
                e.into()
            }
        })?;
        shipment_line::Entity::insert_many(package.lines.iter().map(|l| {
            units += l.quantity;
            shipment_line::ActiveModel {
                id: NotSet,
                package_id: Set(row.id),
                shipment_id: Set(header.id),
                order_line_id: Set(l.line_id),
                quantity: Set(l.quantity),
                lot_number: Set(l.lot_number.as_ref().map(|s| s.trim().to_owned())),
                expiry_date: Set(l.expiry_date),
            }
        }))
        .exec_without_returning(txn)
        .await?;
    }
    let earlier = shipment::Entity::find()
        .filter(shipment::Column::OrderId.eq(order_id))
        .count(txn)
        .await?;
    Ok(format!(
        "shipment {earlier}: {units} units in {} packages, {carrier} {tracking}",
        s.packages.len()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sscc_check_digits() {
        assert!(is_valid_sscc("106141411234567897"));
        assert!(!is_valid_sscc("106141411234567898"));
        assert!(!is_valid_sscc("10614141123456789"));
        assert!(!is_valid_sscc("10614141123456789a"));
    }
}
