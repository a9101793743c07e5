use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

/// On PostgreSQL, a trigram index makes `search` (LIKE '%word%' over the
/// folded search text) an index scan at national scale. pg_trgm ships with
/// PostgreSQL but creating it may need rights the role lacks: then search
/// still works, as a sequential scan.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        if db.get_database_backend() != DatabaseBackend::Postgres {
            return Ok(());
        }
        db.execute_unprepared(
            "DO $$ BEGIN
                 CREATE EXTENSION IF NOT EXISTS pg_trgm;
             EXCEPTION WHEN OTHERS THEN
                 RAISE NOTICE 'pg_trgm unavailable; search will scan';
             END $$;",
        )
        .await?;
        db.execute_unprepared(
            "DO $$ BEGIN
                 IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
                     CREATE INDEX IF NOT EXISTS ix_product_search_trgm
                         ON product USING gin (search_text gin_trgm_ops);
                 END IF;
             END $$;",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        if db.get_database_backend() == DatabaseBackend::Postgres {
            db.execute_unprepared("DROP INDEX IF EXISTS ix_product_search_trgm")
                .await?;
        }
        Ok(())
    }
}
