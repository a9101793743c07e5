use sea_orm_migration::prelude::*;

use crate::util::index;

/// Reports read orders by creation time across every partner (the
/// operator's dashboards); partners' own reports use the existing
/// (partner_id, created_at) index.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(index(
            "ix_order_created",
            "purchase_order",
            &["created_at", "id"],
        ))
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("ix_order_created")
                .table("purchase_order")
                .to_owned(),
        )
        .await
    }
}
