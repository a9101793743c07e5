//! Reading the outboxes: order events (`order_event`) and stock changes
//! (`stock_movement`), after a position, in commit order.
//!
//! A position is (tx, id). On PostgreSQL only rows of transactions older
//! than every transaction still running are read (see migration 000008),
//! so no row can later appear behind a position already passed; on SQLite
//! writers take turns, ids follow commits and tx is 0.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use entity::{order_event, purchase_order};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, Statement,
};

use crate::db::sql;
use crate::error::{AppError, AppResult};

/// Where a reader is in an outbox.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Position {
    pub tx: i64,
    pub id: i64,
}

const CURSOR_PREFIX: &str = "ev1:";

impl Position {
    /// The opaque cursor a client holds.
    pub fn cursor(self) -> String {
        URL_SAFE_NO_PAD.encode(format!("{CURSOR_PREFIX}{}:{}", self.tx, self.id))
    }

    /// The `tx` and `id` columns of a row, or the start when there is none.
    pub fn of_row(row: Option<sea_orm::QueryResult>) -> AppResult<Position> {
        Ok(match row {
            Some(row) => Position {
                tx: row.try_get("", "tx")?,
                id: row.try_get("", "id")?,
            },
            None => Position::default(),
        })
    }

    pub fn from_cursor(cursor: &str) -> AppResult<Position> {
        let bad = || AppError::bad_field("since", "not a cursor from an earlier event");
        let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| bad())?;
        let text = String::from_utf8(bytes).map_err(|_| bad())?;
        let rest = text.strip_prefix(CURSOR_PREFIX).ok_or_else(bad)?;
        let (tx, id) = rest.split_once(':').ok_or_else(bad)?;
        Ok(Position {
            tx: tx.parse().map_err(|_| bad())?,
            id: id.parse().map_err(|_| bad())?,
        })
    }
}

/// An order's status change or progress (acknowledgement, shipment,
/// delivery), with the order as it is now.
#[derive(Clone, Debug)]
pub struct OrderEvent {
    pub position: Position,
    pub partner_id: i64,
    pub event: Arc<order_event::Model>,
    pub order: Arc<purchase_order::Model>,
}

impl OrderEvent {
    pub fn at(&self) -> DateTime<Utc> {
        self.event.created_at
    }
}

/// A stock level after one or more changes (the latest numbers).
#[derive(Clone, Debug)]
pub struct StockEvent {
    pub position: Position,
    pub product_id: i64,
    pub location_id: i64,
    pub on_hand: i64,
    pub reserved: i64,
    pub reorder_point: i64,
    pub at: DateTime<Utc>,
}

impl StockEvent {
    pub fn available(&self) -> i64 {
        crate::domain::inventory::available(self.on_hand, self.reserved)
    }
    pub fn low(&self) -> bool {
        self.available() < self.reorder_point
    }
}

fn after(alias: &str, p: Position) -> String {
    // Integers of ours, written into the statement.
    format!(
        "{alias}.tx >= {tx} AND ({alias}.tx > {tx} OR {alias}.id > {id})",
        tx = p.tx,
        id = p.id
    )
}

/// The newest settled position of an outbox: where a reader that wants
/// only what happens next starts.
pub async fn head(db: &DatabaseConnection, table: &str) -> AppResult<Position> {
    let backend = db.get_database_backend();
    let sql = format!(
        "SELECT t.tx, t.id FROM {table} t WHERE 1 = 1{} ORDER BY t.tx DESC, t.id DESC LIMIT 1",
        sql::settled(backend, "t")
    );
    Position::of_row(
        db.query_one_raw(Statement::from_string(backend, sql))
            .await?,
    )
}

pub const ORDER_EVENTS: &str = "order_event";
pub const STOCK_MOVEMENTS: &str = "stock_movement";

/// Up to `limit` order events after `from`, of one partner's orders or
/// all, and the position of the last one read.
pub async fn order_events(
    db: &DatabaseConnection,
    from: Position,
    partner: Option<i64>,
    limit: u64,
) -> AppResult<Vec<OrderEvent>> {
    let backend = db.get_database_backend();
    let partner_sql = partner
        .map(|p| format!(" AND o.partner_id = {p}"))
        .unwrap_or_default();
    let sql = format!(
        "SELECT e.id, o.partner_id
         FROM order_event e JOIN purchase_order o ON o.id = e.order_id
         WHERE {after}{settled}{partner_sql}
         ORDER BY e.tx, e.id LIMIT {limit}",
        after = after("e", from),
        settled = sql::settled(backend, "e"),
    );
    let mut partners = Vec::new();
    for row in db
        .query_all_raw(Statement::from_string(backend, sql))
        .await?
    {
        partners.push((
            row.try_get::<i64>("", "id")?,
            row.try_get::<i64>("", "partner_id")?,
        ));
    }
    if partners.is_empty() {
        return Ok(Vec::new());
    }
    let mut events: HashMap<i64, order_event::Model> = order_event::Entity::find()
        .filter(order_event::Column::Id.is_in(partners.iter().map(|p| p.0)))
        .all(db)
        .await?
        .into_iter()
        .map(|e| (e.id, e))
        .collect();
    let orders: HashMap<i64, Arc<purchase_order::Model>> = purchase_order::Entity::find()
        .filter(purchase_order::Column::Id.is_in(events.values().map(|e| e.order_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|o| (o.id, Arc::new(o)))
        .collect();
    Ok(partners
        .into_iter()
        .filter_map(|(id, partner_id)| {
            let event = events.remove(&id)?;
            Some(OrderEvent {
                position: Position {
                    tx: event.tx,
                    id: event.id,
                },
                partner_id,
                order: orders.get(&event.order_id)?.clone(),
                event: Arc::new(event),
            })
        })
        .collect())
}

/// Stock changes after `from` (at most `limit` ledger rows), one event per
/// level with its current numbers, in the order of each level's last
/// change. `filter` keeps only some products or locations.
pub async fn stock_events(
    db: &DatabaseConnection,
    from: Position,
    filter: &StockFilter,
    limit: u64,
    default_reorder_point: i64,
) -> AppResult<StockPage> {
    let backend = db.get_database_backend();
    let sql = format!(
        "SELECT m.tx, m.id, m.product_id, m.location_id, m.created_at
         FROM stock_movement m WHERE {after}{settled}{filter}
         ORDER BY m.tx, m.id LIMIT {limit}",
        after = after("m", from),
        settled = sql::settled(backend, "m"),
        filter = filter.sql("m"),
    );
    let rows = db
        .query_all_raw(Statement::from_string(backend, sql))
        .await?;
    let rows_read = rows.len();
    let mut last = None;
    // (product, location) → (last position, at)
    let mut changed: BTreeMap<(i64, i64), (Position, DateTime<Utc>)> = BTreeMap::new();
    for row in rows {
        let position = Position {
            tx: row.try_get("", "tx")?,
            id: row.try_get("", "id")?,
        };
        last = Some(position);
        changed.insert(
            (
                row.try_get("", "product_id")?,
                row.try_get("", "location_id")?,
            ),
            (position, row.try_get("", "created_at")?),
        );
    }
    if changed.is_empty() {
        return Ok(StockPage {
            events: Vec::new(),
            last,
            rows: rows_read,
        });
    }
    let products: Vec<String> = changed.keys().map(|k| k.0.to_string()).collect();
    let locations: Vec<String> = changed.keys().map(|k| k.1.to_string()).collect();
    let sql = format!(
        "SELECT il.product_id, il.location_id, il.on_hand, il.reserved,
                COALESCE(p.reorder_point, {default_reorder_point}) AS reorder_point
         FROM inventory_level il JOIN product p ON p.id = il.product_id
         WHERE il.product_id IN ({}) AND il.location_id IN ({})",
        dedup(products).join(","),
        dedup(locations).join(","),
    );
    let mut events = Vec::with_capacity(changed.len());
    for row in db
        .query_all_raw(Statement::from_string(backend, sql))
        .await?
    {
        let key: (i64, i64) = (
            row.try_get("", "product_id")?,
            row.try_get("", "location_id")?,
        );
        let Some((position, at)) = changed.get(&key) else {
            continue;
        };
        events.push(StockEvent {
            position: *position,
            product_id: key.0,
            location_id: key.1,
            on_hand: row.try_get("", "on_hand")?,
            reserved: row.try_get("", "reserved")?,
            reorder_point: row.try_get("", "reorder_point")?,
            at: *at,
        });
    }
    events.sort_by_key(|e| e.position);
    Ok(StockPage {
        events,
        last,
        rows: rows_read,
    })
}

/// One read of the stock ledger.
#[derive(Default)]
pub struct StockPage {
    pub events: Vec<StockEvent>,
    /// The last ledger row read, if any.
    pub last: Option<Position>,
    /// Ledger rows read (a full page means there may be more).
    pub rows: usize,
}

fn dedup(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v.dedup();
    v
}

/// Which stock changes a subscriber wants (empty: all).
#[derive(Clone, Debug, Default)]
pub struct StockFilter {
    pub products: Vec<i64>,
    pub locations: Vec<i64>,
}

impl StockFilter {
    fn sql(&self, alias: &str) -> String {
        let list = |v: &[i64]| v.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
        let mut sql = String::new();
        if !self.products.is_empty() {
            sql.push_str(&format!(
                " AND {alias}.product_id IN ({})",
                list(&self.products)
            ));
        }
        if !self.locations.is_empty() {
            sql.push_str(&format!(
                " AND {alias}.location_id IN ({})",
                list(&self.locations)
            ));
        }
        sql
    }

    pub fn wants(&self, e: &StockEvent) -> bool {
        (self.products.is_empty() || self.products.contains(&e.product_id))
            && (self.locations.is_empty() || self.locations.contains(&e.location_id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_garbage() {
        let p = Position { tx: 7, id: 42 };
        assert_eq!(Position::from_cursor(&p.cursor()).ok(), Some(p));
        for bad in [
            "",
            "xyz",
            &URL_SAFE_NO_PAD.encode("ev1:a:b"),
            &URL_SAFE_NO_PAD.encode("Order:1"),
        ] {
            assert!(Position::from_cursor(bad).is_err(), "{bad}");
        }
        assert!(Position { tx: 1, id: 1 } > Position { tx: 0, id: 99 });
    }
}
