//! Output types. Each wraps a storage model and publishes only the fields an
//! integrator needs, under stable API names.

pub mod connection;
pub mod location;
pub mod order;
pub mod partner;
pub mod product;
pub mod product_label;
pub mod webhook;
