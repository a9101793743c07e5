use sea_orm::entity::prelude::*;

use crate::enums::{PartnerKind, PartnerStatus};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "partner")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub code: String,
    pub name: String,
    pub kind: PartnerKind,
    pub status: PartnerStatus,
    /// Space-separated scopes this partner may ever hold; a token's scopes
    /// are intersected with these.
    pub allowed_scopes: String,
    /// Requests per second this partner may make (per replica); None takes
    /// the gateway's default.
    pub rate_limit_rps: Option<i32>,
    /// Query cost (async-graphql complexity) per second this partner may
    /// spend (per replica); None takes the gateway's default.
    pub query_cost_per_sec: Option<i32>,
    pub created_at: DateTimeUtc,
    /// Tokens issued (`iat`) at or before this instant are refused.
    pub tokens_valid_after: Option<DateTimeUtc>,
    /// The producer a PRODUCER partner writes for.
    pub producer_id: Option<i64>,
    /// A chain's listing rules: required fields (a JSON array of
    /// createProduct field names), images and shelf life at least.
    pub listing_required_fields: Option<String>,
    pub listing_min_images: Option<i32>,
    pub listing_min_shelf_life_days: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::store::Entity")]
    Store,
}

impl Related<super::store::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Store.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
