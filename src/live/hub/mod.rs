//! One dispatcher per replica: on each wake-up (or poll) it reads what is
//! new in the outboxes once, and fans it out to every subscriber of this
//! replica through one bounded broadcast ring; subscribers filter it for
//! their caller. A subscriber that falls more than the ring behind
//! re-reads from its own position in the database, so a slow socket costs
//! neither memory nor other subscribers anything.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use dashmap::DashMap;
use futures_util::Stream;
use tokio::sync::{Notify, OnceCell, broadcast};

mod subscriber;

use super::feed::{self, OrderEvent, Position, StockEvent, StockFilter};
use super::product_feed::{self, ProductEvent};
use super::wake;
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::metrics::LiveMetrics;
use subscriber::{Pick, Subscriber};

/// What the live events may cost; see the README's limits.
#[derive(Clone, Debug)]
pub struct LiveLimits {
    /// Concurrent subscriptions per partner, over every socket.
    pub per_partner: usize,
    /// Concurrent subscriptions per socket.
    pub per_socket: usize,
    /// How far back `orderEvents(since:)` replays.
    pub replay_days: i64,
    /// Events a subscriber may fall behind, after which its stream ends.
    pub max_behind: usize,
    /// Below this many available units, a level is low (unless its
    /// product has its own reorder point).
    pub default_reorder_point: i64,
    /// Re-read even without a wake-up this often.
    pub poll: Duration,
    /// Batches kept for subscribers that are a little behind.
    pub ring: usize,
}

/// Rows read per outbox and statement.
const PAGE: u64 = 500;
/// Shortest pause between two reads of the outboxes: under a stream of
/// commits, each read takes what several commits wrote.
const MIN_READ_INTERVAL: Duration = Duration::from_millis(5);
/// How soon rows not yet settled are looked at again.
const HELD_BACK_RETRY: Duration = Duration::from_millis(20);
/// Connections of the hub's own pool (the dispatcher and subscribers
/// catching up), so that they never queue behind requests.
const READERS: u32 = 4;

type OrderBatch = Arc<Vec<OrderEvent>>;
type StockBatch = Arc<Vec<StockEvent>>;
type ProductBatch = Arc<Vec<ProductEvent>>;

pub struct Hub {
    db: Db,
    url: String,
    pub limits: LiveLimits,
    metrics: LiveMetrics,
    /// Every partner's order events (the operator's subscriptions).
    orders_all: broadcast::Sender<OrderBatch>,
    /// One partner's order events: only its subscribers wake for them.
    orders_by_partner: DashMap<i64, broadcast::Sender<OrderBatch>>,
    stock: broadcast::Sender<StockBatch>,
    products: broadcast::Sender<ProductBatch>,
    /// The dispatcher's positions (orders, stock, products), moved only
    /// after what they cover was published: a subscriber that starts there
    /// misses nothing.
    heads: std::sync::Mutex<(Position, Position, Position)>,
    wake: Arc<Notify>,
    /// Others woken by the same commits (the webhooks' fan-out).
    also_wake: std::sync::Mutex<Vec<Arc<Notify>>>,
    started: OnceCell<Db>,
    wakes_started: std::sync::atomic::AtomicBool,
    per_partner: DashMap<i64, usize>,
}

impl Hub {
    pub fn new(db: Db, url: &str, limits: LiveLimits, metrics: LiveMetrics) -> Arc<Hub> {
        let ring = limits.ring.max(1);
        Arc::new(Hub {
            db,
            url: url.to_owned(),
            limits,
            metrics,
            orders_all: broadcast::channel(ring).0,
            orders_by_partner: DashMap::new(),
            stock: broadcast::channel(ring).0,
            products: broadcast::channel(ring).0,
            heads: std::sync::Mutex::new(Default::default()),
            wake: Arc::new(Notify::new()),
            also_wake: Default::default(),
            started: OnceCell::new(),
            wakes_started: Default::default(),
            per_partner: DashMap::new(),
        })
    }

    /// Starts the dispatcher, its pool and the wake-ups on first use (a
    /// replica that serves no subscriber reads nothing); returns the pool.
    async fn start(self: &Arc<Self>) -> AppResult<&Db> {
        self.started
            .get_or_try_init(|| async {
                let reader = crate::db::connect_url(&self.url, READERS, 5_000).await?;
                *self.heads.lock().map_err(poisoned)? = (
                    feed::head(&reader, feed::ORDER_EVENTS).await?,
                    feed::head(&reader, feed::STOCK_MOVEMENTS).await?,
                    feed::head(&reader, product_feed::PRODUCT_AUDIT).await?,
                );
                self.start_wakes();
                tokio::spawn(self.clone().dispatch(reader.clone()));
                Ok::<Db, AppError>(reader)
            })
            .await
    }

    /// Starts the wake-ups: this replica's commits are announced to the
    /// others, and theirs heard, from the start, whether or not anyone
    /// subscribes here, as HTTP caching relies on every replica's
    /// announcements (`crate::db::DataVersion`). Needs a Tokio runtime.
    pub fn start_wakes(self: &Arc<Self>) {
        if self
            .wakes_started
            .swap(true, std::sync::atomic::Ordering::AcqRel)
        {
            return;
        }
        let hub = self.clone();
        tokio::spawn(async move {
            // Its own connection, so an announcement never queues behind
            // requests for one.
            let own = loop {
                if crate::db::is_sqlite(hub.db.conn()) {
                    break hub.db.clone();
                }
                match crate::db::connect_url(&hub.url, 1, 5_000).await {
                    Ok(own) => break own,
                    Err(e) => {
                        tracing::warn!(error = %e, "live events: cannot connect for wake-ups; retrying");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                }
            };
            let heard = Arc::new(Notify::new());
            let relay = hub.clone();
            let relayed = heard.clone();
            tokio::spawn(async move {
                loop {
                    relayed.notified().await;
                    relay.wake.notify_one();
                    if let Ok(others) = relay.also_wake.lock() {
                        others.iter().for_each(|n| n.notify_one());
                    }
                }
            });
            wake::for_database(&hub.db, &own, &hub.url).run(heard).await;
        });
    }

    /// Wakes `other` too after every commit heard (this replica's and,
    /// on PostgreSQL, every replica's).
    pub fn also_wake(&self, other: Arc<Notify>) {
        if let Ok(mut v) = self.also_wake.lock() {
            v.push(other);
        }
    }

    fn partner_channel(&self, partner: i64) -> broadcast::Sender<OrderBatch> {
        self.orders_by_partner
            .entry(partner)
            .or_insert_with(|| broadcast::channel(self.limits.ring.max(1)).0)
            .clone()
    }

    async fn dispatch(self: Arc<Self>, reader: Db) {
        let mut held_back = false;
        loop {
            // Rows held back by a transaction still running somewhere are
            // looked at again soon: their wake-up has been spent.
            let wait = if held_back {
                HELD_BACK_RETRY
            } else {
                self.limits.poll
            };
            tokio::select! {
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(wait) => {}
            }
            held_back = match self.read_new(&reader).await {
                Ok(()) => self.held_back(&reader).await.unwrap_or(false),
                Err(e) => {
                    tracing::warn!(error = ?e, "live events: reading the outboxes failed; retrying");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    false
                }
            };
            tokio::time::sleep(MIN_READ_INTERVAL).await;
        }
    }

    async fn held_back(&self, reader: &Db) -> AppResult<bool> {
        use sea_orm::{ConnectionTrait, Statement};
        let backend = reader.get_database_backend();
        let tables = [
            feed::ORDER_EVENTS,
            feed::STOCK_MOVEMENTS,
            product_feed::PRODUCT_AUDIT,
        ];
        let Some(sql) = crate::db::sql::held_back_sql(backend, &tables) else {
            return Ok(false);
        };
        let row = reader
            .query_one_raw(Statement::from_string(backend, sql))
            .await?;
        Ok(match row {
            Some(row) => row.try_get::<bool>("", "held")?,
            None => false,
        })
    }

    /// Reads everything new (in pages) and publishes it, then moves the
    /// heads.
    async fn read_new(&self, reader: &Db) -> AppResult<()> {
        // Nobody follows stock here: move past it without reading it. The
        // move is made under the lock a subscriber joins under, and only if
        // still nobody has joined; a subscriber that joins first gets the
        // full read from the old position.
        if self.stock.receiver_count() == 0 {
            let newest = feed::head(reader, feed::STOCK_MOVEMENTS).await?;
            let mut heads = self.heads.lock().map_err(poisoned)?;
            if self.stock.receiver_count() == 0 {
                heads.1 = heads.1.max(newest);
            }
        }
        if self.products.receiver_count() == 0 {
            let newest = feed::head(reader, product_feed::PRODUCT_AUDIT).await?;
            let mut heads = self.heads.lock().map_err(poisoned)?;
            if self.products.receiver_count() == 0 {
                heads.2 = heads.2.max(newest);
            }
        }
        let (mut orders_at, mut stock_at, mut products_at) =
            *self.heads.lock().map_err(poisoned)?;
        loop {
            let orders = feed::order_events(reader, orders_at, None, PAGE).await?;
            let stock = if self.stock.receiver_count() == 0 {
                feed::StockPage::default()
            } else {
                feed::stock_events(
                    reader,
                    stock_at,
                    &StockFilter::default(),
                    PAGE,
                    self.limits.default_reorder_point,
                )
                .await?
            };
            let products = if self.products.receiver_count() == 0 {
                Vec::new()
            } else {
                product_feed::product_events(reader, products_at, PAGE).await?
            };
            let more = orders.len() as u64 == PAGE
                || stock.rows as u64 == PAGE
                || products.len() as u64 == PAGE;
            // Published and moved under the lock a new subscriber takes to
            // join: it either gets this batch or starts after it.
            let mut heads = self.heads.lock().map_err(poisoned)?;
            if let Some(last) = orders.last() {
                orders_at = last.position;
                self.publish_orders(orders);
            }
            if let Some(last) = stock.last {
                stock_at = last;
                if !stock.events.is_empty() {
                    // No receiver is fine: nobody is subscribed here.
                    let _ = self.stock.send(Arc::new(stock.events));
                }
            }
            if let Some(last) = products.last() {
                products_at = last.position;
                let _ = self.products.send(Arc::new(products));
            }
            *heads = (orders_at, stock_at, products_at);
            drop(heads);
            if !more {
                return Ok(());
            }
        }
    }

    /// Each partner's events go to its own subscribers only; all of them
    /// to the operator's.
    fn publish_orders(&self, orders: Vec<OrderEvent>) {
        let mut by_partner: HashMap<i64, Vec<OrderEvent>> = HashMap::new();
        for e in &orders {
            if self.orders_by_partner.contains_key(&e.partner_id) {
                by_partner.entry(e.partner_id).or_default().push(e.clone());
            }
        }
        for (partner, events) in by_partner {
            if let Some(tx) = self.orders_by_partner.get(&partner) {
                let _ = tx.send(Arc::new(events));
            }
        }
        if self.orders_all.receiver_count() > 0 {
            let _ = self.orders_all.send(Arc::new(orders));
        }
    }

    /// Counts a subscription against its partner's limit until the guard
    /// drops.
    pub fn admit(self: &Arc<Self>, partner_id: i64, kind: &'static str) -> AppResult<Admitted> {
        let mut n = self.per_partner.entry(partner_id).or_insert(0);
        if *n >= self.limits.per_partner {
            return Err(AppError::RateLimited {
                retry_after_secs: 5,
            });
        }
        *n += 1;
        self.metrics.subscribed(kind, 1);
        Ok(Admitted {
            hub: self.clone(),
            partner_id,
            kind,
        })
    }

    /// Order events after `since` (or from now), of one partner's orders
    /// or (operator) all.
    pub async fn order_events(
        self: &Arc<Self>,
        admitted: Admitted,
        partner: Option<i64>,
        since: Option<Position>,
    ) -> AppResult<impl Stream<Item = AppResult<OrderEvent>> + use<>> {
        let reader = self.start().await?.clone();
        if let Some(p) = since {
            self.check_replay(&reader, p).await?;
        }
        // Joined under the dispatcher's lock: every batch after `head` is
        // in `rx`, so only a `since` needs reading from the database.
        let (rx, head) = {
            let heads = self.heads.lock().map_err(poisoned)?;
            let rx = match partner {
                Some(p) => self.partner_channel(p).subscribe(),
                None => self.orders_all.subscribe(),
            };
            (rx, heads.0)
        };
        let seen = since.unwrap_or(head);
        let sub = Subscriber::new(self, reader, rx, seen, admitted, Pick::Orders(partner));
        let mut sub = sub;
        sub.behind = since.map(|_| 0);
        Ok(futures_util::stream::unfold(sub, |mut sub| async move {
            let next = sub.next_order().await?;
            Some((next, sub))
        }))
    }

    /// Stock changes from now on, of some products or locations or all.
    pub async fn stock_changes(
        self: &Arc<Self>,
        admitted: Admitted,
        filter: StockFilter,
    ) -> AppResult<impl Stream<Item = AppResult<StockEvent>> + use<>> {
        let reader = self.start().await?.clone();
        let (rx, seen) = {
            let heads = self.heads.lock().map_err(poisoned)?;
            (self.stock.subscribe(), heads.1)
        };
        let sub = Subscriber::new(self, reader, rx, seen, admitted, Pick::Stock(filter));
        Ok(futures_util::stream::unfold(sub, |mut sub| async move {
            let next = sub.next_stock().await?;
            Some((next, sub))
        }))
    }

    /// Catalogue writes from now on; the caller decides which it may see.
    pub async fn product_changes(
        self: &Arc<Self>,
        admitted: Admitted,
    ) -> AppResult<impl Stream<Item = AppResult<ProductEvent>> + use<>> {
        let reader = self.start().await?.clone();
        let (rx, seen) = {
            let heads = self.heads.lock().map_err(poisoned)?;
            (self.products.subscribe(), heads.2)
        };
        let sub = Subscriber::new(self, reader, rx, seen, admitted, Pick::Products);
        Ok(futures_util::stream::unfold(sub, |mut sub| async move {
            let next = sub.next_product().await?;
            Some((next, sub))
        }))
    }

    /// A `since` cursor must name an event of the last `replay_days`.
    async fn check_replay(&self, reader: &Db, p: Position) -> AppResult<()> {
        use sea_orm::{ConnectionTrait, Statement};
        let backend = reader.get_database_backend();
        let row = reader
            .query_one_raw(Statement::from_string(
                backend,
                format!(
                    "SELECT created_at FROM order_event WHERE id = {} AND tx = {}",
                    p.id, p.tx
                ),
            ))
            .await?;
        let Some(row) = row else {
            return Err(AppError::bad_field(
                "since",
                "not a cursor from an earlier event",
            ));
        };
        let at: chrono::DateTime<chrono::Utc> = row.try_get("", "created_at")?;
        if crate::domain::clock::now() - at > chrono::Duration::days(self.limits.replay_days) {
            return Err(AppError::bad_field(
                "since",
                format!(
                    "the cursor is more than {} days old: read the orders with `orders`, then subscribe without `since`",
                    self.limits.replay_days
                ),
            ));
        }
        Ok(())
    }
}

fn poisoned<T>(_: std::sync::PoisonError<T>) -> AppError {
    AppError::internal(std::io::Error::other("live events state poisoned"))
}

/// A subscription counted against its partner's limit.
pub struct Admitted {
    hub: Arc<Hub>,
    partner_id: i64,
    kind: &'static str,
}

impl Drop for Admitted {
    fn drop(&mut self) {
        if let Some(mut n) = self.hub.per_partner.get_mut(&self.partner_id) {
            *n = n.saturating_sub(1);
        }
        self.hub.metrics.subscribed(self.kind, -1);
    }
}
