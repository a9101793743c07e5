//! Stock levels and their ledger. This is the only module that writes
//! `inventory_level`: operator receipts and adjustments, and the
//! reservations, releases and shipments that orders ask for.
//!
//! Every change of on-hand or reserved writes a `stock_movement` row in the
//! same transaction, so levels can always be rebuilt (`check_invariants`).

use entity::enums::MovementKind;
use entity::{inventory_level, location, product, stock_movement};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveValue::NotSet, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait,
    QueryFilter, Set, Statement,
};

use crate::db::changes::{self, Key, Table};
use crate::db::{self, Db};

mod available;
mod check;
pub mod compact;
mod reservation;
use crate::domain::{clock, text};
use crate::error::{AppError, AppResult};
pub use available::{available, available_sql};
pub use check::{Mismatch, check_invariants};
pub use reservation::{Units, Unreserve, release_or_ship, reserve};
pub(crate) use reservation::{in_lock_order, reservation_movements, reservation_pg};

/// The open transaction writes these products' levels (and no other):
/// answers that read other products' stock stay kept.
pub(crate) fn changing_stock_of(product_ids: impl IntoIterator<Item = i64>) {
    changes::changing(
        &[Table::INVENTORY_LEVEL],
        product_ids.into_iter().map(Key::Stock),
    );
}

/// Largest single receipt or adjustment, in units.
pub const MAX_MOVEMENT: i64 = 1_000_000;
/// Largest on-hand quantity of one product at one location.
pub const MAX_ON_HAND: i64 = 1_000_000_000;

async fn ensure_exists(
    txn: &DatabaseTransaction,
    product_id: i64,
    location_id: i64,
) -> AppResult<()> {
    if product::Entity::find_by_id(product_id)
        .one(txn)
        .await?
        .is_none()
    {
        return Err(AppError::not_found("product"));
    }
    if location::Entity::find_by_id(location_id)
        .one(txn)
        .await?
        .is_none()
    {
        return Err(AppError::not_found("location"));
    }
    Ok(())
}

/// One ledger row to write.
struct Movement {
    pub product_id: i64,
    pub location_id: i64,
    pub kind: MovementKind,
    pub on_hand_delta: i64,
    pub reserved_delta: i64,
    pub order_id: Option<i64>,
    pub reason: Option<String>,
    pub actor_partner_id: Option<i64>,
}

async fn record_movement(txn: &DatabaseTransaction, m: Movement) -> AppResult<()> {
    record_movements(txn, vec![m]).await
}

/// Writes ledger rows in one statement.
async fn record_movements(txn: &DatabaseTransaction, movements: Vec<Movement>) -> AppResult<()> {
    if movements.is_empty() {
        return Ok(());
    }
    movements_insert(movements)
        .exec_without_returning(txn)
        .await?;
    Ok(())
}

fn movements_insert(movements: Vec<Movement>) -> sea_orm::InsertMany<stock_movement::ActiveModel> {
    let now = clock::now();
    stock_movement::Entity::insert_many(movements.into_iter().map(|m| {
        stock_movement::ActiveModel {
            id: NotSet,
            product_id: Set(m.product_id),
            location_id: Set(m.location_id),
            kind: Set(m.kind),
            on_hand_delta: Set(m.on_hand_delta),
            reserved_delta: Set(m.reserved_delta),
            order_id: Set(m.order_id),
            reason: Set(m.reason),
            actor_partner_id: Set(m.actor_partner_id),
            created_at: Set(now),
        }
    }))
}

async fn level(
    txn: &DatabaseTransaction,
    product_id: i64,
    location_id: i64,
) -> AppResult<Option<inventory_level::Model>> {
    Ok(inventory_level::Entity::find()
        .filter(inventory_level::Column::ProductId.eq(product_id))
        .filter(inventory_level::Column::LocationId.eq(location_id))
        .one(txn)
        .await?)
}

/// Writes the ledger row of an operator's change, checks the resulting
/// level, and commits; an error drops (rolls back) the whole transaction.
async fn finish(
    txn: DatabaseTransaction,
    slot: db::WriterSlot,
    movement: Movement,
) -> AppResult<inventory_level::Model> {
    let (product_id, location_id) = (movement.product_id, movement.location_id);
    record_movement(&txn, movement).await?;
    let level = level(&txn, product_id, location_id)
        .await?
        .ok_or_else(|| AppError::internal(std::io::Error::other("inventory level vanished")))?;
    if level.on_hand > MAX_ON_HAND {
        return Err(AppError::bad_field(
            "input.quantity",
            format!("on-hand at one location may not exceed {MAX_ON_HAND}"),
        ));
    }
    slot.commit(txn).await?;
    Ok(level)
}

/// Adds units to on-hand, opening the level if the product was never
/// stocked at the location (an upsert, safe against a concurrent insert).
async fn add_on_hand(
    txn: &DatabaseTransaction,
    product_id: i64,
    location_id: i64,
    quantity: i64,
) -> AppResult<()> {
    let now = clock::now();
    inventory_level::Entity::insert(inventory_level::ActiveModel {
        id: NotSet,
        product_id: Set(product_id),
        location_id: Set(location_id),
        on_hand: Set(quantity),
        reserved: Set(0),
        updated_at: Set(now),
    })
    .on_conflict(
        OnConflict::columns([
            inventory_level::Column::ProductId,
            inventory_level::Column::LocationId,
        ])
        .value(
            inventory_level::Column::OnHand,
            Expr::col((inventory_level::Entity, inventory_level::Column::OnHand)).add(quantity),
        )
        .value(inventory_level::Column::UpdatedAt, Expr::value(now))
        .to_owned(),
    )
    .exec_without_returning(txn)
    .await?;
    Ok(())
}

/// Most units a reorder point may name.
pub const MAX_REORDER_POINT: i64 = 1_000_000;

/// Sets (or with `None` clears, falling back to the gateway's default) the
/// product's reorder point: below it, `stockChanged` flags a level low.
pub async fn set_reorder_point(
    db: &Db,
    product_id: i64,
    units: Option<i64>,
) -> AppResult<product::Model> {
    if units.is_some_and(|u| !(0..=MAX_REORDER_POINT).contains(&u)) {
        return Err(AppError::bad_field(
            "units",
            format!("a reorder point is 0 to {MAX_REORDER_POINT} units"),
        ));
    }
    let (txn, slot) = db::begin_write(db).await?;
    let updated = product::Entity::update_many()
        .col_expr(product::Column::ReorderPoint, Expr::value(units))
        .col_expr(product::Column::UpdatedAt, Expr::value(clock::now()))
        .filter(product::Column::Id.eq(product_id))
        .exec(&txn)
        .await?;
    if updated.rows_affected != 1 {
        return Err(AppError::not_found("product"));
    }
    let product = product::Entity::find_by_id(product_id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found("product"))?;
    slot.commit(txn).await?;
    Ok(product)
}

/// Adds received units to on-hand at a location (creating the level if the
/// product was never stocked there).
pub async fn receive_stock(
    db: &Db,
    actor_partner_id: i64,
    product_id: i64,
    location_id: i64,
    quantity: i64,
    reason: Option<&str>,
) -> AppResult<inventory_level::Model> {
    if !(1..=MAX_MOVEMENT).contains(&quantity) {
        return Err(AppError::bad_field(
            "input.quantity",
            format!("`quantity` must be between 1 and {MAX_MOVEMENT}"),
        ));
    }
    let reason = text::reason(reason, "input.reason", false)?;
    let (txn, slot) = db::begin_write(db).await?;
    changing_stock_of([product_id]);
    ensure_exists(&txn, product_id, location_id).await?;
    add_on_hand(&txn, product_id, location_id, quantity).await?;
    finish(
        txn,
        slot,
        Movement {
            product_id,
            location_id,
            kind: MovementKind::Receipt,
            on_hand_delta: quantity,
            reserved_delta: 0,
            order_id: None,
            reason,
            actor_partner_id: Some(actor_partner_id),
        },
    )
    .await
}

/// Corrects on-hand by `delta` (a count, damage, loss). On-hand may never
/// fall below what is reserved for open orders.
pub async fn adjust_stock(
    db: &Db,
    actor_partner_id: i64,
    product_id: i64,
    location_id: i64,
    delta: i64,
    reason: Option<&str>,
) -> AppResult<inventory_level::Model> {
    if delta == 0 || delta.abs() > MAX_MOVEMENT {
        return Err(AppError::bad_field(
            "input.delta",
            format!("`delta` must be non-zero and at most {MAX_MOVEMENT} either way"),
        ));
    }
    let reason = text::reason(reason, "input.reason", true)?;
    let (txn, slot) = db::begin_write(db).await?;
    changing_stock_of([product_id]);
    ensure_exists(&txn, product_id, location_id).await?;
    let on_hand = Expr::col(inventory_level::Column::OnHand);
    // Conditional update: the database decides, under its own locking,
    // whether the new on-hand is still at least what is reserved.
    let updated = inventory_level::Entity::update_many()
        .col_expr(inventory_level::Column::OnHand, on_hand.clone().add(delta))
        .col_expr(
            inventory_level::Column::UpdatedAt,
            Expr::value(clock::now()),
        )
        .filter(inventory_level::Column::ProductId.eq(product_id))
        .filter(inventory_level::Column::LocationId.eq(location_id))
        .filter(
            on_hand
                .clone()
                .add(delta)
                .gte(Expr::col(inventory_level::Column::Reserved)),
        )
        .filter(on_hand.add(delta).lte(MAX_ON_HAND))
        .exec(&txn)
        .await?;
    if updated.rows_affected == 0 {
        let current = level(&txn, product_id, location_id).await?;
        let available = current
            .as_ref()
            .map_or(0, |l| available(l.on_hand, l.reserved));
        if delta > 0 && current.is_none() {
            // Never stocked here: a positive adjustment opens the level.
            add_on_hand(&txn, product_id, location_id, delta).await?;
        } else if delta > 0 {
            return Err(AppError::bad_field(
                "input.delta",
                format!("on-hand at one location may not exceed {MAX_ON_HAND}"),
            ));
        } else {
            return Err(AppError::InsufficientStock {
                message: format!(
                    "cannot remove {} units: only {available} are available (on hand minus reserved) at this location",
                    -delta
                ),
                product_id: None,
                requested: Some(-delta),
                available: Some(std::cmp::Ord::max(available, 0)),
            });
        }
    }
    finish(
        txn,
        slot,
        Movement {
            product_id,
            location_id,
            kind: MovementKind::Adjustment,
            on_hand_delta: delta,
            reserved_delta: 0,
            order_id: None,
            reason,
            actor_partner_id: Some(actor_partner_id),
        },
    )
    .await
}

/// Opens the stock levels of a bulk load (a seed) as the sums of the
/// ledger rows it wrote, for products and locations from the given ids on
/// that have no level yet: levels written this way agree with the ledger by
/// construction. Stored in product order, so one product's levels share
/// pages.
pub async fn open_levels_from_ledger(
    db: &impl ConnectionTrait,
    first_product: i64,
    first_location: i64,
) -> Result<u64, sea_orm::DbErr> {
    let sql = "INSERT INTO inventory_level (product_id, location_id, on_hand, reserved, updated_at)
               SELECT m.product_id, m.location_id, SUM(m.on_hand_delta), SUM(m.reserved_delta), $1
               FROM stock_movement m
               WHERE m.product_id >= $2 AND m.location_id >= $3
                 AND NOT EXISTS (SELECT 1 FROM inventory_level l
                                 WHERE l.product_id = m.product_id AND l.location_id = m.location_id)
               GROUP BY m.product_id, m.location_id
               ORDER BY m.product_id, m.location_id";
    let values = [
        sea_orm::Value::from(clock::now()),
        first_product.into(),
        first_location.into(),
    ];
    Ok(db
        .execute_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            sql,
            values,
        ))
        .await?
        .rows_affected())
}
