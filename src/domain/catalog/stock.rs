//! Stock as the catalogue reads it: each product's levels by location,
//! and the sum available over a page of products, each read naming the
//! products' stock keys (a receipt retires only those answers).

use std::collections::HashMap;
use std::sync::Arc;

use entity::{inventory_level, location};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect};

use crate::db::changes::{self, Key, Table};
use crate::domain::locations::LocationDirectory;
use crate::error::AppResult;

/// What a read of these products' stock levels depends on.
fn stock_keys(product_ids: &[i64]) -> impl Iterator<Item = Key> + '_ {
    product_ids.iter().map(|id| Key::Stock(*id))
}

/// Stock of one product at one location, with the location.
#[derive(Clone, Debug)]
pub struct StockLevel {
    pub location: Arc<location::Model>,
    pub on_hand: i64,
    pub reserved: i64,
}

impl StockLevel {
    pub fn available(&self) -> i64 {
        crate::domain::inventory::available(self.on_hand, self.reserved)
    }
}

/// Stock per location for many products in one statement, ordered by
/// location code. Only the level's numbers are read; locations come from
/// the in-memory directory.
pub async fn stock_by_product(
    db: &DatabaseConnection,
    locations: &LocationDirectory,
    product_ids: &[i64],
) -> AppResult<HashMap<i64, Vec<StockLevel>>> {
    let query = inventory_level::Entity::find()
        .select_only()
        .columns([
            inventory_level::Column::ProductId,
            inventory_level::Column::LocationId,
            inventory_level::Column::OnHand,
            inventory_level::Column::Reserved,
        ])
        .filter(inventory_level::Column::ProductId.is_in(product_ids.iter().copied()))
        .into_tuple();
    let rows: Vec<(i64, i64, i64, i64)> = changes::reading(
        &[Table::INVENTORY_LEVEL],
        stock_keys(product_ids),
        query.all(db),
    )
    .await?;
    let directory = locations
        .covering(db, rows.iter().map(|(_, location_id, _, _)| *location_id))
        .await?;
    let mut out: HashMap<i64, Vec<StockLevel>> = HashMap::new();
    for (product_id, location_id, on_hand, reserved) in rows {
        if let Some(location) = directory.get(&location_id) {
            out.entry(product_id).or_default().push(StockLevel {
                location: location.clone(),
                on_hand,
                reserved,
            });
        }
    }
    for levels in out.values_mut() {
        levels.sort_by(|a, b| a.location.code.cmp(&b.location.code));
    }
    Ok(out)
}

/// Units available (on hand less reserved, over all locations) for many
/// products in one aggregate statement: what a catalogue page needs without
/// reading every location's row.
pub async fn available_by_product(
    db: &DatabaseConnection,
    product_ids: &[i64],
) -> AppResult<HashMap<i64, i64>> {
    let available = Expr::col(inventory_level::Column::OnHand)
        .sub(Expr::col(inventory_level::Column::Reserved))
        .sum()
        .cast_as("BIGINT");
    let query = inventory_level::Entity::find()
        .select_only()
        .column(inventory_level::Column::ProductId)
        .expr(available)
        .filter(inventory_level::Column::ProductId.is_in(product_ids.iter().copied()))
        .group_by(inventory_level::Column::ProductId)
        .into_tuple();
    let rows: Vec<(i64, Option<i64>)> = changes::reading(
        &[Table::INVENTORY_LEVEL],
        stock_keys(product_ids),
        query.all(db),
    )
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, available)| (id, available.unwrap_or(0)))
        .collect())
}
