//! Live events over graphql-transport-ws (`/graphql/ws`, see `crate::live`).

use std::sync::Arc;

use async_graphql::{Context, ID, Object, Subscription};
use chrono::{DateTime, Utc};
use futures_util::{Stream, StreamExt};

use crate::auth::Scope;
use crate::domain::catalog;
use crate::graphql::context::{loader, viewer};
use crate::graphql::guard::ScopeGuard;
use crate::graphql::loader::{LocationLoader, ProductLoader};
use crate::graphql::object::location::LocationNode;
use crate::graphql::object::order::OrderEventNode;
use crate::graphql::object::product::ProductNode;
use crate::ids::{self, Kind};
use crate::live::feed::{Position, StockEvent, StockFilter};
use crate::live::hub::Hub;
use crate::live::product_feed::ProductEvent;

/// Subscriptions live at `/graphql/ws` (graphql-transport-ws), with the
/// token in the `connection_init` payload.
#[derive(Default)]
pub struct Subscription;

fn hub<'a>(ctx: &'a Context<'_>) -> async_graphql::Result<&'a Arc<Hub>> {
    ctx.data::<Arc<Hub>>()
        .map_err(|_| "subscriptions are served on /graphql/ws".into())
}

fn decode_all(kind: Kind, ids: Option<Vec<ID>>, field: &str) -> async_graphql::Result<Vec<i64>> {
    Ok(ids
        .unwrap_or_default()
        .iter()
        .map(|id| ids::decode(kind, id, field))
        .collect::<Result<_, _>>()?)
}

/// At most this many ids in a filter.
const MAX_FILTER_IDS: usize = 500;

#[Subscription]
impl Subscription {
    /// Every change to a stock level (receipt, adjustment, reservation,
    /// release, shipment), of the products and locations named (each list
    /// optional; both empty: every level), from now on. Each event carries
    /// the level's numbers after the change; changes to one level committed
    /// together or within a few milliseconds may arrive as one event with
    /// the latest numbers. `lowStock` says the available units are below
    /// the product's reorder point.
    #[graphql(guard = "ScopeGuard(Scope::InventoryRead)")]
    async fn stock_changed(
        &self,
        ctx: &Context<'_>,
        product_ids: Option<Vec<ID>>,
        location_ids: Option<Vec<ID>>,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<StockChange>> + use<>> {
        let filter = StockFilter {
            products: decode_all(Kind::Product, product_ids, "productIds")?,
            locations: decode_all(Kind::Location, location_ids, "locationIds")?,
        };
        if filter.products.len() + filter.locations.len() > MAX_FILTER_IDS {
            return Err(crate::error::AppError::bad_field(
                "productIds",
                format!("at most {MAX_FILTER_IDS} ids"),
            )
            .into());
        }
        let hub = hub(ctx)?;
        let admitted = hub.admit(viewer(ctx)?.partner_id(), "stockChanged")?;
        let stream = hub.stock_changes(admitted, filter).await?;
        Ok(stream.map(|e| e.map(StockChange).map_err(Into::into)))
    }

    /// Your orders' events (the operator: every partner's): placed,
    /// acknowledged, each shipment, delivered, cancelled. With `since` (the
    /// `cursor` of an event you received), the events after it are
    /// replayed first, then it goes live: a client that reconnects with
    /// its last cursor misses nothing. A cursor older than the replay
    /// window (7 days by default) is BAD_USER_INPUT.
    #[graphql(guard = "ScopeGuard(Scope::OrdersRead)")]
    async fn order_events(
        &self,
        ctx: &Context<'_>,
        since: Option<String>,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<OrderEventNode>> + use<>>
    {
        let since = since.as_deref().map(Position::from_cursor).transpose()?;
        let viewer = viewer(ctx)?;
        let partner = (!viewer.is_operator()).then(|| viewer.partner_id());
        let hub = hub(ctx)?;
        let admitted = hub.admit(viewer.partner_id(), "orderEvents")?;
        let stream = hub.order_events(admitted, partner, since).await?;
        Ok(stream.map(|e| {
            e.map(|e| OrderEventNode(e.event, Some(e.order)))
                .map_err(Into::into)
        }))
    }

    /// Every catalogue write you may see, from now on (of the products
    /// named, or all): created, updated, submitted, reviewed, discontinued,
    /// an image or a certificate added. A chain sees writes to published
    /// products only; a producer its own too; the operator all. Each event
    /// names the version the write made; the product is read as it is when
    /// the event is sent. After a reconnect, catch up with
    /// `products(filter: { updatedSince })`.
    #[graphql(guard = "ScopeGuard(Scope::CatalogRead)")]
    async fn product_changed(
        &self,
        ctx: &Context<'_>,
        product_ids: Option<Vec<ID>>,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<ProductChanged>> + use<>>
    {
        let wanted = decode_all(Kind::Product, product_ids, "productIds")?;
        if wanted.len() > MAX_FILTER_IDS {
            return Err(crate::error::AppError::bad_field(
                "productIds",
                format!("at most {MAX_FILTER_IDS} ids"),
            )
            .into());
        }
        let viewer = viewer(ctx)?;
        let audience = catalog::Audience::of(viewer);
        let db = crate::graphql::context::db(ctx)?.conn().clone();
        let hub = hub(ctx)?;
        let admitted = hub.admit(viewer.partner_id(), "productChanged")?;
        let stream = hub.product_changes(admitted).await?;
        Ok(stream.filter_map(move |e| {
            let (db, wanted) = (db.clone(), wanted.clone());
            async move {
                let e = match e {
                    Ok(e) => e,
                    Err(err) => return Some(Err(err.into())),
                };
                if !wanted.is_empty() && !wanted.contains(&e.product_id) {
                    return None;
                }
                // What the caller may not see is not sent (nor said to exist).
                match catalog::visible_product(&db, audience, e.product_id).await {
                    Ok(p) => Some(Ok(ProductChanged(e, p))),
                    Err(crate::error::AppError::NotFound(_)) => None,
                    Err(err) => Some(Err(err.into())),
                }
            }
        }))
    }
}

/// A catalogue write.
pub struct ProductChanged(ProductEvent, entity::product::Model);

#[Object]
impl ProductChanged {
    async fn product(&self) -> ProductNode {
        ProductNode(self.1.clone())
    }
    /// What the write did: `create`, `update`, `submit`, `approve`,
    /// `reject`, `discontinue`, `add_image`, `remove_image`, `certificate`.
    async fn action(&self) -> &str {
        &self.0.action
    }
    /// The version the write made.
    async fn version(&self) -> i32 {
        self.0.version
    }
    async fn at(&self) -> DateTime<Utc> {
        self.0.at
    }
}

/// A stock level after a change.
pub struct StockChange(StockEvent);

#[Object]
impl StockChange {
    async fn product(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<ProductNode>> {
        Ok(loader::<ProductLoader>(ctx)?
            .load_one(self.0.product_id)
            .await?
            .map(ProductNode))
    }
    async fn location(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<LocationNode>> {
        Ok(loader::<LocationLoader>(ctx)?
            .load_one(self.0.location_id)
            .await?
            .map(|l| LocationNode(Arc::new(l))))
    }
    async fn on_hand(&self) -> i64 {
        self.0.on_hand
    }
    async fn reserved(&self) -> i64 {
        self.0.reserved
    }
    /// On hand minus reserved.
    async fn available(&self) -> i64 {
        self.0.available()
    }
    /// Below this many available units the level is low: the product's
    /// own reorder point, or the gateway's default.
    async fn reorder_point(&self) -> i64 {
        self.0.reorder_point
    }
    /// `available < reorderPoint`.
    async fn low_stock(&self) -> bool {
        self.0.low()
    }
    /// When the (last) change was made.
    async fn at(&self) -> DateTime<Utc> {
        self.0.at
    }
}
