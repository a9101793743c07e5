use sea_orm::entity::prelude::*;

/// One dispatch of (part of) an order: the EDI 856 / GS1 DESADV.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "shipment")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub order_id: i64,
    pub carrier: String,
    pub tracking_reference: String,
    pub actor_partner_id: i64,
    pub shipped_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
