//! DataLoaders: nested fields (producer, stock) gather the keys of a whole
//! page and load them in one statement each.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use entity::{
    location, order_allocation, order_event, order_line, partner, producer, product,
    purchase_order, store,
};
use sea_orm::DatabaseConnection;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::auth::Viewer;
use crate::domain::catalog::{self, StockLevel};
use crate::domain::locations::LocationDirectory;
use crate::domain::{orders, partners, pricing};
use crate::error::AppError;
use crate::graphql::context::RequestData;

pub struct StockLoader(DatabaseConnection, Arc<LocationDirectory>);

impl Loader<i64> for StockLoader {
    type Value = Vec<StockLevel>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        catalog::stock_by_product(&self.0, &self.1, keys)
            .await
            .map_err(AppError::into)
    }
}

/// Units available per product, summed in the database.
pub struct AvailableLoader(DatabaseConnection);

impl Loader<i64> for AvailableLoader {
    type Value = i64;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        catalog::available_by_product(&self.0, keys)
            .await
            .map_err(AppError::into)
    }
}

/// A loader of rows by primary key, for entities whose key is `id: i64`.
macro_rules! by_id_loader {
    ($name:ident, $module:ident) => {
        pub struct $name(DatabaseConnection);

        impl Loader<i64> for $name {
            type Value = $module::Model;
            type Error = async_graphql::Error;

            async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
                let rows = $module::Entity::find()
                    .filter($module::Column::Id.is_in(keys.iter().copied()))
                    .all(&self.0)
                    .await
                    .map_err(AppError::from)?;
                Ok(rows.into_iter().map(|m| (m.id, m)).collect())
            }
        }
    };
}

by_id_loader!(ProducerLoader, producer);
by_id_loader!(StoreLoader, store);
by_id_loader!(PartnerLoader, partner);
by_id_loader!(LocationLoader, location);

/// Products by id, whatever their stage (the callers checked visibility).
pub struct ProductLoader(DatabaseConnection);

impl Loader<i64> for ProductLoader {
    type Value = product::Model;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        catalog::products_by_id(&self.0, keys)
            .await
            .map_err(AppError::into)
    }
}

/// The lines of orders the caller reached (its own, or any for the
/// operator).
pub struct OrderLinesLoader(DatabaseConnection, Option<Viewer>);

impl Loader<i64> for OrderLinesLoader {
    type Value = Vec<(order_line::Model, Vec<order_allocation::Model>)>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        orders::lines_by_order(&self.0, self.1.as_ref(), keys)
            .await
            .map_err(AppError::into)
    }
}

pub struct OrderEventsLoader(DatabaseConnection, Option<Viewer>);

impl Loader<i64> for OrderEventsLoader {
    type Value = Vec<order_event::Model>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        orders::events_by_order(&self.0, self.1.as_ref(), keys)
            .await
            .map_err(AppError::into)
    }
}

/// A partner's stores as the caller may see them (`domain::partners`).
pub struct StoresByPartnerLoader(DatabaseConnection, Option<Viewer>);

impl Loader<i64> for StoresByPartnerLoader {
    type Value = Vec<store::Model>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        match &self.1 {
            Some(viewer) => partners::visible_stores(&self.0, viewer, keys)
                .await
                .map_err(AppError::into),
            None => Ok(HashMap::new()),
        }
    }
}

/// Orders by id, as the caller may see them (`domain::orders`): another
/// partner's order is absent. No query without a caller.
pub struct OrderLoader(DatabaseConnection, Option<Viewer>);

impl Loader<i64> for OrderLoader {
    type Value = purchase_order::Model;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        match &self.1 {
            Some(viewer) => orders::orders_for(&self.0, viewer, keys)
                .await
                .map_err(AppError::into),
            None => Ok(HashMap::new()),
        }
    }
}

/// Every certificate of each product, newest first (`domain::catalog`).
pub struct CertificatesLoader(DatabaseConnection);

impl Loader<i64> for CertificatesLoader {
    type Value = Vec<entity::certificate::Model>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        let mut out: HashMap<i64, Self::Value> = HashMap::new();
        for c in catalog::certificates::of_products(&self.0, keys)
            .await
            .map_err(async_graphql::Error::from)?
        {
            out.entry(c.product_id).or_default().push(c);
        }
        Ok(out)
    }
}

/// Each product's images with their stored files, in the order added.
pub struct ImagesLoader(DatabaseConnection);

impl Loader<i64> for ImagesLoader {
    type Value = Vec<(entity::product_image::Model, entity::media::Model)>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        let mut out: HashMap<i64, Self::Value> = HashMap::new();
        for (image, file) in catalog::images::of_products(&self.0, keys)
            .await
            .map_err(async_graphql::Error::from)?
        {
            out.entry(image.product_id).or_default().push((image, file));
        }
        Ok(out)
    }
}

pub struct ShipmentsLoader(DatabaseConnection, Option<Viewer>);

impl Loader<i64> for ShipmentsLoader {
    type Value = Vec<orders::ShipmentView>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        orders::shipments_by_order(&self.0, self.1.as_ref(), keys)
            .await
            .map_err(AppError::into)
    }
}

/// The caller's contract offers per product (`domain::pricing`); a product
/// without one is absent and `Product.offer` falls back to the list price
/// from the product it already holds. No query without a partner.
pub struct OfferLoader(DatabaseConnection, Option<i64>);

impl Loader<i64> for OfferLoader {
    type Value = pricing::Offer;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        match self.1 {
            Some(partner_id) => pricing::contract_offers(&self.0, partner_id, keys)
                .await
                .map_err(AppError::into),
            None => Ok(HashMap::new()),
        }
    }
}

pub struct ProductsByProducerLoader(DatabaseConnection, catalog::Audience);

impl Loader<i64> for ProductsByProducerLoader {
    type Value = Vec<product::Model>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        catalog::products_by_producer(&self.0, self.1, keys)
            .await
            .map_err(AppError::into)
    }
}

/// Loaders cache per request: a connection primes them with the whole
/// page's keys (see `prime_product_page`), and nested fields then hit the cache.
pub use super::context::Cached;

fn cached<T: Loader<i64>>(loader: T, cache: bool) -> Cached<T> {
    // A batch runs on a task of its own, with the request's clock and as
    // part of its answer's reads.
    let spawn = |batch| {
        tokio::spawn(crate::domain::clock::carry(crate::db::changes::carry(
            batch,
        )))
    };
    let loader = DataLoader::with_cache(loader, spawn, HashMapCache::default());
    loader.enable_all_cache(cache);
    loader
}

/// Attaches a fresh set of loaders to one request: their caches must never
/// outlive it, nor be shared between partners.
pub fn attach(
    db: &DatabaseConnection,
    locations: &Arc<LocationDirectory>,
    viewer: Option<Viewer>,
    request: async_graphql::Request,
    cache: bool,
) -> async_graphql::Request {
    let audience = viewer
        .as_ref()
        .map_or(catalog::Audience::Public, catalog::Audience::of);
    request
        .data(cached(
            OfferLoader(db.clone(), viewer.as_ref().map(Viewer::partner_id)),
            cache,
        ))
        .data(cached(ShipmentsLoader(db.clone(), viewer.clone()), cache))
        .data(cached(CertificatesLoader(db.clone()), cache))
        .data(cached(ImagesLoader(db.clone()), cache))
        .data(cached(OrderLoader(db.clone(), viewer.clone()), cache))
        .data(cached(
            StoresByPartnerLoader(db.clone(), viewer.clone()),
            cache,
        ))
        .data(cached(ProducerLoader(db.clone()), cache))
        .data(cached(StockLoader(db.clone(), locations.clone()), cache))
        .data(cached(AvailableLoader(db.clone()), cache))
        .data(cached(
            ProductsByProducerLoader(db.clone(), audience),
            cache,
        ))
        .data(cached(ProductLoader(db.clone()), cache))
        .data(cached(StoreLoader(db.clone()), cache))
        .data(cached(PartnerLoader(db.clone()), cache))
        .data(cached(LocationLoader(db.clone()), cache))
        .data(cached(OrderLinesLoader(db.clone(), viewer.clone()), cache))
        .data(cached(OrderEventsLoader(db.clone(), viewer), cache))
}

/// Where the products a resolver returns sit in its selection.
#[derive(Clone, Copy)]
pub enum Shape {
    /// A connection: `edges { node }` or `nodes`.
    Page,
    /// The field returns the product itself.
    Single,
}

/// Loads, in one statement each, the producers, stock and availability of
/// the products a resolver returns, when the query selects them, and feeds
/// them to the loaders' caches: the nested fields are then served from the
/// caches, a page costs the same number of statements whatever its size,
/// and no loader waits out its batching delay (a timer and a spawned task
/// each). Stock is only loaded for callers allowed to see it.
pub async fn prime_products(
    ctx: &async_graphql::Context<'_>,
    products: &[product::Model],
    shape: Shape,
) -> async_graphql::Result<()> {
    if products.is_empty() {
        return Ok(());
    }
    let look = ctx.look_ahead();
    let selects = |field: &str| match shape {
        Shape::Page => {
            look.field("edges").field("node").field(field).exists()
                || look.field("nodes").field(field).exists()
        }
        Shape::Single => look.field(field).exists(),
    };
    let wants_producer = selects("producer");
    let may_see_stock = super::context::viewer(ctx)?
        .scopes
        .contains(crate::auth::Scope::InventoryRead);
    let wants_stock = may_see_stock && selects("stock");
    let wants_available = may_see_stock && selects("available");
    let ids: Vec<i64> = products.iter().map(|p| p.id).collect();
    let producers = async {
        if wants_producer {
            let keys: Vec<i64> = products.iter().map(|p| p.producer_id).collect();
            prime::<ProducerLoader>(ctx, &keys).await?;
        }
        Ok::<_, async_graphql::Error>(())
    };
    let stock = async {
        if wants_stock {
            prime::<StockLoader>(ctx, &ids).await?;
        }
        Ok::<_, async_graphql::Error>(())
    };
    let available = async {
        if wants_available {
            prime::<AvailableLoader>(ctx, &ids).await?;
        }
        Ok::<_, async_graphql::Error>(())
    };
    futures_util::future::try_join3(producers, stock, available).await?;
    Ok(())
}

/// Loads `keys` now, through the loader's own query, into its cache.
async fn prime<T>(ctx: &async_graphql::Context<'_>, keys: &[i64]) -> async_graphql::Result<()>
where
    T: Loader<i64, Error = async_graphql::Error>,
{
    let loader = super::context::loader::<T>(ctx)?;
    let mut keys = keys.to_vec();
    keys.sort_unstable();
    keys.dedup();
    let values = loader.loader().load(&keys).await?;
    loader.feed_many(values).await;
    Ok(())
}

/// Attaches the per-request state and fresh DataLoaders (their caches must
/// never outlive one request, nor be shared between partners).
pub fn prepare(request: async_graphql::Request, data: RequestData) -> async_graphql::Request {
    let db = data.db.clone();
    let locations = data.locations.clone();
    let viewer = data.viewer.clone();
    attach(&db, &locations, viewer, request.data(data), true)
}

/// As `prepare`, for a subscription: its loaders never cache, as one
/// subscription resolves events for as long as it lives, and each must
/// show the data as it is then.
pub fn prepare_live(request: async_graphql::Request, data: RequestData) -> async_graphql::Request {
    let db = data.db.clone();
    let locations = data.locations.clone();
    let viewer = data.viewer.clone();
    attach(&db, &locations, viewer, request.data(data), false)
}
