//! From the outboxes to deliveries. For each outbox (order events, the
//! stock ledger, the catalogue's audit rows) a cursor says how far the
//! fan-out has read; a pass reads what follows it, turns each event into
//! one delivery per endpoint that may see it, and inserts them in the
//! transaction that moves the cursor, with a compare-and-set on the old
//! position. Two replicas reading the same events race on that update:
//! one moves the cursor and writes the deliveries, the other's update
//! matches nothing and it writes nothing, so every event is fanned out
//! exactly once whatever crashes or how many replicas run.
//!
//! Reads see only settled rows (`crate::db::sql::settled`), so no event can
//! appear later behind a cursor already moved past it.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::{product, webhook_delivery};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, Set, Statement,
};

use super::audience::{self, Subscriber};
use super::payload::{self, Message};
use super::{Status, Webhooks, now_ms};
use crate::db::{Db, begin_write, sql};
use crate::error::AppResult;
use crate::live::feed::{self, Position, StockFilter};
use crate::live::product_feed;

/// Events read per outbox per pass.
const PAGE: u64 = 500;
/// At most this many deliveries per `replayWebhooks` call.
pub const MAX_REPLAY: usize = 10_000;

#[derive(Clone, Copy, Debug)]
pub enum Source {
    Orders,
    Stock,
    Products,
}

impl Source {
    pub const ALL: [Source; 3] = [Source::Orders, Source::Stock, Source::Products];
    fn table(self) -> &'static str {
        match self {
            Source::Orders => feed::ORDER_EVENTS,
            Source::Stock => feed::STOCK_MOVEMENTS,
            Source::Products => product_feed::PRODUCT_AUDIT,
        }
    }
}

/// Who an event is for.
#[derive(Clone, Copy, Debug)]
enum Want {
    Order(i64),
    Stock { low: bool },
    Product { published: bool },
}

impl Want {
    fn by(self, s: &Subscriber) -> bool {
        match self {
            Want::Order(partner) => s.wants_order(partner),
            Want::Stock { low } => s.wants_stock(low),
            Want::Product { published } => s.wants_product(published),
        }
    }
}

struct Page {
    events: Vec<(Message, Want)>,
    last: Option<Position>,
    rows: usize,
}

/// Creates each outbox's cursor at its head if it has none: webhooks
/// start with what happens next, not the whole history.
pub async fn ensure_cursors(db: &Db) -> AppResult<()> {
    let backend = db.get_database_backend();
    for source in Source::ALL {
        let head = feed::head(db.conn(), source.table()).await?;
        let sql = format!(
            "INSERT INTO webhook_cursor (source, tx, id) VALUES ('{}', {}, {}) ON CONFLICT (source) DO NOTHING",
            source.table(),
            head.tx,
            head.id
        );
        db.execute_raw(Statement::from_string(backend, sql)).await?;
    }
    Ok(())
}

async fn cursor(db: &impl ConnectionTrait, source: Source) -> AppResult<Position> {
    let backend = db.get_database_backend();
    let sql = format!(
        "SELECT tx, id FROM webhook_cursor WHERE source = '{}'",
        source.table()
    );
    Position::of_row(
        db.query_one_raw(Statement::from_string(backend, sql))
            .await?,
    )
}

/// Moves the cursor from `from` to `to`; false when another replica moved
/// it first (then this pass's reading is thrown away).
async fn move_cursor(
    db: &impl ConnectionTrait,
    source: Source,
    from: Position,
    to: Position,
) -> AppResult<bool> {
    let backend = db.get_database_backend();
    let sql = format!(
        "UPDATE webhook_cursor SET tx = {}, id = {} WHERE source = '{}' AND tx = {} AND id = {}",
        to.tx,
        to.id,
        source.table(),
        from.tx,
        from.id
    );
    Ok(db
        .execute_raw(Statement::from_string(backend, sql))
        .await?
        .rows_affected()
        == 1)
}

async fn read(
    db: &DatabaseConnection,
    source: Source,
    from: Position,
    limit: u64,
    reorder_point: i64,
) -> AppResult<Page> {
    Ok(match source {
        Source::Orders => {
            let events = feed::order_events(db, from, None, limit).await?;
            Page {
                last: events.last().map(|e| e.position),
                rows: events.len(),
                events: events
                    .iter()
                    .map(|e| (payload::order(e), Want::Order(e.partner_id)))
                    .collect(),
            }
        }
        Source::Stock => {
            let page =
                feed::stock_events(db, from, &StockFilter::default(), limit, reorder_point).await?;
            let mut events = Vec::with_capacity(page.events.len());
            for e in &page.events {
                events.push((payload::stock(e, false), Want::Stock { low: false }));
                if e.low() {
                    events.push((payload::stock(e, true), Want::Stock { low: true }));
                }
            }
            Page {
                events,
                last: page.last,
                rows: page.rows,
            }
        }
        Source::Products => {
            let events = product_feed::product_events(db, from, limit).await?;
            let products: HashMap<i64, product::Model> = product::Entity::find()
                .filter(product::Column::Id.is_in(events.iter().map(|e| e.product_id)))
                .all(db)
                .await?
                .into_iter()
                .map(|p| (p.id, p))
                .collect();
            let mut out = Vec::with_capacity(events.len());
            for e in &events {
                let Some(p) = products.get(&e.product_id) else {
                    continue;
                };
                let published = crate::domain::catalog::Audience::Public.sees(p);
                out.push((payload::product(e, p), Want::Product { published }));
            }
            Page {
                last: events.last().map(|e| e.position),
                rows: events.len(),
                events: out,
            }
        }
    })
}

fn delivery(endpoint_id: i64, m: &Message, now: i64) -> webhook_delivery::ActiveModel {
    webhook_delivery::ActiveModel {
        endpoint_id: Set(endpoint_id),
        message_id: Set(m.id.clone()),
        event_type: Set(m.event_type.clone()),
        cursor: Set(m.cursor.clone()),
        payload: Set(m.body.clone()),
        status: Set(Status::Pending.as_str().to_owned()),
        attempts: Set(0),
        next_attempt_ms: Set(Some(now)),
        event_at_ms: Set(m.at.timestamp_millis()),
        created_at_ms: Set(now),
        ..Default::default()
    }
}

async fn insert_all(
    db: &impl ConnectionTrait,
    rows: Vec<webhook_delivery::ActiveModel>,
) -> AppResult<()> {
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<_> = rows.by_ref().take(200).collect();
        webhook_delivery::Entity::insert_many(chunk)
            .exec(db)
            .await?;
    }
    Ok(())
}

/// One delivery of a message that has no outbox row (a ping).
pub async fn queue(
    db: &impl ConnectionTrait,
    endpoint_id: i64,
    m: &Message,
    now: i64,
) -> AppResult<webhook_delivery::Model> {
    use sea_orm::ActiveModelTrait;
    Ok(delivery(endpoint_id, m, now).insert(db).await?)
}

/// One pass over one outbox; true when there may be more to read now.
async fn pass(
    wh: &Webhooks,
    db: &Db,
    subs: &[Subscriber],
    head: Position,
    source: Source,
) -> AppResult<bool> {
    let from = cursor(db.conn(), source).await?;
    if subs.is_empty() {
        // Nobody listens: the cursor follows the head, so an endpoint
        // registered later starts from then, not from a backlog. The head
        // was read before the subscribers were: an endpoint registered
        // meanwhile misses nothing that came after it.
        if head > from {
            let (txn, slot) = begin_write(db).await?;
            move_cursor(&txn, source, from, head).await?;
            slot.commit(txn).await?;
        }
        return Ok(false);
    }
    let page = read(db.conn(), source, from, PAGE, wh.reorder_point).await?;
    let Some(last) = page.last else {
        return Ok(false);
    };
    let now = now_ms();
    let mut rows = Vec::new();
    for (m, want) in &page.events {
        let at = m.at.timestamp_millis();
        for s in subs.iter().filter(|s| at >= s.created_at_ms && want.by(s)) {
            rows.push(delivery(s.endpoint_id, m, now));
        }
    }
    let queued = rows.len();
    let (txn, slot) = begin_write(db).await?;
    if !move_cursor(&txn, source, from, last).await? {
        // Another replica fanned these out; read again from where it got.
        return Ok(true);
    }
    insert_all(&txn, rows).await?;
    slot.commit(txn).await?;
    if queued > 0 {
        wh.metrics.queued(queued);
        wh.wake.notify_one();
    }
    Ok(page.rows as u64 >= PAGE)
}

/// One pass over every outbox; true when one of them may have more.
pub async fn fan_out(wh: &Webhooks, db: &Db) -> AppResult<bool> {
    let mut heads = Vec::with_capacity(Source::ALL.len());
    for source in Source::ALL {
        heads.push(feed::head(db.conn(), source.table()).await?);
    }
    let subs = audience::subscribers(db.conn()).await?;
    let mut more = false;
    for (source, head) in Source::ALL.into_iter().zip(heads) {
        more |= pass(wh, db, &subs, head, source).await?;
    }
    Ok(more)
}

/// The position just before the first event of `source` at or after
/// `since`.
async fn before(
    db: &DatabaseConnection,
    source: Source,
    since: DateTime<Utc>,
) -> AppResult<Position> {
    let backend = db.get_database_backend();
    let sql = format!(
        "SELECT t.tx, t.id FROM {table} t WHERE t.created_at < {p} ORDER BY t.tx DESC, t.id DESC LIMIT 1",
        table = source.table(),
        p = sql::param(backend, 1)
    );
    Position::of_row(
        db.query_one_raw(Statement::from_sql_and_values(backend, sql, [since.into()]))
            .await?,
    )
}

/// Queues again, for one endpoint, every event since `since` that the
/// fan-out has already passed (at most `MAX_REPLAY`), with the ids and
/// bodies receivers deduplicate by. Returns how many were queued.
pub async fn replay(
    wh: &Webhooks,
    db: &Db,
    endpoint: &entity::webhook_endpoint::Model,
    since: DateTime<Utc>,
) -> AppResult<usize> {
    let Some(mut sub) = audience::of_endpoint(db.conn(), endpoint).await? else {
        return Ok(0);
    };
    let since_ms = since.timestamp_millis();
    // What the partner could read then, even before the endpoint existed.
    sub.created_at_ms = since_ms;
    let now = now_ms();
    let mut rows = Vec::new();
    'sources: for source in Source::ALL {
        let upto = cursor(db.conn(), source).await?;
        let mut from = before(db.conn(), source, since).await?;
        while from < upto {
            let page = read(db.conn(), source, from, PAGE, wh.reorder_point).await?;
            let Some(last) = page.last else { break };
            for (m, want) in &page.events {
                let passed = m
                    .cursor
                    .as_deref()
                    .and_then(|c| Position::from_cursor(c).ok())
                    .is_some_and(|p| p <= upto);
                if passed && m.at.timestamp_millis() >= since_ms && want.by(&sub) {
                    rows.push(delivery(endpoint.id, m, now));
                    if rows.len() >= MAX_REPLAY {
                        break 'sources;
                    }
                }
            }
            from = last;
        }
    }
    let n = rows.len();
    let (txn, slot) = begin_write(db).await?;
    insert_all(&txn, rows).await?;
    slot.commit(txn).await?;
    wh.wake.notify_one();
    Ok(n)
}
