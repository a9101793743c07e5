//! What placing an order decides before it writes, from what it read:
//! each line's price under this partner's offers, and where its units
//! come from (the allocation rule). Pure: the reads are SQLite's table by
//! table (`place`) or PostgreSQL's one statement (`lead_pg`), the writes
//! `place`'s or `tail_pg`'s.

use std::collections::HashMap;

use chrono::NaiveDate;
use entity::product;

use super::request::ValidOrder;
use crate::domain::inventory::{self, Units};
use crate::domain::{money, pricing};
use crate::error::{AppError, AppResult};
use crate::ids;

/// One line of the order with the price it is charged.
pub(super) struct PricedLine {
    pub(super) line_no: i32,
    pub(super) product: product::Model,
    pub(super) quantity: i64,
    /// What this partner pays per unit for this quantity.
    pub(super) unit_price: i64,
    pub(super) line_total: i64,
}

pub(super) struct PricedOrder {
    pub(super) lines: Vec<PricedLine>,
    pub(super) total: i64,
}

/// Checks every product may be ordered in that quantity and captures its
/// price now: the order keeps what it was charged. `found` are the
/// products of the order that exist, `offers` this partner's contracts
/// among them (the others pay the list price).
pub(super) fn price_lines(
    found: Vec<product::Model>,
    offers: HashMap<i64, pricing::Offer>,
    order: &ValidOrder,
    today: NaiveDate,
) -> AppResult<PricedOrder> {
    let mut products: HashMap<i64, product::Model> = found.into_iter().map(|p| (p.id, p)).collect();
    let too_large = || AppError::bad_input("the order total is too large");
    let mut total: i64 = 0;
    let mut lines = Vec::with_capacity(order.lines.len());
    for (n, (product_id, &quantity)) in order.lines.iter().enumerate() {
        let product = products
            .remove(product_id)
            .ok_or_else(|| AppError::not_found("product"))?;
        super::orderable::check(&product, today, n)?;
        // What this partner pays, with its quantity rules (domain::pricing).
        let offer = offers
            .get(&product.id)
            .cloned()
            .unwrap_or_else(|| pricing::Offer::list(&product));
        offer
            .check_quantity(&product.sku, quantity)
            .map_err(|e| match e {
                AppError::BadUserInput { message, .. } => {
                    AppError::bad_field(format!("input.lines.{n}.quantity"), message)
                        .with("productId", ids::encode(ids::Kind::Product, product.id).0)
                }
                other => other,
            })?;
        let unit_price = offer.unit_price_for(quantity);
        let line_total = money::times(unit_price, quantity).ok_or_else(too_large)?;
        total = money::plus(total, line_total).ok_or_else(too_large)?;
        lines.push(PricedLine {
            line_no: n as i32 + 1,
            product,
            quantity,
            unit_price,
            line_total,
        });
    }
    Ok(PricedOrder { lines, total })
}

/// Units of one line to reserve at one location.
pub(super) struct PlannedUnits {
    pub(super) line_no: i32,
    pub(super) units: Units,
}

/// Plans every line from an unlocked read of its stock (`levels`, by
/// product); the reservation re-checks each chosen row.
pub(super) fn plan_allocations(
    levels: &HashMap<i64, Vec<StockRow>>,
    lines: &[PricedLine],
    sees_stock: bool,
) -> AppResult<Vec<PlannedUnits>> {
    let mut plan = Vec::new();
    for line in lines {
        let candidates = levels
            .get(&line.product.id)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let picks = allocate(candidates, line.quantity)
            .ok_or_else(|| insufficient(&line.product, candidates, line.quantity, sees_stock))?;
        plan.extend(picks.into_iter().map(|(level, quantity)| PlannedUnits {
            line_no: line.line_no,
            units: Units {
                product_id: line.product.id,
                location_id: level.location_id,
                quantity,
            },
        }));
    }
    Ok(plan)
}

/// INSUFFICIENT_STOCK naming the product and what was asked; what is
/// available only to a caller that may see stock (`inventory:read`).
fn insufficient(
    product: &product::Model,
    levels: &[StockRow],
    wanted: i64,
    sees_stock: bool,
) -> AppError {
    let available: i64 = levels.iter().map(StockRow::available).sum();
    let message = if sees_stock {
        format!(
            "{}: {wanted} units requested, {available} available",
            product.sku
        )
    } else {
        format!(
            "{}: {wanted} units requested, more than is available",
            product.sku
        )
    };
    AppError::InsufficientStock {
        message,
        product_id: Some(ids::opaque(ids::Kind::Product, product.id)),
        requested: Some(wanted),
        available: sees_stock.then_some(available.max(0)),
    }
}

/// An inventory row as read when planning, with its location code.
#[derive(Debug, Clone)]
pub(super) struct StockRow {
    pub(super) location_id: i64,
    pub(super) location_code: String,
    pub(super) on_hand: i64,
    pub(super) reserved: i64,
}

impl StockRow {
    fn available(&self) -> i64 {
        inventory::available(self.on_hand, self.reserved)
    }
}

/// The allocation rule: fill the line from the single location with the
/// most available stock when one location can; otherwise split it across
/// locations, largest available first. Ties go to the location code in
/// alphabetical order. None when all locations together cannot fill it.
fn allocate(levels: &[StockRow], quantity: i64) -> Option<Vec<(&StockRow, i64)>> {
    let mut by_available: Vec<&StockRow> = levels.iter().filter(|l| l.available() > 0).collect();
    by_available.sort_by(|a, b| {
        b.available()
            .cmp(&a.available())
            .then_with(|| a.location_code.cmp(&b.location_code))
    });
    if let Some(best) = by_available.first()
        && best.available() >= quantity
    {
        return Some(vec![(best, quantity)]);
    }
    let mut left = quantity;
    let mut plan = Vec::new();
    for level in by_available {
        if left == 0 {
            break;
        }
        let take = std::cmp::min(level.available(), left);
        plan.push((level, take));
        left -= take;
    }
    (left == 0).then_some(plan)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn level(id: i64, code: &str, on_hand: i64, reserved: i64) -> StockRow {
        StockRow {
            location_id: id,
            location_code: code.into(),
            on_hand,
            reserved,
        }
    }

    #[test]
    fn allocation_prefers_one_location_then_splits() {
        let levels = vec![
            level(1, "A", 10, 0),
            level(2, "B", 30, 5),
            level(3, "C", 25, 0),
        ];
        let picked = |plan: Vec<(&StockRow, i64)>| {
            plan.iter()
                .map(|(l, q)| (l.location_id, *q))
                .collect::<Vec<_>>()
        };
        assert_eq!(picked(allocate(&levels, 20).expect("fits")), vec![(2, 20)]);
        assert_eq!(
            picked(allocate(&levels, 55).expect("fits")),
            vec![(2, 25), (3, 25), (1, 5)]
        );
        assert!(allocate(&levels, 61).is_none());
        let tie = vec![level(1, "B", 10, 0), level(2, "A", 10, 0)];
        assert_eq!(allocate(&tie, 5).expect("fits")[0].0.location_id, 2);
    }
}
