//! The rules and transactions of the gateway, free of GraphQL types.
//! Resolvers parse input, call one function here and map the result.

pub mod catalog;
pub mod clock;
pub mod gtin;
pub mod inventory;
pub mod locations;
pub mod money;
pub mod orders;
pub mod origin;
pub mod pagination;
pub mod partners;
pub mod pricing;
pub mod reports;
pub mod rollup;
pub mod sheet;
pub mod text;
pub mod tokens;
