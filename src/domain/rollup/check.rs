//! Rebuilding the rollups from the orders (seeds, the first start after
//! their migration) and checking them against the orders
//! (`ocop-gateway check`), with the same statements the live path uses.

use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, Statement, TransactionTrait};

use super::definition::{Filter, Kind, TABLES, Table};
use crate::error::AppResult;

fn columns(table: &Table) -> String {
    table
        .keys
        .iter()
        .map(|(k, _)| *k)
        .chain(table.counters.iter().copied())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Recomputes every rollup from the orders (call inside a transaction).
pub async fn rebuild(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    for table in TABLES {
        db.execute_unprepared(&format!("DELETE FROM {}", table.name))
            .await?;
        let sql = format!(
            "INSERT INTO {t} ({cols}) SELECT {cols} FROM ({select}) x",
            t = table.name,
            cols = columns(table),
            select = (table.select)(backend, &Filter::All),
        );
        db.execute_unprepared(&sql).await?;
    }
    Ok(())
}

/// Builds the rollups of a database whose orders predate them (the first
/// start after the migration that added them). Returns whether it did.
pub async fn backfill_if_missing(db: &DatabaseConnection) -> Result<bool, DbErr> {
    let backend = db.get_database_backend();
    let has = |sql: &'static str| async move {
        Ok::<bool, DbErr>(
            db.query_one_raw(Statement::from_string(backend, sql))
                .await?
                .is_some(),
        )
    };
    if has("SELECT 1 FROM fulfillment_rollup LIMIT 1").await?
        || !has("SELECT 1 FROM purchase_order LIMIT 1").await?
    {
        return Ok(false);
    }
    let txn = db.begin().await?;
    rebuild(&txn).await?;
    txn.commit().await?;
    Ok(true)
}

/// One rollup row that disagrees with the orders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RollupMismatch {
    pub table: &'static str,
    /// The row's key columns and counters, as stored or as recomputed.
    pub row: String,
    /// `stored` (in the table, not in the orders) or `expected`.
    pub side: &'static str,
}

/// Recomputes every rollup from the orders and compares, in SQL (rows
/// whose counters are all zero are the same as no row).
pub async fn verify(db: &impl ConnectionTrait) -> AppResult<Vec<RollupMismatch>> {
    let backend = db.get_database_backend();
    let mut out = Vec::new();
    for table in TABLES {
        let cols = columns(table);
        let nonzero = table
            .counters
            .iter()
            .map(|c| format!("{c} <> 0"))
            .collect::<Vec<_>>()
            .join(" OR ");
        let stored = format!("SELECT {cols} FROM {} WHERE {nonzero}", table.name);
        let expected = format!(
            "SELECT {cols} FROM ({}) x WHERE {nonzero}",
            (table.select)(backend, &Filter::All)
        );
        for (side, a, b) in [
            ("stored", &stored, &expected),
            ("expected", &expected, &stored),
        ] {
            let sql = format!("SELECT * FROM ({a} EXCEPT {b}) d LIMIT 20");
            for row in db
                .query_all_raw(Statement::from_string(backend, sql))
                .await?
            {
                let mut parts = Vec::new();
                for (name, kind) in table.keys {
                    parts.push(match kind {
                        Kind::Int => row.try_get::<i64>("", name)?.to_string(),
                        Kind::Text => row.try_get::<String>("", name)?,
                    });
                }
                for name in table.counters {
                    parts.push(format!("{name}={}", row.try_get::<i64>("", name)?));
                }
                out.push(RollupMismatch {
                    table: table.name,
                    row: parts.join(" "),
                    side,
                });
            }
        }
    }
    Ok(out)
}
