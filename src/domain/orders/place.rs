//! Placing an order: validation, the allocation rule, and the one
//! transaction that reserves stock for every line or for none.
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

use std::collections::HashMap;

use chrono::{Days, NaiveDate};
use entity::enums::OrderStatus;
use entity::{
    inventory_level, location, order_allocation, order_line, product, purchase_order, store,
};
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ColumnTrait, DatabaseTransaction, DbErr, EntityTrait,
    QueryFilter, QuerySelect, Set, SqlErr,
};

use super::lifecycle::record_event;
use super::plan::{PlannedUnits, PricedLine, StockRow, plan_allocations, price_lines};
use super::request::{ValidOrder, validate};
use super::{MAX_DELIVERY_DAYS, NewOrder, Placed};
use crate::auth::{Scope, Viewer};
use crate::db::changes::{self, Key, Table};
use crate::db::{self, Db};
use crate::domain::inventory::{self, Units};
use crate::domain::rollup;
use crate::domain::{clock, pricing};
use crate::error::{AppError, AppResult};

/// Places an order: one transaction that validates, reserves stock for every
/// line, captures prices, and writes the order, its lines, allocations,
/// ledger rows and first event. All of it, or nothing.
pub async fn place_order(db: &Db, viewer: &Viewer, input: NewOrder) -> AppResult<Placed> {
    place(db, viewer, input, true).await
}

/// `place_order` up to its commit, then rolled back: whether the order
/// would be placed now, and at what total (an order sheet's dry run).
pub async fn try_order(db: &Db, viewer: &Viewer, input: NewOrder) -> AppResult<Placed> {
    place(db, viewer, input, false).await
}

async fn place(db: &Db, viewer: &Viewer, input: NewOrder, commit: bool) -> AppResult<Placed> {
    let order = validate(input)?;
    let caller = Caller {
        partner_id: viewer.partner_id(),
        sees_stock: viewer.scopes.contains(Scope::InventoryRead),
    };
    // A concurrent identical request can win the race to insert, or another
    // order can take planned stock first; then this attempt rolls back and
    // starts over from fresh reads.
    for _ in 0..MAX_ATTEMPTS {
        match place_once(db, caller, &order, commit).await {
            Err(PlaceError::KeyTaken | PlaceError::StockMoved) => continue,
            Err(PlaceError::App(e)) => return Err(e),
            Ok(placed) => return Ok(placed),
        }
    }
    Err(AppError::conflict(
        "the order could not be placed against concurrent requests; retry with the same idempotency key",
    ))
}

/// Attempts at placing one order before answering CONFLICT. Each lost race
/// means another order committed in between, so this bounds the work one
/// request may cause under extreme contention on a single product.
pub const MAX_ATTEMPTS: usize = 8;

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
        } else if db::is_deadlock(&e) {
            // Rolled back by PostgreSQL: plan again like stock that moved
            // (and count it: the lock order should make it impossible).
            crate::metrics::DEADLOCKS.inc();
            PlaceError::StockMoved
        } else {
            PlaceError::App(e.into())
        }
    }
}

/// Who places the order, as the rules need it.
#[derive(Clone, Copy)]
struct Caller {
    partner_id: i64,
    /// Holds `inventory:read`: may be told how much stock there is.
    sees_stock: bool,
}

async fn place_once(
    db: &Db,
    caller: Caller,
    order: &ValidOrder,
    commit: bool,
) -> Result<Placed, PlaceError> {
    let partner_id = caller.partner_id;
    let (txn, slot) = db::begin_write(db).await?;
    // The order's rows are this partner's; its stock writes say their own.
    changes::changing(Table::ORDERS, [Key::Orders(partner_id)]);
    let today = clock::business_today();
    // Reserving comes last: row locks are held only for the tail of the
    // transaction (the reservation, the rollups, the commit), and only on
    // the rows actually reserved. A refusal rolls all of it back.
    let header = if db::is_sqlite(&txn) {
        if let Some(placed) = replay(&txn, partner_id, order).await? {
            return Ok(placed);
        }
        check_delivery_date(order.requested_delivery_date)?;
        check_store(&txn, partner_id, order.store_id).await?;
        let found = product::Entity::find()
            .filter(product::Column::Id.is_in(order.lines.keys().copied()))
            .all(&txn)
            .await?;
        let offers = pricing::offers(&txn, partner_id, &found).await?;
        let priced = price_lines(found, offers, order, today)?;
        // The unique (partner, idempotency key) index decides a race
        // between two identical requests here, before any stock is touched.
        let header = insert_header(&txn, partner_id, order, priced.total).await?;
        let product_ids: Vec<i64> = priced.lines.iter().map(|l| l.product.id).collect();
        let levels = read_levels(&txn, &product_ids).await?;
        let plan = plan_allocations(&levels, &priced.lines, caller.sees_stock)?;
        let line_ids = insert_lines(&txn, header.id, &priced.lines).await?;
        insert_allocations(&txn, header.id, &plan, &line_ids).await?;
        let sold = rollup::contribution(&txn, header.id).await?;
        let units: Vec<Units> = plan.iter().map(|p| p.units).collect();
        if !inventory::reserve(&txn, &units, header.id, partner_id).await? {
            return Err(PlaceError::StockMoved);
        }
        // The event last: its time is as close to the commit as it can be.
        record_event(&txn, header.id, None, OrderStatus::Placed, partner_id, None).await?;
        rollup::add_new(&txn, sold).await?;
        header
    } else {
        // The same checks in the same order over one read (`lead_pg`),
        // then two statements of writes (`tail_pg`).
        let lead = super::lead_pg::read(&txn, partner_id, order, today).await?;
        if let Some((id, hash)) = lead.replay {
            return Ok(replayed(&txn, id, hash == order.hash).await?);
        }
        check_delivery_date(order.requested_delivery_date)?;
        if lead.store_partner != Some(partner_id) {
            return Err(store_not_found().into());
        }
        let priced = price_lines(lead.products, lead.offers, order, today)?;
        let plan = plan_allocations(&lead.levels, &priced.lines, caller.sees_stock)?;
        let header = super::tail_pg::insert_order(
            &txn,
            partner_id,
            order,
            &priced.lines,
            &plan,
            priced.total,
        )
        .await?;
        let units: Vec<Units> = plan.iter().map(|p| p.units).collect();
        if !super::tail_pg::reserve_and_record(&txn, &units, header.id, partner_id).await? {
            return Err(PlaceError::StockMoved);
        }
        header
    };
    if commit {
        slot.commit(txn).await?;
    } else {
        txn.rollback().await?;
    }
    Ok(Placed {
        order: header,
        replayed: false,
    })
}

/// The first order placed with this key, when the request is the same; a
/// different request under the same key is CONFLICT.
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
        Some(_) => Err(key_reused()),
    }
}

/// The order `id` already placed under this request's key, read again
/// only when it is the same request.
async fn replayed(txn: &DatabaseTransaction, id: i64, same_request: bool) -> AppResult<Placed> {
    if !same_request {
        return Err(key_reused());
    }
    let order = purchase_order::Entity::find_by_id(id)
        .one(txn)
        .await?
        .ok_or_else(|| AppError::not_found("order"))?;
    Ok(Placed {
        order,
        replayed: true,
    })
}

fn key_reused() -> AppError {
    AppError::conflict(
        "this idempotency key was already used for a different order; use a new key for a new order",
    )
}

/// The delivery date must be today (the business day) to a year ahead. Checked only
/// for a new order, after the idempotency key: a retry of yesterday's
/// order for "today" still replays it.
fn check_delivery_date(date: NaiveDate) -> AppResult<()> {
    let today = clock::business_today();
    if date < today {
        return Err(AppError::bad_field(
            "input.requestedDeliveryDate",
            "the delivery date is in the past",
        ));
    }
    if today
        .checked_add_days(Days::new(MAX_DELIVERY_DAYS))
        .is_some_and(|max| date > max)
    {
        return Err(AppError::bad_field(
            "input.requestedDeliveryDate",
            "the delivery date is more than a year ahead",
        ));
    }
    Ok(())
}

async fn check_store(txn: &DatabaseTransaction, partner_id: i64, store_id: i64) -> AppResult<()> {
    let store = store::Entity::find_by_id(store_id).one(txn).await?;
    if store.is_none_or(|s| s.partner_id != partner_id) {
        return Err(store_not_found());
    }
    Ok(())
}

fn store_not_found() -> AppError {
    AppError::NotFound("store not found among your stores".into())
}

async fn insert_header(
    txn: &DatabaseTransaction,
    partner_id: i64,
    order: &ValidOrder,
    total: i64,
) -> Result<purchase_order::Model, DbErr> {
    let now = clock::now();
    purchase_order::ActiveModel {
        id: NotSet,
        partner_id: Set(partner_id),
        store_id: Set(order.store_id),
        idempotency_key: Set(order.idempotency_key.clone()),
        request_hash: Set(order.hash.clone()),
        buyer_reference: Set(order.buyer_reference.clone()),
        requested_delivery_date: Set(order.requested_delivery_date),
        status: Set(OrderStatus::Placed),
        total_vnd: Set(total),
        promised_ship_date: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(txn)
    .await
}

/// Inserts the lines; returns their ids by line number.
async fn insert_lines(
    txn: &DatabaseTransaction,
    order_id: i64,
    lines: &[PricedLine],
) -> Result<HashMap<i32, i64>, DbErr> {
    let rows = lines.iter().map(|l| order_line::ActiveModel {
        id: NotSet,
        order_id: Set(order_id),
        line_no: Set(l.line_no),
        product_id: Set(l.product.id),
        quantity: Set(l.quantity),
        unit_price_vnd: Set(l.unit_price),
        line_total_vnd: Set(l.line_total),
        accepted_quantity: Set(None),
        shipped_quantity: Set(0),
        delivered_quantity: Set(None),
        rejection_reason: Set(None),
    });
    Ok(order_line::Entity::insert_many(rows)
        .exec_with_returning(txn)
        .await?
        .into_iter()
        .map(|l| (l.line_no, l.id))
        .collect())
}

async fn insert_allocations(
    txn: &DatabaseTransaction,
    order_id: i64,
    plan: &[PlannedUnits],
    line_ids: &HashMap<i32, i64>,
) -> AppResult<()> {
    let rows = plan
        .iter()
        .map(|p| {
            let line_id = line_ids.get(&p.line_no).copied().ok_or_else(|| {
                AppError::internal(std::io::Error::other("inserted line not returned"))
            })?;
            Ok(order_allocation::ActiveModel {
                id: NotSet,
                order_line_id: Set(line_id),
                order_id: Set(order_id),
                product_id: Set(p.units.product_id),
                location_id: Set(p.units.location_id),
                quantity: Set(p.units.quantity),
                shipped: Set(0),
                released: Set(0),
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    order_allocation::Entity::insert_many(rows)
        .exec_without_returning(txn)
        .await?;
    Ok(())
}

/// The stock rows of `product_ids` with their location codes, unlocked.
async fn read_levels(
    txn: &DatabaseTransaction,
    product_ids: &[i64],
) -> AppResult<HashMap<i64, Vec<StockRow>>> {
    let rows: Vec<(i64, i64, i64, i64, String)> = inventory_level::Entity::find()
        .select_only()
        .columns([
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
    for (product_id, location_id, on_hand, reserved, location_code) in rows {
        out.entry(product_id).or_default().push(StockRow {
            location_id,
            location_code,
            on_hand,
            reserved,
        });
    }
    Ok(out)
}
