//! Synthetic data at the size of the whole national OCOP programme (or of a
//! city), for load tests. Deterministic: the same scale on an empty database
//! always yields the same rows. It goes on top of the demo data (so the contract's
//! partners and the README's examples still work).
//!
//! Speed comes from three things: explicit ids (no read-back after inserts),
//! multi-row INSERTs of ~1,000 rows per statement inside one transaction per
//! table, and letting the database generate the two biggest tables itself:
//! opening receipts are `INSERT ... SELECT` over products × locations, and
//! stock levels are the ledger's sums (`GROUP BY`), so `check` holds by
//! construction.

use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use entity::enums::MovementKind;
use sea_orm::{
    ActiveEnum, ConnectionTrait, DatabaseBackend, DatabaseConnection, DbErr, Statement,
    TransactionTrait, Value,
};

use crate::domain::inventory;

mod bulk;
mod catalogue;
mod history;
mod names;

pub use names::PROVINCES;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Scale {
    /// The demo catalogue only (66 products).
    Demo,
    /// About 1,600 products, 12 locations, 20 chains, 10,000 orders.
    City,
    /// About 16,000 products, 1,500 producers in 63 provinces, 120
    /// locations (1.9 million stock rows), 200 chains, 200,000 orders.
    National,
}

#[derive(Clone, Copy, Debug)]
pub struct Sizes {
    pub provinces: usize,
    pub producers: usize,
    pub products: usize,
    pub locations: usize,
    pub partners: usize,
    pub stores_per_partner: usize,
    pub orders: usize,
}

impl Scale {
    pub fn sizes(self) -> Option<Sizes> {
        match self {
            Scale::Demo => None,
            Scale::City => Some(Sizes {
                provinces: 10,
                producers: 150,
                products: 1_600,
                locations: 12,
                partners: 20,
                stores_per_partner: 10,
                orders: 10_000,
            }),
            Scale::National => Some(Sizes {
                provinces: PROVINCES.len(),
                producers: 1_500,
                products: 16_000,
                locations: 120,
                partners: 200,
                stores_per_partner: 10,
                orders: 200_000,
            }),
        }
    }
}

/// What a scale seed wrote, table by table.
#[derive(Debug, Default)]
pub struct ScaleReport {
    pub producers: u64,
    pub products: u64,
    pub locations: u64,
    pub partners: u64,
    pub stores: u64,
    pub orders: u64,
    pub order_lines: u64,
    pub stock_rows: u64,
    pub ledger_rows: u64,
    pub skipped: bool,
}

fn progress(phase: &str, done: u64, started: Instant) {
    tracing::info!(
        phase,
        rows = done,
        elapsed_s = format!("{:.1}", started.elapsed().as_secs_f64()),
        "seeding"
    );
}

/// Loads a scale's synthetic rows on top of the demo data, one transaction
/// per phase. Skips (and says so) when they are already there.
pub async fn seed_scale(db: &DatabaseConnection, sizes: Sizes) -> Result<ScaleReport, DbErr> {
    if already_seeded(db).await? {
        return Ok(ScaleReport {
            skipped: true,
            ..Default::default()
        });
    }
    let started = Instant::now();
    let mut report = ScaleReport::default();
    let mut rng = names::Rng(0x0C0F_2026);
    let now = crate::domain::clock::now();

    let txn = db.begin().await?;
    let (first_location, locations) = catalogue::write_locations(&txn, sizes, now).await?;
    let (first_partner, partners) = catalogue::write_partners(&txn, sizes, now).await?;
    let (first_store, stores) =
        catalogue::write_stores(&txn, sizes, &mut rng, first_partner, now).await?;
    txn.commit().await?;
    (report.locations, report.partners, report.stores) = (locations, partners, stores);
    progress("partners and locations", partners + stores, started);

    let txn = db.begin().await?;
    let producers = catalogue::write_producers(&txn, sizes, &mut rng, now).await?;
    let products = catalogue::write_products(&txn, sizes, &mut rng, &producers, now, |n| {
        progress("products", n, started)
    })
    .await?;
    txn.commit().await?;
    report.producers = producers.len() as u64;
    report.products = products.len() as u64;
    progress("products", report.products, started);

    let first_product = products.first().map_or(0, |p| p.id);
    report.ledger_rows += write_opening_stock(db, first_product, first_location, now).await?;
    progress("opening stock", report.ledger_rows, started);

    let txn = db.begin().await?;
    let first = history::FirstIds {
        partner: first_partner,
        store: first_store,
        location: first_location,
    };
    let written = history::write_orders(&txn, sizes, &mut rng, &products, first, now, |n| {
        progress("orders", n, started)
    })
    .await?;
    txn.commit().await?;
    report.orders = written.orders;
    report.order_lines = written.lines;
    report.ledger_rows += written.ledger_rows;
    progress("orders", written.orders, started);

    let txn = db.begin().await?;
    report.stock_rows =
        inventory::open_levels_from_ledger(&txn, first_product, first_location).await?;
    txn.commit().await?;
    progress("stock levels", report.stock_rows, started);

    let txn = db.begin().await?;
    crate::domain::rollup::rebuild(&txn).await?;
    txn.commit().await?;
    progress("report rollups", report.orders, started);

    crate::seed::record_certificates(db).await?;
    finish(db).await?;
    progress("done", report.orders, started);
    Ok(report)
}

async fn already_seeded(db: &DatabaseConnection) -> Result<bool, DbErr> {
    let found = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM producer WHERE code LIKE 'SP%'",
        ))
        .await?
        .map(|r| r.try_get::<i64>("", "n"))
        .transpose()?
        .unwrap_or(0);
    Ok(found > 0)
}

/// Opening stock: every new product at every new location, receipts
/// generated by the database itself. (`$N` parameters work on SQLite too.)
async fn write_opening_stock(
    db: &DatabaseConnection,
    first_product: i64,
    first_location: i64,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let txn = db.begin().await?;
    let sql = "INSERT INTO stock_movement (product_id, location_id, kind, on_hand_delta, reserved_delta, reason, created_at)
               SELECT p.id, l.id, $4, 500 + ((p.id * 37 + l.id * 53) % 1500), 0, 'opening stock', $1
               FROM product p CROSS JOIN location l
               WHERE p.id >= $2 AND l.id >= $3";
    let opened = txn
        .execute_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            sql,
            [
                Value::from(now - Duration::days(400)),
                first_product.into(),
                first_location.into(),
                MovementKind::Receipt.to_value().into(),
            ],
        ))
        .await?
        .rows_affected();
    txn.commit().await?;
    Ok(opened)
}

/// After explicit ids, PostgreSQL's sequences must move past them; and the
/// planner (and, on PostgreSQL, index-only stock reads) need statistics.
async fn finish(db: &DatabaseConnection) -> Result<(), DbErr> {
    if db.get_database_backend() != DatabaseBackend::Postgres {
        return db.execute_unprepared("ANALYZE").await.map(|_| ());
    }
    for table in [
        "location",
        "partner",
        "store",
        "producer",
        "product",
        "purchase_order",
        "order_line",
        "order_allocation",
        "order_event",
        "stock_movement",
        "inventory_level",
    ] {
        db.execute_unprepared(&format!(
            "SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"
        ))
        .await?;
    }
    db.execute_unprepared("VACUUM ANALYZE").await?;
    Ok(())
}
