use sea_orm::entity::prelude::*;

use crate::enums::ProducerKind;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "producer")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub code: String,
    pub name: String,
    pub kind: ProducerKind,
    pub commune: String,
    pub district: String,
    pub province: String,
    /// `province` folded (lower case, no diacritics), for filtering.
    pub province_key: String,
    /// `district` folded, for filtering.
    pub district_key: String,
    pub created_at: DateTimeUtc,
    /// Street address, as printed on the label.
    pub address: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::product::Entity")]
    Product,
}

impl Related<super::product::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Product.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
