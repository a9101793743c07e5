//! DataLoaders: nested fields (producer, stock) gather the keys of a whole
//! page and load them in one statement each.

use std::collections::HashMap;

use async_graphql::dataloader::{DataLoader, Loader};
use entity::producer;
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

pub struct Loaders {
    producer: DataLoader<ProducerLoader>,
    stock: DataLoader<StockLoader>,
}

impl Loaders {
    pub fn new(db: &DatabaseConnection) -> Self {
        Self {
            producer: DataLoader::new(ProducerLoader(db.clone()), tokio::spawn),
            stock: DataLoader::new(StockLoader(db.clone()), tokio::spawn),
        }
    }

    pub fn attach(self, request: async_graphql::Request) -> async_graphql::Request {
        request.data(self.producer).data(self.stock)
    }
}
