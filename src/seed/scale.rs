//! Synthetic data at the size of the whole national OCOP programme (or of a
//! city), for load tests. Deterministic: the same scale on an empty database
//! always yields the same rows. It goes on top of the demo data (so the SPEC
//! partners and the README's examples still work).
//!
//! Speed comes from three things: explicit ids (no read-back after inserts),
//! multi-row INSERTs of ~1,000 rows per statement inside one transaction per
//! table, and letting the database generate the two biggest tables itself:
//! opening receipts are `INSERT ... SELECT` over products × locations, and
//! stock levels are the ledger's sums (`GROUP BY`), so `check` holds by
//! construction.

use std::time::Instant;

use chrono::{DateTime, Days, Duration, NaiveDate, Utc};
use entity::enums::{Category, MovementKind, OrderStatus};
use sea_orm::{
    ActiveEnum, ConnectionTrait, DatabaseBackend, DatabaseConnection, DbErr, Statement,
    TransactionTrait, Value,
};

use crate::domain::{gtin, text};
use crate::seed::demo::RETAIL_SCOPES;

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

/// The 63 provinces and centrally-run cities (before the 2025 merger), with
/// the short codes certificate numbers use.
pub const PROVINCES: [(&str, &str); 63] = [
    ("HN", "Hà Nội"),
    ("HCM", "TP Hồ Chí Minh"),
    ("HP", "Hải Phòng"),
    ("DN", "Đà Nẵng"),
    ("CT", "Cần Thơ"),
    ("AG", "An Giang"),
    ("BRVT", "Bà Rịa - Vũng Tàu"),
    ("BG", "Bắc Giang"),
    ("BK", "Bắc Kạn"),
    ("BL", "Bạc Liêu"),
    ("BN", "Bắc Ninh"),
    ("BT", "Bến Tre"),
    ("BD", "Bình Định"),
    ("BDG", "Bình Dương"),
    ("BP", "Bình Phước"),
    ("BTH", "Bình Thuận"),
    ("CM", "Cà Mau"),
    ("CB", "Cao Bằng"),
    ("DL", "Đắk Lắk"),
    ("DNO", "Đắk Nông"),
    ("DB", "Điện Biên"),
    ("DNA", "Đồng Nai"),
    ("DT", "Đồng Tháp"),
    ("GL", "Gia Lai"),
    ("HG", "Hà Giang"),
    ("HNA", "Hà Nam"),
    ("HT", "Hà Tĩnh"),
    ("HD", "Hải Dương"),
    ("HGI", "Hậu Giang"),
    ("HB", "Hòa Bình"),
    ("HY", "Hưng Yên"),
    ("KH", "Khánh Hòa"),
    ("KG", "Kiên Giang"),
    ("KT", "Kon Tum"),
    ("LC", "Lai Châu"),
    ("LD", "Lâm Đồng"),
    ("LS", "Lạng Sơn"),
    ("LCA", "Lào Cai"),
    ("LA", "Long An"),
    ("ND", "Nam Định"),
    ("NA", "Nghệ An"),
    ("NB", "Ninh Bình"),
    ("NT", "Ninh Thuận"),
    ("PT", "Phú Thọ"),
    ("PY", "Phú Yên"),
    ("QB", "Quảng Bình"),
    ("QNA", "Quảng Nam"),
    ("QNG", "Quảng Ngãi"),
    ("QN", "Quảng Ninh"),
    ("QT", "Quảng Trị"),
    ("ST", "Sóc Trăng"),
    ("SL", "Sơn La"),
    ("TNI", "Tây Ninh"),
    ("TB", "Thái Bình"),
    ("TN", "Thái Nguyên"),
    ("TH", "Thanh Hóa"),
    ("TTH", "Thừa Thiên Huế"),
    ("TG", "Tiền Giang"),
    ("TV", "Trà Vinh"),
    ("TQ", "Tuyên Quang"),
    ("VL", "Vĩnh Long"),
    ("VP", "Vĩnh Phúc"),
    ("YB", "Yên Bái"),
];

/// (Vietnamese, English, category, unit, base price VND)
const KINDS: [(&str, &str, Category, &str, i64); 16] = [
    ("Mật ong", "Honey", Category::Food, "chai", 180_000),
    ("Nước mắm", "Fish sauce", Category::Food, "chai", 95_000),
    ("Gạo", "Rice", Category::Food, "túi", 120_000),
    (
        "Miến dong",
        "Arrowroot noodles",
        Category::Food,
        "gói",
        60_000,
    ),
    ("Bánh đa", "Rice crackers", Category::Food, "gói", 35_000),
    ("Trà", "Tea", Category::Beverages, "hộp", 150_000),
    ("Cà phê", "Coffee", Category::Beverages, "túi", 210_000),
    ("Rượu", "Rice wine", Category::Beverages, "chai", 250_000),
    (
        "Tinh dầu",
        "Essential oil",
        Category::HerbalProducts,
        "lọ",
        140_000,
    ),
    (
        "Cao dược liệu",
        "Herbal extract",
        Category::HerbalProducts,
        "hộp",
        320_000,
    ),
    (
        "Thổ cẩm",
        "Brocade",
        Category::TextilesGarments,
        "tấm",
        450_000,
    ),
    (
        "Khăn lụa",
        "Silk scarf",
        Category::TextilesGarments,
        "chiếc",
        380_000,
    ),
    (
        "Giỏ mây tre",
        "Rattan basket",
        Category::HandicraftsSouvenirs,
        "chiếc",
        220_000,
    ),
    (
        "Gốm",
        "Pottery",
        Category::HandicraftsSouvenirs,
        "bộ",
        520_000,
    ),
    (
        "Nón lá",
        "Conical hat",
        Category::HandicraftsSouvenirs,
        "chiếc",
        90_000,
    ),
    (
        "Tour trải nghiệm",
        "Village tour",
        Category::RuralTourism,
        "vé",
        600_000,
    ),
];

const QUALITIES: [(&str, &str); 12] = [
    ("hoa sen", "lotus"),
    ("rừng", "wild"),
    ("hữu cơ", "organic"),
    ("truyền thống", "traditional"),
    ("đặc sản", "specialty"),
    ("Shan tuyết", "Shan Tuyet"),
    ("thượng hạng", "premium"),
    ("nếp cái hoa vàng", "golden glutinous"),
    ("gừng", "ginger"),
    ("quế", "cinnamon"),
    ("sả", "lemongrass"),
    ("tam giác mạch", "buckwheat"),
];

const VILLAGES: [&str; 12] = [
    "Tân Lập",
    "Hòa Bình",
    "Phú Xuân",
    "Đông Hải",
    "Thạch Bàn",
    "Yên Thế",
    "Bình Minh",
    "Xuân Sơn",
    "Vạn Phúc",
    "Tiên Phong",
    "An Hòa",
    "Ngọc Lâm",
];

/// splitmix64: tiny, fast and fixed forever, so a scale is reproducible
/// whatever crate versions the build picks.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Buffers rows and writes them as multi-row INSERTs.
struct Bulk<'a, C: ConnectionTrait> {
    db: &'a C,
    head: String,
    columns: usize,
    rows_per_statement: usize,
    values: Vec<Value>,
    written: u64,
}

impl<'a, C: ConnectionTrait> Bulk<'a, C> {
    fn new(db: &'a C, table: &str, columns: &[&str]) -> Self {
        // Both backends take well over 30,000 parameters per statement.
        let rows_per_statement = (30_000 / columns.len()).min(1_000);
        Self {
            db,
            head: format!("INSERT INTO {table} ({}) VALUES ", columns.join(", ")),
            columns: columns.len(),
            rows_per_statement,
            values: Vec::with_capacity(rows_per_statement * columns.len()),
            written: 0,
        }
    }

    async fn row(&mut self, row: Vec<Value>) -> Result<(), DbErr> {
        self.buffer(row);
        if self.values.len() >= self.rows_per_statement * self.columns {
            self.flush().await?;
        }
        Ok(())
    }

    /// Holds a row until the next `flush`, for tables whose rows must wait
    /// for the rows they reference.
    fn buffer(&mut self, row: Vec<Value>) {
        debug_assert_eq!(row.len(), self.columns);
        self.values.extend(row);
    }

    async fn flush(&mut self) -> Result<(), DbErr> {
        let backend = self.db.get_database_backend();
        let values = std::mem::take(&mut self.values);
        let mut values = values.into_iter().peekable();
        while values.peek().is_some() {
            let chunk: Vec<Value> = values
                .by_ref()
                .take(self.rows_per_statement * self.columns)
                .collect();
            let rows = chunk.len() / self.columns;
            let mut sql = String::with_capacity(self.head.len() + chunk.len() * 6);
            sql.push_str(&self.head);
            for n in 0..chunk.len() {
                let col = n % self.columns;
                sql.push_str(match (n, col) {
                    (0, _) => "(",
                    (_, 0) => "), (",
                    _ => ", ",
                });
                sql.push('$');
                sql.push_str(&(n + 1).to_string());
            }
            sql.push(')');
            self.db
                .execute_raw(Statement::from_sql_and_values(backend, sql, chunk))
                .await?;
            self.written += rows as u64;
        }
        Ok(())
    }

    async fn finish(mut self) -> Result<u64, DbErr> {
        self.flush().await?;
        Ok(self.written)
    }
}

async fn next_id(db: &impl ConnectionTrait, table: &str) -> Result<i64, DbErr> {
    let backend = db.get_database_backend();
    let row = db
        .query_one_raw(Statement::from_string(
            backend,
            format!("SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) AS m FROM {table}"),
        ))
        .await?;
    Ok(row
        .map(|r| r.try_get::<i64>("", "m"))
        .transpose()?
        .unwrap_or(0)
        + 1)
}

fn progress(phase: &str, done: u64, started: Instant) {
    tracing::info!(
        phase,
        rows = done,
        elapsed_s = format!("{:.1}", started.elapsed().as_secs_f64()),
        "seeding"
    );
}

/// Loads a scale's synthetic rows on top of the demo data. Skips (and says
/// so) when they are already there.
pub async fn seed_scale(db: &DatabaseConnection, sizes: Sizes) -> Result<ScaleReport, DbErr> {
    let backend = db.get_database_backend();
    let already = db
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT COUNT(*) AS n FROM producer WHERE code LIKE 'SP%'",
        ))
        .await?
        .map(|r| r.try_get::<i64>("", "n"))
        .transpose()?
        .unwrap_or(0);
    if already > 0 {
        return Ok(ScaleReport {
            skipped: true,
            ..Default::default()
        });
    }
    let started = Instant::now();
    let mut report = ScaleReport::default();
    let mut rng = Rng(0x0C0F_2026);
    let now = crate::domain::clock::now();

    // Locations, partners and stores.
    let txn = db.begin().await?;
    let first_location = next_id(&txn, "location").await?;
    let mut bulk = Bulk::new(
        &txn,
        "location",
        &["id", "code", "name", "province", "created_at"],
    );
    for i in 0..sizes.locations {
        let (pcode, province) = PROVINCES[i % sizes.provinces];
        bulk.row(vec![
            (first_location + i as i64).into(),
            format!("SL-{pcode}-{:03}", i + 1).into(),
            format!("Kho OCOP {province} {}", i / sizes.provinces + 1).into(),
            province.into(),
            now.into(),
        ])
        .await?;
    }
    report.locations = bulk.finish().await?;
    let first_partner = next_id(&txn, "partner").await?;
    let first_store = next_id(&txn, "store").await?;
    let mut partners = Bulk::new(
        &txn,
        "partner",
        &[
            "id",
            "code",
            "name",
            "kind",
            "status",
            "allowed_scopes",
            "created_at",
        ],
    );
    for i in 0..sizes.partners {
        partners
            .row(vec![
                (first_partner + i as i64).into(),
                format!("chain-{:03}", i + 1).into(),
                format!("Chuỗi bán lẻ {:03}", i + 1).into(),
                "retail_chain".into(),
                "active".into(),
                RETAIL_SCOPES.into(),
                now.into(),
            ])
            .await?;
    }
    report.partners = partners.finish().await?;
    let mut stores = Bulk::new(
        &txn,
        "store",
        &[
            "id",
            "partner_id",
            "code",
            "name",
            "address",
            "province",
            "created_at",
        ],
    );
    for p in 0..sizes.partners {
        for s in 0..sizes.stores_per_partner {
            let (_, province) = PROVINCES[rng.below(sizes.provinces)];
            let n = p * sizes.stores_per_partner + s;
            stores
                .row(vec![
                    (first_store + n as i64).into(),
                    (first_partner + p as i64).into(),
                    format!("C{:03}-S{:02}", p + 1, s + 1).into(),
                    format!("Cửa hàng {:03}-{:02}", p + 1, s + 1).into(),
                    format!("{} Đường {}", 1 + rng.below(300), VILLAGES[rng.below(12)]).into(),
                    province.into(),
                    now.into(),
                ])
                .await?;
        }
    }
    report.stores = stores.finish().await?;
    txn.commit().await?;
    progress(
        "partners and locations",
        report.partners + report.stores,
        started,
    );

    // Producers and products.
    let txn = db.begin().await?;
    let first_producer = next_id(&txn, "producer").await?;
    let mut producers = Bulk::new(
        &txn,
        "producer",
        &[
            "id",
            "code",
            "name",
            "kind",
            "commune",
            "district",
            "province",
            "province_key",
            "district_key",
            "created_at",
        ],
    );
    let mut producer_names = Vec::with_capacity(sizes.producers);
    for i in 0..sizes.producers {
        let (_, province) = PROVINCES[i % sizes.provinces];
        let (kind, prefix) = match i % 3 {
            0 => ("cooperative", "HTX"),
            1 => ("household", "Hộ kinh doanh"),
            _ => ("enterprise", "Công ty TNHH"),
        };
        let village = VILLAGES[rng.below(12)];
        let district = format!("Huyện {}", VILLAGES[(i / sizes.provinces) % 12]);
        let name = format!("{prefix} {village} {}", i + 1);
        producers
            .row(vec![
                (first_producer + i as i64).into(),
                format!("SP{:05}", i + 1).into(),
                name.clone().into(),
                kind.into(),
                format!("Xã {village}").into(),
                district.clone().into(),
                province.into(),
                text::fold(province).into(),
                text::fold(&district).into(),
                now.into(),
            ])
            .await?;
        producer_names.push((name, province));
    }
    report.producers = producers.finish().await?;
    let first_product = next_id(&txn, "product").await?;
    let mut products = Bulk::new(
        &txn,
        "product",
        &[
            "id",
            "sku",
            "gtin",
            "name_vi",
            "name_en",
            "description",
            "search_text",
            "category",
            "stars",
            "certificate_number",
            "certificate_issued_on",
            "certificate_expires_on",
            "trace_code",
            "unit",
            "pack_size",
            "wholesale_price_vnd",
            "min_order_qty",
            "status",
            "producer_id",
            "created_at",
            "updated_at",
        ],
    );
    let mut catalogue = Vec::with_capacity(sizes.products);
    for i in 0..sizes.products {
        let producer = i % sizes.producers;
        let (producer_name, province) = &producer_names[producer];
        let (pcode, _) = PROVINCES[producer % sizes.provinces];
        let (kind_vi, kind_en, category, unit, base) = KINDS[rng.below(KINDS.len())];
        let (q_vi, q_en) = QUALITIES[rng.below(QUALITIES.len())];
        let name_vi = format!("{kind_vi} {q_vi} {province}");
        let name_en = format!("{province} {q_en} {}", kind_en.to_lowercase());
        let sku = format!("SP-{pcode}-{:06}", i + 1);
        let stars: i16 = match rng.below(10) {
            0..=5 => 3,
            6..=8 => 4,
            _ => 5,
        };
        let price = base / 1_000 * (80 + rng.below(60) as i64) * 10;
        let moq = [1, 6, 12, 24][rng.below(4)];
        let body = format!("894{:09}", i + 1);
        let gtin = (category != Category::RuralTourism)
            .then(|| format!("{body}{}", gtin::check_digit(&body).unwrap_or(0)));
        let issued = NaiveDate::from_ymd_opt(
            2023 + (i % 3) as i32,
            1 + (i % 12) as u32,
            1 + (i % 28) as u32,
        )
        .unwrap_or_default();
        let expires = issued
            .checked_add_days(Days::new(3 * 365))
            .unwrap_or(issued);
        let updated = now - Duration::minutes(rng.below(525_600) as i64);
        products
            .row(vec![
                (first_product + i as i64).into(),
                sku.clone().into(),
                gtin.into(),
                name_vi.clone().into(),
                name_en.clone().into(),
                format!("{name_vi}. Sản phẩm OCOP {stars} sao của {producer_name}, {province}.")
                    .into(),
                text::product_search_text(&name_vi, &name_en, &producer_name, &sku).into(),
                category.to_value().into(),
                stars.into(),
                format!("{pcode}-OCOP-{}-{:06}", issued.format("%Y"), i + 1).into(),
                issued.into(),
                expires.into(),
                format!("OCOP-{pcode}-S{:07}", i + 1).into(),
                unit.into(),
                (1 + rng.below(24) as i32).into(),
                price.into(),
                moq.into(),
                if i % 50 == 49 {
                    "discontinued"
                } else {
                    "active"
                }
                .into(),
                (first_producer + producer as i64).into(),
                updated.into(),
                updated.into(),
            ])
            .await?;
        catalogue.push((first_product + i as i64, price, i64::from(moq)));
        if (i + 1) % 4_000 == 0 {
            progress("products", (i + 1) as u64, started);
        }
    }
    report.products = products.finish().await?;
    txn.commit().await?;
    progress("products", report.products, started);

    // Opening stock: every product at every location, generated by the
    // database itself. (`$N` parameters work on SQLite too.)
    let txn = db.begin().await?;
    let sql = "INSERT INTO stock_movement (product_id, location_id, kind, on_hand_delta, reserved_delta, reason, created_at)
               SELECT p.id, l.id, $4, 500 + ((p.id * 37 + l.id * 53) % 1500), 0, 'opening stock', $1
               FROM product p CROSS JOIN location l
               WHERE p.id >= $2 AND l.id >= $3";
    let opened = txn
        .execute_raw(Statement::from_sql_and_values(
            backend,
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
    report.ledger_rows += opened;
    progress("opening stock", opened, started);

    // Historical orders: a year of them, mostly delivered, some cancelled,
    // a few still open (holding reservations).
    let counts = write_orders(
        db,
        sizes,
        &mut rng,
        &catalogue,
        (first_partner, first_store, first_location),
        now,
        started,
    )
    .await?;
    report.orders = counts.0;
    report.order_lines = counts.1;
    report.ledger_rows += counts.2;

    // Levels are the ledger's sums, stored in product order so that one
    // product's levels share pages.
    let txn = db.begin().await?;
    let sql = "INSERT INTO inventory_level (product_id, location_id, on_hand, reserved, updated_at)
               SELECT product_id, location_id, SUM(on_hand_delta), SUM(reserved_delta), $1
               FROM stock_movement WHERE product_id >= $2 AND location_id >= $3
               GROUP BY product_id, location_id
               ORDER BY product_id, location_id";
    report.stock_rows = txn
        .execute_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [
                Value::from(now),
                first_product.into(),
                first_location.into(),
            ],
        ))
        .await?
        .rows_affected();
    txn.commit().await?;
    progress("stock levels", report.stock_rows, started);

    if backend == DatabaseBackend::Postgres {
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
        // Index-only stock reads need the visibility map set.
        db.execute_unprepared("VACUUM ANALYZE").await?;
    } else {
        db.execute_unprepared("ANALYZE").await?;
    }
    progress("done", report.orders, started);
    Ok(report)
}

/// (orders, lines, ledger rows) written.
async fn write_orders(
    db: &DatabaseConnection,
    sizes: Sizes,
    rng: &mut Rng,
    catalogue: &[(i64, i64, i64)],
    (first_partner, first_store, first_location): (i64, i64, i64),
    now: DateTime<Utc>,
    started: Instant,
) -> Result<(u64, u64, u64), DbErr> {
    let txn = db.begin().await?;
    let first_order = next_id(&txn, "purchase_order").await?;
    let first_line = next_id(&txn, "order_line").await?;
    let mut orders = Bulk::new(
        &txn,
        "purchase_order",
        &[
            "id",
            "partner_id",
            "store_id",
            "idempotency_key",
            "request_hash",
            "buyer_reference",
            "requested_delivery_date",
            "status",
            "total_vnd",
            "created_at",
            "updated_at",
        ],
    );
    let mut lines = Bulk::new(
        &txn,
        "order_line",
        &[
            "id",
            "order_id",
            "line_no",
            "product_id",
            "quantity",
            "unit_price_vnd",
            "line_total_vnd",
        ],
    );
    let mut allocations = Bulk::new(
        &txn,
        "order_allocation",
        &[
            "order_line_id",
            "order_id",
            "product_id",
            "location_id",
            "quantity",
        ],
    );
    let mut events = Bulk::new(
        &txn,
        "order_event",
        &[
            "order_id",
            "from_status",
            "to_status",
            "actor_partner_id",
            "reason",
            "created_at",
        ],
    );
    let mut ledger = Bulk::new(
        &txn,
        "stock_movement",
        &[
            "product_id",
            "location_id",
            "kind",
            "on_hand_delta",
            "reserved_delta",
            "order_id",
            "actor_partner_id",
            "created_at",
        ],
    );
    let mut line_id = first_line;
    for n in 0..sizes.orders {
        let order_id = first_order + n as i64;
        let partner = rng.below(sizes.partners);
        let partner_id = first_partner + partner as i64;
        let store_id = first_store
            + (partner * sizes.stores_per_partner + rng.below(sizes.stores_per_partner)) as i64;
        // Spread over the past year, oldest first.
        let placed_at =
            now - Duration::seconds(((sizes.orders - n) as i64 * 31_536_000) / sizes.orders as i64);
        let status = match rng.below(100) {
            0..=74 => OrderStatus::Delivered,
            75..=84 => OrderStatus::Cancelled,
            85..=92 => OrderStatus::Shipped,
            93..=96 => OrderStatus::Confirmed,
            _ => OrderStatus::Placed,
        };
        let mut total = 0i64;
        let line_count = 1 + rng.below(3);
        for line_no in 0..line_count {
            let (product_id, price, moq) = catalogue[rng.below(catalogue.len())];
            let quantity = moq * (1 + rng.below(2) as i64);
            let location_id = first_location + rng.below(sizes.locations) as i64;
            total += price * quantity;
            lines.buffer(vec![
                line_id.into(),
                order_id.into(),
                (line_no as i32 + 1).into(),
                product_id.into(),
                quantity.into(),
                price.into(),
                (price * quantity).into(),
            ]);
            allocations.buffer(vec![
                line_id.into(),
                order_id.into(),
                product_id.into(),
                location_id.into(),
                quantity.into(),
            ]);
            line_id += 1;
            let movement = |kind: &'static str, on_hand: i64, reserved: i64, at: DateTime<Utc>| {
                vec![
                    product_id.into(),
                    location_id.into(),
                    kind.into(),
                    on_hand.into(),
                    reserved.into(),
                    Some(order_id).into(),
                    Some(partner_id).into(),
                    at.into(),
                ]
            };
            ledger.buffer(movement("reservation", 0, quantity, placed_at));
            match status {
                OrderStatus::Cancelled => {
                    ledger.buffer(movement(
                        "release",
                        0,
                        -quantity,
                        placed_at + Duration::hours(2),
                    ));
                }
                OrderStatus::Shipped | OrderStatus::Delivered => {
                    ledger.buffer(movement(
                        "shipment",
                        -quantity,
                        -quantity,
                        placed_at + Duration::days(1),
                    ));
                }
                _ => {}
            }
        }
        let path: &[(Option<OrderStatus>, OrderStatus, i64)] = match status {
            OrderStatus::Placed => &[(None, OrderStatus::Placed, 0)],
            OrderStatus::Confirmed => &[
                (None, OrderStatus::Placed, 0),
                (Some(OrderStatus::Placed), OrderStatus::Confirmed, 1),
            ],
            OrderStatus::Cancelled => &[
                (None, OrderStatus::Placed, 0),
                (Some(OrderStatus::Placed), OrderStatus::Cancelled, 2),
            ],
            OrderStatus::Shipped => &[
                (None, OrderStatus::Placed, 0),
                (Some(OrderStatus::Placed), OrderStatus::Confirmed, 1),
                (Some(OrderStatus::Confirmed), OrderStatus::Shipped, 24),
            ],
            OrderStatus::Delivered => &[
                (None, OrderStatus::Placed, 0),
                (Some(OrderStatus::Placed), OrderStatus::Confirmed, 1),
                (Some(OrderStatus::Confirmed), OrderStatus::Shipped, 24),
                (Some(OrderStatus::Shipped), OrderStatus::Delivered, 72),
            ],
        };
        let mut updated_at = placed_at;
        for (from, to, hours) in path {
            updated_at = placed_at + Duration::hours(*hours);
            events.buffer(vec![
                order_id.into(),
                from.map(|s| s.to_value()).into(),
                to.to_value().into(),
                partner_id.into(),
                None::<String>.into(),
                updated_at.into(),
            ]);
        }
        orders.buffer(vec![
            order_id.into(),
            partner_id.into(),
            store_id.into(),
            format!("hist-{:07}", n + 1).into(),
            format!("{:016x}{:016x}", rng.next(), rng.next()).into(),
            format!("PO-H{:07}", n + 1).into(),
            (placed_at + Duration::days(3)).date_naive().into(),
            status.to_value().into(),
            total.into(),
            placed_at.into(),
            updated_at.into(),
        ]);
        if (n + 1) % 500 == 0 {
            flush_in_order(
                &mut orders,
                &mut lines,
                &mut allocations,
                &mut events,
                &mut ledger,
            )
            .await?;
        }
        if (n + 1) % 50_000 == 0 {
            progress("orders", (n + 1) as u64, started);
        }
    }
    flush_in_order(
        &mut orders,
        &mut lines,
        &mut allocations,
        &mut events,
        &mut ledger,
    )
    .await?;
    let written_orders = orders.finish().await?;
    let written_lines = lines.finish().await?;
    allocations.finish().await?;
    events.finish().await?;
    let written_ledger = ledger.finish().await?;
    txn.commit().await?;
    progress("orders", written_orders, started);
    Ok((written_orders, written_lines, written_ledger))
}

/// Orders before the rows that reference them.
async fn flush_in_order<C: ConnectionTrait>(
    orders: &mut Bulk<'_, C>,
    lines: &mut Bulk<'_, C>,
    allocations: &mut Bulk<'_, C>,
    events: &mut Bulk<'_, C>,
    ledger: &mut Bulk<'_, C>,
) -> Result<(), DbErr> {
    orders.flush().await?;
    lines.flush().await?;
    allocations.flush().await?;
    events.flush().await?;
    ledger.flush().await
}
