use sea_orm::entity::prelude::*;

/// An uploaded image, stored once by the SHA-256 of its bytes.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "media")]
pub struct Model {
    /// 64 hex digits: the SHA-256 of the file.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub content_type: String,
    pub width: i32,
    pub height: i32,
    pub bytes: i64,
    pub uploaded_by: i64,
    pub created_at: DateTimeUtc,
    /// The phone copy's size; None when the original is small enough.
    pub phone_width: Option<i32>,
    pub phone_height: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
