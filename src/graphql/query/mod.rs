pub mod catalog;
pub mod orders;
pub mod viewer;
