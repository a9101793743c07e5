//! Purchase orders: idempotent placement that reserves stock for every line
//! or for none, and the lifecycle PLACED → CONFIRMED → SHIPPED → DELIVERED
//! (or CANCELLED from PLACED or CONFIRMED).
//!
//! Zero oversell rests on the database, not on process memory, so it holds
//! across any number of gateway replicas:
//! - PostgreSQL: an order plans its allocation from an unlocked read, then
//!   reserves each chosen row with a conditional `UPDATE ... WHERE
//!   on_hand - reserved >= qty` (which waits for, then re-checks against, a
//!   concurrent writer of the same row), in (product, location) order so two
//!   transactions can never deadlock. A row that no longer has the quantity
//!   rolls the attempt back and the order is planned again from fresh reads.
//! - SQLite: every write transaction is `BEGIN IMMEDIATE`, so writers queue
//!   on the database lock (busy timeout) and see each other's commits.

use std::collections::{BTreeMap, HashMap};

use chrono::{Days, NaiveDate, Utc};
use entity::enums::{MovementKind, OrderStatus, ProductStatus};
use entity::{
    inventory_level, location, order_allocation, order_event, order_line, product, purchase_order,
    store,
};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ColumnTrait, Condition, DatabaseConnection,
    DatabaseTransaction, DbErr, EntityTrait, Order, QueryFilter, QueryOrder, QuerySelect, Set,
    SqlErr,
};
use sha2::{Digest, Sha256};

use crate::auth::Viewer;
use crate::db;
use crate::domain::clock;
use crate::domain::inventory::{Movement, record_movements};
use crate::domain::pagination::{Page, PageSpec};
use crate::error::{AppError, AppResult};

pub const MAX_LINES: usize = 100;
pub const MAX_LINE_QUANTITY: i64 = 100_000;
/// Orders may ask for delivery up to a year ahead.
pub const MAX_DELIVERY_DAYS: u64 = 366;
/// Largest total the API represents exactly (2^53 - 1 đồng).
pub const MAX_TOTAL_VND: i64 = 9_007_199_254_740_991;

#[derive(Debug, Clone)]
pub struct NewOrder {
    pub idempotency_key: String,
    pub buyer_reference: String,
    pub store_id: i64,
    pub requested_delivery_date: NaiveDate,
    /// (product id, quantity) as sent.
    pub lines: Vec<(i64, i64)>,
}

/// The request after validation: lines merged by product and sorted, so the
/// same order sent with its lines in another order is the same request.
struct ValidOrder {
    idempotency_key: String,
    buyer_reference: String,
    store_id: i64,
    requested_delivery_date: NaiveDate,
    lines: BTreeMap<i64, i64>,
    hash: String,
}

fn validate(input: NewOrder) -> AppResult<ValidOrder> {
    let key = input.idempotency_key.trim().to_owned();
    if key.is_empty() || key.chars().count() > 128 || key.chars().any(char::is_control) {
        return Err(AppError::bad_field(
            "input.idempotencyKey",
            "`idempotencyKey` must be 1 to 128 printable characters (a UUID is ideal)",
        ));
    }
    let reference = input.buyer_reference.trim().to_owned();
    if reference.is_empty()
        || reference.chars().count() > 64
        || reference.chars().any(char::is_control)
    {
        return Err(AppError::bad_field(
            "input.buyerReference",
            "`buyerReference` (your PO number) must be 1 to 64 printable characters",
        ));
    }
    let today = Utc::now().date_naive();
    if input.requested_delivery_date < today {
        return Err(AppError::bad_field(
            "input.requestedDeliveryDate",
            "the delivery date is in the past",
        ));
    }
    if today
        .checked_add_days(Days::new(MAX_DELIVERY_DAYS))
        .is_some_and(|max| input.requested_delivery_date > max)
    {
        return Err(AppError::bad_field(
            "input.requestedDeliveryDate",
            "the delivery date is more than a year ahead",
        ));
    }
    if input.lines.is_empty() || input.lines.len() > MAX_LINES {
        return Err(AppError::bad_field(
            "input.lines",
            format!("an order has 1 to {MAX_LINES} lines"),
        ));
    }
    let mut lines: BTreeMap<i64, i64> = BTreeMap::new();
    for (i, (product_id, quantity)) in input.lines.iter().enumerate() {
        if !(1..=MAX_LINE_QUANTITY).contains(quantity) {
            return Err(AppError::bad_field(
                format!("input.lines.{i}.quantity"),
                format!("`quantity` must be between 1 and {MAX_LINE_QUANTITY}"),
            ));
        }
        // Two lines for one product are merged into one.
        let merged = lines.entry(*product_id).or_insert(0);
        *merged += quantity;
        if *merged > MAX_LINE_QUANTITY {
            return Err(AppError::bad_field(
                format!("input.lines.{i}.quantity"),
                format!("one product may be ordered at most {MAX_LINE_QUANTITY} units per order"),
            ));
        }
    }
    let canonical = format!(
        "v1|store={}|date={}|ref={}|lines={}",
        input.store_id,
        input.requested_delivery_date,
        reference,
        lines
            .iter()
            .map(|(p, q)| format!("{p}x{q}"))
            .collect::<Vec<_>>()
            .join(",")
    );
    let hash = format!("{:x}", Sha256::digest(canonical.as_bytes()));
    Ok(ValidOrder {
        idempotency_key: key,
        buyer_reference: reference,
        store_id: input.store_id,
        requested_delivery_date: input.requested_delivery_date,
        lines,
        hash,
    })
}

/// The outcome of `place_order`: the order, and whether it was a replay of
/// an earlier request with the same idempotency key.
pub struct Placed {
    pub order: purchase_order::Model,
    pub replayed: bool,
}

/// Places an order: one transaction that validates, reserves stock for every
/// line, captures prices, and writes the order, its lines, allocations,
/// ledger rows and first event. All of it, or nothing.
pub async fn place_order(
    db: &DatabaseConnection,
    viewer: &Viewer,
    input: NewOrder,
) -> AppResult<Placed> {
    let order = validate(input)?;
    let partner_id = viewer.partner_id();
    // A concurrent identical request can win the race to insert; then this
    // one rolls back and answers with the winner's order.
    for _ in 0..MAX_ATTEMPTS {
        match place_once(db, partner_id, &order).await {
            Err(PlaceError::KeyTaken | PlaceError::StockMoved) => continue,
            Err(PlaceError::App(e)) => return Err(e),
            Ok(placed) => return Ok(placed),
        }
    }
    Err(AppError::conflict(
        "the order could not be placed against concurrent requests; retry",
    ))
}

/// Attempts at placing one order: a lost race on the idempotency key or on
/// a stock row starts over with fresh reads.
const MAX_ATTEMPTS: usize = 8;

enum PlaceError {
    KeyTaken,
    /// A planned row no longer had the quantity when reserved.
    StockMoved,
    App(AppError),
}

impl From<AppError> for PlaceError {
    fn from(e: AppError) -> Self {
        PlaceError::App(e)
    }
}

impl From<DbErr> for PlaceError {
    fn from(e: DbErr) -> Self {
        if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) {
            PlaceError::KeyTaken
        } else {
            PlaceError::App(e.into())
        }
    }
}

async fn replay(
    txn: &DatabaseTransaction,
    partner_id: i64,
    order: &ValidOrder,
) -> AppResult<Option<Placed>> {
    let existing = purchase_order::Entity::find()
        .filter(purchase_order::Column::PartnerId.eq(partner_id))
        .filter(purchase_order::Column::IdempotencyKey.eq(order.idempotency_key.as_str()))
        .one(txn)
        .await?;
    match existing {
        None => Ok(None),
        Some(existing) if existing.request_hash == order.hash => Ok(Some(Placed {
            order: existing,
            replayed: true,
        })),
        Some(_) => Err(AppError::conflict(
            "this idempotency key was already used for a different order; use a new key for a new order",
        )),
    }
}

async fn place_once(
    db: &DatabaseConnection,
    partner_id: i64,
    order: &ValidOrder,
) -> Result<Placed, PlaceError> {
    let (txn, _slot) = db::begin_write(db).await?;
    if let Some(placed) = replay(&txn, partner_id, order).await? {
        return Ok(placed);
    }
    let store = store::Entity::find_by_id(order.store_id).one(&txn).await?;
    if store.is_none_or(|s| s.partner_id != partner_id) {
        return Err(AppError::NotFound("store not found among your stores".into()).into());
    }

    let product_ids: Vec<i64> = order.lines.keys().copied().collect();
    let products: HashMap<i64, product::Model> = product::Entity::find()
        .filter(product::Column::Id.is_in(product_ids.clone()))
        .all(&txn)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let mut total: i64 = 0;
    let mut priced: Vec<(&product::Model, i64, i64)> = Vec::with_capacity(order.lines.len());
    for (product_id, quantity) in &order.lines {
        let product = products
            .get(product_id)
            .ok_or_else(|| AppError::not_found("product"))?;
        if product.status != ProductStatus::Active {
            return Err(AppError::bad_input(format!(
                "{} is discontinued and cannot be ordered",
                product.sku
            ))
            .into());
        }
        if *quantity < i64::from(product.min_order_qty) {
            return Err(AppError::bad_input(format!(
                "{} has a minimum order quantity of {} units",
                product.sku, product.min_order_qty
            ))
            .into());
        }
        let line_total = product
            .wholesale_price_vnd
            .checked_mul(*quantity)
            .filter(|t| *t <= MAX_TOTAL_VND)
            .ok_or_else(|| AppError::bad_input("the order total is too large"))?;
        total = total
            .checked_add(line_total)
            .filter(|t| *t <= MAX_TOTAL_VND)
            .ok_or_else(|| AppError::bad_input("the order total is too large"))?;
        priced.push((product, *quantity, line_total));
    }

    let now = clock::now();
    // The unique (partner, idempotency key) index decides a race between two
    // identical requests here, before any stock is touched.
    let header = purchase_order::ActiveModel {
        id: NotSet,
        partner_id: Set(partner_id),
        store_id: Set(order.store_id),
        idempotency_key: Set(order.idempotency_key.clone()),
        request_hash: Set(order.hash.clone()),
        buyer_reference: Set(order.buyer_reference.clone()),
        requested_delivery_date: Set(order.requested_delivery_date),
        status: Set(OrderStatus::Placed),
        total_vnd: Set(total),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;

    // Plan every line from an unlocked read, then reserve at the very end,
    // in (product, location) order: row locks are held only for the tail of
    // the transaction, only on the rows actually reserved, and concurrent
    // orders (and cancels, which use the same order) cannot deadlock.
    let levels = read_levels(&txn, &product_ids).await?;
    let mut plan: Vec<(i64, i32, &StockRow, i64)> = Vec::new();
    let mut lines = Vec::with_capacity(priced.len());
    for (n, (product, quantity, line_total)) in priced.into_iter().enumerate() {
        let line_no = n as i32 + 1;
        let candidates = levels
            .get(&product.id)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let picks = allocate(candidates, quantity)
            .ok_or_else(|| insufficient(product, candidates, quantity))?;
        plan.extend(
            picks
                .into_iter()
                .map(|(level, qty)| (product.id, line_no, level, qty)),
        );
        lines.push(order_line::ActiveModel {
            id: NotSet,
            order_id: Set(header.id),
            line_no: Set(line_no),
            product_id: Set(product.id),
            quantity: Set(quantity),
            unit_price_vnd: Set(product.wholesale_price_vnd),
            line_total_vnd: Set(line_total),
        });
    }
    let line_ids: HashMap<i32, i64> = order_line::Entity::insert_many(lines)
        .exec_with_returning(&txn)
        .await?
        .into_iter()
        .map(|l| (l.line_no, l.id))
        .collect();
    plan.sort_by_key(|(product_id, _, level, _)| (*product_id, level.location_id));
    for (_, _, level, qty) in &plan {
        if !reserve(&txn, level, *qty).await? {
            return Err(PlaceError::StockMoved);
        }
    }
    let allocations = plan
        .iter()
        .map(|(product_id, line_no, level, qty)| {
            let line_id = line_ids.get(line_no).copied().ok_or_else(|| {
                AppError::internal(std::io::Error::other("inserted line not returned"))
            })?;
            Ok(order_allocation::ActiveModel {
                id: NotSet,
                order_line_id: Set(line_id),
                order_id: Set(header.id),
                product_id: Set(*product_id),
                location_id: Set(level.location_id),
                quantity: Set(*qty),
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    order_allocation::Entity::insert_many(allocations)
        .exec_without_returning(&txn)
        .await?;
    record_movements(
        &txn,
        plan.iter()
            .map(|(product_id, _, level, qty)| Movement {
                product_id: *product_id,
                location_id: level.location_id,
                kind: MovementKind::Reservation,
                on_hand_delta: 0,
                reserved_delta: *qty,
                order_id: Some(header.id),
                reason: None,
                actor_partner_id: Some(partner_id),
            })
            .collect(),
    )
    .await?;
    record_event(&txn, header.id, None, OrderStatus::Placed, partner_id, None).await?;
    txn.commit().await?;
    Ok(Placed {
        order: header,
        replayed: false,
    })
}

fn insufficient(product: &product::Model, levels: &[StockRow], wanted: i64) -> AppError {
    let available: i64 = levels.iter().map(StockRow::available).sum();
    AppError::InsufficientStock {
        message: format!(
            "{}: {wanted} units requested, {available} available",
            product.sku
        ),
        product_id: Some(crate::ids::encode(crate::ids::Kind::Product, product.id).0),
    }
}

/// An inventory row as read when planning, with its location code.
#[derive(Debug, Clone)]
struct StockRow {
    id: i64,
    location_id: i64,
    location_code: String,
    on_hand: i64,
    reserved: i64,
}

impl StockRow {
    fn available(&self) -> i64 {
        self.on_hand - self.reserved
    }
}

/// The stock rows of `product_ids` with their location codes, unlocked:
/// the reservations re-check availability row by row.
async fn read_levels(
    txn: &DatabaseTransaction,
    product_ids: &[i64],
) -> AppResult<HashMap<i64, Vec<StockRow>>> {
    let rows: Vec<(i64, i64, i64, i64, i64, String)> = inventory_level::Entity::find()
        .select_only()
        .columns([
            inventory_level::Column::Id,
            inventory_level::Column::ProductId,
            inventory_level::Column::LocationId,
            inventory_level::Column::OnHand,
            inventory_level::Column::Reserved,
        ])
        .column(location::Column::Code)
        .inner_join(location::Entity)
        .filter(inventory_level::Column::ProductId.is_in(product_ids.iter().copied()))
        .into_tuple()
        .all(txn)
        .await?;
    let mut out: HashMap<i64, Vec<StockRow>> = HashMap::new();
    for (id, product_id, location_id, on_hand, reserved, location_code) in rows {
        out.entry(product_id).or_default().push(StockRow {
            id,
            location_id,
            location_code,
            on_hand,
            reserved,
        });
    }
    Ok(out)
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

/// Conditional reservation: true only if the row still had `qty` available
/// when updated, whatever any other transaction did. On PostgreSQL a
/// concurrent reservation of the same row makes this wait for it, then
/// re-checks the condition against the committed row.
async fn reserve(txn: &DatabaseTransaction, level: &StockRow, qty: i64) -> AppResult<bool> {
    let reserved = Expr::col(inventory_level::Column::Reserved);
    let result = inventory_level::Entity::update_many()
        .col_expr(inventory_level::Column::Reserved, reserved.clone().add(qty))
        .col_expr(
            inventory_level::Column::UpdatedAt,
            Expr::value(clock::now()),
        )
        .filter(inventory_level::Column::Id.eq(level.id))
        .filter(
            Expr::col(inventory_level::Column::OnHand)
                .sub(reserved)
                .gte(qty),
        )
        .exec(txn)
        .await?;
    Ok(result.rows_affected == 1)
}

async fn record_event(
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
}

pub fn status_name(status: OrderStatus) -> &'static str {
    match status {
        OrderStatus::Placed => "PLACED",
        OrderStatus::Confirmed => "CONFIRMED",
        OrderStatus::Shipped => "SHIPPED",
        OrderStatus::Delivered => "DELIVERED",
        OrderStatus::Cancelled => "CANCELLED",
    }
}

/// Applies a lifecycle step. The current status is checked, and changed by a
/// conditional update, in the same transaction as the step's stock effect:
/// cancelling releases the reservation, shipping takes the quantity out of
/// on-hand and reserved. An illegal step is CONFLICT and changes nothing.
pub async fn transition(
    db: &DatabaseConnection,
    viewer: &Viewer,
    order_id: i64,
    step: Transition,
    reason: Option<&str>,
) -> AppResult<purchase_order::Model> {
    let reason = reason
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_owned);
    if reason.as_ref().is_some_and(|r| r.chars().count() > 500) {
        return Err(AppError::bad_field(
            "reason",
            "`reason` is limited to 500 characters",
        ));
    }
    let (txn, _slot) = db::begin_write(db).await?;
    let order = visible_order(&txn, viewer, order_id).await?;
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
    match step {
        Transition::Cancel => {
            move_allocated_stock(&txn, &order, viewer.partner_id(), MovementKind::Release).await?
        }
        Transition::Ship => {
            move_allocated_stock(&txn, &order, viewer.partner_id(), MovementKind::Shipment).await?
        }
        Transition::Confirm | Transition::Deliver => {}
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

/// Releases (cancel) or ships (ship) every allocation of `order`, in the
/// global (product, location) lock order.
async fn move_allocated_stock(
    txn: &DatabaseTransaction,
    order: &purchase_order::Model,
    actor: i64,
    kind: MovementKind,
) -> AppResult<()> {
    let allocations = order_allocation::Entity::find()
        .filter(order_allocation::Column::OrderId.eq(order.id))
        .order_by_asc(order_allocation::Column::ProductId)
        .order_by_asc(order_allocation::Column::LocationId)
        .all(txn)
        .await?;
    let shipping = kind == MovementKind::Shipment;
    let mut movements = Vec::with_capacity(allocations.len());
    for a in allocations {
        let reserved = Expr::col(inventory_level::Column::Reserved);
        let mut update = inventory_level::Entity::update_many()
            .col_expr(inventory_level::Column::Reserved, reserved.sub(a.quantity))
            .col_expr(
                inventory_level::Column::UpdatedAt,
                Expr::value(clock::now()),
            );
        if shipping {
            update = update.col_expr(
                inventory_level::Column::OnHand,
                Expr::col(inventory_level::Column::OnHand).sub(a.quantity),
            );
        }
        let result = update
            .filter(inventory_level::Column::ProductId.eq(a.product_id))
            .filter(inventory_level::Column::LocationId.eq(a.location_id))
            .filter(inventory_level::Column::Reserved.gte(a.quantity))
            .exec(txn)
            .await?;
        if result.rows_affected != 1 {
            return Err(AppError::internal(std::io::Error::other(format!(
                "reservation of order {} missing at product {} location {}",
                order.id, a.product_id, a.location_id
            ))));
        }
        movements.push(Movement {
            product_id: a.product_id,
            location_id: a.location_id,
            kind,
            on_hand_delta: if shipping { -a.quantity } else { 0 },
            reserved_delta: -a.quantity,
            order_id: Some(order.id),
            reason: None,
            actor_partner_id: Some(actor),
        });
    }
    record_movements(txn, movements).await
}

/// The order if the caller may see it: its own, or any for the operator.
/// Someone else's order is NOT_FOUND, exactly like a missing one. Locked
/// for update inside write transactions on PostgreSQL.
async fn visible_order(
    txn: &DatabaseTransaction,
    viewer: &Viewer,
    order_id: i64,
) -> AppResult<purchase_order::Model> {
    visible(viewer, order_id)
        .lock_exclusive()
        .one(txn)
        .await?
        .ok_or_else(|| AppError::not_found("order"))
}

fn visible(viewer: &Viewer, order_id: i64) -> sea_orm::Select<purchase_order::Entity> {
    let query = purchase_order::Entity::find_by_id(order_id);
    if viewer.is_operator() {
        query
    } else {
        query.filter(purchase_order::Column::PartnerId.eq(viewer.partner_id()))
    }
}

pub async fn order_for(
    db: &DatabaseConnection,
    viewer: &Viewer,
    order_id: i64,
) -> AppResult<purchase_order::Model> {
    visible(viewer, order_id)
        .one(db)
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
    let items = query
        .order_by(purchase_order::Column::Id, order)
        .limit(limit + 1)
        .all(db)
        .await?;
    Ok(Page::from_rows(items, spec))
}

pub async fn order_count(
    db: &DatabaseConnection,
    viewer: &Viewer,
    filter: &OrderFilter,
) -> AppResult<u64> {
    use sea_orm::PaginatorTrait;
    Ok(purchase_order::Entity::find()
        .filter(order_condition(viewer, filter))
        .count(db)
        .await?)
}

/// Lines with their allocations, and events, for many orders at once.
pub async fn lines_by_order(
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
    order_ids: &[i64],
) -> AppResult<HashMap<i64, Vec<order_event::Model>>> {
    let mut out: HashMap<i64, Vec<order_event::Model>> = HashMap::new();
    for e in order_event::Entity::find()
        .filter(order_event::Column::OrderId.is_in(order_ids.iter().copied()))
        .order_by_asc(order_event::Column::Id)
        .all(db)
        .await?
    {
        out.entry(e.order_id).or_default().push(e);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn level(id: i64, code: &str, on_hand: i64, reserved: i64) -> StockRow {
        StockRow {
            id,
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
        let one = allocate(&levels, 20).expect("fits");
        assert_eq!(
            one.iter().map(|(l, q)| (l.id, *q)).collect::<Vec<_>>(),
            vec![(2, 20)]
        );
        let split = allocate(&levels, 55).expect("fits");
        assert_eq!(
            split.iter().map(|(l, q)| (l.id, *q)).collect::<Vec<_>>(),
            vec![(2, 25), (3, 25), (1, 5)]
        );
        assert!(allocate(&levels, 61).is_none());
        let tie = vec![level(1, "B", 10, 0), level(2, "A", 10, 0)];
        assert_eq!(allocate(&tie, 5).expect("fits")[0].0.id, 2);
    }
}
