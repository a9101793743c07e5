//! Migrations apply on fresh SQLite and PostgreSQL databases, and the
//! database itself enforces the domain's rules.

use ocop_gateway::db;
use sea_orm::{ConnectionTrait, Statement};

use crate::helpers::*;

const TABLES: [&str; 11] = [
    "partner",
    "store",
    "producer",
    "product",
    "location",
    "inventory_level",
    "purchase_order",
    "order_line",
    "order_allocation",
    "order_event",
    "stock_movement",
];

async fn assert_tables_exist(conn: &sea_orm::DatabaseConnection) {
    for table in TABLES {
        let sql = format!("SELECT COUNT(*) FROM {table}");
        let row = conn
            .query_one_raw(Statement::from_string(conn.get_database_backend(), sql))
            .await
            .unwrap_or_else(|e| panic!("table {table}: {e}"));
        assert!(row.is_some(), "{table}");
    }
}

#[tokio::test]
async fn migrations_apply_on_a_fresh_sqlite_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("fresh.db").display()
    );
    let conn = db::connect_url(&url, 2, 5_000).await.expect("connect");
    db::migrate(&conn).await.expect("migrate");
    db::migrate(&conn)
        .await
        .expect("migrating twice is a no-op");
    assert_tables_exist(&conn).await;
}

#[tokio::test]
async fn migrations_apply_on_a_fresh_postgres_database() {
    let Some(admin_url) = postgres_or_skip("migrations_apply_on_a_fresh_postgres_database").await
    else {
        return;
    };
    let name = format!("ocop_t_{}_fresh", std::process::id());
    let admin = db::connect_url(&admin_url, 1, 30_000).await.expect("admin");
    admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\""))
        .await
        .expect("drop");
    admin
        .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
        .await
        .expect("create");
    let conn = db::connect_url(&pg_url_for(&name), 2, 30_000)
        .await
        .expect("connect");
    db::migrate(&conn).await.expect("migrate");
    db::migrate(&conn)
        .await
        .expect("migrating twice is a no-op");
    assert_tables_exist(&conn).await;
    conn.close().await.expect("close");
    let _ = admin
        .execute_unprepared(&format!("DROP DATABASE \"{name}\" WITH (FORCE)"))
        .await;
}

/// Every table the migrations make is one `db::changes` knows by name:
/// a statement naming a table it did not know would be tracked by no key.
#[tokio::test]
async fn every_table_is_known_to_the_change_tracking() {
    let app = TestApp::new().await;
    let sql = match backend() {
        Backend::Postgres => {
            "SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1"
        }
        Backend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY 1"
        }
    };
    let rows = app
        .db
        .query_all_raw(Statement::from_string(app.db.get_database_backend(), sql))
        .await
        .expect("tables");
    let tables: Vec<String> = rows
        .iter()
        .map(|r| r.try_get::<String>("", "name").expect("name"))
        .collect();
    let known: Vec<String> = db::changes::TABLES.iter().map(|t| t.to_string()).collect();
    assert_eq!(tables, known);
}

/// The kind of violation a refused statement must meet: not just any
/// error (a typo in the SQL would be one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Violation {
    /// A CHECK; SQLite names it by its expression, PostgreSQL by its table.
    Check(&'static str, &'static str),
    Unique,
    ForeignKey,
}

fn violation_of(err: &sea_orm::DbErr) -> String {
    match err.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => "unique".into(),
        Some(sea_orm::SqlErr::ForeignKeyConstraintViolation(_)) => "foreign key".into(),
        _ => err.to_string(),
    }
}

#[tokio::test]
async fn the_database_enforces_the_domain_rules() {
    use Violation::*;
    let app = TestApp::new().await;
    let refused = [
        (
            "UPDATE product SET stars = 6 WHERE id = 1",
            Check("stars BETWEEN 3 AND 5", "\"product\""),
        ),
        (
            "UPDATE product SET stars = 2 WHERE id = 1",
            Check("stars BETWEEN 3 AND 5", "\"product\""),
        ),
        (
            "UPDATE product SET wholesale_price_vnd = -1 WHERE id = 1",
            Check("wholesale_price_vnd >= 0", "\"product\""),
        ),
        (
            "UPDATE product SET sku = (SELECT sku FROM product WHERE id = 2) WHERE id = 1",
            Unique,
        ),
        (
            "UPDATE product SET category = 'weapons' WHERE id = 1",
            Check("category IN", "\"product\""),
        ),
        (
            "UPDATE inventory_level SET reserved = on_hand + 1 WHERE id = 1",
            Check("reserved <= on_hand", "\"inventory_level\""),
        ),
        (
            "UPDATE inventory_level SET on_hand = -1, reserved = 0 WHERE id = 1",
            Check("on_hand >= 0", "\"inventory_level\""),
        ),
        (
            "UPDATE inventory_level SET product_id = 999999 WHERE id = 1",
            ForeignKey,
        ),
        (
            "INSERT INTO inventory_level (product_id, location_id, on_hand, reserved, updated_at) \
          SELECT product_id, location_id, 1, 0, updated_at FROM inventory_level WHERE id = 1",
            Unique,
        ),
        (
            "UPDATE partner SET status = 'deleted' WHERE id = 1",
            Check("status IN", "\"partner\""),
        ),
    ];
    for (sql, expected) in refused {
        let err = match app.db.execute_unprepared(sql).await {
            Ok(_) => panic!("the database accepted: {sql}"),
            Err(err) => err,
        };
        let got = violation_of(&err);
        let ok = match expected {
            Unique => got == "unique",
            ForeignKey => got == "foreign key",
            Check(sqlite, postgres) => match backend() {
                Backend::Sqlite => got.contains("CHECK constraint failed") && got.contains(sqlite),
                Backend::Postgres => {
                    got.contains("violates check constraint") && got.contains(postgres)
                }
            },
        };
        assert!(ok, "{sql}: expected {expected:?}, got {got}");
    }
}
