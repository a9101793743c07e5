//! Loads the demo catalogue. Idempotent: rows are matched by their natural
//! keys (partner code, store code, producer code, location code, SKU) and
//! only missing ones are inserted, so running `seed` twice changes nothing.

pub mod demo;
pub mod scale;

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Months, NaiveDate, Utc};
use entity::enums::{MovementKind, PartnerStatus, ProductStatus};
use entity::{location, partner, producer, product, stock_movement, store};
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, PaginatorTrait, Set,
};

use crate::domain::{gtin, inventory, text};

#[derive(Debug, Default, PartialEq, Eq)]
pub struct SeedReport {
    pub partners: usize,
    pub stores: usize,
    pub producers: usize,
    pub locations: usize,
    pub products: usize,
    pub stock_rows: usize,
}

impl SeedReport {
    pub fn is_empty(&self) -> bool {
        *self == SeedReport::default()
    }
}

/// True when the database holds no partner yet (a fresh install).
pub async fn is_empty(db: &DatabaseConnection) -> Result<bool, DbErr> {
    Ok(partner::Entity::find().count(db).await? == 0)
}

fn province_code(province: &str) -> &'static str {
    match province {
        "Hà Nội" => "HN",
        "Nam Định" => "ND",
        "Thanh Hóa" => "TH",
        "Quảng Ninh" => "QN",
        "Đà Nẵng" => "DN",
        "Thái Nguyên" => "TN",
        "Sóc Trăng" => "ST",
        "Bến Tre" => "BT",
        "Lâm Đồng" => "LD",
        "Kiên Giang" => "KG",
        "Hà Giang" => "HG",
        "Hòa Bình" => "HB",
        _ => "VN",
    }
}

pub async fn seed_demo(db: &crate::db::Db) -> Result<SeedReport, DbErr> {
    let (txn, slot) = crate::db::begin_write(db).await?;
    let report = seed_in(&txn).await?;
    slot.commit(txn).await?;
    Ok(report)
}

/// Idempotent: what is already there (by code or SKU) is left alone.
async fn seed_in<C: ConnectionTrait>(db: &C) -> Result<SeedReport, DbErr> {
    let now = crate::domain::clock::now();
    let mut report = SeedReport::default();
    seed_partners(db, now, &mut report).await?;
    let location_ids = seed_locations(db, now, &mut report).await?;
    seed_catalogue(db, now, &location_ids, &mut report).await?;
    // Levels are the opening receipts' sums (the one writer of levels).
    report.stock_rows = inventory::open_levels_from_ledger(db, 0, 0).await? as usize;
    record_certificates(db).await?;
    Ok(report)
}

/// Each seeded product's certificate is also its first certificate record
/// (the operator's), as the catalogue-writes migration does for products
/// that predate it.
pub(crate) async fn record_certificates<C: ConnectionTrait>(db: &C) -> Result<(), DbErr> {
    db.execute_unprepared(
        "INSERT INTO certificate (product_id, number, stars, issued_on, expires_on, recorded_by, created_at)
         SELECT p.id, p.certificate_number, p.stars, p.certificate_issued_on, p.certificate_expires_on,
                (SELECT MIN(id) FROM partner WHERE kind = 'operator'), p.created_at
         FROM product p
         WHERE p.certificate_number <> '' AND p.certificate_expires_on > p.certificate_issued_on
           AND EXISTS (SELECT 1 FROM partner WHERE kind = 'operator')
           AND NOT EXISTS (SELECT 1 FROM certificate c WHERE c.product_id = p.id)",
    )
    .await?;
    Ok(())
}

/// The demo partners (four chains and the operator) and their stores.
async fn seed_partners<C: ConnectionTrait>(
    db: &C,
    now: DateTime<Utc>,
    report: &mut SeedReport,
) -> Result<(), DbErr> {
    let mut partners: HashMap<String, i64> = partner::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.code, p.id))
        .collect();
    let existing_stores: HashSet<(i64, String)> = store::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.partner_id, s.code))
        .collect();
    for p in demo::PARTNERS {
        let partner_id = match partners.get(p.code) {
            Some(id) => *id,
            None => {
                let row = partner::ActiveModel {
                    code: Set(p.code.into()),
                    name: Set(p.name.into()),
                    kind: Set(p.kind),
                    status: Set(PartnerStatus::Active),
                    allowed_scopes: Set(p.scopes.into()),
                    rate_limit_rps: Set(None),
                    query_cost_per_sec: Set(None),
                    created_at: Set(now),
                    ..Default::default()
                }
                .insert(db)
                .await?;
                report.partners += 1;
                partners.insert(p.code.into(), row.id);
                row.id
            }
        };
        for (code, name, address, province) in p.stores {
            if existing_stores.contains(&(partner_id, (*code).to_owned())) {
                continue;
            }
            store::ActiveModel {
                partner_id: Set(partner_id),
                code: Set((*code).into()),
                name: Set((*name).into()),
                address: Set((*address).into()),
                province: Set((*province).into()),
                created_at: Set(now),
                ..Default::default()
            }
            .insert(db)
            .await?;
            report.stores += 1;
        }
    }
    Ok(())
}

/// The demo locations; returns the ids of all of them.
async fn seed_locations<C: ConnectionTrait>(
    db: &C,
    now: DateTime<Utc>,
    report: &mut SeedReport,
) -> Result<Vec<i64>, DbErr> {
    let mut locations: HashMap<String, i64> = location::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|l| (l.code, l.id))
        .collect();
    for l in demo::LOCATIONS {
        if locations.contains_key(l.code) {
            continue;
        }
        let row = location::ActiveModel {
            code: Set(l.code.into()),
            name: Set(l.name.into()),
            province: Set(l.province.into()),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(db)
        .await?;
        report.locations += 1;
        locations.insert(l.code.into(), row.id);
    }
    Ok(demo::LOCATIONS
        .iter()
        .filter_map(|l| locations.get(l.code).copied())
        .collect())
}

/// Producers, products, and each product's opening receipts at three or
/// four of the locations.
async fn seed_catalogue<C: ConnectionTrait>(
    db: &C,
    now: DateTime<Utc>,
    location_ids: &[i64],
    report: &mut SeedReport,
) -> Result<(), DbErr> {
    let mut producers: HashMap<String, i64> = producer::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.code, p.id))
        .collect();
    let skus: HashSet<String> = product::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|p| p.sku)
        .collect();
    let mut n = 0u32;
    for (pi, pr) in demo::PRODUCERS.iter().enumerate() {
        let producer_id = match producers.get(pr.code) {
            Some(id) => *id,
            None => {
                let row = producer::ActiveModel {
                    code: Set(pr.code.into()),
                    name: Set(pr.name.into()),
                    kind: Set(pr.kind),
                    commune: Set(pr.commune.into()),
                    district: Set(pr.district.into()),
                    province: Set(pr.province.into()),
                    province_key: Set(text::fold(pr.province)),
                    district_key: Set(text::fold(pr.district)),
                    created_at: Set(now),
                    address: Set(format!("{}, {}, {}", pr.commune, pr.district, pr.province)),
                    ..Default::default()
                }
                .insert(db)
                .await?;
                report.producers += 1;
                producers.insert(pr.code.into(), row.id);
                row.id
            }
        };
        for (ii, (sku, name_vi, name_en, category, stars, unit, pack, price, moq)) in
            pr.products.iter().enumerate()
        {
            n += 1;
            if skus.contains(*sku) {
                continue;
            }
            let is_tourism = *category == entity::enums::Category::RuralTourism;
            let gtin = (!is_tourism && !n.is_multiple_of(6)).then(|| {
                let body = format!("893{:04}{:05}", 8100 + pi, ii + 1);
                let check = gtin::check_digit(&body).unwrap_or(0);
                format!("{body}{check}")
            });
            // Certificates run 36 months; a few demo ones have lapsed so
            // that `validToday` shows both answers.
            let issued = NaiveDate::from_ymd_opt(
                if n % 11 == 5 { 2022 } else { 2024 },
                1 + n % 12,
                1 + n % 27,
            )
            .unwrap_or_default();
            let expires = issued.checked_add_months(Months::new(36)).unwrap_or(issued);
            let pcode = province_code(pr.province);
            let row = product::ActiveModel {
                sku: Set((*sku).into()),
                gtin: Set(gtin),
                name_vi: Set((*name_vi).into()),
                name_en: Set((*name_en).into()),
                description: Set(format!(
                    "{name_vi}. Sản phẩm OCOP {stars} sao của {}, {}, {}.",
                    pr.name, pr.district, pr.province
                )),
                search_text: Set(text::product_search_text(name_vi, name_en, pr.name, sku)),
                category: Set(*category),
                stars: Set(*stars),
                certificate_number: Set(format!(
                    "{pcode}-OCOP-{}-{:04}",
                    issued.format("%Y"),
                    100 + n
                )),
                certificate_issued_on: Set(issued),
                certificate_expires_on: Set(expires),
                trace_code: Set(format!("OCOP-{pcode}-{:06}", 1000 + n * 7)),
                unit: Set((*unit).into()),
                pack_size: Set(*pack),
                wholesale_price_vnd: Set(*price),
                min_order_qty: Set(*moq),
                status: Set(ProductStatus::Active),
                producer_id: Set(producer_id),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(db)
            .await?;
            report.products += 1;
            for (li, location_id) in location_ids.iter().enumerate() {
                // Every product at three or four of the four locations.
                if n.is_multiple_of(3) && li == (n as usize) % location_ids.len() {
                    continue;
                }
                let qty = 40 + i64::from((n * 37 + li as u32 * 53) % 460);
                stock_movement::ActiveModel {
                    product_id: Set(row.id),
                    location_id: Set(*location_id),
                    kind: Set(MovementKind::Receipt),
                    on_hand_delta: Set(qty),
                    reserved_delta: Set(0),
                    order_id: Set(None),
                    reason: Set(Some("demo opening stock".into())),
                    actor_partner_id: Set(None),
                    created_at: Set(now),
                    ..Default::default()
                }
                .insert(db)
                .await?;
            }
        }
    }
    Ok(())
}
