use sea_orm::entity::prelude::*;

/// What one partner pays for one product, from `valid_from` to `valid_to`
/// (open-ended when None), with its quantity rules.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "contract_price")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub partner_id: i64,
    pub product_id: i64,
    pub unit_price_vnd: i64,
    pub minimum_quantity: i32,
    pub quantity_increment: i32,
    pub valid_from: Date,
    pub valid_to: Option<Date>,
    pub actor_partner_id: i64,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
