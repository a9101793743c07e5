//! Catalogue reads: product pages, lookups and the batched loads that keep
//! nested fields free of N+1 queries.

use std::collections::HashMap;

use entity::{inventory_level, location, producer, product};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use crate::error::AppResult;

/// One page of products in id order, and whether more follow.
pub struct ProductPage {
    pub products: Vec<product::Model>,
    pub has_next_page: bool,
}

pub async fn product_page(
    db: &DatabaseConnection,
    after_id: Option<i64>,
    first: u64,
) -> AppResult<ProductPage> {
    let mut query = product::Entity::find().order_by_asc(product::Column::Id);
    if let Some(after) = after_id {
        query = query.filter(product::Column::Id.gt(after));
    }
    let mut products = query.limit(first + 1).all(db).await?;
    let has_next_page = products.len() as u64 > first;
    products.truncate(first as usize);
    Ok(ProductPage {
        products,
        has_next_page,
    })
}

pub async fn product_count(db: &DatabaseConnection) -> AppResult<u64> {
    Ok(product::Entity::find().count(db).await?)
}

pub async fn producers_by_id(
    db: &DatabaseConnection,
    ids: &[i64],
) -> AppResult<HashMap<i64, producer::Model>> {
    Ok(producer::Entity::find()
        .filter(producer::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect())
}

/// Stock of one product at one location, with the location.
#[derive(Clone, Debug)]
pub struct StockLevel {
    pub location: location::Model,
    pub on_hand: i64,
    pub reserved: i64,
}

impl StockLevel {
    pub fn available(&self) -> i64 {
        self.on_hand - self.reserved
    }
}

/// Stock per location for many products in one statement.
pub async fn stock_by_product(
    db: &DatabaseConnection,
    product_ids: &[i64],
) -> AppResult<HashMap<i64, Vec<StockLevel>>> {
    let rows = inventory_level::Entity::find()
        .filter(inventory_level::Column::ProductId.is_in(product_ids.iter().copied()))
        .find_also_related(location::Entity)
        .order_by_asc(inventory_level::Column::ProductId)
        .order_by_asc(location::Column::Code)
        .all(db)
        .await?;
    let mut out: HashMap<i64, Vec<StockLevel>> = HashMap::new();
    for (level, location) in rows {
        if let Some(location) = location {
            out.entry(level.product_id).or_default().push(StockLevel {
                location,
                on_hand: level.on_hand,
                reserved: level.reserved,
            });
        }
    }
    Ok(out)
}
