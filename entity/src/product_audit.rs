use sea_orm::entity::prelude::*;

/// One write to a product: who, when, what (a JSON object of the fields
/// changed, each `{"from": .., "to": ..}`), and the version it made. Also
/// the outbox of catalogue events, in (`tx`, `id`) order.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "product_audit")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub product_id: i64,
    pub actor_partner_id: i64,
    pub action: String,
    pub changes: String,
    pub version: i32,
    pub created_at: DateTimeUtc,
    #[sea_orm(default_value = 0)]
    pub tx: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
