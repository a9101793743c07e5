use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

/// Product images. An uploaded file is stored once, content-addressed by
/// its SHA-256 (`media.id`, 64 hex digits), in the object store; this table
/// keeps what was read from its header. A product's images point at media.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        let pg = db.get_database_backend() == DatabaseBackend::Postgres;
        let (id, timestamp) = if pg {
            ("BIGSERIAL PRIMARY KEY", "TIMESTAMPTZ")
        } else {
            ("INTEGER PRIMARY KEY AUTOINCREMENT", "TEXT")
        };
        db.execute_unprepared(&format!(
            "CREATE TABLE media (
                id TEXT PRIMARY KEY CHECK (length(id) = 64),
                content_type TEXT NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png', 'image/webp')),
                width INTEGER NOT NULL CHECK (width > 0),
                height INTEGER NOT NULL CHECK (height > 0),
                bytes BIGINT NOT NULL CHECK (bytes > 0),
                uploaded_by BIGINT NOT NULL REFERENCES partner (id),
                created_at {timestamp} NOT NULL
            )"
        ))
        .await?;
        db.execute_unprepared(&format!(
            "CREATE TABLE product_image (
                id {id},
                product_id BIGINT NOT NULL REFERENCES product (id),
                media_id TEXT NOT NULL REFERENCES media (id),
                alt TEXT NOT NULL,
                role TEXT NOT NULL CHECK (role IN ('front', 'back', 'label', 'other')),
                created_at {timestamp} NOT NULL,
                UNIQUE (product_id, media_id)
            )"
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        db.execute_unprepared("DROP TABLE product_image").await?;
        db.execute_unprepared("DROP TABLE media").await?;
        Ok(())
    }
}
