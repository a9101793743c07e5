//! A year of historical orders: mostly delivered, some cancelled, a few
//! still open (holding reservations), each with its lines, allocations,
//! status events and ledger rows, as the live order flow would have
//! written them.

use chrono::{DateTime, Duration, Utc};
use entity::enums::{MovementKind, OrderStatus};
use sea_orm::{ActiveEnum, ConnectionTrait, DbErr, Value};

use super::Sizes;
use super::bulk::{Bulk, next_id};
use super::catalogue::ProductRow;
use super::names::Rng;

/// The tables an order writes, flushed together so that rows always
/// follow the rows they reference.
struct OrderTables<'a, C: ConnectionTrait> {
    orders: Bulk<'a, C>,
    lines: Bulk<'a, C>,
    allocations: Bulk<'a, C>,
    events: Bulk<'a, C>,
    ledger: Bulk<'a, C>,
}

impl<'a, C: ConnectionTrait> OrderTables<'a, C> {
    fn new(db: &'a C) -> Self {
        Self {
            orders: Bulk::new(
                db,
                "purchase_order",
                &[
                    "id",
                    "partner_id",
                    "store_id",
                    "idempotency_key",
                    "request_hash",
                    "buyer_reference",
                    "requested_delivery_date",
                    "status",
                    "total_vnd",
                    "created_at",
                    "updated_at",
                ],
            ),
            lines: Bulk::new(
                db,
                "order_line",
                &[
                    "id",
                    "order_id",
                    "line_no",
                    "product_id",
                    "quantity",
                    "unit_price_vnd",
                    "line_total_vnd",
                    "accepted_quantity",
                    "shipped_quantity",
                    "delivered_quantity",
                ],
            ),
            allocations: Bulk::new(
                db,
                "order_allocation",
                &[
                    "order_line_id",
                    "order_id",
                    "product_id",
                    "location_id",
                    "quantity",
                    "shipped",
                    "released",
                ],
            ),
            events: Bulk::new(
                db,
                "order_event",
                &[
                    "order_id",
                    "from_status",
                    "to_status",
                    "actor_partner_id",
                    "reason",
                    "created_at",
                ],
            ),
            ledger: Bulk::new(
                db,
                "stock_movement",
                &[
                    "product_id",
                    "location_id",
                    "kind",
                    "on_hand_delta",
                    "reserved_delta",
                    "order_id",
                    "actor_partner_id",
                    "created_at",
                ],
            ),
        }
    }

    /// Orders before the rows that reference them.
    async fn flush(&mut self) -> Result<(), DbErr> {
        self.orders.flush().await?;
        self.lines.flush().await?;
        self.allocations.flush().await?;
        self.events.flush().await?;
        self.ledger.flush().await
    }
}

/// Where the synthetic partners, stores and locations start.
#[derive(Clone, Copy)]
pub struct FirstIds {
    pub partner: i64,
    pub store: i64,
    pub location: i64,
}

/// What `write_orders` wrote.
pub struct Written {
    pub orders: u64,
    pub lines: u64,
    pub ledger_rows: u64,
}

/// Writes `sizes.orders` orders spread over the year before `now`.
pub async fn write_orders(
    db: &impl ConnectionTrait,
    sizes: Sizes,
    rng: &mut Rng,
    catalogue: &[ProductRow],
    first: FirstIds,
    now: DateTime<Utc>,
    mut progress: impl FnMut(u64),
) -> Result<Written, DbErr> {
    let first_order = next_id(db, "purchase_order").await?;
    let mut next_line = next_id(db, "order_line").await?;
    let mut tables = OrderTables::new(db);
    for n in 0..sizes.orders {
        let order = HistoricOrder::draw(rng, sizes, first, first_order + n as i64, now, n);
        order.write(&mut tables, rng, sizes, catalogue, first, &mut next_line);
        if (n + 1) % 500 == 0 {
            tables.flush().await?;
        }
        if (n + 1) % 50_000 == 0 {
            progress((n + 1) as u64);
        }
    }
    tables.flush().await?;
    let orders = tables.orders.finish().await?;
    let lines = tables.lines.finish().await?;
    tables.allocations.finish().await?;
    tables.events.finish().await?;
    let ledger_rows = tables.ledger.finish().await?;
    Ok(Written {
        orders,
        lines,
        ledger_rows,
    })
}

/// One order's header fields, drawn before its lines.
struct HistoricOrder {
    n: usize,
    id: i64,
    partner_id: i64,
    store_id: i64,
    placed_at: DateTime<Utc>,
    status: OrderStatus,
}

impl HistoricOrder {
    fn draw(
        rng: &mut Rng,
        sizes: Sizes,
        first: FirstIds,
        id: i64,
        now: DateTime<Utc>,
        n: usize,
    ) -> Self {
        let partner = rng.below(sizes.partners);
        let store = partner * sizes.stores_per_partner + rng.below(sizes.stores_per_partner);
        // Spread over the past year, oldest first.
        let placed_at =
            now - Duration::seconds(((sizes.orders - n) as i64 * 31_536_000) / sizes.orders as i64);
        let status = match rng.below(100) {
            0..=74 => OrderStatus::Delivered,
            75..=84 => OrderStatus::Cancelled,
            85..=92 => OrderStatus::Shipped,
            93..=96 => OrderStatus::Confirmed,
            _ => OrderStatus::Placed,
        };
        Self {
            n,
            id,
            partner_id: first.partner + partner as i64,
            store_id: first.store + store as i64,
            placed_at,
            status,
        }
    }

    /// Buffers the order's lines, allocations and ledger rows, then its
    /// events and header.
    fn write<C: ConnectionTrait>(
        &self,
        tables: &mut OrderTables<'_, C>,
        rng: &mut Rng,
        sizes: Sizes,
        catalogue: &[ProductRow],
        first: FirstIds,
        next_line: &mut i64,
    ) {
        let mut total = 0i64;
        for line_no in 0..1 + rng.below(3) {
            let product = catalogue[rng.below(catalogue.len())];
            let quantity = product.min_order_qty * (1 + rng.below(2) as i64);
            let location_id = first.location + rng.below(sizes.locations) as i64;
            let line_id = *next_line;
            *next_line += 1;
            total += product.price * quantity;
            // As the live flow leaves them: acknowledged in full once
            // confirmed, shipped whole, delivered whole.
            let (accepted, shipped, delivered) = match self.status {
                OrderStatus::Placed | OrderStatus::Cancelled => (None, 0i64, None),
                OrderStatus::Confirmed => (Some(quantity), 0, None),
                OrderStatus::Shipped => (Some(quantity), quantity, None),
                OrderStatus::Delivered => (Some(quantity), quantity, Some(quantity)),
            };
            let released = if self.status == OrderStatus::Cancelled {
                quantity
            } else {
                0
            };
            tables.lines.buffer(vec![
                line_id.into(),
                self.id.into(),
                (line_no as i32 + 1).into(),
                product.id.into(),
                quantity.into(),
                product.price.into(),
                (product.price * quantity).into(),
                accepted.into(),
                shipped.into(),
                delivered.into(),
            ]);
            tables.allocations.buffer(vec![
                line_id.into(),
                self.id.into(),
                product.id.into(),
                location_id.into(),
                quantity.into(),
                shipped.into(),
                released.into(),
            ]);
            for row in self.movements(product.id, location_id, quantity) {
                tables.ledger.buffer(row);
            }
        }
        let mut updated_at = self.placed_at;
        for (from, to, hours) in status_path(self.status) {
            updated_at = self.placed_at + Duration::hours(*hours);
            tables.events.buffer(vec![
                self.id.into(),
                from.map(|s| s.to_value()).into(),
                to.to_value().into(),
                self.partner_id.into(),
                None::<String>.into(),
                updated_at.into(),
            ]);
        }
        tables.orders.buffer(vec![
            self.id.into(),
            self.partner_id.into(),
            self.store_id.into(),
            format!("hist-{:07}", self.n + 1).into(),
            format!("{:016x}{:016x}", rng.next(), rng.next()).into(),
            format!("PO-H{:07}", self.n + 1).into(),
            (self.placed_at + Duration::days(3)).date_naive().into(),
            self.status.to_value().into(),
            total.into(),
            self.placed_at.into(),
            updated_at.into(),
        ]);
    }

    /// The ledger rows of one line: its reservation, then its release or
    /// shipment when the order got that far.
    fn movements(&self, product_id: i64, location_id: i64, quantity: i64) -> Vec<Vec<Value>> {
        let row = |kind: MovementKind, on_hand: i64, reserved: i64, at: DateTime<Utc>| {
            vec![
                product_id.into(),
                location_id.into(),
                kind.to_value().into(),
                on_hand.into(),
                reserved.into(),
                Some(self.id).into(),
                Some(self.partner_id).into(),
                at.into(),
            ]
        };
        let placed = self.placed_at;
        let mut rows = vec![row(MovementKind::Reservation, 0, quantity, placed)];
        match self.status {
            OrderStatus::Cancelled => rows.push(row(
                MovementKind::Release,
                0,
                -quantity,
                placed + Duration::hours(2),
            )),
            OrderStatus::Shipped | OrderStatus::Delivered => rows.push(row(
                MovementKind::Shipment,
                -quantity,
                -quantity,
                placed + Duration::days(1),
            )),
            OrderStatus::Placed | OrderStatus::Confirmed => {}
        }
        rows
    }
}

/// The status changes that lead to `status`, with hours after placement.
fn status_path(status: OrderStatus) -> &'static [(Option<OrderStatus>, OrderStatus, i64)] {
    use OrderStatus::*;
    match status {
        Placed => &[(None, Placed, 0)],
        Confirmed => &[(None, Placed, 0), (Some(Placed), Confirmed, 1)],
        Cancelled => &[(None, Placed, 0), (Some(Placed), Cancelled, 2)],
        Shipped => &[
            (None, Placed, 0),
            (Some(Placed), Confirmed, 1),
            (Some(Confirmed), Shipped, 24),
        ],
        Delivered => &[
            (None, Placed, 0),
            (Some(Placed), Confirmed, 1),
            (Some(Confirmed), Shipped, 24),
            (Some(Shipped), Delivered, 72),
        ],
    }
}
