use sea_orm::entity::prelude::*;

use crate::enums::OrderStatus;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "purchase_order")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub partner_id: i64,
    pub store_id: i64,
    /// Unique per partner: a replay with the same key returns this order.
    pub idempotency_key: String,
    /// Hash of the normalized request body, to tell a replay from a
    /// different order that reuses a key.
    pub request_hash: String,
    pub buyer_reference: String,
    pub requested_delivery_date: Date,
    pub status: OrderStatus,
    pub total_vnd: i64,
    /// Set when the supplier acknowledges the order.
    pub promised_ship_date: Option<Date>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
