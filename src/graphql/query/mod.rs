pub mod catalog;
pub mod node;
pub mod orders;
pub mod partners;
pub mod reports;
pub mod viewer;
pub mod webhooks;
