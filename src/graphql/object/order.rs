use async_graphql::{Context, Enum, ID, Object, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use entity::{order_allocation, order_event, order_line, purchase_order, shipment_line};

use std::sync::Arc;

use crate::auth::Scope;
use crate::domain::orders;
use crate::error::AppError;
use crate::graphql::context::loader as load;
use crate::graphql::cost;
use crate::graphql::guard::ScopeGuard;
use crate::graphql::loader::{
    LocationLoader, OrderEventsLoader, OrderLinesLoader, OrderLoader, PartnerLoader, ProductLoader,
    ShipmentsLoader, StoreLoader,
};
use crate::graphql::object::location::LocationNode;
use crate::graphql::object::partner::{PartnerNode, StoreNode};
use crate::graphql::object::product::ProductNode;
use crate::graphql::scalars::Vnd;
use crate::ids::{self, Kind};
use crate::live::feed::Position;

/// Where an order is in its life. PLACED → CONFIRMED → SHIPPED → DELIVERED;
/// CANCELLED from PLACED or CONFIRMED.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::enums::OrderStatus")]
pub enum OrderStatus {
    /// Accepted; stock is reserved.
    Placed,
    /// Accepted by the OCOP hub for fulfilment.
    Confirmed,
    /// Left the warehouse; stock has left on-hand.
    Shipped,
    Delivered,
    /// Cancelled; its reservation was released.
    Cancelled,
}

fn missing(what: &str) -> async_graphql::Error {
    AppError::internal(std::io::Error::other(format!(
        "{what} referenced by an order is missing"
    )))
    .into()
}

/// A retail partner's purchase order.
pub struct OrderNode(pub purchase_order::Model);

#[Object(name = "Order")]
impl OrderNode {
    pub(crate) async fn id(&self) -> ID {
        ids::encode(Kind::Order, self.0.id)
    }
    /// The key the order was placed with.
    async fn idempotency_key(&self) -> &str {
        &self.0.idempotency_key
    }
    /// The buyer's own PO reference.
    async fn buyer_reference(&self) -> &str {
        &self.0.buyer_reference
    }
    async fn status(&self) -> OrderStatus {
        self.0.status.into()
    }
    async fn requested_delivery_date(&self) -> NaiveDate {
        self.0.requested_delivery_date
    }
    /// Sum of the line totals, integer đồng.
    async fn total(&self) -> Vnd {
        Vnd(self.0.total_vnd)
    }
    /// Always `VND`.
    async fn currency(&self) -> &'static str {
        "VND"
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    /// The ship-to store.
    async fn store(&self, ctx: &Context<'_>) -> async_graphql::Result<StoreNode> {
        let store = load::<StoreLoader>(ctx)?.load_one(self.0.store_id).await?;
        store.map(StoreNode).ok_or_else(|| missing("store"))
    }
    /// The partner that placed the order.
    async fn partner(&self, ctx: &Context<'_>) -> async_graphql::Result<PartnerNode> {
        let partner = load::<PartnerLoader>(ctx)?
            .load_one(self.0.partner_id)
            .await?;
        partner.map(PartnerNode).ok_or_else(|| missing("partner"))
    }
    #[graphql(complexity = "cost::UNPAGED_LIST * child_complexity")]
    async fn lines(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<OrderLineNode>> {
        let lines = load::<OrderLinesLoader>(ctx)?
            .load_one(self.0.id)
            .await?
            .unwrap_or_default();
        Ok(lines
            .into_iter()
            .map(|(line, allocations)| OrderLineNode { line, allocations })
            .collect())
    }
    /// The ship date the supplier promised when acknowledging.
    async fn promised_ship_date(&self) -> Option<NaiveDate> {
        self.0.promised_ship_date
    }
    /// Shipments so far, oldest first.
    async fn shipments(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ShipmentNode>> {
        let shipments = load::<ShipmentsLoader>(ctx)?
            .load_one(self.0.id)
            .await?
            .unwrap_or_default();
        Ok(shipments.into_iter().map(ShipmentNode).collect())
    }
    /// Every status change and fulfilment step (acknowledgement, each
    /// shipment, delivery), oldest first, with time, actor and a note.
    async fn status_history(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<OrderEventNode>> {
        let events = load::<OrderEventsLoader>(ctx)?
            .load_one(self.0.id)
            .await?
            .unwrap_or_default();
        Ok(events
            .into_iter()
            .map(|e| OrderEventNode(Arc::new(e), None))
            .collect())
    }
}

/// One product line of an order.
pub struct OrderLineNode {
    line: order_line::Model,
    allocations: Vec<order_allocation::Model>,
}

/// Where a line stands after the supplier's acknowledgement.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum LineStatus {
    /// Not acknowledged yet.
    Pending,
    /// Accepted whole.
    Accepted,
    /// Accepted in part; the rest was released.
    Partial,
    /// Not accepted; its units were released.
    Rejected,
}

#[Object(name = "OrderLine")]
impl OrderLineNode {
    /// Pass as `lineId` when acknowledging, shipping or delivering.
    async fn id(&self) -> ID {
        ids::encode(Kind::OrderLine, self.line.id)
    }
    /// 1-based position; lines are sorted by product.
    async fn line_number(&self) -> i32 {
        self.line.line_no
    }
    /// The product (needs `catalog:read`, like the catalogue itself).
    #[graphql(guard = "ScopeGuard(Scope::CatalogRead)")]
    async fn product(&self, ctx: &Context<'_>) -> async_graphql::Result<ProductNode> {
        let product = load::<ProductLoader>(ctx)?
            .load_one(self.line.product_id)
            .await?;
        product.map(ProductNode).ok_or_else(|| missing("product"))
    }
    /// Units ordered.
    async fn quantity(&self) -> i64 {
        self.line.quantity
    }
    /// Units the supplier accepted; null until the order is acknowledged.
    async fn accepted_quantity(&self) -> Option<i64> {
        self.line.accepted_quantity
    }
    /// Units shipped so far, over all shipments.
    async fn shipped_quantity(&self) -> i64 {
        self.line.shipped_quantity
    }
    /// Units the store received; null until delivery. Below
    /// `shippedQuantity`: a shortfall.
    async fn delivered_quantity(&self) -> Option<i64> {
        self.line.delivered_quantity
    }
    async fn status(&self) -> LineStatus {
        match self.line.accepted_quantity {
            None => LineStatus::Pending,
            Some(0) => LineStatus::Rejected,
            Some(n) if n < self.line.quantity => LineStatus::Partial,
            Some(_) => LineStatus::Accepted,
        }
    }
    /// Why the supplier did not accept all of it.
    async fn rejection_reason(&self) -> Option<&str> {
        self.line.rejection_reason.as_deref()
    }
    /// What you pay per unit: your contract price (with its break for this
    /// quantity) or the list price, captured when the order was placed.
    async fn unit_price(&self) -> Vnd {
        Vnd(self.line.unit_price_vnd)
    }
    async fn line_total(&self) -> Vnd {
        Vnd(self.line.line_total_vnd)
    }
    /// Where the line's stock is reserved (or was shipped from): units held
    /// at each location (less what acknowledgement released).
    async fn allocations(&self) -> Vec<AllocationNode> {
        self.allocations
            .iter()
            .cloned()
            .map(AllocationNode)
            .collect()
    }
}

/// Units of a line reserved at one location.
pub struct AllocationNode(order_allocation::Model);

#[Object(name = "Allocation")]
impl AllocationNode {
    /// Where (needs `catalog:read`, like `locations`).
    #[graphql(guard = "ScopeGuard(Scope::CatalogRead)")]
    async fn location(&self, ctx: &Context<'_>) -> async_graphql::Result<LocationNode> {
        let location = load::<LocationLoader>(ctx)?
            .load_one(self.0.location_id)
            .await?;
        location
            .map(|l| LocationNode(std::sync::Arc::new(l)))
            .ok_or_else(|| missing("location"))
    }
    async fn quantity(&self) -> i64 {
        self.0.quantity
    }
}

/// Something that happened to an order: a status change or progress
/// (acknowledgement, each shipment, delivery). The same rows are the
/// order's `statusHistory` and the `orderEvents` subscription.
pub struct OrderEventNode(
    pub Arc<order_event::Model>,
    /// The order as it is now, when the event was read with it (live).
    pub Option<Arc<purchase_order::Model>>,
);

#[Object(name = "OrderEvent")]
impl OrderEventNode {
    /// Pass as `orderEvents(since:)` to resume after this event.
    async fn cursor(&self) -> String {
        Position {
            tx: self.0.tx,
            id: self.0.id,
        }
        .cursor()
    }
    /// The status the event left the order in (same as `toStatus`).
    async fn status(&self) -> OrderStatus {
        self.0.to_status.into()
    }
    /// The order, as it is now.
    async fn order(&self, ctx: &Context<'_>) -> async_graphql::Result<OrderNode> {
        if let Some(order) = &self.1 {
            return Ok(OrderNode((**order).clone()));
        }
        let order = load::<OrderLoader>(ctx)?
            .load_one(self.0.order_id)
            .await?
            .ok_or_else(|| AppError::not_found("order"))?;
        Ok(OrderNode(order))
    }
    /// None for the first event (placement).
    async fn from_status(&self) -> Option<OrderStatus> {
        self.0.from_status.map(Into::into)
    }
    async fn to_status(&self) -> OrderStatus {
        self.0.to_status.into()
    }
    async fn at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// Code of the partner who made the change.
    async fn actor(&self, ctx: &Context<'_>) -> async_graphql::Result<String> {
        let partner = load::<PartnerLoader>(ctx)?
            .load_one(self.0.actor_partner_id)
            .await?;
        Ok(partner.map(|p| p.code).unwrap_or_default())
    }
    async fn reason(&self) -> Option<&str> {
        self.0.reason.as_deref()
    }
}

/// One dispatch of (part of) an order.
pub struct ShipmentNode(orders::ShipmentView);

#[Object(name = "Shipment")]
impl ShipmentNode {
    async fn id(&self) -> ID {
        ids::encode(Kind::Shipment, self.0.shipment.id)
    }
    async fn shipped_at(&self) -> DateTime<Utc> {
        self.0.shipment.shipped_at
    }
    async fn carrier(&self) -> &str {
        &self.0.shipment.carrier
    }
    async fn tracking_reference(&self) -> &str {
        &self.0.shipment.tracking_reference
    }
    async fn packages(&self) -> Vec<PackageNode> {
        self.0
            .packages
            .iter()
            .map(|(package, lines)| PackageNode {
                order_id: self.0.shipment.order_id,
                sscc: package.sscc.clone(),
                lines: lines.clone(),
            })
            .collect()
    }
}

/// A package of a shipment, labelled with its SSCC.
pub struct PackageNode {
    order_id: i64,
    sscc: String,
    lines: Vec<shipment_line::Model>,
}

#[Object(name = "Package")]
impl PackageNode {
    /// The 18-digit Serial Shipping Container Code on its label.
    async fn sscc(&self) -> &str {
        &self.sscc
    }
    async fn lines(&self) -> Vec<PackageLineNode> {
        self.lines
            .iter()
            .map(|l| PackageLineNode {
                order_id: self.order_id,
                line: l.clone(),
            })
            .collect()
    }
}

/// Units of one order line in a package.
pub struct PackageLineNode {
    order_id: i64,
    line: shipment_line::Model,
}

#[Object(name = "PackageLine")]
impl PackageLineNode {
    /// The order line these units belong to.
    async fn line(&self, ctx: &Context<'_>) -> async_graphql::Result<OrderLineNode> {
        let lines = load::<OrderLinesLoader>(ctx)?
            .load_one(self.order_id)
            .await?
            .unwrap_or_default();
        lines
            .into_iter()
            .find(|(l, _)| l.id == self.line.order_line_id)
            .map(|(line, allocations)| OrderLineNode { line, allocations })
            .ok_or_else(|| missing("line"))
    }
    async fn quantity(&self) -> i64 {
        self.line.quantity
    }
    async fn lot_number(&self) -> Option<&str> {
        self.line.lot_number.as_deref()
    }
    async fn expiry_date(&self) -> Option<NaiveDate> {
        self.line.expiry_date
    }
}

/// What `placeOrder` returns.
#[derive(SimpleObject)]
pub struct PlaceOrderPayload {
    pub order: OrderNode,
    /// True when this request replayed an earlier one with the same
    /// idempotency key: the first order is returned and nothing new reserved.
    pub replayed: bool,
}
