//! Product writes: the operator's, or a PRODUCER partner's for its own
//! producer only. Every field is checked by `fields`, once, with its input
//! path, for the mutations and any later bulk import alike (producers are
//! in `producers`). A product write names the version it read; a stale one is
//! CONFLICT and writes nothing. Every write raises the version, leaves an
//! audit row (who, when, which fields from what to what), which is also the
//! catalogue's event outbox, and keeps the search text current.

use entity::enums::{PartnerKind, ProductStatus};
use entity::{producer, product, product_audit};
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde_json::Value as Json;

pub use super::fields::ProductFields;
use super::fields::{apply, taken};
pub use super::producers::{ProducerFields, create_producer, update_producer};
use crate::auth::{Scope, Viewer};
use crate::db::{self, Db};
use crate::domain::{clock, text};
use crate::error::{AppError, AppResult};

/// Who writes, as far as the catalogue cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Writer {
    /// Any producer, any product.
    Operator,
    /// This producer's products only.
    Producer(i64),
}

impl Writer {
    /// The caller's write rights: `catalog:write`, and the operator or a
    /// PRODUCER partner tied to a producer.
    pub fn of(viewer: &Viewer) -> AppResult<Self> {
        viewer.require(Scope::CatalogWrite)?;
        if viewer.is_operator() {
            return Ok(Writer::Operator);
        }
        match (viewer.partner.kind, viewer.partner.producer_id) {
            (PartnerKind::Producer, Some(p)) => Ok(Writer::Producer(p)),
            _ => Err(AppError::Forbidden(
                "only the operator and producers write the catalogue".into(),
            )),
        }
    }

    /// Whether this writer may write `producer_id`'s products. Another
    /// producer's product is NOT_FOUND to a producer, exactly as a missing
    /// one.
    pub(crate) fn may_write(self, producer_id: i64) -> bool {
        match self {
            Writer::Operator => true,
            Writer::Producer(p) => p == producer_id,
        }
    }
}

/// The product `writer` may write, or NOT_FOUND.
pub(crate) async fn writable_product(
    db: &impl ConnectionTrait,
    writer: Writer,
    product_id: i64,
) -> AppResult<product::Model> {
    product::Entity::find_by_id(product_id)
        .one(db)
        .await?
        .filter(|p| writer.may_write(p.producer_id))
        .ok_or_else(|| AppError::not_found("product"))
}

/// The search text of `row` made by `producer_name`.
fn search_text(row: &product::ActiveModel, producer_name: &str) -> String {
    let get = |v: &sea_orm::ActiveValue<String>| match v {
        Set(s) | sea_orm::ActiveValue::Unchanged(s) => s.clone(),
        NotSet => String::new(),
    };
    text::product_search_text(
        &get(&row.name_vi),
        &get(&row.name_en),
        producer_name,
        &get(&row.sku),
    )
}

/// Whether a write changes what search matches (names or SKU): only then
/// is the producer read to write the search text again.
fn changes_search(row: &product::ActiveModel) -> bool {
    [&row.name_vi, &row.name_en, &row.sku]
        .iter()
        .any(|v| matches!(v, Set(_)))
}

/// Writes the audit row of a product change: the catalogue's event.
async fn audit(
    db: &impl ConnectionTrait,
    actor: i64,
    product_id: i64,
    action: &str,
    changes: Json,
    version: i32,
) -> AppResult<()> {
    product_audit::ActiveModel {
        id: NotSet,
        product_id: Set(product_id),
        actor_partner_id: Set(actor),
        action: Set(action.to_owned()),
        changes: Set(changes.to_string()),
        version: Set(version),
        created_at: Set(clock::now()),
        tx: NotSet,
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Saves `row` over `current` if `current` is still the stored version,
/// raising it; CONFLICT with the current version otherwise. Writes the
/// audit row. Within the caller's transaction.
pub(crate) async fn save_versioned(
    txn: &impl ConnectionTrait,
    viewer: &Viewer,
    current: &product::Model,
    mut row: product::ActiveModel,
    action: &str,
    changes: Json,
) -> AppResult<product::Model> {
    crate::db::changes::changing(
        &[crate::db::changes::Table::PRODUCT],
        [
            crate::db::changes::Key::Catalog,
            crate::db::changes::Key::Product(current.id),
        ],
    );
    let next = current.version + 1;
    row.version = Set(next);
    row.updated_at = Set(clock::now());
    if changes_search(&row) {
        let maker = producer::Entity::find_by_id(current.producer_id)
            .one(txn)
            .await?
            .ok_or_else(|| AppError::not_found("producer"))?;
        row.search_text = Set(search_text(&row, &maker.name));
    }
    let updated = product::Entity::update_many()
        .set(row)
        .filter(product::Column::Id.eq(current.id))
        .filter(product::Column::Version.eq(current.version))
        .exec(txn)
        .await
        .map_err(taken)?;
    if updated.rows_affected == 0 {
        let now = product::Entity::find_by_id(current.id)
            .one(txn)
            .await?
            .ok_or_else(|| AppError::not_found("product"))?;
        return Err(AppError::StaleVersion {
            what: "product",
            current_version: now.version,
        });
    }
    audit(txn, viewer.partner_id(), current.id, action, changes, next).await?;
    product::Entity::find_by_id(current.id)
        .one(txn)
        .await?
        .ok_or_else(|| AppError::not_found("product"))
}

/// What `createProduct` needs beyond the fields.
pub struct NewProduct {
    pub producer_id: i64,
    pub fields: ProductFields,
}

/// A new product's row, checked, before any transaction: the fields
/// `createProduct` requires, each rule of `fields`, and the trace code.
pub(crate) struct Prepared {
    row: product::ActiveModel,
    changes: serde_json::Map<String, Json>,
    producer_id: i64,
}

/// Checks a new product for `writer`; writes nothing. The one path of
/// `createProduct` and of every created row of a catalogue import.
pub(crate) fn prepare(writer: Writer, input: &NewProduct) -> AppResult<Prepared> {
    if !writer.may_write(input.producer_id) {
        return Err(AppError::not_found("producer"));
    }
    let f = &input.fields;
    for (given, field) in [
        (f.sku.is_some(), "input.sku"),
        (f.name_vi.is_some(), "input.nameVi"),
        (f.name_en.is_some(), "input.nameEn"),
        (f.category.is_some(), "input.category"),
        (f.unit.is_some(), "input.unit"),
        (f.pack_size.is_some(), "input.packSize"),
        (f.wholesale_price.is_some(), "input.wholesalePrice"),
        (f.min_order_quantity.is_some(), "input.minOrderQuantity"),
    ] {
        if !given {
            return Err(AppError::bad_field(field, "required to create a product"));
        }
    }
    let today = clock::business_today();
    let now = clock::now();
    let mut row = product::ActiveModel {
        id: NotSet,
        status: Set(ProductStatus::Draft),
        producer_id: Set(input.producer_id),
        stars: Set(3),
        certificate_number: Set(String::new()),
        certificate_issued_on: Set(today),
        certificate_expires_on: Set(today),
        description: Set(String::new()),
        gtin: Set(None),
        reorder_point: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
        ..Default::default()
    };
    let changes = apply(f, &mut row, None)?;
    if f.trace_code.is_none() {
        // The code the OCOP QR stamp will carry, until one is given.
        let Set(sku) = &row.sku else {
            return Err(AppError::bad_field(
                "input.sku",
                "required to create a product",
            ));
        };
        row.trace_code = Set(format!("OCOP-{sku}"));
    }
    Ok(Prepared {
        row,
        changes,
        producer_id: input.producer_id,
    })
}

/// Inserts a prepared product and its audit row, in the caller's
/// transaction.
pub(crate) async fn insert(
    txn: &impl ConnectionTrait,
    viewer: &Viewer,
    prepared: Prepared,
) -> AppResult<product::Model> {
    let Prepared {
        mut row,
        changes,
        producer_id,
    } = prepared;
    // A new product: no answer read it yet, only the pages it may join.
    crate::db::changes::changing(
        &[crate::db::changes::Table::PRODUCT],
        [crate::db::changes::Key::Catalog],
    );
    let maker = producer::Entity::find_by_id(producer_id)
        .one(txn)
        .await?
        .ok_or_else(|| AppError::not_found("producer"))?;
    row.search_text = Set(search_text(&row, &maker.name));
    let created = row.insert(txn).await.map_err(taken)?;
    audit(
        txn,
        viewer.partner_id(),
        created.id,
        "create",
        Json::Object(changes),
        1,
    )
    .await?;
    Ok(created)
}

/// Creates a DRAFT product. Its certificate is recorded afterwards
/// (`certificates::record`); until then it carries none (an empty number,
/// 3 stars, and dates of today, which no read shows as a certificate).
pub async fn create_product(
    db: &Db,
    viewer: &Viewer,
    input: NewProduct,
) -> AppResult<product::Model> {
    let prepared = prepare(Writer::of(viewer)?, &input)?;
    let (txn, slot) = db::begin_write(db).await?;
    let created = insert(&txn, viewer, prepared).await?;
    slot.commit(txn).await?;
    Ok(created)
}

/// Applies `fields` to `current` (a product the caller may write, read in
/// this transaction): the saved product, or None when nothing would
/// change (no version is spent on a write that changes nothing). The one
/// path of `updateProduct` and of every updated row of an import.
pub(crate) async fn update_in(
    txn: &impl ConnectionTrait,
    viewer: &Viewer,
    current: &product::Model,
    fields: &ProductFields,
) -> AppResult<Option<product::Model>> {
    let mut row: product::ActiveModel = current.clone().into();
    let changes = apply(fields, &mut row, Some(current))?;
    if changes.is_empty() {
        return Ok(None);
    }
    save_versioned(txn, viewer, current, row, "update", Json::Object(changes))
        .await
        .map(Some)
}

/// Changes a product the caller may write, if `expected_version` is still
/// its version. Fields not given are left as they are.
pub async fn update_product(
    db: &Db,
    viewer: &Viewer,
    product_id: i64,
    expected_version: i32,
    fields: ProductFields,
) -> AppResult<product::Model> {
    let writer = Writer::of(viewer)?;
    let (txn, slot) = db::begin_write(db).await?;
    let current = writable_product(&txn, writer, product_id).await?;
    if current.version != expected_version {
        return Err(AppError::StaleVersion {
            what: "product",
            current_version: current.version,
        });
    }
    let Some(saved) = update_in(&txn, viewer, &current, &fields).await? else {
        return Ok(current);
    };
    slot.commit(txn).await?;
    Ok(saved)
}

/// Every write to `p`, newest first, with the code of who made it: for the
/// operator and `p`'s producer; FORBIDDEN to anyone else.
pub async fn history(
    db: &sea_orm::DatabaseConnection,
    viewer: &Viewer,
    p: &product::Model,
) -> AppResult<Vec<(product_audit::Model, String)>> {
    let own = viewer.partner.kind == PartnerKind::Producer
        && viewer.partner.producer_id == Some(p.producer_id);
    if !viewer.is_operator() && !own {
        return Err(AppError::Forbidden(
            "a product's history is for the operator and its producer".into(),
        ));
    }
    let rows = product_audit::Entity::find()
        .filter(product_audit::Column::ProductId.eq(p.id))
        .order_by_desc(product_audit::Column::Id)
        .limit(200)
        .all(db)
        .await?;
    let actors: Vec<i64> = rows.iter().map(|r| r.actor_partner_id).collect();
    let codes: std::collections::HashMap<i64, String> = entity::partner::Entity::find()
        .filter(entity::partner::Column::Id.is_in(actors))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p.code))
        .collect();
    Ok(rows
        .into_iter()
        .map(|r| {
            let actor = codes.get(&r.actor_partner_id).cloned().unwrap_or_default();
            (r, actor)
        })
        .collect())
}
