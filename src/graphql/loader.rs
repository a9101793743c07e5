//! DataLoaders: nested fields (producer, stock) gather the keys of a whole
//! page and load them in one statement each.

use std::collections::HashMap;

use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use entity::{producer, product};
use sea_orm::DatabaseConnection;

use crate::domain::catalog::{self, StockLevel};
use crate::error::AppError;

pub struct ProducerLoader(DatabaseConnection);
pub struct StockLoader(DatabaseConnection);

impl Loader<i64> for ProducerLoader {
    type Value = producer::Model;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        catalog::producers_by_id(&self.0, keys)
            .await
            .map_err(AppError::into)
    }
}

impl Loader<i64> for StockLoader {
    type Value = Vec<StockLevel>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        catalog::stock_by_product(&self.0, keys)
            .await
            .map_err(AppError::into)
    }
}

pub struct ProductsByProducerLoader(DatabaseConnection);

impl Loader<i64> for ProductsByProducerLoader {
    type Value = Vec<product::Model>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        catalog::products_by_producer(&self.0, keys)
            .await
            .map_err(AppError::into)
    }
}

/// Loaders cache per request: a connection primes them with the whole
/// page's keys (see `prime_product_page`), and nested fields then hit the cache.
pub type Cached<T> = DataLoader<T, HashMapCache>;

pub struct Loaders {
    producer: Cached<ProducerLoader>,
    stock: Cached<StockLoader>,
    products_by_producer: Cached<ProductsByProducerLoader>,
}

impl Loaders {
    pub fn new(db: &DatabaseConnection) -> Self {
        Self {
            producer: DataLoader::with_cache(
                ProducerLoader(db.clone()),
                tokio::spawn,
                HashMapCache::default(),
            ),
            stock: DataLoader::with_cache(
                StockLoader(db.clone()),
                tokio::spawn,
                HashMapCache::default(),
            ),
            products_by_producer: DataLoader::with_cache(
                ProductsByProducerLoader(db.clone()),
                tokio::spawn,
                HashMapCache::default(),
            ),
        }
    }

    pub fn attach(self, request: async_graphql::Request) -> async_graphql::Request {
        request
            .data(self.producer)
            .data(self.stock)
            .data(self.products_by_producer)
    }
}

/// Loads, in one statement each, the producers and stock of a whole page of
/// products when the query selects them, so the nested fields are served
/// from the loaders' caches: a page costs the same number of statements
/// whatever its size. Stock is only loaded for callers allowed to see it.
pub async fn prime_product_page(
    ctx: &async_graphql::Context<'_>,
    products: &[product::Model],
) -> async_graphql::Result<()> {
    if products.is_empty() {
        return Ok(());
    }
    let look = ctx.look_ahead();
    let selects = |field: &str| {
        look.field("edges").field("node").field(field).exists()
            || look.field("nodes").field(field).exists()
    };
    let wants_producer = selects("producer");
    let may_see_stock = super::viewer(ctx)?
        .scopes
        .contains(crate::auth::Scope::InventoryRead);
    let wants_stock = may_see_stock && (selects("stock") || selects("available"));
    let producers = async {
        if wants_producer {
            let ids: Vec<i64> = products.iter().map(|p| p.producer_id).collect();
            super::loader::<ProducerLoader>(ctx)?.load_many(ids).await?;
        }
        Ok::<_, async_graphql::Error>(())
    };
    let stock = async {
        if wants_stock {
            let ids: Vec<i64> = products.iter().map(|p| p.id).collect();
            super::loader::<StockLoader>(ctx)?.load_many(ids).await?;
        }
        Ok::<_, async_graphql::Error>(())
    };
    futures_util::future::try_join(producers, stock).await?;
    Ok(())
}
