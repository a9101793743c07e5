pub mod catalog;
pub mod viewer;
