use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "order_line")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub order_id: i64,
    pub line_no: i32,
    pub product_id: i64,
    pub quantity: i64,
    /// Price captured when the order was placed; later price changes do not
    /// touch it.
    pub unit_price_vnd: i64,
    pub line_total_vnd: i64,
    /// None until the order is acknowledged; then what the supplier
    /// accepted (0: rejected).
    pub accepted_quantity: Option<i64>,
    pub shipped_quantity: i64,
    /// None until delivery; what the store received.
    pub delivered_quantity: Option<i64>,
    pub rejection_reason: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
