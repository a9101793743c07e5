use sea_orm::entity::prelude::*;

use crate::enums::{Category, NetContentUnit, ProductStatus, ReviewDecision};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "product")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub sku: String,
    #[sea_orm(unique)]
    pub gtin: Option<String>,
    pub name_vi: String,
    pub name_en: String,
    pub description: String,
    /// Lower-case, diacritic-free text over names, producer and SKU, written
    /// with the row so that search works the same on SQLite and PostgreSQL.
    pub search_text: String,
    pub category: Category,
    pub stars: i16,
    pub certificate_number: String,
    pub certificate_issued_on: Date,
    pub certificate_expires_on: Date,
    #[sea_orm(unique)]
    pub trace_code: String,
    pub unit: String,
    pub pack_size: i32,
    pub wholesale_price_vnd: i64,
    pub min_order_qty: i32,
    pub status: ProductStatus,
    pub producer_id: i64,
    /// Below this many available units at a location, a stock change is
    /// flagged low (`stockChanged.lowStock`); none: the gateway's default.
    pub reorder_point: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// Raised by every write; a write naming an older one is refused.
    pub version: i32,
    /// Net content in thousandths of `net_content_unit` (0.5 L is 500).
    pub net_content_milli: Option<i64>,
    pub net_content_unit: Option<NetContentUnit>,
    pub shelf_life_days: Option<i32>,
    pub ingredients: Option<String>,
    pub storage: Option<String>,
    pub usage_instructions: Option<String>,
    pub warnings: Option<String>,
    pub package_weight_grams: Option<i32>,
    pub review_decision: Option<ReviewDecision>,
    /// The last review's reasons, a JSON array of strings.
    pub review_reasons: Option<String>,
    pub reviewed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::producer::Entity",
        from = "Column::ProducerId",
        to = "super::producer::Column::Id"
    )]
    Producer,
    #[sea_orm(has_many = "super::inventory_level::Entity")]
    InventoryLevel,
}

impl Related<super::producer::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Producer.def()
    }
}

impl Related<super::inventory_level::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::InventoryLevel.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
