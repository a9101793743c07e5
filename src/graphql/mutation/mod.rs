pub mod inventory;
pub mod orders;
