//! The hub's work list: per producer or province, how many products are
//! ready to list, what is missing most, and which certificates lapse.

use std::collections::{BTreeMap, HashMap};

use entity::{producer, product, product_image};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use super::certificates::{self, CertificateStatus};
use super::completeness;
use super::write::Writer;
use crate::auth::Viewer;
use crate::domain::{clock, text};
use crate::error::AppResult;

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Quality {
    pub products: usize,
    pub ready: usize,
    /// Field -> products missing it, most missed first.
    pub missing_by_field: Vec<(String, usize)>,
    pub certificates_expiring: usize,
    pub certificates_expired: usize,
}

/// Products of one producer or one province (or all), measured against
/// the label law. A producer sees its own products only.
pub async fn quality(
    db: &DatabaseConnection,
    viewer: &Viewer,
    producer_id: Option<i64>,
    province: Option<&str>,
) -> AppResult<Quality> {
    let producer_id = match Writer::of(viewer)? {
        Writer::Operator => producer_id,
        Writer::Producer(own) => Some(own),
    };
    let mut makers = producer::Entity::find();
    if let Some(p) = producer_id {
        makers = makers.filter(producer::Column::Id.eq(p));
    }
    if let Some(province) = province {
        makers = makers.filter(producer::Column::ProvinceKey.eq(text::fold(province)));
    }
    let makers: HashMap<i64, producer::Model> = makers
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.id, m))
        .collect();
    let items = product::Entity::find()
        .filter(product::Column::ProducerId.is_in(makers.keys().copied()))
        .all(db)
        .await?;
    let mut images: HashMap<i64, usize> = HashMap::new();
    for row in product_image::Entity::find()
        .filter(product_image::Column::ProductId.is_in(items.iter().map(|p| p.id)))
        .all(db)
        .await?
    {
        *images.entry(row.product_id).or_default() += 1;
    }
    let today = clock::business_today();
    let mut out = Quality::default();
    let mut missing: BTreeMap<&'static str, usize> = BTreeMap::new();
    for p in &items {
        let Some(maker) = makers.get(&p.producer_id) else {
            continue;
        };
        out.products += 1;
        let c = completeness::measure(p, maker, images.get(&p.id).copied().unwrap_or(0), today);
        if c.ready() {
            out.ready += 1;
        }
        for m in c.missing {
            *missing.entry(m.field).or_default() += 1;
        }
        if !p.certificate_number.is_empty() {
            match certificates::status(p.certificate_expires_on, today) {
                CertificateStatus::Expiring => out.certificates_expiring += 1,
                CertificateStatus::Expired => out.certificates_expired += 1,
                CertificateStatus::Valid => {}
            }
        }
    }
    let mut by_field: Vec<(String, usize)> = missing
        .into_iter()
        .map(|(f, n)| (f.to_owned(), n))
        .collect();
    by_field.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    out.missing_by_field = by_field;
    Ok(out)
}
