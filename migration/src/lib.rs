//! Schema migrations. They run identically on SQLite and PostgreSQL: every
//! rule that the domain relies on (uniqueness, foreign keys, CHECKs) lives
//! in the database as well as in the code.

pub use sea_orm_migration::prelude::*;

mod m20261123_000001_init;
mod m20261123_000002_search_index;
mod m20261123_000003_partner_query_cost;
mod m20261123_000004_stock_covering_index;
mod m20261124_000005_b2b_flow;
mod m20261124_000006_report_indexes;
mod m20261125_000007_report_rollups;
mod m20261125_000008_live_events;
mod m20261203_000009_catalogue_writes;
mod m20261203_000010_media;
mod m20261203_000011_listing_rules;
mod m20261203_000012_phone_copies;
mod m20261203_000013_origin_lookups;
mod m20261204_000014_webhooks;
mod m20261206_000015_webhook_queue_order;
mod util;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_init::Migration),
            Box::new(m20261123_000002_search_index::Migration),
            Box::new(m20261123_000003_partner_query_cost::Migration),
            Box::new(m20261123_000004_stock_covering_index::Migration),
            Box::new(m20261124_000005_b2b_flow::Migration),
            Box::new(m20261124_000006_report_indexes::Migration),
            Box::new(m20261125_000007_report_rollups::Migration),
            Box::new(m20261125_000008_live_events::Migration),
            Box::new(m20261203_000009_catalogue_writes::Migration),
            Box::new(m20261203_000010_media::Migration),
            Box::new(m20261203_000011_listing_rules::Migration),
            Box::new(m20261203_000012_phone_copies::Migration),
            Box::new(m20261203_000013_origin_lookups::Migration),
            Box::new(m20261204_000014_webhooks::Migration),
            Box::new(m20261206_000015_webhook_queue_order::Migration),
        ]
    }
}
