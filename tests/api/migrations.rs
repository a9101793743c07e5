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

#[tokio::test]
async fn the_database_enforces_the_domain_rules() {
    let app = TestApp::new().await;
    let refused = [
        "UPDATE product SET stars = 6 WHERE id = 1",
        "UPDATE product SET stars = 2 WHERE id = 1",
        "UPDATE product SET wholesale_price_vnd = -1 WHERE id = 1",
        "UPDATE product SET sku = (SELECT sku FROM product WHERE id = 2) WHERE id = 1",
        "UPDATE product SET category = 'weapons' WHERE id = 1",
        "UPDATE inventory_level SET reserved = on_hand + 1 WHERE id = 1",
        "UPDATE inventory_level SET on_hand = -1, reserved = 0 WHERE id = 1",
        "UPDATE inventory_level SET product_id = 999999 WHERE id = 1",
        "INSERT INTO inventory_level (product_id, location_id, on_hand, reserved, updated_at) \
         SELECT product_id, location_id, 1, 0, updated_at FROM inventory_level WHERE id = 1",
        "UPDATE partner SET status = 'deleted' WHERE id = 1",
    ];
    for sql in refused {
        let result = app.db.execute_unprepared(sql).await;
        assert!(result.is_err(), "the database accepted: {sql}");
    }
}
