use sea_orm_migration::prelude::*;

/// Each partner may get its own query-cost budget, beside its request rate.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Partner {
    Table,
    QueryCostPerSec,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Partner::Table)
                .add_column(
                    ColumnDef::new(Partner::QueryCostPerSec)
                        .integer()
                        .null()
                        .check(Expr::cust(
                            "query_cost_per_sec IS NULL OR query_cost_per_sec > 0",
                        )),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Partner::Table)
                .drop_column(Partner::QueryCostPerSec)
                .to_owned(),
        )
        .await
    }
}
