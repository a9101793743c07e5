//! Catalogue writes: producers (the operator) and products (the operator,
//! or a PRODUCER partner for its own producer only). Every field is checked
//! here, once, with its input path, for the mutations and any later bulk
//! import alike. A product write names the version it read; a stale one is
//! CONFLICT and writes nothing. Every write raises the version, leaves an
//! audit row (who, when, which fields from what to what), which is also the
//! catalogue's event outbox, and keeps the search text current.

use chrono::Utc;
use entity::enums::{Category, NetContentUnit, PartnerKind, ProducerKind, ProductStatus};
use entity::{producer, product, product_audit};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Set, SqlErr,
};
use serde_json::{Map, Value as Json, json};
use unicode_normalization::UnicodeNormalization;

use crate::auth::{Scope, Viewer};
use crate::db::{self, Db};
use crate::domain::{clock, gtin, money, text};
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
    fn may_write(self, producer_id: i64) -> bool {
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

// ---- field rules -------------------------------------------------------

/// Longest description, in characters.
pub const MAX_DESCRIPTION: usize = 4_000;
/// Longest label text (ingredients, storage, usage, warnings).
pub const MAX_LABEL_TEXT: usize = 2_000;
/// Largest pack size and minimum order, in units.
pub const MAX_UNITS: i64 = 100_000;

fn name(value: &str, field: &str) -> AppResult<String> {
    // NFC, so "Gốm" typed with combining marks is stored as one spelling
    // (searches and uniqueness see the same text).
    let value: String = value.nfc().collect();
    text::printable(
        &value,
        1,
        200,
        field,
        "a name is 1 to 200 printable characters",
    )
}

fn long_text(value: &str, max: usize, field: &str) -> AppResult<Option<String>> {
    let value: String = value.nfc().collect();
    let value = value.trim();
    if value.chars().count() > max {
        return Err(AppError::bad_field(
            field,
            format!("at most {max} characters"),
        ));
    }
    // Line breaks are text here; other control characters are not.
    if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err(AppError::bad_field(
            field,
            "control characters are not text",
        ));
    }
    Ok((!value.is_empty()).then(|| value.to_owned()))
}

fn sku(value: &str, field: &str) -> AppResult<String> {
    let value = value.trim();
    let plain = value
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if value.is_empty() || value.len() > 64 || !plain {
        return Err(AppError::bad_field(
            field,
            "a SKU is 1 to 64 of A-Z, a-z, 0-9, `-`, `_` and `.`",
        ));
    }
    Ok(value.to_owned())
}

fn gtin_of(value: &str, field: &str) -> AppResult<String> {
    let value = value.trim();
    if !gtin::is_valid(value) {
        return Err(AppError::bad_field(
            field,
            "a GTIN is 8, 12, 13 or 14 digits with a valid GS1 check digit",
        ));
    }
    Ok(value.to_owned())
}

fn units(value: i64, field: &str) -> AppResult<i32> {
    if !(1..=MAX_UNITS).contains(&value) {
        return Err(AppError::bad_field(
            field,
            format!("a whole number from 1 to {MAX_UNITS}"),
        ));
    }
    Ok(value as i32)
}

fn price(value: i64, field: &str) -> AppResult<i64> {
    if !(1..=money::MAX_VND).contains(&value) {
        return Err(AppError::bad_field(
            field,
            "a price is a whole number of đồng, above 0",
        ));
    }
    Ok(value)
}

fn bounded(value: i64, max: i64, field: &str, what: &str) -> AppResult<i32> {
    if !(1..=max).contains(&value) {
        return Err(AppError::bad_field(field, format!("{what} is 1 to {max}")));
    }
    Ok(value as i32)
}

/// Net content: a positive amount with at most three decimals, in
/// thousandths of its unit.
pub fn net_content(value: f64, field: &str) -> AppResult<i64> {
    let milli = (value * 1000.0).round();
    if !value.is_finite()
        || value <= 0.0
        || value > 1_000_000.0
        || (milli - value * 1000.0).abs() > 1e-6
    {
        return Err(AppError::bad_field(
            field,
            "net content is above 0, at most 1,000,000, with at most three decimals",
        ));
    }
    Ok(milli as i64)
}

/// The fields of a product as a caller sends them (None: not given).
#[derive(Default, Clone, Debug)]
pub struct ProductFields {
    pub sku: Option<String>,
    pub gtin: Option<String>,
    pub name_vi: Option<String>,
    pub name_en: Option<String>,
    pub description: Option<String>,
    pub category: Option<Category>,
    pub unit: Option<String>,
    pub pack_size: Option<i64>,
    pub wholesale_price: Option<i64>,
    pub min_order_quantity: Option<i64>,
    pub trace_code: Option<String>,
    pub net_content: Option<(f64, NetContentUnit)>,
    pub shelf_life_days: Option<i64>,
    pub ingredients: Option<String>,
    pub storage: Option<String>,
    pub usage: Option<String>,
    pub warnings: Option<String>,
    pub package_weight_grams: Option<i64>,
}

/// Applies `fields` to `row`, each checked; returns the JSON of what
/// changed (`{field: {from, to}}`) against `before`.
fn apply(
    fields: &ProductFields,
    row: &mut product::ActiveModel,
    before: Option<&product::Model>,
) -> AppResult<Map<String, Json>> {
    let mut changed = Map::new();
    let mut note = |key: &str, from: Json, to: Json| {
        if from != to {
            changed.insert(key.to_owned(), json!({ "from": from, "to": to }));
        }
    };
    let was = |f: fn(&product::Model) -> Json| before.map_or(Json::Null, f);
    if let Some(v) = &fields.sku {
        let v = sku(v, "input.sku")?;
        note("sku", was(|p| json!(p.sku)), json!(v));
        row.sku = Set(v);
    }
    if let Some(v) = &fields.gtin {
        let v = (!v.trim().is_empty())
            .then(|| gtin_of(v, "input.gtin"))
            .transpose()?;
        note("gtin", was(|p| json!(p.gtin)), json!(v));
        row.gtin = Set(v);
    }
    if let Some(v) = &fields.name_vi {
        let v = name(v, "input.nameVi")?;
        note("nameVi", was(|p| json!(p.name_vi)), json!(v));
        row.name_vi = Set(v);
    }
    if let Some(v) = &fields.name_en {
        let v = name(v, "input.nameEn")?;
        note("nameEn", was(|p| json!(p.name_en)), json!(v));
        row.name_en = Set(v);
    }
    if let Some(v) = &fields.description {
        let v = long_text(v, MAX_DESCRIPTION, "input.description")?.unwrap_or_default();
        note("description", was(|p| json!(p.description)), json!(v));
        row.description = Set(v);
    }
    if let Some(v) = fields.category {
        note(
            "category",
            was(|p| json!(sea_orm::ActiveEnum::to_value(&p.category))),
            json!(sea_orm::ActiveEnum::to_value(&v)),
        );
        row.category = Set(v);
    }
    if let Some(v) = &fields.unit {
        let v = text::printable(
            v,
            1,
            20,
            "input.unit",
            "a unit is 1 to 20 characters (chai, hộp, kg ...)",
        )?;
        note("unit", was(|p| json!(p.unit)), json!(v));
        row.unit = Set(v);
    }
    if let Some(v) = fields.pack_size {
        let v = units(v, "input.packSize")?;
        note("packSize", was(|p| json!(p.pack_size)), json!(v));
        row.pack_size = Set(v);
    }
    if let Some(v) = fields.wholesale_price {
        let v = price(v, "input.wholesalePrice")?;
        note(
            "wholesalePrice",
            was(|p| json!(p.wholesale_price_vnd)),
            json!(v),
        );
        row.wholesale_price_vnd = Set(v);
    }
    if let Some(v) = fields.min_order_quantity {
        let v = units(v, "input.minOrderQuantity")?;
        note(
            "minOrderQuantity",
            was(|p| json!(p.min_order_qty)),
            json!(v),
        );
        row.min_order_qty = Set(v);
    }
    if let Some(v) = &fields.trace_code {
        let v = text::printable(
            v,
            1,
            128,
            "input.traceCode",
            "a trace code is 1 to 128 characters",
        )?;
        note("traceCode", was(|p| json!(p.trace_code)), json!(v));
        row.trace_code = Set(v);
    }
    if let Some((value, unit)) = fields.net_content {
        let milli = net_content(value, "input.netContent.value")?;
        note(
            "netContent",
            was(|p| {
                json!([
                    p.net_content_milli,
                    p.net_content_unit
                        .map(|u| sea_orm::ActiveEnum::to_value(&u))
                ])
            }),
            json!([milli, sea_orm::ActiveEnum::to_value(&unit)]),
        );
        row.net_content_milli = Set(Some(milli));
        row.net_content_unit = Set(Some(unit));
    }
    if let Some(v) = fields.shelf_life_days {
        let v = bounded(v, 3_650, "input.shelfLifeDays", "shelf life, in days,")?;
        note("shelfLifeDays", was(|p| json!(p.shelf_life_days)), json!(v));
        row.shelf_life_days = Set(Some(v));
    }
    if let Some(v) = fields.package_weight_grams {
        let v = bounded(
            v,
            1_000_000,
            "input.packageWeightGrams",
            "package weight, in grams,",
        )?;
        note(
            "packageWeightGrams",
            was(|p| json!(p.package_weight_grams)),
            json!(v),
        );
        row.package_weight_grams = Set(Some(v));
    }
    for (value, key, field, set) in [
        (&fields.ingredients, "ingredients", "input.ingredients", 0),
        (&fields.storage, "storage", "input.storage", 1),
        (&fields.usage, "usage", "input.usage", 2),
        (&fields.warnings, "warnings", "input.warnings", 3),
    ] {
        let Some(v) = value else { continue };
        let v = long_text(v, MAX_LABEL_TEXT, field)?;
        let old = before.and_then(|p| match set {
            0 => p.ingredients.clone(),
            1 => p.storage.clone(),
            2 => p.usage_instructions.clone(),
            _ => p.warnings.clone(),
        });
        note(key, json!(old), json!(v));
        match set {
            0 => row.ingredients = Set(v),
            1 => row.storage = Set(v),
            2 => row.usage_instructions = Set(v),
            _ => row.warnings = Set(v),
        }
    }
    Ok(changed)
}

/// A unique value already taken, as the caller's fault on its field.
fn taken(e: DbErr) -> AppError {
    match e.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(detail)) => {
            let (field, what) = if detail.contains("gtin") {
                ("input.gtin", "GTIN")
            } else if detail.contains("trace_code") {
                ("input.traceCode", "trace code")
            } else {
                ("input.sku", "SKU")
            };
            AppError::bad_field(
                field,
                format!("this {what} is already used by another product"),
            )
        }
        _ => e.into(),
    }
}

async fn search_text_for(
    db: &impl ConnectionTrait,
    row: &product::ActiveModel,
    producer_id: i64,
) -> AppResult<String> {
    let maker = producer::Entity::find_by_id(producer_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("producer"))?;
    let get = |v: &sea_orm::ActiveValue<String>| match v {
        Set(s) | sea_orm::ActiveValue::Unchanged(s) => s.clone(),
        NotSet => String::new(),
    };
    Ok(text::product_search_text(
        &get(&row.name_vi),
        &get(&row.name_en),
        &maker.name,
        &get(&row.sku),
    ))
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
    let next = current.version + 1;
    row.version = Set(next);
    row.updated_at = Set(clock::now());
    row.search_text = Set(search_text_for(txn, &row, current.producer_id).await?);
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

/// Creates a DRAFT product. Its certificate is recorded afterwards
/// (`certificates::record`); until then it carries none (an empty number,
/// 3 stars, and dates of today, which no read shows as a certificate).
pub async fn create_product(
    db: &Db,
    viewer: &Viewer,
    input: NewProduct,
) -> AppResult<product::Model> {
    let writer = Writer::of(viewer)?;
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
    let (txn, slot) = db::begin_write(db).await?;
    let maker = producer::Entity::find_by_id(input.producer_id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found("producer"))?;
    row.search_text = Set(search_text_for(&txn, &row, maker.id).await?);
    let created = row.insert(&txn).await.map_err(taken)?;
    audit(
        &txn,
        viewer.partner_id(),
        created.id,
        "create",
        Json::Object(changes),
        1,
    )
    .await?;
    slot.commit(txn).await?;
    Ok(created)
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
    let mut row: product::ActiveModel = current.clone().into();
    let changes = apply(&fields, &mut row, Some(&current))?;
    let saved =
        save_versioned(&txn, viewer, &current, row, "update", Json::Object(changes)).await?;
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

// ---- producers ---------------------------------------------------------

pub struct ProducerFields {
    pub code: Option<String>,
    pub name: Option<String>,
    pub kind: Option<ProducerKind>,
    pub commune: Option<String>,
    pub district: Option<String>,
    pub province: Option<String>,
    pub address: Option<String>,
}

fn place(value: &str, field: &str) -> AppResult<String> {
    let value: String = value.nfc().collect();
    text::printable(&value, 1, 100, field, "1 to 100 printable characters")
}

fn apply_producer(f: &ProducerFields, row: &mut producer::ActiveModel) -> AppResult<()> {
    if let Some(v) = &f.code {
        let v = sku(v, "input.code")?;
        row.code = Set(v);
    }
    if let Some(v) = &f.name {
        row.name = Set(name(v, "input.name")?);
    }
    if let Some(v) = f.kind {
        row.kind = Set(v);
    }
    if let Some(v) = &f.commune {
        row.commune = Set(place(v, "input.commune")?);
    }
    if let Some(v) = &f.district {
        let v = place(v, "input.district")?;
        row.district_key = Set(text::fold(&v));
        row.district = Set(v);
    }
    if let Some(v) = &f.province {
        let v = place(v, "input.province")?;
        row.province_key = Set(text::fold(&v));
        row.province = Set(v);
    }
    if let Some(v) = &f.address {
        let v: String = v.nfc().collect();
        row.address = Set(text::printable(
            &v,
            0,
            300,
            "input.address",
            "an address is at most 300 characters",
        )?);
    }
    Ok(())
}

fn operator_only(viewer: &Viewer) -> AppResult<()> {
    match Writer::of(viewer)? {
        Writer::Operator => Ok(()),
        Writer::Producer(_) => Err(AppError::Forbidden(
            "producers are onboarded by the operator".into(),
        )),
    }
}

/// Onboards a producer (the operator).
pub async fn create_producer(
    db: &Db,
    viewer: &Viewer,
    f: ProducerFields,
) -> AppResult<producer::Model> {
    operator_only(viewer)?;
    for (given, field) in [
        (f.code.is_some(), "input.code"),
        (f.name.is_some(), "input.name"),
        (f.kind.is_some(), "input.kind"),
        (f.commune.is_some(), "input.commune"),
        (f.district.is_some(), "input.district"),
        (f.province.is_some(), "input.province"),
    ] {
        if !given {
            return Err(AppError::bad_field(field, "required to create a producer"));
        }
    }
    let mut row = producer::ActiveModel {
        id: NotSet,
        created_at: Set(Utc::now()),
        address: Set(String::new()),
        ..Default::default()
    };
    apply_producer(&f, &mut row)?;
    let (txn, slot) = db::begin_write(db).await?;
    let created = row.insert(&txn).await.map_err(|e| match e.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => {
            AppError::bad_field("input.code", "a producer with this code exists")
        }
        _ => e.into(),
    })?;
    slot.commit(txn).await?;
    Ok(created)
}

/// Corrects a producer (the operator). Its products' search text follows
/// its name.
pub async fn update_producer(
    db: &Db,
    viewer: &Viewer,
    producer_id: i64,
    f: ProducerFields,
) -> AppResult<producer::Model> {
    operator_only(viewer)?;
    let (txn, slot) = db::begin_write(db).await?;
    let current = producer::Entity::find_by_id(producer_id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found("producer"))?;
    let mut row: producer::ActiveModel = current.clone().into();
    apply_producer(&f, &mut row)?;
    let saved = row.update(&txn).await.map_err(|e| match e.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => {
            AppError::bad_field("input.code", "a producer with this code exists")
        }
        _ => e.into(),
    })?;
    if saved.name != current.name {
        for p in product::Entity::find()
            .filter(product::Column::ProducerId.eq(producer_id))
            .all(&txn)
            .await?
        {
            let search = text::product_search_text(&p.name_vi, &p.name_en, &saved.name, &p.sku);
            product::Entity::update_many()
                .col_expr(product::Column::SearchText, Expr::value(search))
                .col_expr(product::Column::UpdatedAt, Expr::value(clock::now()))
                .filter(product::Column::Id.eq(p.id))
                .exec(&txn)
                .await?;
        }
    }
    slot.commit(txn).await?;
    Ok(saved)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn net_content_is_exact_to_a_thousandth() {
        assert_eq!(net_content(0.5, "f").ok(), Some(500));
        assert_eq!(net_content(1.25, "f").ok(), Some(1_250));
        assert!(net_content(0.0005, "f").is_err());
        assert!(net_content(-1.0, "f").is_err());
        assert!(net_content(f64::NAN, "f").is_err());
    }

    #[test]
    fn names_are_stored_in_one_spelling() {
        let decomposed = "Go\u{0302}\u{0301}m"; // "Gốm" with combining marks
        assert_eq!(name(decomposed, "f").ok().as_deref(), Some("Gốm"));
        assert!(name("", "f").is_err());
        assert!(sku("BL MAM", "f").is_err(), "no spaces in a SKU");
        assert!(
            gtin_of("8934563138166", "f").is_err(),
            "a wrong check digit"
        );
    }
}
