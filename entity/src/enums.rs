//! Closed sets of values stored as text. The migration adds a CHECK for each,
//! so the database refuses a value the code does not know.

use sea_orm::entity::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum Category {
    #[sea_orm(string_value = "food")]
    Food,
    #[sea_orm(string_value = "beverages")]
    Beverages,
    #[sea_orm(string_value = "herbal_products")]
    HerbalProducts,
    #[sea_orm(string_value = "textiles_garments")]
    TextilesGarments,
    #[sea_orm(string_value = "handicrafts_souvenirs")]
    HandicraftsSouvenirs,
    #[sea_orm(string_value = "rural_tourism")]
    RuralTourism,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum ProductStatus {
    /// Being written by its producer or the hub; seen by them only.
    #[sea_orm(string_value = "draft")]
    Draft,
    /// Submitted, waiting for the operator's review; seen by them only.
    #[sea_orm(string_value = "in_review")]
    InReview,
    #[sea_orm(string_value = "active")]
    Active,
    #[sea_orm(string_value = "discontinued")]
    Discontinued,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum ProducerKind {
    #[sea_orm(string_value = "cooperative")]
    Cooperative,
    #[sea_orm(string_value = "household")]
    Household,
    #[sea_orm(string_value = "enterprise")]
    Enterprise,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum PartnerKind {
    #[sea_orm(string_value = "retail_chain")]
    RetailChain,
    #[sea_orm(string_value = "operator")]
    Operator,
    /// A producer writing its own products (`partner.producer_id`).
    #[sea_orm(string_value = "producer")]
    Producer,
}

/// The unit of a product's net content (`net_content_milli` thousandths).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum NetContentUnit {
    #[sea_orm(string_value = "g")]
    G,
    #[sea_orm(string_value = "kg")]
    Kg,
    #[sea_orm(string_value = "ml")]
    Ml,
    #[sea_orm(string_value = "l")]
    L,
    #[sea_orm(string_value = "piece")]
    Piece,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum ReviewDecision {
    #[sea_orm(string_value = "approve")]
    Approve,
    #[sea_orm(string_value = "reject")]
    Reject,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum PartnerStatus {
    #[sea_orm(string_value = "active")]
    Active,
    #[sea_orm(string_value = "suspended")]
    Suspended,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum OrderStatus {
    #[sea_orm(string_value = "placed")]
    Placed,
    #[sea_orm(string_value = "confirmed")]
    Confirmed,
    #[sea_orm(string_value = "shipped")]
    Shipped,
    #[sea_orm(string_value = "delivered")]
    Delivered,
    #[sea_orm(string_value = "cancelled")]
    Cancelled,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum MovementKind {
    #[sea_orm(string_value = "receipt")]
    Receipt,
    #[sea_orm(string_value = "reservation")]
    Reservation,
    #[sea_orm(string_value = "release")]
    Release,
    #[sea_orm(string_value = "shipment")]
    Shipment,
    #[sea_orm(string_value = "adjustment")]
    Adjustment,
}
