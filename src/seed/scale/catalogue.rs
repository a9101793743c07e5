//! Phases that write the synthetic catalogue: locations, chains and their
//! stores, producers and products.

use chrono::{DateTime, Days, Duration, NaiveDate, Utc};
use entity::enums::{Category, PartnerKind, PartnerStatus, ProducerKind, ProductStatus};
use sea_orm::{ActiveEnum, ConnectionTrait, DbErr};

use super::Sizes;
use super::bulk::{Bulk, next_id};
use super::names::{KINDS, PROVINCES, QUALITIES, Rng, VILLAGES};
use crate::domain::{gtin, text};
use crate::seed::demo::RETAIL_SCOPES;

/// Writes the locations; returns the first id and the count.
pub async fn write_locations(
    db: &impl ConnectionTrait,
    sizes: Sizes,
    now: DateTime<Utc>,
) -> Result<(i64, u64), DbErr> {
    let first = next_id(db, "location").await?;
    let mut bulk = Bulk::new(
        db,
        "location",
        &["id", "code", "name", "province", "created_at"],
    );
    for i in 0..sizes.locations {
        let (pcode, province) = PROVINCES[i % sizes.provinces];
        bulk.row(vec![
            (first + i as i64).into(),
            format!("SL-{pcode}-{:03}", i + 1).into(),
            format!("Kho OCOP {province} {}", i / sizes.provinces + 1).into(),
            province.into(),
            now.into(),
        ])
        .await?;
    }
    Ok((first, bulk.finish().await?))
}

/// Writes the retail chains (`chain-001` ...); returns the first id and
/// the count.
pub async fn write_partners(
    db: &impl ConnectionTrait,
    sizes: Sizes,
    now: DateTime<Utc>,
) -> Result<(i64, u64), DbErr> {
    let first = next_id(db, "partner").await?;
    let columns = [
        "id",
        "code",
        "name",
        "kind",
        "status",
        "allowed_scopes",
        "created_at",
    ];
    let mut partners = Bulk::new(db, "partner", &columns);
    for i in 0..sizes.partners {
        partners
            .row(vec![
                (first + i as i64).into(),
                format!("chain-{:03}", i + 1).into(),
                format!("Chuỗi bán lẻ {:03}", i + 1).into(),
                PartnerKind::RetailChain.to_value().into(),
                PartnerStatus::Active.to_value().into(),
                RETAIL_SCOPES.into(),
                now.into(),
            ])
            .await?;
    }
    Ok((first, partners.finish().await?))
}

/// Writes every chain's stores; returns the first id and the count.
pub async fn write_stores(
    db: &impl ConnectionTrait,
    sizes: Sizes,
    rng: &mut Rng,
    first_partner: i64,
    now: DateTime<Utc>,
) -> Result<(i64, u64), DbErr> {
    let first = next_id(db, "store").await?;
    let columns = [
        "id",
        "partner_id",
        "code",
        "name",
        "address",
        "province",
        "created_at",
    ];
    let mut stores = Bulk::new(db, "store", &columns);
    for p in 0..sizes.partners {
        for s in 0..sizes.stores_per_partner {
            let (_, province) = PROVINCES[rng.below(sizes.provinces)];
            let n = p * sizes.stores_per_partner + s;
            stores
                .row(vec![
                    (first + n as i64).into(),
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
    Ok((first, stores.finish().await?))
}

/// A written producer, as its products need it.
pub struct ProducerRow {
    pub id: i64,
    pub name: String,
    pub province: &'static str,
}

/// Writes the producers, spread over the provinces.
pub async fn write_producers(
    db: &impl ConnectionTrait,
    sizes: Sizes,
    rng: &mut Rng,
    now: DateTime<Utc>,
) -> Result<Vec<ProducerRow>, DbErr> {
    let first = next_id(db, "producer").await?;
    let columns = [
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
    ];
    let mut producers = Bulk::new(db, "producer", &columns);
    let mut written = Vec::with_capacity(sizes.producers);
    for i in 0..sizes.producers {
        let (_, province) = PROVINCES[i % sizes.provinces];
        let (kind, prefix) = match i % 3 {
            0 => (ProducerKind::Cooperative, "HTX"),
            1 => (ProducerKind::Household, "Hộ kinh doanh"),
            _ => (ProducerKind::Enterprise, "Công ty TNHH"),
        };
        let village = VILLAGES[rng.below(12)];
        let district = format!("Huyện {}", VILLAGES[(i / sizes.provinces) % 12]);
        let name = format!("{prefix} {village} {}", i + 1);
        let id = first + i as i64;
        producers
            .row(vec![
                id.into(),
                format!("SP{:05}", i + 1).into(),
                name.clone().into(),
                kind.to_value().into(),
                format!("Xã {village}").into(),
                district.clone().into(),
                province.into(),
                text::fold(province).into(),
                text::fold(&district).into(),
                now.into(),
            ])
            .await?;
        written.push(ProducerRow { id, name, province });
    }
    producers.finish().await?;
    Ok(written)
}

/// A written product, as orders need it.
#[derive(Clone, Copy)]
pub struct ProductRow {
    pub id: i64,
    pub price: i64,
    pub min_order_qty: i64,
}

const PRODUCT_COLUMNS: [&str; 21] = [
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
];

/// Writes the products, round-robin over the producers, with names, prices,
/// certificates and GTINs drawn from the name tables.
pub async fn write_products(
    db: &impl ConnectionTrait,
    sizes: Sizes,
    rng: &mut Rng,
    producers: &[ProducerRow],
    now: DateTime<Utc>,
    mut progress: impl FnMut(u64),
) -> Result<Vec<ProductRow>, DbErr> {
    let first = next_id(db, "product").await?;
    let mut products = Bulk::new(db, "product", &PRODUCT_COLUMNS);
    let mut catalogue = Vec::with_capacity(sizes.products);
    for i in 0..sizes.products {
        let n = i % producers.len().max(1);
        let producer = &producers[n];
        let province = producer.province;
        let (pcode, _) = PROVINCES[n % sizes.provinces];
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
        // Issued within the last three years and in force for 36 months,
        // so the national catalogue can be ordered (lapsed certificates are
        // refused by `placeOrder`).
        let issued = NaiveDate::from_ymd_opt(
            2024 + (i % 2) as i32,
            1 + (i % 12) as u32,
            1 + (i % 28) as u32,
        )
        .unwrap_or_default();
        let expires = issued
            .checked_add_days(Days::new(3 * 365))
            .unwrap_or(issued);
        let updated = now - Duration::minutes(rng.below(525_600) as i64);
        let status = if i % 50 == 49 {
            ProductStatus::Discontinued
        } else {
            ProductStatus::Active
        };
        let id = first + i as i64;
        products
            .row(vec![
                id.into(),
                sku.clone().into(),
                gtin.into(),
                name_vi.clone().into(),
                name_en.clone().into(),
                format!(
                    "{name_vi}. Sản phẩm OCOP {stars} sao của {}, {province}.",
                    producer.name
                )
                .into(),
                text::product_search_text(&name_vi, &name_en, &producer.name, &sku).into(),
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
                status.to_value().into(),
                producer.id.into(),
                updated.into(),
                updated.into(),
            ])
            .await?;
        catalogue.push(ProductRow {
            id,
            price,
            min_order_qty: i64::from(moq),
        });
        if (i + 1) % 4_000 == 0 {
            progress((i + 1) as u64);
        }
    }
    products.finish().await?;
    Ok(catalogue)
}
