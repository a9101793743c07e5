use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{DatabaseBackend, Statement};

use crate::util::index;

/// The catalogue kept by its producers and the hub:
/// - partners gain the kind `producer`, tied to one producer;
/// - products gain a version (optimistic concurrency), the label content
///   Vietnamese law requires, the review stages `draft` and `in_review`,
///   and the last review's decision;
/// - every certificate is kept (`certificate`); the product's own
///   certificate columns remain the latest one, as every read uses them;
/// - every catalogue write leaves an audit row (`product_audit`), which is
///   also the outbox of catalogue events (`tx`, as for the other outboxes).
#[derive(DeriveMigrationName)]
pub struct Migration;

/// Widens a table's CHECK that a column is one of a list. SQLite cannot
/// alter a constraint: its documented way for a change that leaves every
/// stored row valid is to edit the table's schema text (writable_schema)
/// and bump the schema version, in one statement batch on one connection.
/// PostgreSQL drops the old constraint and adds the wider one.
async fn widen_check(
    m: &SchemaManager<'_>,
    table: &str,
    column: &str,
    old: &[&str],
    new: &[&str],
) -> Result<(), DbErr> {
    let list = |values: &[&str]| {
        values
            .iter()
            .map(|v| format!("'{v}'"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let (old_sql, new_sql) = (
        format!("{column} IN ({})", list(old)),
        format!("{column} IN ({})", list(new)),
    );
    let db = m.get_connection();
    match db.get_database_backend() {
        DatabaseBackend::Postgres => {
            let row = db
                .query_one_raw(Statement::from_string(
                    DatabaseBackend::Postgres,
                    format!(
                        "SELECT conname FROM pg_constraint WHERE conrelid = '{table}'::regclass \
                         AND contype = 'c' AND pg_get_constraintdef(oid) LIKE '%{column}%{}%'",
                        old.last().copied().unwrap_or_default()
                    ),
                ))
                .await?
                .ok_or_else(|| DbErr::Migration(format!("no CHECK on {table}.{column}")))?;
            let name: String = row.try_get("", "conname")?;
            db.execute_unprepared(&format!(
                "ALTER TABLE {table} DROP CONSTRAINT \"{name}\"; \
                 ALTER TABLE {table} ADD CONSTRAINT ck_{table}_{column} CHECK ({new_sql})"
            ))
            .await?;
        }
        _ => {
            let row = db
                .query_one_raw(Statement::from_string(
                    DatabaseBackend::Sqlite,
                    "PRAGMA schema_version".to_owned(),
                ))
                .await?
                .ok_or_else(|| DbErr::Migration("no schema version".into()))?;
            let version: i64 = row.try_get_by_index(0)?;
            let quote = |s: &str| s.replace('\'', "''");
            db.execute_unprepared(&format!(
                "PRAGMA writable_schema = ON; \
                 UPDATE sqlite_schema SET sql = replace(sql, '{}', '{}') \
                 WHERE type = 'table' AND name = '{table}'; \
                 PRAGMA writable_schema = OFF; \
                 PRAGMA schema_version = {};",
                quote(&old_sql),
                quote(&new_sql),
                version + 1
            ))
            .await?;
            let changed = db
                .query_one_raw(Statement::from_string(
                    DatabaseBackend::Sqlite,
                    format!(
                        "SELECT 1 FROM sqlite_schema WHERE name = '{table}' AND instr(sql, '{}') > 0",
                        quote(&new_sql)
                    ),
                ))
                .await?;
            if changed.is_none() {
                return Err(DbErr::Migration(format!(
                    "the CHECK on {table}.{column} was not widened"
                )));
            }
        }
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        let pg = db.get_database_backend() == DatabaseBackend::Postgres;
        widen_check(
            m,
            "partner",
            "kind",
            &["retail_chain", "operator"],
            &["retail_chain", "operator", "producer"],
        )
        .await?;
        widen_check(
            m,
            "product",
            "status",
            &["active", "discontinued"],
            &["draft", "in_review", "active", "discontinued"],
        )
        .await?;
        let timestamp = if pg { "TIMESTAMPTZ" } else { "TEXT" };
        for statement in [
            "ALTER TABLE partner ADD COLUMN producer_id BIGINT REFERENCES producer (id)".to_owned(),
            "ALTER TABLE producer ADD COLUMN address TEXT NOT NULL DEFAULT ''".to_owned(),
            "ALTER TABLE product ADD COLUMN version INTEGER NOT NULL DEFAULT 1".to_owned(),
            // Net content in thousandths of its unit (0.5 L is 500): exact.
            "ALTER TABLE product ADD COLUMN net_content_milli BIGINT \
             CHECK (net_content_milli IS NULL OR net_content_milli > 0)"
                .to_owned(),
            "ALTER TABLE product ADD COLUMN net_content_unit TEXT \
             CHECK (net_content_unit IS NULL OR net_content_unit IN ('g', 'kg', 'ml', 'l', 'piece'))"
                .to_owned(),
            "ALTER TABLE product ADD COLUMN shelf_life_days INTEGER \
             CHECK (shelf_life_days IS NULL OR shelf_life_days > 0)"
                .to_owned(),
            "ALTER TABLE product ADD COLUMN ingredients TEXT".to_owned(),
            "ALTER TABLE product ADD COLUMN storage TEXT".to_owned(),
            "ALTER TABLE product ADD COLUMN usage_instructions TEXT".to_owned(),
            "ALTER TABLE product ADD COLUMN warnings TEXT".to_owned(),
            "ALTER TABLE product ADD COLUMN package_weight_grams INTEGER \
             CHECK (package_weight_grams IS NULL OR package_weight_grams > 0)"
                .to_owned(),
            "ALTER TABLE product ADD COLUMN review_decision TEXT \
             CHECK (review_decision IS NULL OR review_decision IN ('approve', 'reject'))"
                .to_owned(),
            "ALTER TABLE product ADD COLUMN review_reasons TEXT".to_owned(),
            format!("ALTER TABLE product ADD COLUMN reviewed_at {timestamp}"),
        ] {
            db.execute_unprepared(&statement).await?;
        }
        let id = if pg {
            "BIGSERIAL PRIMARY KEY"
        } else {
            "INTEGER PRIMARY KEY AUTOINCREMENT"
        };
        let tx_default = if pg {
            "(pg_current_xact_id()::text::bigint)"
        } else {
            "0"
        };
        db.execute_unprepared(&format!(
            "CREATE TABLE certificate (
                id {id},
                product_id BIGINT NOT NULL REFERENCES product (id),
                number TEXT NOT NULL,
                stars SMALLINT NOT NULL CHECK (stars BETWEEN 3 AND 5),
                issued_on DATE NOT NULL,
                expires_on DATE NOT NULL,
                recorded_by BIGINT NOT NULL REFERENCES partner (id),
                created_at {timestamp} NOT NULL,
                CHECK (expires_on > issued_on)
            )"
        ))
        .await?;
        m.create_index(index(
            "ix_certificate_product",
            "certificate",
            &["product_id", "issued_on"],
        ))
        .await?;
        db.execute_unprepared(&format!(
            "CREATE TABLE product_audit (
                id {id},
                product_id BIGINT NOT NULL REFERENCES product (id),
                actor_partner_id BIGINT NOT NULL REFERENCES partner (id),
                action TEXT NOT NULL,
                changes TEXT NOT NULL,
                version INTEGER NOT NULL,
                created_at {timestamp} NOT NULL,
                tx BIGINT NOT NULL DEFAULT {tx_default}
            )"
        ))
        .await?;
        m.create_index(index(
            "ix_product_audit_product",
            "product_audit",
            &["product_id", "id"],
        ))
        .await?;
        db.execute_unprepared("CREATE INDEX ix_product_audit_tx ON product_audit (tx, id)")
            .await?;
        // Every certificate already on a product is its first record,
        // recorded by the operator.
        db.execute_unprepared(
            "INSERT INTO certificate (product_id, number, stars, issued_on, expires_on, recorded_by, created_at)
             SELECT p.id, p.certificate_number, p.stars, p.certificate_issued_on, p.certificate_expires_on,
                    (SELECT MIN(id) FROM partner WHERE kind = 'operator'), p.created_at
             FROM product p
             WHERE p.certificate_expires_on > p.certificate_issued_on
               AND EXISTS (SELECT 1 FROM partner WHERE kind = 'operator')",
        )
        .await?;
        // The operator writes the catalogue.
        db.execute_unprepared(
            "UPDATE partner SET allowed_scopes = allowed_scopes || ' catalog:write'
             WHERE kind = 'operator' AND allowed_scopes NOT LIKE '%catalog:write%'",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, _m: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration(
            "the catalogue-writes migration is not reversible: restore a backup".into(),
        ))
    }
}
