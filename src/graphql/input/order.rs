use async_graphql::{ID, InputObject};
use chrono::{DateTime, NaiveDate, Utc};

use crate::domain::orders::{NewOrder, OrderFilter};
use crate::error::AppResult;
use crate::graphql::object::order::OrderStatus;
use crate::ids::{self, Kind};

/// One line of a purchase order.
#[derive(InputObject)]
pub struct OrderLineInput {
    pub product_id: ID,
    /// Units (not packs); at least the product's `minOrderQuantity`.
    /// Two lines for the same product are merged.
    pub quantity: i32,
}

/// A purchase order. Send a fresh `idempotencyKey` (a UUID) per order and
/// resend the same request with the same key after a timeout: you get the
/// first order back, never a duplicate.
#[derive(InputObject)]
pub struct PlaceOrderInput {
    /// Unique per partner; 1 to 128 printable characters.
    pub idempotency_key: String,
    /// Your own PO reference, 1 to 64 characters.
    pub buyer_reference: String,
    /// One of your stores (`viewer { partner { stores { id } } }`).
    pub store_id: ID,
    /// Today (UTC) or later, at most a year ahead.
    pub requested_delivery_date: NaiveDate,
    /// 1 to 100 lines.
    pub lines: Vec<OrderLineInput>,
}

impl PlaceOrderInput {
    pub fn into_domain(self) -> AppResult<NewOrder> {
        let store_id = ids::decode(Kind::Store, &self.store_id, "input.storeId")?;
        let lines = self
            .lines
            .iter()
            .enumerate()
            .map(|(i, l)| {
                ids::decode(
                    Kind::Product,
                    &l.product_id,
                    &format!("input.lines.{i}.productId"),
                )
                .map(|p| (p, i64::from(l.quantity)))
            })
            .collect::<AppResult<Vec<_>>>()?;
        Ok(NewOrder {
            idempotency_key: self.idempotency_key,
            buyer_reference: self.buyer_reference,
            store_id,
            requested_delivery_date: self.requested_delivery_date,
            lines,
        })
    }
}

/// Narrows `orders`. All given conditions must hold.
#[derive(InputObject, Default)]
pub struct OrderFilterInput {
    pub status: Option<OrderStatus>,
    /// Placed at or after this instant.
    pub created_from: Option<DateTime<Utc>>,
    /// Placed before this instant.
    pub created_to: Option<DateTime<Utc>>,
    pub store_id: Option<ID>,
    /// Your PO reference, exactly.
    pub buyer_reference: Option<String>,
}

impl OrderFilterInput {
    pub fn into_domain(self) -> AppResult<OrderFilter> {
        Ok(OrderFilter {
            status: self.status.map(Into::into),
            created_from: self.created_from,
            created_to: self.created_to,
            store_id: self
                .store_id
                .map(|id| ids::decode(Kind::Store, &id, "filter.storeId"))
                .transpose()?,
            buyer_reference: self.buyer_reference,
        })
    }
}
