use sea_orm::entity::prelude::*;

use crate::enums::OrderStatus;

/// One row per lifecycle transition: the order's status history.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "order_event")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub order_id: i64,
    pub from_status: Option<OrderStatus>,
    pub to_status: OrderStatus,
    pub actor_partner_id: i64,
    pub reason: Option<String>,
    pub created_at: DateTimeUtc,
    /// The writing transaction (PostgreSQL; 0 on SQLite): live events read
    /// in (tx, id) order. Set by the database.
    pub tx: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
