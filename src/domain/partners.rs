use entity::{location, store};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};

use crate::error::AppResult;

pub async fn stores_of(db: &DatabaseConnection, partner_id: i64) -> AppResult<Vec<store::Model>> {
    Ok(store::Entity::find()
        .filter(store::Column::PartnerId.eq(partner_id))
        .order_by_asc(store::Column::Code)
        .all(db)
        .await?)
}

pub async fn locations(db: &DatabaseConnection) -> AppResult<Vec<location::Model>> {
    Ok(location::Entity::find()
        .order_by_asc(location::Column::Code)
        .all(db)
        .await?)
}
