//! Partners, their ship-to stores, and who may see which.

use std::collections::HashMap;

use entity::{location, store};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};

use crate::auth::Viewer;
use crate::error::AppResult;

/// A partner's stores are seen by the partner itself and by the operator;
/// to anyone else the list is empty.
pub fn may_see_stores_of(viewer: &Viewer, partner_id: i64) -> bool {
    viewer.partner_id() == partner_id || viewer.is_operator()
}

/// The stores of each of `partner_ids` that `viewer` may see, ordered by
/// code, in one statement for the whole set.
pub async fn visible_stores(
    db: &DatabaseConnection,
    viewer: &Viewer,
    partner_ids: &[i64],
) -> AppResult<HashMap<i64, Vec<store::Model>>> {
    let visible: Vec<i64> = partner_ids
        .iter()
        .copied()
        .filter(|id| may_see_stores_of(viewer, *id))
        .collect();
    let mut out: HashMap<i64, Vec<store::Model>> =
        partner_ids.iter().map(|id| (*id, Vec::new())).collect();
    if visible.is_empty() {
        return Ok(out);
    }
    for s in store::Entity::find()
        .filter(store::Column::PartnerId.is_in(visible))
        .order_by_asc(store::Column::PartnerId)
        .order_by_asc(store::Column::Code)
        .all(db)
        .await?
    {
        out.entry(s.partner_id).or_default().push(s);
    }
    Ok(out)
}

pub async fn locations(db: &DatabaseConnection) -> AppResult<Vec<location::Model>> {
    Ok(location::Entity::find()
        .order_by_asc(location::Column::Code)
        .all(db)
        .await?)
}
