//! Purchase orders: their types and reads. Placing one is in `place`, the
//! lifecycle in `lifecycle`.

use std::collections::HashMap;
use std::future::Future;

use chrono::{NaiveDate, Utc};
use entity::enums::OrderStatus;
use entity::{order_allocation, order_event, order_line, purchase_order};
use sea_orm::ActiveEnum;
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, Order, QueryFilter, QueryOrder,
    QuerySelect,
};

use crate::auth::Viewer;
use crate::db::changes::{self, Key, Table};
use crate::domain::pagination::{Page, PageSpec};
use crate::error::{AppError, AppResult};

mod acknowledge;
mod allocations;
mod deliver;
mod lead_pg;
mod lifecycle;
mod orderable;
mod place;
mod plan;
mod request;
pub mod sheet;
mod ship;
mod tail_pg;

pub use acknowledge::{Ack, LineAck, acknowledge};
pub use deliver::{Received, deliver};
pub use lifecycle::cancel;
pub use place::{MAX_ATTEMPTS, place_order, try_order};
pub use request::fingerprint;
pub use ship::{NewShipment, Package, PackageLine, is_valid_sscc, ship};

pub const MAX_LINES: usize = 100;
pub const MAX_LINE_QUANTITY: i64 = 100_000;
/// Orders may ask for delivery up to a year ahead.
pub const MAX_DELIVERY_DAYS: u64 = 366;

#[derive(Debug, Clone)]
pub struct NewOrder {
    pub idempotency_key: String,
    pub buyer_reference: String,
    pub store_id: i64,
    pub requested_delivery_date: NaiveDate,
    /// (product id, quantity) as sent.
    pub lines: Vec<(i64, i64)>,
}

/// The outcome of `place_order`: the order, and whether it was a replay of
/// an earlier request with the same idempotency key.
pub struct Placed {
    pub order: purchase_order::Model,
    pub replayed: bool,
}

/// How a status is named to clients: its stored value in capitals, which
/// is the GraphQL enum value (`placed` → `PLACED`).
pub fn status_name(status: OrderStatus) -> String {
    status.to_value().to_uppercase()
}

/// The caller's view of one order: its own, or any for the operator.
/// Someone else's order is NOT_FOUND, exactly like a missing one.
/// Who sees an order: the partner that placed it, and the operator. The
/// one rule behind `order(id)`, `node`, and an event's order; to anyone
/// else an order is NOT_FOUND, exactly as a missing one.
fn visible_to(
    viewer: &Viewer,
    query: sea_orm::Select<purchase_order::Entity>,
) -> sea_orm::Select<purchase_order::Entity> {
    if viewer.is_operator() {
        query
    } else {
        query.filter(purchase_order::Column::PartnerId.eq(viewer.partner_id()))
    }
}

fn visible(viewer: &Viewer, order_id: i64) -> sea_orm::Select<purchase_order::Entity> {
    visible_to(viewer, purchase_order::Entity::find_by_id(order_id))
}

/// Runs `work`, a read of orders `viewer` reached, as depending on that
/// partner's orders only: a retail partner reaches no order but its own
/// (every read of orders filters by it, and the lines, events and
/// shipments loaded are those of orders so read). The operator's reads
/// depend on the tables as a whole.
async fn reading_orders<F: Future>(viewer: Option<&Viewer>, work: F) -> F::Output {
    match viewer {
        Some(v) if !v.is_operator() => {
            changes::reading(Table::ORDERS, [Key::Orders(v.partner_id())], work).await
        }
        _ => work.await,
    }
}

/// The orders of `order_ids` that `viewer` may see, in one statement.
pub async fn orders_for(
    db: &DatabaseConnection,
    viewer: &Viewer,
    order_ids: &[i64],
) -> AppResult<HashMap<i64, purchase_order::Model>> {
    let query = purchase_order::Entity::find()
        .filter(purchase_order::Column::Id.is_in(order_ids.iter().copied()));
    Ok(
        reading_orders(Some(viewer), visible_to(viewer, query).all(db))
            .await?
            .into_iter()
            .map(|o| (o.id, o))
            .collect(),
    )
}

pub async fn order_for(
    db: &DatabaseConnection,
    viewer: &Viewer,
    order_id: i64,
) -> AppResult<purchase_order::Model> {
    reading_orders(Some(viewer), visible(viewer, order_id).one(db))
        .await?
        .ok_or_else(|| AppError::not_found("order"))
}

#[derive(Debug, Default, Clone)]
pub struct OrderFilter {
    pub status: Option<OrderStatus>,
    pub created_from: Option<chrono::DateTime<Utc>>,
    pub created_to: Option<chrono::DateTime<Utc>>,
    pub store_id: Option<i64>,
    pub buyer_reference: Option<String>,
}

fn order_condition(viewer: &Viewer, filter: &OrderFilter) -> Condition {
    let mut cond = Condition::all();
    if !viewer.is_operator() {
        cond = cond.add(purchase_order::Column::PartnerId.eq(viewer.partner_id()));
    }
    if let Some(status) = filter.status {
        cond = cond.add(purchase_order::Column::Status.eq(status));
    }
    if let Some(from) = filter.created_from {
        cond = cond.add(purchase_order::Column::CreatedAt.gte(from));
    }
    if let Some(to) = filter.created_to {
        cond = cond.add(purchase_order::Column::CreatedAt.lt(to));
    }
    if let Some(store_id) = filter.store_id {
        cond = cond.add(purchase_order::Column::StoreId.eq(store_id));
    }
    if let Some(reference) = &filter.buyer_reference {
        cond = cond.add(purchase_order::Column::BuyerReference.eq(reference.as_str()));
    }
    cond
}

/// The caller's orders (all orders for the operator), newest first.
pub async fn order_page(
    db: &DatabaseConnection,
    viewer: &Viewer,
    filter: &OrderFilter,
    spec: &PageSpec,
) -> AppResult<Page<purchase_order::Model>> {
    let (limit, cursor, _, backward) = spec.plan();
    let mut query = purchase_order::Entity::find().filter(order_condition(viewer, filter));
    if let Some(c) = cursor {
        // Newest first: forward goes to smaller ids.
        query = query.filter(if backward {
            purchase_order::Column::Id.gt(c.id)
        } else {
            purchase_order::Column::Id.lt(c.id)
        });
    }
    let order = if backward { Order::Asc } else { Order::Desc };
    let query = query
        .order_by(purchase_order::Column::Id, order)
        .limit(limit + 1);
    let items = reading_orders(Some(viewer), query.all(db)).await?;
    Ok(Page::from_rows(items, spec))
}

pub async fn order_count(
    db: &DatabaseConnection,
    viewer: &Viewer,
    filter: &OrderFilter,
) -> AppResult<u64> {
    use sea_orm::PaginatorTrait;
    let query = purchase_order::Entity::find().filter(order_condition(viewer, filter));
    Ok(reading_orders(Some(viewer), query.count(db)).await?)
}

/// Lines with their allocations, and events, for many orders at once.
pub async fn lines_by_order(
    db: &DatabaseConnection,
    viewer: Option<&Viewer>,
    order_ids: &[i64],
) -> AppResult<HashMap<i64, Vec<(order_line::Model, Vec<order_allocation::Model>)>>> {
    reading_orders(viewer, lines_of(db, order_ids)).await
}

async fn lines_of(
    db: &DatabaseConnection,
    order_ids: &[i64],
) -> AppResult<HashMap<i64, Vec<(order_line::Model, Vec<order_allocation::Model>)>>> {
    let lines = order_line::Entity::find()
        .filter(order_line::Column::OrderId.is_in(order_ids.iter().copied()))
        .order_by_asc(order_line::Column::OrderId)
        .order_by_asc(order_line::Column::LineNo)
        .all(db)
        .await?;
    let mut allocations: HashMap<i64, Vec<order_allocation::Model>> = HashMap::new();
    for a in order_allocation::Entity::find()
        .filter(order_allocation::Column::OrderId.is_in(order_ids.iter().copied()))
        .order_by_asc(order_allocation::Column::Id)
        .all(db)
        .await?
    {
        allocations.entry(a.order_line_id).or_default().push(a);
    }
    let mut out: HashMap<i64, Vec<_>> = HashMap::new();
    for line in lines {
        let allocs = allocations.remove(&line.id).unwrap_or_default();
        out.entry(line.order_id).or_default().push((line, allocs));
    }
    Ok(out)
}

pub async fn events_by_order(
    db: &DatabaseConnection,
    viewer: Option<&Viewer>,
    order_ids: &[i64],
) -> AppResult<HashMap<i64, Vec<order_event::Model>>> {
    let mut out: HashMap<i64, Vec<order_event::Model>> = HashMap::new();
    let query = order_event::Entity::find()
        .filter(order_event::Column::OrderId.is_in(order_ids.iter().copied()))
        .order_by_asc(order_event::Column::Id);
    for e in reading_orders(viewer, query.all(db)).await? {
        out.entry(e.order_id).or_default().push(e);
    }
    Ok(out)
}

/// A shipment with its packages and their lines.
#[derive(Clone, Debug)]
pub struct ShipmentView {
    pub shipment: entity::shipment::Model,
    pub packages: Vec<(
        entity::shipment_package::Model,
        Vec<entity::shipment_line::Model>,
    )>,
}

/// The shipments of many orders, oldest first, in three statements.
pub async fn shipments_by_order(
    db: &DatabaseConnection,
    viewer: Option<&Viewer>,
    order_ids: &[i64],
) -> AppResult<HashMap<i64, Vec<ShipmentView>>> {
    reading_orders(viewer, shipments_of(db, order_ids)).await
}

async fn shipments_of(
    db: &DatabaseConnection,
    order_ids: &[i64],
) -> AppResult<HashMap<i64, Vec<ShipmentView>>> {
    use entity::{shipment, shipment_line, shipment_package};
    let shipments = shipment::Entity::find()
        .filter(shipment::Column::OrderId.is_in(order_ids.iter().copied()))
        .order_by_asc(shipment::Column::Id)
        .all(db)
        .await?;
    let mut out: HashMap<i64, Vec<ShipmentView>> = HashMap::new();
    if shipments.is_empty() {
        return Ok(out);
    }
    let ids: Vec<i64> = shipments.iter().map(|s| s.id).collect();
    let packages = shipment_package::Entity::find()
        .filter(shipment_package::Column::ShipmentId.is_in(ids.clone()))
        .order_by_asc(shipment_package::Column::Id)
        .all(db)
        .await?;
    let mut lines: HashMap<i64, Vec<shipment_line::Model>> = HashMap::new();
    for l in shipment_line::Entity::find()
        .filter(shipment_line::Column::ShipmentId.is_in(ids))
        .order_by_asc(shipment_line::Column::Id)
        .all(db)
        .await?
    {
        lines.entry(l.package_id).or_default().push(l);
    }
    let mut by_shipment: HashMap<i64, Vec<_>> = HashMap::new();
    for p in packages {
        let contents = lines.remove(&p.id).unwrap_or_default();
        by_shipment
            .entry(p.shipment_id)
            .or_default()
            .push((p, contents));
    }
    for s in shipments {
        let packages = by_shipment.remove(&s.id).unwrap_or_default();
        out.entry(s.order_id).or_default().push(ShipmentView {
            shipment: s,
            packages,
        });
    }
    Ok(out)
}
