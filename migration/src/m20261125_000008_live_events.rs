use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

/// Live events read the order events and the stock ledger as an outbox.
///
/// On PostgreSQL, ids are handed out when rows are inserted, not when they
/// commit: a reader at id 101 could skip an id 100 that commits a moment
/// later. Each row therefore records its transaction id (`tx`), and
/// readers take only rows of transactions older than every transaction
/// still running (`pg_snapshot_xmin`), in (tx, id) order: nothing can then
/// appear behind a reader's cursor. SQLite has one writer at a time, so
/// ids follow commits and `tx` stays 0.
///
/// `product.reorder_point`: below it, a stock change is flagged low.
#[derive(DeriveMigrationName)]
pub struct Migration;

const OUTBOXES: [&str; 2] = ["order_event", "stock_movement"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        let default = match db.get_database_backend() {
            DatabaseBackend::Postgres => "(pg_current_xact_id()::text::bigint)",
            _ => "0",
        };
        for table in OUTBOXES {
            db.execute_unprepared(&format!(
                "ALTER TABLE {table} ADD COLUMN tx BIGINT NOT NULL DEFAULT {default}"
            ))
            .await?;
            db.execute_unprepared(&format!("CREATE INDEX ix_{table}_tx ON {table} (tx, id)"))
                .await?;
        }
        db.execute_unprepared("ALTER TABLE product ADD COLUMN reorder_point BIGINT")
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        for table in OUTBOXES {
            db.execute_unprepared(&format!("DROP INDEX ix_{table}_tx"))
                .await?;
            db.execute_unprepared(&format!("ALTER TABLE {table} DROP COLUMN tx"))
                .await?;
        }
        db.execute_unprepared("ALTER TABLE product DROP COLUMN reorder_point")
            .await?;
        Ok(())
    }
}
