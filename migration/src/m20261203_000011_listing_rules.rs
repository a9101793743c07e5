use sea_orm_migration::prelude::*;

/// A chain's own listing rules, on top of the label law: fields it
/// requires, a minimum number of images, a minimum shelf life.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        for statement in [
            // A JSON array of createProduct field names.
            "ALTER TABLE partner ADD COLUMN listing_required_fields TEXT",
            "ALTER TABLE partner ADD COLUMN listing_min_images INTEGER \
             CHECK (listing_min_images IS NULL OR listing_min_images BETWEEN 0 AND 10)",
            "ALTER TABLE partner ADD COLUMN listing_min_shelf_life_days INTEGER \
             CHECK (listing_min_shelf_life_days IS NULL OR listing_min_shelf_life_days > 0)",
        ] {
            db.execute_unprepared(statement).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        for column in [
            "listing_required_fields",
            "listing_min_images",
            "listing_min_shelf_life_days",
        ] {
            db.execute_unprepared(&format!("ALTER TABLE partner DROP COLUMN {column}"))
                .await?;
        }
        Ok(())
    }
}
