use sea_orm::entity::prelude::*;

/// Units of one order line in one package, with their lot.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "shipment_line")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub package_id: i64,
    pub shipment_id: i64,
    pub order_line_id: i64,
    pub quantity: i64,
    pub lot_number: Option<String>,
    pub expiry_date: Option<Date>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
