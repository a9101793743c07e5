use sea_orm::entity::prelude::*;

/// Where a line's quantity is reserved: one row per location it draws from.
/// `quantity` is what was reserved there at placement; `released` what was
/// given back since (not accepted, or cancelled); `shipped` what has left.
/// Still reserved: `quantity - released - shipped`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "order_allocation")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub order_line_id: i64,
    pub order_id: i64,
    pub product_id: i64,
    pub location_id: i64,
    pub quantity: i64,
    pub shipped: i64,
    pub released: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
