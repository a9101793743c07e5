//! One subscriber's stream: live from the hub's ring, and from the database
//! when it falls behind it (`behind`), up to `max_behind` events.

use std::collections::VecDeque;
use std::sync::Arc;

use tokio::sync::broadcast;

use super::{Admitted, Hub, PAGE};
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::live::feed::{self, OrderEvent, Position, StockEvent, StockFilter};
use crate::live::product_feed::{self, ProductEvent};

pub(super) enum Pick {
    /// `None`: every partner's (the operator).
    Orders(Option<i64>),
    Stock(StockFilter),
    Products,
}

pub(super) struct Subscriber<E> {
    hub: Arc<Hub>,
    /// The hub's own pool, for catching up.
    reader: Db,
    rx: broadcast::Receiver<Arc<Vec<E>>>,
    /// Everything up to here was queued or sent.
    seen: Position,
    pending: VecDeque<E>,
    /// `Some(n)`: catching up from the database, `n` events read so far.
    pub(super) behind: Option<usize>,
    done: bool,
    _admitted: Admitted,
    pick: Pick,
}

impl<E> Subscriber<E> {
    /// Live from `seen` (nothing to catch up from the database).
    pub(super) fn new(
        hub: &Arc<Hub>,
        reader: Db,
        rx: broadcast::Receiver<Arc<Vec<E>>>,
        seen: Position,
        admitted: Admitted,
        pick: Pick,
    ) -> Self {
        Subscriber {
            hub: hub.clone(),
            reader,
            rx,
            seen,
            pending: VecDeque::new(),
            behind: None,
            done: false,
            _admitted: admitted,
            pick,
        }
    }
}

/// An event that a subscriber reads one by one, in position order.
pub(super) trait Positioned: Clone {
    fn position(&self) -> Position;
    fn at(&self) -> chrono::DateTime<chrono::Utc>;
}

impl Positioned for OrderEvent {
    fn position(&self) -> Position {
        self.position
    }
    fn at(&self) -> chrono::DateTime<chrono::Utc> {
        OrderEvent::at(self)
    }
}

impl Positioned for ProductEvent {
    fn position(&self) -> Position {
        self.position
    }
    fn at(&self) -> chrono::DateTime<chrono::Utc> {
        self.at
    }
}

impl<E: Positioned> Subscriber<E> {
    /// The next event `wanted` keeps: queued, from the database while
    /// behind (`read` gives a page after a position), or from the ring.
    async fn next_of<F, Fut>(
        &mut self,
        name: &'static str,
        read: F,
        wanted: impl Fn(&E) -> bool,
    ) -> Option<AppResult<E>>
    where
        F: Fn(Db, Position) -> Fut,
        Fut: std::future::Future<Output = AppResult<Vec<E>>>,
    {
        loop {
            if self.done {
                return None;
            }
            if let Some(e) = self.pending.pop_front() {
                self.hub.metrics.sent(name, e.at());
                return Some(Ok(e));
            }
            if let Some(so_far) = self.behind {
                let page = match read(self.reader.clone(), self.seen).await {
                    Ok(page) => page,
                    Err(e) => return self.fail(e),
                };
                if let Some(err) = self.too_far(so_far + page.len()) {
                    return Some(Err(err));
                }
                self.behind = (page.len() as u64 == PAGE).then_some(so_far + page.len());
                if let Some(last) = page.last() {
                    self.seen = last.position();
                }
                self.pending.extend(page);
                continue;
            }
            match self.rx.recv().await {
                Ok(batch) => {
                    for e in batch.iter() {
                        if e.position() > self.seen && wanted(e) {
                            self.seen = e.position();
                            self.pending.push_back(e.clone());
                        }
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => self.lagged(),
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    }
}

impl Subscriber<OrderEvent> {
    pub(super) async fn next_order(&mut self) -> Option<AppResult<OrderEvent>> {
        let Pick::Orders(partner) = self.pick else {
            return None;
        };
        let read = move |reader: Db, seen| async move {
            feed::order_events(&reader, seen, partner, PAGE).await
        };
        self.next_of("orderEvents", read, |e| {
            partner.is_none_or(|p| p == e.partner_id)
        })
        .await
    }
}

impl Subscriber<StockEvent> {
    pub(super) async fn next_stock(&mut self) -> Option<AppResult<StockEvent>> {
        let Pick::Stock(filter) = &self.pick else {
            return None;
        };
        let filter = filter.clone();
        loop {
            if self.done {
                return None;
            }
            if let Some(e) = self.pending.pop_front() {
                self.hub.metrics.sent("stockChanged", e.at);
                return Some(Ok(e));
            }
            if let Some(read) = self.behind {
                let page = match feed::stock_events(
                    &self.reader,
                    self.seen,
                    &filter,
                    PAGE,
                    self.hub.limits.default_reorder_point,
                )
                .await
                {
                    Ok(page) => page,
                    Err(e) => return self.fail(e),
                };
                let read = read + page.events.len();
                if let Some(err) = self.too_far(read) {
                    return Some(Err(err));
                }
                self.behind = (page.rows as u64 == PAGE).then_some(read);
                if let Some(last) = page.last {
                    self.seen = last;
                }
                let page = page.events;
                self.pending.extend(page);
                continue;
            }
            match self.rx.recv().await {
                Ok(batch) => {
                    for e in batch.iter() {
                        if e.position > self.seen && filter.wants(e) {
                            self.pending.push_back(e.clone());
                        }
                    }
                    // Ledger rows of other levels move the position too.
                    if let Some(last) = batch.iter().map(|e| e.position).max() {
                        self.seen = self.seen.max(last);
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => self.lagged(),
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    }
}

impl Subscriber<ProductEvent> {
    pub(super) async fn next_product(&mut self) -> Option<AppResult<ProductEvent>> {
        let read = |reader: Db, seen| async move {
            product_feed::product_events(&reader, seen, PAGE).await
        };
        self.next_of("productChanged", read, |_| true).await
    }
}

impl<E> Subscriber<E> {
    fn lagged(&mut self) {
        self.hub.metrics.resynced();
        self.behind = Some(0);
    }

    fn fail<T>(&mut self, e: AppError) -> Option<AppResult<T>> {
        self.done = true;
        Some(Err(e))
    }

    /// Past the bound, the stream ends with an error naming where it got
    /// to, so the client can subscribe again from there.
    fn too_far(&mut self, behind: usize) -> Option<AppError> {
        if behind <= self.hub.limits.max_behind {
            return None;
        }
        self.done = true;
        Some(AppError::conflict(format!(
            "this subscriber fell more than {} events behind and was ended; subscribe again with since: \"{}\"",
            self.hub.limits.max_behind,
            self.seen.cursor()
        )))
    }
}
