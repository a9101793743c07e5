pub mod catalog;
pub mod inventory;
pub mod orders;
pub mod partners;
pub mod webhooks;
