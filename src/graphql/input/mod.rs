//! Input types: parsed into domain values before any domain call.

pub mod catalog;
pub mod fulfilment;
pub mod order;
pub mod partner;
pub mod product;
