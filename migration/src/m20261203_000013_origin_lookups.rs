use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

/// What the origin page looks up: one item under every GTIN form (a GTIN-13
/// and its zero-padded GTIN-14 are the same item, so they may not name two
/// products), and the lots shipped of a product.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        let gtin14 = match db.get_database_backend() {
            DatabaseBackend::Postgres => "lpad(gtin, 14, '0')",
            _ => "substr('00000000000000' || gtin, -14, 14)",
        };
        db.execute_unprepared(&format!(
            "CREATE UNIQUE INDEX product_by_gtin14 ON product (({gtin14})) WHERE gtin IS NOT NULL"
        ))
        .await?;
        db.execute_unprepared(
            "CREATE INDEX shipment_line_by_lot ON shipment_line (lot_number) WHERE lot_number IS NOT NULL",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        for index in ["product_by_gtin14", "shipment_line_by_lot"] {
            db.execute_unprepared(&format!("DROP INDEX {index}"))
                .await?;
        }
        Ok(())
    }
}
