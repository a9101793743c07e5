use sea_orm::entity::prelude::*;

/// A partner's webhook receiver. Times are Unix milliseconds.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_endpoint")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub partner_id: i64,
    pub url: String,
    pub description: String,
    /// Comma-separated topic names (`ORDER_EVENTS,STOCK_CHANGED`).
    pub topics: String,
    pub enabled: bool,
    /// Why it was disabled, when the gateway did it (410, failing too long).
    pub disabled_reason: Option<String>,
    /// The signing secret, sealed (never stored in clear).
    pub secret_sealed: String,
    /// The secret before the last rotation, still signing until
    /// `previous_until_ms`.
    pub previous_sealed: Option<String>,
    pub previous_until_ms: Option<i64>,
    /// The first failed attempt since the last success.
    pub failing_since_ms: Option<i64>,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::partner::Entity",
        from = "Column::PartnerId",
        to = "super::partner::Column::Id"
    )]
    Partner,
}

impl Related<super::partner::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Partner.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
