use sea_orm_migration::prelude::*;

/// The phone-sized copy of an image, made once at upload (at most 480 px a
/// side, JPEG). NULL when the original is already that small: the original
/// serves phones too.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        for statement in [
            "ALTER TABLE media ADD COLUMN phone_width INTEGER CHECK (phone_width IS NULL OR phone_width > 0)",
            "ALTER TABLE media ADD COLUMN phone_height INTEGER CHECK (phone_height IS NULL OR phone_height > 0)",
        ] {
            db.execute_unprepared(statement).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        for column in ["phone_width", "phone_height"] {
            db.execute_unprepared(&format!("ALTER TABLE media DROP COLUMN {column}"))
                .await?;
        }
        Ok(())
    }
}
