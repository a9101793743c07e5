//! SeaORM entities of the gateway's database. These are storage types only:
//! the GraphQL API never exposes them directly (see `src/graphql/object`).

pub mod certificate;
pub mod contract_price;
pub mod contract_price_break;
pub mod enums;
pub mod inventory_level;
pub mod location;
pub mod media;
pub mod order_allocation;
pub mod order_event;
pub mod order_line;
pub mod partner;
pub mod partner_audit;
pub mod producer;
pub mod product;
pub mod product_audit;
pub mod product_image;
pub mod purchase_order;
pub mod shipment;
pub mod shipment_line;
pub mod shipment_package;
pub mod stock_movement;
pub mod store;
pub mod webhook_delivery;
pub mod webhook_endpoint;
