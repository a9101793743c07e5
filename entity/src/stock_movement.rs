use sea_orm::entity::prelude::*;

use crate::enums::MovementKind;

/// The ledger: every change of on-hand or reserved is one row, so levels can
/// always be rebuilt by summing the deltas.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "stock_movement")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub product_id: i64,
    pub location_id: i64,
    pub kind: MovementKind,
    pub on_hand_delta: i64,
    pub reserved_delta: i64,
    pub order_id: Option<i64>,
    pub reason: Option<String>,
    pub actor_partner_id: Option<i64>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
