//! The whole catalogue a caller may see, for a chain's nightly sync: the
//! same set as the `products` connection (the caller's audience, oldest
//! first), read a page at a time by id so that memory stays one page
//! whatever the catalogue's size, each product with its producer and
//! certificate. As JSON Lines (one object a line, the GraphQL field names)
//! or as CSV whose columns are the import's, so a sheet exported, edited
//! and imported again changes only what was edited.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::{producer, product};
use sea_orm::{
    ActiveEnum, ColumnTrait, DatabaseConnection, EntityTrait, ExprTrait, QueryFilter, QuerySelect,
    sea_query::Expr,
};
use serde_json::{Value as Json, json};
use sha2::{Digest, Sha256};

use super::certificates::{self, CertificateStatus};
use super::{Audience, ProductFilter, ProductSort, product_page};
use crate::domain::clock;
use crate::domain::pagination::{Cursor, PageSpec};
use crate::error::AppResult;
use crate::ids::{self, Kind};

/// Products read per statement.
pub const ROWS_PER_READ: u64 = 500;

/// What an export is of.
#[derive(Clone, Copy, Debug)]
pub struct Scope {
    pub audience: Audience,
    pub updated_since: Option<DateTime<Utc>>,
}

impl Scope {
    fn filter(&self) -> ProductFilter {
        ProductFilter {
            audience: self.audience,
            updated_since: self.updated_since,
            ..ProductFilter::default()
        }
    }
}

/// A tag for what an export would hold, from one aggregate read: which
/// products, at which versions (a producer's change moves its products'
/// `updated_at`), read on which business day (a certificate lapses at
/// midnight), for whom. Equal tags, equal exports.
pub async fn tag(db: &DatabaseConnection, scope: Scope, format: &str) -> AppResult<String> {
    let mut query = product::Entity::find()
        .select_only()
        .column_as(Expr::col(product::Column::Id).count(), "n")
        .column_as(Expr::col(product::Column::Id).max(), "top")
        .column_as(
            Expr::col(product::Column::Version).cast_as("BIGINT").sum(),
            "versions",
        )
        .column_as(Expr::col(product::Column::UpdatedAt).max(), "latest")
        .filter(scope.audience.condition());
    if let Some(since) = scope.updated_since {
        query = query.filter(product::Column::UpdatedAt.gte(since));
    }
    let row = query.into_json().one(db).await?.unwrap_or(Json::Null);
    let key = format!(
        "export|{format}|{:?}|{:?}|{}|{row}",
        scope.audience,
        scope.updated_since.map(|t| t.to_rfc3339()),
        clock::business_today(),
    );
    let digest = Sha256::digest(key.as_bytes());
    Ok(format!(
        "\"x{}\"",
        digest[..12]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    ))
}

/// One product with what the export shows of it.
pub struct Entry {
    pub product: product::Model,
    pub producer: Option<producer::Model>,
    pub certificate: Option<CertificateStatus>,
}

/// The next page after `after` (a product id; 0 for the first), and the
/// id to continue from, or None at the end. Two statements a page.
pub async fn page(
    db: &DatabaseConnection,
    scope: Scope,
    after: i64,
    rows: u64,
) -> AppResult<(Vec<Entry>, Option<i64>)> {
    let sort = ProductSort::default();
    let spec = PageSpec::Forward {
        first: rows,
        after: (after > 0).then(|| Cursor::by_id(&sort.name(), after)),
    };
    let page = product_page(db, &scope.filter(), sort, &spec).await?;
    let next = page
        .has_next_page
        .then(|| page.items.last().map(|p| p.id))
        .flatten();
    let mut makers: Vec<i64> = page.items.iter().map(|p| p.producer_id).collect();
    makers.sort_unstable();
    makers.dedup();
    let producers: HashMap<i64, producer::Model> = if makers.is_empty() {
        HashMap::new()
    } else {
        producer::Entity::find()
            .filter(producer::Column::Id.is_in(makers))
            .all(db)
            .await?
            .into_iter()
            .map(|p| (p.id, p))
            .collect()
    };
    let today = clock::business_today();
    let entries = page
        .items
        .into_iter()
        .map(|p| Entry {
            producer: producers.get(&p.producer_id).cloned(),
            certificate: (!p.certificate_number.is_empty())
                .then(|| certificates::status(p.certificate_expires_on, today)),
            product: p,
        })
        .collect();
    Ok((entries, next))
}

fn upper<E: ActiveEnum<Value = String>>(e: &E) -> String {
    e.to_value().to_uppercase()
}

fn certificate_name(s: CertificateStatus) -> &'static str {
    match s {
        CertificateStatus::Valid => "VALID",
        CertificateStatus::Expiring => "EXPIRING",
        CertificateStatus::Expired => "EXPIRED",
    }
}

fn net_value(p: &product::Model) -> Option<f64> {
    p.net_content_milli.map(|m| m as f64 / 1000.0)
}

/// A product as one JSON Lines object: the GraphQL field names.
pub fn json_line(e: &Entry) -> Json {
    let p = &e.product;
    json!({
        "id": ids::opaque(Kind::Product, p.id),
        "sku": p.sku,
        "gtin": p.gtin,
        "nameVi": p.name_vi,
        "nameEn": p.name_en,
        "description": p.description,
        "category": upper(&p.category),
        "unit": p.unit,
        "packSize": p.pack_size,
        "wholesalePrice": p.wholesale_price_vnd,
        "minOrderQuantity": p.min_order_qty,
        "traceCode": p.trace_code,
        "netContent": net_value(p).zip(p.net_content_unit).map(|(value, unit)| json!({ "value": value, "unit": upper(&unit) })),
        "shelfLifeDays": p.shelf_life_days,
        "ingredients": p.ingredients,
        "storage": p.storage,
        "usage": p.usage_instructions,
        "warnings": p.warnings,
        "packageWeightGrams": p.package_weight_grams,
        "status": upper(&p.status),
        "version": p.version,
        "updatedAt": p.updated_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "producer": e.producer.as_ref().map(|m| json!({
            "id": ids::opaque(Kind::Producer, m.id),
            "code": m.code,
            "name": m.name,
            "province": m.province,
            "district": m.district,
            "commune": m.commune,
        })),
        "certificate": e.certificate.map(|status| json!({
            "number": p.certificate_number,
            "stars": p.stars,
            "issuedOn": p.certificate_issued_on.to_string(),
            "expiresOn": p.certificate_expires_on.to_string(),
            "status": certificate_name(status),
        })),
    })
}

/// The CSV header: the import's columns, then the read-only ones.
pub fn csv_header() -> Vec<&'static str> {
    super::import::COLUMNS
        .iter()
        .chain(super::import::READ_ONLY_COLUMNS)
        .copied()
        .collect()
}

/// A product as CSV cells, in `csv_header` order.
pub fn csv_cells(e: &Entry) -> Vec<String> {
    let p = &e.product;
    let opt = |v: Option<String>| v.unwrap_or_default();
    let num = |v: Option<i32>| v.map(|n| n.to_string()).unwrap_or_default();
    let has_certificate = e.certificate.is_some();
    let cert = |v: String| if has_certificate { v } else { String::new() };
    vec![
        p.sku.clone(),
        e.producer
            .as_ref()
            .map(|m| m.code.clone())
            .unwrap_or_default(),
        p.name_vi.clone(),
        p.name_en.clone(),
        upper(&p.category),
        p.unit.clone(),
        p.pack_size.to_string(),
        p.wholesale_price_vnd.to_string(),
        p.min_order_qty.to_string(),
        opt(p.gtin.clone()),
        p.description.clone(),
        p.trace_code.clone(),
        net_value(p).map(|v| v.to_string()).unwrap_or_default(),
        p.net_content_unit.map(|u| upper(&u)).unwrap_or_default(),
        num(p.shelf_life_days),
        opt(p.ingredients.clone()),
        opt(p.storage.clone()),
        opt(p.usage_instructions.clone()),
        opt(p.warnings.clone()),
        num(p.package_weight_grams),
        cert(p.certificate_number.clone()),
        cert(p.certificate_issued_on.to_string()),
        cert(p.certificate_expires_on.to_string()),
        cert(p.stars.to_string()),
        ids::opaque(Kind::Product, p.id),
        upper(&p.status),
        p.version.to_string(),
        p.updated_at
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        e.producer
            .as_ref()
            .map(|m| m.name.clone())
            .unwrap_or_default(),
        e.producer
            .as_ref()
            .map(|m| m.province.clone())
            .unwrap_or_default(),
        e.certificate
            .map(|s| certificate_name(s).to_owned())
            .unwrap_or_default(),
    ]
}
