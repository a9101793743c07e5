use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

/// The daily rollups the reports read (see `src/domain/rollup.rs`, which
/// writes them and fills them from the existing orders on the first start
/// after this migration).
#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: [(&str, &str, &str); 3] = [
    (
        "sales_rollup",
        "dim TEXT NOT NULL, day TEXT NOT NULL, partner_id BIGINT NOT NULL, k TEXT NOT NULL,
         orders BIGINT NOT NULL, units BIGINT NOT NULL, revenue BIGINT NOT NULL",
        "dim, day, partner_id, k",
    ),
    (
        "level_sales_rollup",
        "day TEXT NOT NULL, product_id BIGINT NOT NULL, location_id BIGINT NOT NULL,
         units BIGINT NOT NULL",
        "day, product_id, location_id",
    ),
    (
        "fulfillment_rollup",
        "day TEXT NOT NULL, partner_id BIGINT NOT NULL,
         confirm_hours BIGINT NOT NULL, deliver_hours BIGINT NOT NULL,
         orders BIGINT NOT NULL, cancelled BIGINT NOT NULL,
         units_ordered BIGINT NOT NULL, units_accepted BIGINT NOT NULL,
         units_shipped BIGINT NOT NULL, units_delivered BIGINT NOT NULL,
         lines BIGINT NOT NULL, lines_filled BIGINT NOT NULL,
         delivered BIGINT NOT NULL, on_time BIGINT NOT NULL",
        "day, partner_id, confirm_hours, deliver_hours",
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        // Clustered by key on SQLite, so a window of days is one range.
        let suffix = match db.get_database_backend() {
            DatabaseBackend::Sqlite => " WITHOUT ROWID",
            _ => "",
        };
        for (name, columns, key) in TABLES {
            db.execute_unprepared(&format!(
                "CREATE TABLE {name} ({columns}, PRIMARY KEY ({key})){suffix}"
            ))
            .await?;
        }
        // A partner's own reports.
        db.execute_unprepared(
            "CREATE INDEX ix_sales_rollup_partner ON sales_rollup (partner_id, dim, day)",
        )
        .await?;
        db.execute_unprepared(
            "CREATE INDEX ix_fulfillment_rollup_partner ON fulfillment_rollup (partner_id, day)",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        for (name, _, _) in TABLES {
            db.execute_unprepared(&format!("DROP TABLE {name}")).await?;
        }
        Ok(())
    }
}
