use sea_orm::entity::prelude::*;

/// An OCOP certificate of a product; a renewal adds one. The product's own
/// certificate columns mirror the latest.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "certificate")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub product_id: i64,
    pub number: String,
    pub stars: i16,
    pub issued_on: Date,
    pub expires_on: Date,
    pub recorded_by: i64,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
